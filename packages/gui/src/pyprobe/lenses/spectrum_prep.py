"""Pure numpy spectrum estimation for the spectrum and waterfall lenses: no Qt.

Calibration is for tones, as on a spectrum analyser: a frame ``x`` of ``M``
samples times a window ``w`` is transformed with an ``N``-point FFT (zero-padded
when ``M < N``) and each bin's power is ``|X[k]|**2 / sum(w)**2``. A complex
exponential of amplitude ``A`` exactly at a bin then reads ``A**2`` there, with
any window. A real input gives the one-sided spectrum, whose bins other than DC
and Nyquist are doubled, so a real sine of amplitude ``A`` reads its power
``A**2 / 2`` (-3.01 dB for ``A = 1``). A tone between bins reads lower by the
window's scalloping loss; broadband noise of variance ``s2`` sums to
``s2 * enbw_bins(w)`` over the bins (Parseval).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "AVERAGING",
    "DB_FLOOR_POWER",
    "MAX_AUTO_FFT_SIZE",
    "SCALES",
    "WINDOWS",
    "Spectrum",
    "SpectrumEstimator",
    "Waterfall",
    "coherent_gain",
    "enbw_bins",
    "peak",
    "to_db",
    "window",
]

WINDOWS = ("rectangular", "hann", "blackman-harris", "kaiser", "flat-top")
AVERAGING = ("off", "linear", "exponential")
SCALES = ("db", "linear")
#: fft_size=None never picks more points than this.
MAX_AUTO_FFT_SIZE = 2**20
#: Power is clipped here before the log: 10 log10 never sees 0 (-300 dB).
DB_FLOOR_POWER = 1e-30

# Cosine-sum windows: w[k] = sum_j (-1)**j a_j cos(2 pi j k / n), periodic in n.
_COSINE_SUMS = {
    "hann": (0.5, 0.5),
    # Harris (1978), 4-term Blackman-Harris, -92 dB side lobes.
    "blackman-harris": (0.35875, 0.48829, 0.14128, 0.01168),
    # The standard 5-term flat-top (D'Antona & Ferrero), < 0.01 dB scalloping.
    "flat-top": (0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368),
}


def window(name: str, n: int, *, beta: float = 8.6) -> np.ndarray:
    """The ``n``-point periodic (DFT-even) window ``name``, one of ``WINDOWS``, as
    float64: the first ``n`` points of the symmetric ``n + 1``-point window, which
    is what spectral analysis of an ``n``-point frame wants. ``beta`` is Kaiser's
    shape parameter. ``n <= 1`` gives ones."""
    if name not in WINDOWS:
        raise ValueError(f"unknown window {name!r}; one of {', '.join(WINDOWS)}")
    n = int(n)
    if n < 0:
        raise ValueError(f"window length must be >= 0, not {n}")
    if n <= 1 or name == "rectangular":
        return np.ones(n)
    if name == "kaiser":
        return np.kaiser(n + 1, float(beta))[:n]
    phase = np.arange(n) * (2.0 * np.pi / n)
    coefficients = _COSINE_SUMS[name]
    w = np.full(n, coefficients[0])
    for j, a in enumerate(coefficients[1:], start=1):  # a few terms, not samples
        w += (-a if j % 2 else a) * np.cos(j * phase)
    return w


def coherent_gain(w: np.ndarray) -> float:
    """``sum(w) / n``: the factor a window scales an on-bin tone's amplitude by."""
    w = np.asarray(w, dtype=np.float64)
    return float(w.sum() / len(w))


def enbw_bins(w: np.ndarray) -> float:
    """Equivalent noise bandwidth in bins, ``n * sum(w**2) / sum(w)**2``."""
    w = np.asarray(w, dtype=np.float64)
    return float(len(w) * np.dot(w, w) / w.sum() ** 2)


def to_db(power: np.ndarray) -> np.ndarray:
    """``10 log10(power)``, with power clipped at ``DB_FLOOR_POWER`` first (a new array)."""
    out = np.maximum(power, DB_FLOOR_POWER)
    np.log10(out, out=out)
    out *= 10.0
    return out


@dataclass(frozen=True, eq=False)
class Spectrum:
    """One estimate. ``power`` is the linear power per bin (averaged when averaging
    is on), ``db`` is ``10 log10(power)``, ``max_hold_db`` the elementwise maximum of
    every frame's (unaveraged) dB since the last reset, None when max hold is off.
    ``frames`` counts the frames since the last reset, this one included. ``freqs``
    are 0..fs/2 for a one-sided (real input) spectrum, -fs/2..fs/2 (centred) for a
    two-sided one. The arrays are read-only."""

    freqs: np.ndarray
    power: np.ndarray
    db: np.ndarray
    max_hold_db: np.ndarray | None
    frames: int
    sample_rate: float
    one_sided: bool

    @property
    def bin_width(self) -> float:
        """The spacing of ``freqs`` (``sample_rate / fft_size``)."""
        if len(self.freqs) > 1:
            return float(self.freqs[1] - self.freqs[0])
        return float(self.sample_rate)


def _samples_and_rate(value: Any) -> tuple[np.ndarray, float | None]:
    """The samples of an array or tracer waveform dict, and the waveform's sample
    rate ``1 / dt`` (None for a plain array or an unusable dt)."""
    if isinstance(value, Mapping) and "samples" in value:
        samples = np.asarray(value["samples"])
        try:
            dt = float(value.get("dt", 0.0))
        except (TypeError, ValueError):
            dt = 0.0
        rate = 1.0 / dt if math.isfinite(dt) and dt > 0 else None
        return samples, (rate if rate is not None and math.isfinite(rate) else None)
    return np.asarray(value), None


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class SpectrumEstimator:
    """Turns each new value of a probe into a ``Spectrum``, averaging over frames.

    Settings are plain attributes and may be changed between updates:

    - ``window``: one of ``WINDOWS`` (``beta`` is Kaiser's parameter);
    - ``fft_size``: None picks the next power of two >= the number of samples,
      at most ``MAX_AUTO_FFT_SIZE``; shorter inputs are zero-padded (the window
      covers the samples only), longer ones use their last ``fft_size`` samples;
    - ``averaging``: "off", "linear" (running mean of the power since the last
      reset) or "exponential" (``alpha * new + (1 - alpha) * old``);
    - ``max_hold``: also keep the elementwise maximum of each frame's dB;
    - ``sample_rate``: None takes ``1 / dt`` from a waveform dict, else 1.0
      (frequencies in cycles per sample);
    - ``scale``: "db" or "linear", which of the two ``values`` returns.

    A change of FFT size, window, sample rate, averaging mode or input kind
    (real/complex) resets the averaging and max hold, as does ``reset()``.
    """

    def __init__(
        self,
        *,
        window: str = "hann",
        fft_size: int | None = None,
        averaging: str = "off",
        alpha: float = 0.25,
        max_hold: bool = False,
        sample_rate: float | None = None,
        scale: str = "db",
        beta: float = 8.6,
    ) -> None:
        self.window = window
        self.fft_size = fft_size
        self.averaging = averaging
        self.alpha = alpha
        self.max_hold = max_hold
        self.sample_rate = sample_rate
        self.scale = scale
        self.beta = beta
        self._check()
        self._window_cache: tuple[tuple, np.ndarray, float] | None = None
        self._freq_cache: tuple[tuple, np.ndarray] | None = None
        self._key: tuple | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the averaged power and the max hold; the next frame starts afresh."""
        self._frames = 0
        self._average: np.ndarray | None = None
        self._max_db: np.ndarray | None = None

    @property
    def frames(self) -> int:
        """Frames since the last reset."""
        return self._frames

    def _check(self) -> None:
        if self.window not in WINDOWS:
            raise ValueError(f"unknown window {self.window!r}; one of {', '.join(WINDOWS)}")
        if self.averaging not in AVERAGING:
            raise ValueError(f"averaging must be one of {AVERAGING}, not {self.averaging!r}")
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, not {self.scale!r}")
        if not 0.0 < float(self.alpha) <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], not {self.alpha!r}")
        if self.fft_size is not None and int(self.fft_size) < 1:
            raise ValueError(f"fft_size must be >= 1 or None, not {self.fft_size!r}")
        if self.sample_rate is not None and not (
            math.isfinite(float(self.sample_rate)) and float(self.sample_rate) > 0
        ):
            raise ValueError(f"sample_rate must be > 0 or None, not {self.sample_rate!r}")

    def fft_length(self, n_samples: int) -> int:
        """The FFT size used for an input of ``n_samples``."""
        if self.fft_size is not None:
            return int(self.fft_size)
        return min(1 << max(int(n_samples) - 1, 0).bit_length(), MAX_AUTO_FFT_SIZE)

    def _window_and_scale(self, m: int) -> tuple[np.ndarray, float]:
        """The ``m``-point window (cached) and ``1 / sum(w)**2``."""
        beta = float(self.beta) if self.window == "kaiser" else None
        key = (self.window, m, beta)
        if self._window_cache is None or self._window_cache[0] != key:
            w = window(self.window, m, beta=8.6 if beta is None else beta)
            self._window_cache = (key, w, 1.0 / float(w.sum()) ** 2)
        return self._window_cache[1], self._window_cache[2]

    def _freqs(self, nfft: int, rate: float, one_sided: bool) -> np.ndarray:
        key = (nfft, rate, one_sided)
        if self._freq_cache is None or self._freq_cache[0] != key:
            bins = np.arange(nfft // 2 + 1) if one_sided else np.arange(nfft) - nfft // 2
            self._freq_cache = (key, _read_only(bins * (rate / nfft)))
        return self._freq_cache[1]

    def frame_power(self, value: Any) -> tuple[np.ndarray, float, bool]:
        """``(power, sample_rate, one_sided)`` of one frame, unaveraged (a new array)."""
        return self._frame(value)[:3]

    def _frame(self, value: Any) -> tuple[np.ndarray, float, bool, int]:
        self._check()
        samples, wave_rate = _samples_and_rate(value)
        if samples.ndim != 1:
            samples = samples.reshape(-1)
        if len(samples) == 0:
            raise ValueError("no samples to estimate a spectrum from")
        if self.sample_rate is not None:
            rate = float(self.sample_rate)
        else:
            rate = wave_rate if wave_rate is not None else 1.0
        nfft = self.fft_length(len(samples))
        segment = samples[-nfft:] if len(samples) > nfft else samples
        w, scale = self._window_and_scale(len(segment))
        one_sided = not np.iscomplexobj(segment)
        if one_sided:
            spectrum = np.fft.rfft(np.multiply(segment, w, dtype=np.float64), n=nfft)
        else:
            spectrum = np.fft.fft(np.multiply(segment, w, dtype=np.complex128), n=nfft)
        power = np.square(spectrum.real)
        power += np.square(spectrum.imag)
        power *= scale
        if one_sided:  # fold the negative frequencies in; DC and Nyquist have no twin
            power[1 : nfft // 2 + 1 if nfft % 2 else nfft // 2] *= 2.0
        else:
            power = np.fft.fftshift(power)
        return power, rate, one_sided, nfft

    def update(self, value: Any) -> Spectrum:
        """The spectrum of ``value`` (an array or a waveform dict), folded into the
        running average and max hold."""
        power, rate, one_sided, nfft = self._frame(value)
        key = (
            nfft,
            self.window,
            float(self.beta) if self.window == "kaiser" else None,
            rate,
            one_sided,
            self.averaging,
        )
        if key != self._key:
            self._key = key
            self.reset()
        if not self.max_hold:
            self._max_db = None
        self._frames += 1

        frame_db = None
        if self.max_hold or self.averaging == "off":
            frame_db = _read_only(to_db(power))
        if self.averaging == "off" or self._average is None:
            self._average = power
        elif self.averaging == "linear":  # in place on this frame's fresh array
            power -= self._average
            power *= 1.0 / self._frames
            power += self._average
            self._average = power
        else:
            power -= self._average
            power *= float(self.alpha)
            power += self._average
            self._average = power
        power = _read_only(self._average)
        db = frame_db if self.averaging == "off" else _read_only(to_db(power))

        max_db = None
        if self.max_hold:
            if self._max_db is None:
                self._max_db = frame_db
            else:
                # fmax: a frame with NaNs in it does not wipe out what was held.
                self._max_db = _read_only(np.fmax(self._max_db, frame_db))
            max_db = self._max_db
        return Spectrum(
            freqs=self._freqs(nfft, rate, one_sided),
            power=power,
            db=db,
            max_hold_db=max_db,
            frames=self._frames,
            sample_rate=rate,
            one_sided=one_sided,
        )

    def values(self, spectrum: Spectrum) -> tuple[np.ndarray, np.ndarray | None]:
        """``(trace, max_hold)`` of ``spectrum`` in this estimator's ``scale``."""
        if self.scale == "db":
            return spectrum.db, spectrum.max_hold_db
        held = None if spectrum.max_hold_db is None else 10.0 ** (spectrum.max_hold_db / 10.0)
        return spectrum.power, held


class Waterfall:
    """The last ``rows`` spectra's dB rows in a preallocated float32 ring.

    A spectrum of another length or frequency axis than the ones held starts the
    ring afresh. ``image()`` is laid out for pyqtgraph's ImageItem in its default
    (column-major) order: axis 0 is frequency (x), axis 1 the frames oldest..newest
    (y, newest on top); ``history()`` is the same with one row per spectrum.
    """

    def __init__(self, rows: int = 200) -> None:
        if int(rows) < 1:
            raise ValueError(f"rows must be >= 1, not {rows!r}")
        self.rows = int(rows)
        self.reset()

    def reset(self) -> None:
        self._buffer: np.ndarray | None = None
        self._axis: tuple | None = None
        self._x0 = 0.0
        self._bin_width = 1.0
        self._next = 0
        self._count = 0
        self._pushed = 0

    def __len__(self) -> int:
        return self._count

    @property
    def pushed(self) -> int:
        """Spectra pushed since the last reset (the frame index of the next one)."""
        return self._pushed

    def push(self, spectrum: Spectrum) -> None:
        db = spectrum.db
        width = spectrum.bin_width
        first = float(spectrum.freqs[0]) if len(spectrum.freqs) else 0.0
        axis = (len(db), spectrum.one_sided, first, width)
        if axis != self._axis:
            self.reset()
            self._axis = axis
            self._buffer = np.empty((self.rows, len(db)), dtype=np.float32)
            self._x0 = first - width / 2.0
            self._bin_width = width
        self._buffer[self._next] = db
        self._next = (self._next + 1) % self.rows
        self._count = min(self._count + 1, self.rows)
        self._pushed += 1

    def history(self) -> np.ndarray:
        """``(frames, bins)``: one dB row per spectrum, oldest first (a new array)."""
        if self._buffer is None:
            return np.zeros((0, 0), dtype=np.float32)
        if self._count < self.rows:
            return self._buffer[: self._count].copy()
        return np.concatenate((self._buffer[self._next :], self._buffer[: self._next]))

    def image(self) -> np.ndarray:
        """``(bins, frames)`` for ``ImageItem.setImage``: ``history()`` transposed."""
        return self.history().T

    def rect(self) -> tuple[float, float, float, float]:
        """``(x0, y0, width, height)`` for ``ImageItem.setRect``: pixels centred on the
        bin frequencies along x and on the frame indices (since reset) along y."""
        bins = 0 if self._axis is None else self._axis[0]
        oldest = self._pushed - self._count
        return (
            self._x0,
            oldest - 0.5,
            bins * self._bin_width,
            float(self._count),
        )


def peak(spectrum: Spectrum, *, interpolate: bool = True) -> tuple[float, float]:
    """``(freq, db)`` of the spectrum's maximum, refined (unless ``interpolate`` is
    False) by a parabola through the dB values of the peak bin and its two
    neighbours (none at the ends).

    The parabola fits rounded main lobes (Hann: within 0.02 bin and 0.35 dB of an
    off-bin tone; Blackman-Harris and Kaiser closer). A flat-top's bins already
    read within 0.01 dB, and a parabola over its flat top overshoots (up to
    +0.16 dB and 0.14 bin): take its peak with ``interpolate=False``."""
    db = spectrum.db
    if len(db) == 0:
        raise ValueError("an empty spectrum has no peak")
    i = int(np.nanargmax(db))
    freq, level = float(spectrum.freqs[i]), float(db[i])
    if interpolate and 0 < i < len(db) - 1:
        left, right = float(db[i - 1]), float(db[i + 1])
        curvature = left - 2.0 * level + right
        if curvature < 0 and math.isfinite(curvature):
            offset = min(max(0.5 * (left - right) / curvature, -0.5), 0.5)
            freq += offset * spectrum.bin_width
            level -= 0.25 * (left - right) * offset
    return freq, level
