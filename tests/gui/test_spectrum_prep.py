"""Spectrum preparation against closed-form truths: tone calibration, Parseval,
noise levels, averaging statistics, window constants. No Qt needed."""

from __future__ import annotations

import math
import statistics
import time
import warnings

import numpy as np
import pytest

from pyprobe.lenses.spectrum_prep import (
    WINDOWS,
    Spectrum,
    SpectrumEstimator,
    Waterfall,
    coherent_gain,
    enbw_bins,
    peak,
    window,
)

RNG_SEED = 20240611
COSINE_SUM_COEFFICIENTS = {  # published values, for the closed-form ENBW
    "hann": (0.5, 0.5),
    "blackman-harris": (0.35875, 0.48829, 0.14128, 0.01168),
    "flat-top": (0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368),
}


def sine(amplitude, cycles, n, phase=0.3):
    """A real sine making ``cycles`` periods in ``n`` samples."""
    return amplitude * np.cos(2 * np.pi * cycles * np.arange(n) / n + phase)


def tone(amplitude, cycles, n, phase=0.3):
    """A complex exponential making ``cycles`` periods (negative: clockwise) in ``n`` samples."""
    return amplitude * np.exp(1j * (2 * np.pi * cycles * np.arange(n) / n + phase))


def db(power):
    return 10 * math.log10(power)


# --- windows -----------------------------------------------------------------


@pytest.mark.parametrize("name", WINDOWS)
def test_windows_are_periodic_and_peak_at_the_centre(name):
    n = 1024
    w = window(name, n)
    assert w.shape == (n,) and w.dtype == np.float64
    # DFT-even: symmetric about n/2, i.e. w[k] == w[n - k].
    np.testing.assert_allclose(w[1:], w[1:][::-1], atol=1e-12)
    assert w.argmax() == (0 if name == "rectangular" else n // 2)
    assert w[n // 2] == pytest.approx(1.0, abs=1e-8)


def test_windows_match_numpys_symmetric_forms_one_point_longer():
    n = 500
    np.testing.assert_allclose(window("hann", n), np.hanning(n + 1)[:n], atol=1e-15)
    np.testing.assert_allclose(window("kaiser", n, beta=5.0), np.kaiser(n + 1, 5.0)[:n])
    np.testing.assert_array_equal(window("rectangular", n), np.ones(n))


def test_hann_coherent_gain_and_enbw():
    w = window("hann", 4096)
    assert coherent_gain(w) == pytest.approx(0.5, abs=1e-12)
    assert enbw_bins(w) == pytest.approx(1.5, abs=1e-12)
    assert coherent_gain(window("rectangular", 64)) == 1.0
    assert enbw_bins(window("rectangular", 64)) == 1.0


@pytest.mark.parametrize("name", sorted(COSINE_SUM_COEFFICIENTS))
def test_cosine_sum_windows_gain_and_enbw_in_closed_form(name):
    a = COSINE_SUM_COEFFICIENTS[name]
    w = window(name, 4096)
    # Over a whole period the cosines average to 0 and their squares to 1/2.
    assert coherent_gain(w) == pytest.approx(a[0], rel=1e-12)
    closed_form = 1 + sum(aj**2 for aj in a[1:]) / (2 * a[0] ** 2)
    assert enbw_bins(w) == pytest.approx(closed_form, rel=1e-12)


def test_published_enbw_values():
    assert enbw_bins(window("blackman-harris", 4096)) == pytest.approx(2.0044, abs=1e-4)
    assert enbw_bins(window("flat-top", 4096)) == pytest.approx(3.7702, abs=1e-4)


def test_tiny_and_invalid_windows():
    for name in WINDOWS:
        np.testing.assert_array_equal(window(name, 1), [1.0])
        assert len(window(name, 0)) == 0
    with pytest.raises(ValueError, match="unknown window"):
        window("hamming", 8)


def _worst_scalloping(name, n=1024, k0=200):
    """Largest drop (dB) of the peak bin below the true A**2/2 over offsets 0..0.5 bin."""
    est = SpectrumEstimator(window=name)
    truth = db(0.5)
    return max(
        truth - float(est.update(sine(1.0, k0 + offset, n)).db.max())
        for offset in np.linspace(0.0, 0.5, 26)
    )


def test_flat_top_scalloping_is_under_002_db():
    assert abs(_worst_scalloping("flat-top")) < 0.02


def test_scalloping_at_half_a_bin_matches_the_window_transform():
    n, k0 = 1024, 200
    for name, closed_form in (
        # Hann's transform at δ bins, relative to δ = 0: sinc(δ) / (1 - δ²); δ = 1/2.
        ("hann", -20 * math.log10(8 / (3 * math.pi))),  # 1.4236 dB
        ("rectangular", -20 * math.log10(2 / math.pi)),  # 3.9224 dB
    ):
        # A complex tone: no image at -k0 leaking into the reading.
        spectrum = SpectrumEstimator(window=name).update(tone(1.0, k0 + 0.5, n))
        loss = -float(spectrum.db.max())
        assert loss == pytest.approx(closed_form, abs=0.01), name
    assert _worst_scalloping("hann") == pytest.approx(1.42, abs=0.01)


# --- calibration -------------------------------------------------------------


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("amplitude", [1.0, 0.3])
def test_real_sine_on_a_bin_reads_its_power_with_every_window(name, amplitude):
    n, k0, fs = 4096, 512, 48_000.0
    value = {"samples": sine(amplitude, k0, n), "t0": 0.0, "dt": 1 / fs}
    spectrum = SpectrumEstimator(window=name).update(value)
    assert spectrum.one_sided and spectrum.sample_rate == pytest.approx(fs)
    assert len(spectrum.freqs) == n // 2 + 1
    assert spectrum.freqs[-1] == pytest.approx(fs / 2)
    assert spectrum.freqs[k0] == pytest.approx(k0 * fs / n)  # 6000 Hz
    assert spectrum.db[k0] == pytest.approx(db(amplitude**2 / 2), abs=0.01)
    assert spectrum.power[k0] == pytest.approx(amplitude**2 / 2, rel=0.003)
    freq, _ = peak(spectrum, interpolate=name != "flat-top")
    # (The rectangular window's neighbours are rounding noise at the dB floor.)
    assert freq == pytest.approx(6000.0, abs=1e-3 * fs / n)


def test_full_scale_real_sine_reads_minus_3_01_db():
    spectrum = SpectrumEstimator().update(sine(1.0, 100, 1024))
    assert spectrum.db.max() == pytest.approx(-3.0103, abs=1e-4)
    assert spectrum.freqs[-1] == 0.5  # no sample rate: cycles per sample


def test_dc_and_nyquist_are_not_doubled():
    n = 64
    spectrum = SpectrumEstimator(window="rectangular").update(
        np.full(n, 2.0) + np.cos(np.pi * np.arange(n))
    )
    assert spectrum.power[0] == pytest.approx(4.0)  # DC of level 2: power 4
    assert spectrum.power[-1] == pytest.approx(1.0)  # (-1)**n: amplitude 1 at Nyquist
    assert np.all(spectrum.power[1:-1] < 1e-25)


@pytest.mark.parametrize("name", WINDOWS)
def test_complex_exponential_at_a_negative_frequency(name):
    n, k0, fs = 256, 30, 1000.0
    spectrum = SpectrumEstimator(window=name, sample_rate=fs).update(tone(1.0, -k0, n))
    assert not spectrum.one_sided and len(spectrum.freqs) == n
    assert spectrum.freqs[0] == pytest.approx(-fs / 2)
    assert spectrum.freqs[n // 2] == 0.0
    index = int(spectrum.db.argmax())
    assert index == n // 2 - k0
    assert spectrum.freqs[index] == pytest.approx(-k0 * fs / n)
    assert spectrum.db[index] == pytest.approx(0.0, abs=0.01)
    assert peak(spectrum, interpolate=name != "flat-top")[0] == pytest.approx(-k0 * fs / n)


def test_complex_amplitude_reads_amplitude_squared():
    spectrum = SpectrumEstimator(window="blackman-harris").update(tone(0.25, 17, 512))
    assert spectrum.db[256 + 17] == pytest.approx(20 * math.log10(0.25), abs=0.01)


@pytest.mark.parametrize("n", [1000, 999])
def test_parseval_rectangular(n):
    rng = np.random.default_rng(RNG_SEED)
    est = SpectrumEstimator(window="rectangular", fft_size=n)
    x = rng.standard_normal(n) * 0.7 + 0.1
    # One-sided sum (inner bins doubled) == two-sided sum == mean square.
    assert est.update(x).power.sum() == pytest.approx(np.mean(x**2), rel=1e-10)
    z = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    assert est.update(z).power.sum() == pytest.approx(np.mean(np.abs(z) ** 2), rel=1e-10)


@pytest.mark.parametrize("name", WINDOWS)
def test_parseval_windowed(name):
    n = 2048
    x = np.random.default_rng(RNG_SEED).standard_normal(n)
    w = window(name, n)
    total = SpectrumEstimator(window=name).update(x).power.sum()
    assert total == pytest.approx(n * np.sum((x * w) ** 2) / w.sum() ** 2, rel=1e-10)


# --- noise and averaging -----------------------------------------------------


@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("name", ["hann", "blackman-harris", "flat-top"])
def test_white_noise_level_is_its_variance_times_enbw(kind, name):
    n, frames, variance = 4096, 64, 0.25
    rng = np.random.default_rng(RNG_SEED)
    est = SpectrumEstimator(window=name, averaging="linear")
    for _ in range(frames):
        if kind == "real":
            x = rng.standard_normal(n) * math.sqrt(variance)
        else:
            x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * math.sqrt(variance / 2)
        spectrum = est.update(x)
    assert spectrum.frames == frames
    enbw = enbw_bins(window(name, n))
    assert spectrum.power.sum() / enbw == pytest.approx(variance, rel=0.02)
    # Per bin: the two-sided density is variance * enbw / n, doubled one-sided.
    inner = spectrum.power[1:-1] if kind == "real" else spectrum.power
    level = variance * enbw / n * (2 if kind == "real" else 1)
    assert inner.mean() == pytest.approx(level, rel=0.02)


def test_linear_average_is_the_mean_of_the_frames():
    rng = np.random.default_rng(RNG_SEED)
    est, single = SpectrumEstimator(averaging="linear"), SpectrumEstimator()
    frames = [rng.standard_normal(512) for _ in range(10)]
    for x in frames:
        spectrum = est.update(x)
    expected = np.mean([single.update(x).power for x in frames], axis=0)
    np.testing.assert_allclose(spectrum.power, expected, rtol=1e-12)
    np.testing.assert_allclose(spectrum.db, 10 * np.log10(expected), rtol=1e-12)


def test_linear_averaging_divides_the_variance_by_the_frame_count():
    # Gaussian noise: a bin's power is exponential (variance = mean²) per frame,
    # so the mean of K independent frames has variance mean² / K.
    n, frames = 1024, 50
    rng = np.random.default_rng(RNG_SEED)
    est = SpectrumEstimator(window="rectangular", averaging="linear")
    first = est.update(rng.standard_normal(n)).power[1:-1].copy()
    for _ in range(frames - 1):
        spectrum = est.update(rng.standard_normal(n))
    averaged = spectrum.power[1:-1]

    def relative_variance(p):
        return p.var() / p.mean() ** 2

    assert relative_variance(first) == pytest.approx(1.0, rel=0.25)
    assert relative_variance(averaged) * frames == pytest.approx(1.0, rel=0.25)


def test_exponential_averaging_converges_geometrically():
    n, k0, alpha = 1024, 64, 0.25
    est = SpectrumEstimator(averaging="exponential", alpha=alpha)
    first = est.update(sine(2.0, k0, n))
    assert first.power[k0] == pytest.approx(2.0, rel=1e-9)  # the first frame as it is
    for k in range(1, 40):
        spectrum = est.update(sine(0.5, k0, n))
        expected = 0.125 + (2.0 - 0.125) * (1 - alpha) ** k
        assert spectrum.power[k0] == pytest.approx(expected, rel=1e-9)
    assert spectrum.db[k0] == pytest.approx(db(0.125), abs=0.01)


def test_exponential_average_of_noise_settles_at_the_noise_level():
    n, variance = 2048, 1.0
    rng = np.random.default_rng(RNG_SEED)
    est = SpectrumEstimator(averaging="exponential", alpha=0.05)
    levels = [est.update(rng.standard_normal(n)).power.sum() for _ in range(200)]
    assert np.mean(levels[100:]) / 1.5 == pytest.approx(variance, rel=0.02)


def test_max_hold_never_decreases_and_is_the_max_of_the_frames():
    rng = np.random.default_rng(RNG_SEED)
    est = SpectrumEstimator(averaging="linear", max_hold=True)
    single = SpectrumEstimator()
    previous, frame_dbs = None, []
    for _ in range(20):
        x = rng.standard_normal(256) * rng.uniform(0.1, 3.0)
        spectrum = est.update(x)
        frame_dbs.append(single.update(x).db)
        held = spectrum.max_hold_db
        if previous is not None:
            assert np.all(held >= previous)
        assert np.all(held >= spectrum.db - 1e-9)  # never below the average
        previous = held
    np.testing.assert_allclose(previous, np.max(frame_dbs, axis=0), rtol=1e-12)


def test_a_frame_with_nans_does_not_wipe_out_the_max_hold():
    est = SpectrumEstimator(max_hold=True)
    held = est.update(sine(1.0, 10, 64)).max_hold_db.copy()
    spoiled = sine(0.5, 10, 64)
    spoiled[3] = np.nan
    spectrum = est.update(spoiled)
    assert np.all(np.isnan(spectrum.db))
    np.testing.assert_array_equal(spectrum.max_hold_db, held)


def test_max_hold_is_none_when_off_and_restarts_when_turned_on():
    est = SpectrumEstimator()
    assert est.update(sine(1.0, 10, 64)).max_hold_db is None
    est.max_hold = True
    spectrum = est.update(sine(0.1, 10, 64))
    np.testing.assert_array_equal(spectrum.max_hold_db, spectrum.db)


def test_changing_settings_resets_the_average():
    est = SpectrumEstimator(averaging="linear", max_hold=True)
    x = np.random.default_rng(RNG_SEED).standard_normal(256)
    assert [est.update(x).frames for _ in range(3)] == [1, 2, 3]
    est.alpha = 0.5  # not used by linear averaging: no reset
    assert est.update(x).frames == 4
    for change in (
        lambda: setattr(est, "fft_size", 512),
        lambda: setattr(est, "window", "kaiser"),
        lambda: setattr(est, "beta", 5.0),
        lambda: setattr(est, "sample_rate", 100.0),
        lambda: setattr(est, "averaging", "exponential"),
        est.reset,
    ):
        est.update(x)
        change()
        assert est.update(x).frames == 1
    assert est.update(x + 0j).frames == 1  # complex input: another axis
    assert est.update({"samples": x, "t0": 0.0, "dt": 0.5}).frames == 1  # sample_rate set
    est.sample_rate = None
    assert est.update({"samples": x, "t0": 0.0, "dt": 0.5}).sample_rate == 2.0
    assert est.update({"samples": x, "t0": 1.0, "dt": 0.5}).frames == 2
    assert est.update({"samples": x, "t0": 0.0, "dt": 0.25}).frames == 1


def test_returned_arrays_are_read_only_and_not_changed_later():
    est = SpectrumEstimator(averaging="linear", max_hold=True)
    rng = np.random.default_rng(RNG_SEED)
    first = est.update(rng.standard_normal(128))
    kept = first.power.copy(), first.db.copy(), first.max_hold_db.copy()
    est.update(rng.standard_normal(128) * 10)
    for array, copy in zip((first.power, first.db, first.max_hold_db), kept, strict=True):
        assert not array.flags.writeable
        np.testing.assert_array_equal(array, copy)


# --- input handling ----------------------------------------------------------


def test_fft_size_zero_pads_with_the_window_over_the_samples_only():
    # 100 samples of a tone on the 256-point grid, padded to 256: still 0 dB.
    z = np.exp(2j * np.pi * 37 / 256 * np.arange(100))
    spectrum = SpectrumEstimator(window="hann", fft_size=256).update(z)
    assert len(spectrum.freqs) == 256
    assert spectrum.db[128 + 37] == pytest.approx(0.0, abs=1e-9)
    real = SpectrumEstimator(fft_size=256).update(np.ones(100))
    assert len(real.freqs) == 129 and real.power[0] == pytest.approx(1.0)


def test_fft_size_truncates_to_the_last_samples():
    rng = np.random.default_rng(RNG_SEED)
    tail = rng.standard_normal(1024)
    x = np.concatenate([sine(100.0, 500, 3976), tail])
    est = SpectrumEstimator(fft_size=1024)
    np.testing.assert_array_equal(est.update(x).power, SpectrumEstimator().update(tail).power)


def test_automatic_fft_size_is_the_next_power_of_two_up_to_2_20():
    est = SpectrumEstimator()
    assert [est.fft_length(n) for n in (1, 2, 3, 1000, 1024, 1025)] == [1, 2, 4, 1024, 1024, 2048]
    assert est.fft_length(3 * 2**20) == 2**20
    assert len(est.update(np.ones(1500)).freqs) == 1025
    x = np.random.default_rng(RNG_SEED).standard_normal(2**20 + 5000)
    np.testing.assert_array_equal(est.update(x).power, est.update(x[-(2**20) :]).power)


def test_inputs_of_any_numeric_dtype_give_float64():
    for x in (
        np.arange(64, dtype=np.int16),
        np.arange(64, dtype=np.float32),
        list(range(64)),
        np.arange(64, dtype=np.float32) * (1 + 1j),
    ):
        spectrum = SpectrumEstimator().update(x)
        assert spectrum.power.dtype == np.float64 and spectrum.db.dtype == np.float64
    c64 = tone(1.0, 5, 64).astype(np.complex64)
    assert SpectrumEstimator().update(c64).db.max() == pytest.approx(0.0, abs=1e-5)


def test_silence_reads_the_floor_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spectrum = SpectrumEstimator(averaging="linear", max_hold=True).update(np.zeros(256))
    assert np.all(spectrum.db == -300.0)


def test_bad_settings_and_empty_input_raise():
    for settings in (
        {"window": "hamming"},
        {"averaging": "median"},
        {"scale": "log"},
        {"alpha": 0.0},
        {"alpha": 1.5},
        {"fft_size": 0},
        {"sample_rate": -1.0},
    ):
        with pytest.raises(ValueError):
            SpectrumEstimator(**settings)
    with pytest.raises(ValueError, match="no samples"):
        SpectrumEstimator().update(np.array([]))


def test_values_follow_the_scale():
    est = SpectrumEstimator(max_hold=True)
    spectrum = est.update(sine(1.0, 10, 128))
    assert est.values(spectrum)[0] is spectrum.db
    est.scale = "linear"
    trace, held = est.values(spectrum)
    assert trace is spectrum.power
    # Equal above the floor (max hold is kept in dB, clipped at -300 dB).
    np.testing.assert_allclose(held, np.maximum(spectrum.power, 1e-30), rtol=1e-12)


# --- peak --------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-0.5, -0.37, -0.1, 0.0, 0.13, 0.25, 0.42, 0.5])
def test_peak_interpolation_of_an_off_bin_tone_with_hann(offset):
    n, k0, fs = 2048, 300, 8000.0
    bin_width = fs / n
    spectrum = SpectrumEstimator(window="hann", sample_rate=fs).update(sine(0.8, k0 + offset, n))
    freq, level = peak(spectrum)
    assert abs(freq / bin_width - (k0 + offset)) < 0.05
    # The parabola also recovers most of the 1.42 dB scalloping loss.
    assert abs(level - db(0.8**2 / 2)) < 0.35


def test_peak_without_interpolation_and_at_the_edges():
    spectrum = SpectrumEstimator(window="flat-top").update(sine(1.0, 100.3, 1024))
    freq, level = peak(spectrum, interpolate=False)
    assert freq * 1024 == 100.0 and abs(level - db(0.5)) < 0.02
    dc = SpectrumEstimator().update(np.ones(64))
    assert peak(dc) == (0.0, pytest.approx(0.0, abs=1e-9))


# --- waterfall ---------------------------------------------------------------


def flat_spectrum(level, bins=8, rate=1.0):
    freqs = np.arange(bins) * (rate / (2 * (bins - 1)))
    power = np.full(bins, 10 ** (level / 10))
    return Spectrum(freqs, power, np.full(bins, float(level)), None, 1, rate, True)


def test_waterfall_keeps_the_last_rows_oldest_first():
    fall = Waterfall(rows=4)
    assert fall.image().shape == (0, 0) and len(fall) == 0
    for level in range(6):
        fall.push(flat_spectrum(-level))
    history = fall.history()
    assert history.dtype == np.float32 and history.shape == (4, 8)
    np.testing.assert_array_equal(history[:, 0], [-2, -3, -4, -5])
    image = fall.image()  # ImageItem's default order: axis 0 is x (frequency)
    assert image.shape == (8, 4)
    np.testing.assert_array_equal(image[3], [-2, -3, -4, -5])
    bin_width = 1.0 / 14
    x0, y0, width, height = fall.rect()
    assert x0 == pytest.approx(-bin_width / 2) and width == pytest.approx(8 * bin_width)
    assert (y0, height) == (1.5, 4.0)  # frames 2..5, pixels centred on them


def test_waterfall_before_it_is_full():
    fall = Waterfall(rows=10)
    for level in range(3):
        fall.push(flat_spectrum(level))
    np.testing.assert_array_equal(fall.history()[:, 5], [0, 1, 2])
    assert fall.rect()[1:] == (-0.5, pytest.approx(8 / 14), 3.0)


def test_waterfall_resets_on_a_new_length_or_axis():
    fall = Waterfall(rows=4)
    for level in range(3):
        fall.push(flat_spectrum(level))
    fall.push(flat_spectrum(7, bins=16))
    assert len(fall) == 1 and fall.history().shape == (1, 16) and fall.pushed == 1
    fall.push(flat_spectrum(8, bins=16, rate=2.0))
    assert len(fall) == 1 and fall.history()[0, 0] == 8.0


def test_waterfall_of_estimated_spectra():
    est, fall = SpectrumEstimator(sample_rate=1000.0), Waterfall(rows=3)
    for amplitude in (1.0, 0.5, 0.25, 0.125):
        fall.push(est.update(sine(amplitude, 16, 128)))
    np.testing.assert_allclose(
        fall.image()[16], [db(a**2 / 2) for a in (0.5, 0.25, 0.125)], atol=1e-4
    )


# --- timing ------------------------------------------------------------------


def _median_update_ms(x, repeats=5):
    est = SpectrumEstimator(averaging="linear", max_hold=True)
    est.update(x)  # the window and frequency axis are computed once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        est.update(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


@pytest.mark.timing
def test_update_of_2_20_real_samples_is_fast():
    """A coarse regression gate (the benchmark lives elsewhere): ~20 ms measured."""
    x = np.random.default_rng(RNG_SEED).standard_normal(2**20)
    assert _median_update_ms(x) < 50.0


@pytest.mark.timing
def test_update_of_2_20_complex_samples_is_not_slow():
    """A full complex FFT is ~2x an rfft (~45 ms measured); the gate is looser."""
    rng = np.random.default_rng(RNG_SEED)
    z = rng.standard_normal(2**20) + 1j * rng.standard_normal(2**20)
    assert _median_update_ms(z) < 100.0
