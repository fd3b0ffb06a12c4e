"""The scripts in examples/ run under the real tracer and compute what they say they compute.

Each example is recorded once, headless (``python -m pyprobe_tracer --probe LINE:SYMBOL
--record FILE script.py``), and the captured values are checked against the same quantity
computed here another way: one convolution of the whole signal, the theoretical bit error
rate, the true frequency offset, the chirp's instantaneous frequency. Probe lines are found
in the script text, never hard-coded, so editing an example cannot silently move a probe.
"""

from __future__ import annotations

import ast
import contextlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pyprobe_wire import MessageType
from tests._support.fake_gui import probe_values, read_recording, run_tracer

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


# -- helpers -----------------------------------------------------------------------------


def line_of(script: Path, start: str) -> int:
    """The 1-based number of the one line whose code (indentation stripped) starts with
    ``start``."""
    found = [
        number
        for number, text in enumerate(script.read_text(encoding="utf-8").splitlines(), 1)
        if text.strip().startswith(start)
    ]
    assert len(found) == 1, f"{script.name}: {len(found)} lines start with {start!r}"
    return found[0]


def constants(script: Path) -> dict[str, object]:
    """The script's module-level UPPER_CASE names bound to literals (``A = 1``, ``A, B = 1, 2``)."""
    found = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        pairs = [(target, value)]
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            pairs = list(zip(target.elts, value.elts, strict=True))
        for name, expr in pairs:
            if isinstance(name, ast.Name) and name.id.isupper():
                with contextlib.suppress(ValueError):  # computed, not a literal
                    found[name.id] = ast.literal_eval(expr)
    return found


@dataclass
class Run:
    stdout: str
    values: dict[str, list]
    const: dict[str, object]


def record(directory: Path, name: str, probes: dict[str, str]) -> Run:
    """Run examples/``name`` under the tracer, probing each ``symbol`` on the line that
    starts with ``probes[symbol]``; every captured value, by symbol."""
    script = EXAMPLES / name
    args = []
    for symbol, start in probes.items():
        args += ["--probe", f"{line_of(script, start)}:{symbol}"]
    recording = directory / f"{script.stem}.ppr"
    result = run_tracer(*args, "--record", recording, script)
    assert result.returncode == 0, result.stderr
    messages = read_recording(recording)
    assert messages[-1].msg_type is MessageType.DATA_SCRIPT_END
    assert messages[-1].payload == {"exit_code": 0, "stopped": False}
    values = {symbol: probe_values(messages, symbol) for symbol in probes}
    return Run(result.stdout, values, constants(script))


def wrap(angle):
    """Angles folded into [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


# -- qam16_link.py -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def qam(tmp_path_factory):
    return record(
        tmp_path_factory.mktemp("qam"),
        "qam16_link.py",
        {
            "bits": "bits = ",
            "tx_symbols": "tx_symbols = ",
            "mf_symbols": "mf_symbols = ",
            "rx_symbols": "rx_symbols = ",
            "freq": "freq += ",
            "ber": "ber = ",
        },
    )


def test_qam_each_block_is_512_complex_symbols(qam):
    c = qam.const
    for symbol in ("tx_symbols", "mf_symbols", "rx_symbols"):
        blocks = qam.values[symbol]
        assert len(blocks) == c["N_BLOCKS"], symbol
        for block in blocks:
            assert block.shape == (c["N_SYMS"],) == (512,)
            assert np.iscomplexobj(block)
    assert len(qam.values["ber"]) == c["N_BLOCKS"]


def test_qam_mapping_is_gray_with_unit_energy(qam):
    """The transmitted constellation is Gray-mapped 16-QAM with average energy 1.

    The points are learned from the captured bits: 16 of them, each with one label, and
    nearest neighbours one bit apart."""
    bits = np.concatenate(qam.values["bits"])
    points = np.concatenate(qam.values["tx_symbols"])
    labels = bits @ (1 << np.arange(3, -1, -1))
    constellation = {}
    for label, point in zip(labels.tolist(), points.tolist(), strict=True):
        assert abs(constellation.setdefault(label, point) - point) < 1e-12
    assert sorted(constellation) == list(range(16))
    assert np.mean(np.abs(points) ** 2) == pytest.approx(1.0, rel=0.01)
    grid = np.array(list(constellation.values()))
    distance = np.abs(grid[:, None] - grid[None, :])
    nearest = np.isclose(distance, distance[distance > 0].min())
    keys = list(constellation)
    for a, b in zip(*np.nonzero(nearest), strict=True):
        assert bin(keys[a] ^ keys[b]).count("1") == 1, (keys[a], keys[b])


def test_qam_ber_is_an_independent_count_and_near_theory(qam):
    """The final ber is an independent bit count, and near the 16-QAM theory.

    Decide each received symbol by the nearest of the 16 transmitted points, compare
    with the bits sent SPAN symbols earlier, and count: the script's final ``ber`` agrees,
    and lies near the textbook 16-QAM Gray bit error rate for its Eb/N0."""
    c = qam.const
    bits = np.concatenate(qam.values["bits"])
    points = np.concatenate(qam.values["tx_symbols"])
    grid, first = np.unique(np.round(points, 12), return_index=True)
    received = np.concatenate(qam.values["rx_symbols"])
    decided = bits[first[np.argmin(np.abs(received[:, None] - grid[None, :]), axis=1)]]
    span = c["SPAN"]
    errors = np.count_nonzero(decided[span:] != bits[: len(bits) - span])
    assert qam.values["ber"][-1] == pytest.approx(errors / bits[: len(bits) - span].size)
    ebn0 = 10 ** (c["EBN0_DB"] / 10)
    theory = 3 / 8 * math.erfc(math.sqrt(0.4 * ebn0))
    assert theory / 2 < qam.values["ber"][-1] < 2 * theory, (qam.values["ber"][-1], theory)
    assert f"BER {qam.values['ber'][-1]:.2e}" in qam.stdout


def test_qam_phase_loop_removes_the_carrier_offset(qam):
    """The phase loop learns the carrier offset and leaves a clean constellation.

    Before the loop the symbols turn by 2 pi CFO SPS per symbol; the loop's integrator
    learns that step, and after it the constellation is as clean as the noise allows."""
    c = qam.const
    step = 2 * np.pi * c["CFO"] * c["SPS"]
    span, n, chunk = c["SPAN"], c["N_SYMS"], 64
    sent = np.concatenate(qam.values["tx_symbols"])
    before = np.concatenate(qam.values["mf_symbols"])[span:]  # before[i] carries sent[i]
    whole = len(before) // chunk * chunk
    rotation = (before[:whole] * np.conj(sent[:whole])).reshape(-1, chunk).sum(axis=1)
    turn = np.unwrap(np.angle(rotation))
    assert np.polyfit(np.arange(len(turn)), turn, 1)[0] == pytest.approx(step * chunk, rel=0.02)
    freq = np.array(qam.values["freq"])
    assert len(freq) == c["N_BLOCKS"] * n
    assert np.mean(freq[len(freq) // 2 :]) == pytest.approx(step, rel=0.1)
    after = np.concatenate(qam.values["rx_symbols"][-10:])
    grid = np.unique(np.round(sent, 12))
    ideal = grid[np.argmin(np.abs(after[:, None] - grid[None, :]), axis=1)]
    mer_db = 10 * np.log10(np.mean(np.abs(ideal) ** 2) / np.mean(np.abs(after - ideal) ** 2))
    esn0_db = c["EBN0_DB"] + 10 * np.log10(4)
    assert mer_db == pytest.approx(esn0_db, abs=1.0)


# -- fir_noisy_tone.py ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fir(tmp_path_factory):
    return record(
        tmp_path_factory.mktemp("fir"),
        "fir_noisy_tone.py",
        {
            "h": "h /= ",
            "noisy": "noisy = ",
            "filtered": "filtered = ",
            "snr_db": "snr_db = ",
        },
    )


def test_fir_blocks_join_into_one_convolution_of_the_whole_signal(fir):
    """The filtered blocks join into one convolution of the whole noisy signal.

    The state carried across blocks makes them exactly the first samples of one
    full-length convolution."""
    c = fir.const
    (h,) = fir.values["h"]
    assert len(fir.values["noisy"]) == len(fir.values["filtered"]) == c["N_BLOCKS"]
    assert {len(b) for b in fir.values["filtered"]} == {c["BLOCK"]}
    x = np.concatenate(fir.values["noisy"])
    y = np.concatenate(fir.values["filtered"])
    np.testing.assert_allclose(y, np.convolve(x, h)[: len(x)], rtol=0, atol=1e-12)


def test_fir_taps_are_a_linear_phase_low_pass(fir):
    c = fir.const
    (h,) = fir.values["h"]
    assert len(h) == c["N_TAPS"]
    np.testing.assert_allclose(h, h[::-1], atol=1e-15)
    f = np.fft.rfftfreq(1 << 14, d=1 / c["FS"])
    gain_db = 20 * np.log10(np.abs(np.fft.rfft(h, 1 << 14)) + 1e-300)
    tone = np.argmin(np.abs(f - c["F_TONE"]))
    assert abs(gain_db[tone]) < 0.05
    assert gain_db[f >= c["CUTOFF"] + 500].max() < -45


def test_fir_snr_improvement_is_the_noise_bandwidth_reduction(fir):
    """The printed SNR improvement is recomputed here and is the taps' noise gain.

    Recompute both SNRs from the captured blocks against a clean tone made here; the
    printed improvement agrees, and matches the noise power gain sum(h**2) of the taps."""
    c = fir.const
    (h,) = fir.values["h"]
    x = np.concatenate(fir.values["noisy"])
    y = np.concatenate(fir.values["filtered"])
    n = np.arange(len(x))
    delay = int(np.argmax(h))  # a symmetric low-pass peaks at its centre
    clean = np.sin(2 * np.pi * c["F_TONE"] / c["FS"] * n)
    lagged = np.sin(2 * np.pi * c["F_TONE"] / c["FS"] * (n - delay))
    settled = slice(len(h), None)  # past the start-up transient

    def snr(got, want):
        return 10 * np.log10(np.sum(want[settled] ** 2) / np.sum((got - want)[settled] ** 2))

    improvement = snr(y, lagged) - snr(x, clean)
    printed = float(re.search(r"improvement (-?[\d.]+) dB", fir.stdout).group(1))
    assert printed == pytest.approx(improvement, abs=0.1)
    assert printed == pytest.approx(-10 * np.log10(np.sum(h**2)), abs=0.5)
    per_block = fir.values["snr_db"]
    assert len(per_block) == c["N_BLOCKS"]
    assert per_block[0] < min(per_block[1:]), "block 0 holds the start-up transient"
    assert np.median(per_block[1:]) == pytest.approx(snr(y, lagged), abs=1.0)


# -- pll_lock.py ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pll(tmp_path_factory):
    return record(
        tmp_path_factory.mktemp("pll"),
        "pll_lock.py",
        {
            "phase_error": "phase_error = ",
            "freq_estimate": "freq_estimate = ",
            "nco_phase": "nco_phase = (",
        },
    )


def test_pll_frequency_estimate_settles_on_the_offset(pll):
    c = pll.const
    estimate = np.array(pll.values["freq_estimate"])
    assert len(estimate) == c["N"]
    assert estimate[0] < 0.1 * c["F_OFFSET"]
    assert estimate[-1] == pytest.approx(c["F_OFFSET"], abs=0.5)
    assert np.mean(estimate[-c["N"] // 4 :]) == pytest.approx(c["F_OFFSET"], abs=0.2)
    assert f"locked: True, frequency estimate {estimate[-1]:.2f} Hz" in pll.stdout


def test_pll_phase_error_shrinks_to_the_noise(pll):
    """The phase error shrinks from the start-up offset to the input's phase noise.

    At the start the error is the tone's unknown phase and the loop pulls in across
    plus and minus pi; at the end it is the input's phase noise, about 1/sqrt(2 SNR)."""
    c = pll.const
    error = np.array(pll.values["phase_error"])
    early = np.sqrt(np.mean(error[:500] ** 2))
    late = np.sqrt(np.mean(error[-5000:] ** 2))
    noise = 1 / math.sqrt(2 * 10 ** (c["SNR_DB"] / 10))
    assert early > 4 * late
    assert late == pytest.approx(noise, rel=0.25)


def test_pll_oscillator_follows_the_tone(pll):
    """The oscillator's phase follows the tone's phase once locked.

    nco_phase after sample k is the loop's prediction of the tone's phase at k + 1."""
    c = pll.const
    nco = np.array(pll.values["nco_phase"])
    assert len(nco) == c["N"]
    assert np.all((nco >= -np.pi) & (nco < np.pi))
    k = np.arange(1, c["N"] + 1)
    truth = 2 * np.pi * c["F_OFFSET"] / c["FS"] * k + c["START_PHASE"]
    late = slice(c["N"] // 2, None)
    assert np.sqrt(np.mean(wrap(truth - nco)[late] ** 2)) < 0.1
    slope = np.polyfit(k[late], np.unwrap(nco[late]), 1)[0]
    assert slope == pytest.approx(2 * np.pi * c["F_OFFSET"] / c["FS"], rel=0.005)


# -- chirp_spectrum.py ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def chirp(tmp_path_factory):
    return record(
        tmp_path_factory.mktemp("chirp"),
        "chirp_spectrum.py",
        {
            "frame": "frame = ",
            "spectrum_db": "spectrum_db = ",
            "peak_hz": "peak_hz = ",
        },
    )


def test_chirp_peak_rises_linearly_at_the_chirp_rate(chirp):
    """Each frame's peak_hz is the chirp's frequency at the frame's middle, within a bin."""
    c = chirp.const
    rate = (c["F_STOP"] - c["F_START"]) / c["DURATION"]
    bin_hz = c["FS"] / c["N_FFT"]
    peaks = np.array(chirp.values["peak_hz"])
    frames = (int(c["DURATION"] * c["FS"]) - c["N_FFT"]) // c["HOP"] + 1
    assert len(peaks) == frames
    middles = (np.arange(frames) * c["HOP"] + c["N_FFT"] / 2) / c["FS"]
    assert np.max(np.abs(peaks - (c["F_START"] + rate * middles))) <= bin_hz
    assert np.all(np.diff(peaks) > 0)
    assert np.abs(np.diff(peaks) - rate * c["HOP"] / c["FS"]).max() <= bin_hz
    assert f"(true {rate:.0f} Hz/s)" in chirp.stdout


def test_chirp_spectrum_is_the_hann_windowed_fft_of_the_frame(chirp):
    c = chirp.const
    n = c["N_FFT"]
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))
    frames, spectra = chirp.values["frame"], chirp.values["spectrum_db"]
    assert len(frames) == len(spectra) == len(chirp.values["peak_hz"])
    for frame, spectrum_db, peak_hz in zip(frames, spectra, chirp.values["peak_hz"], strict=True):
        assert frame.shape == (n,) and spectrum_db.shape == (n // 2 + 1,)
        mine = 20 * np.log10(np.abs(np.fft.fft(frame * hann))[: n // 2 + 1])
        np.testing.assert_allclose(spectrum_db - spectrum_db.max(), mine - mine.max(), atol=1e-6)
        assert peak_hz == pytest.approx(np.argmax(mine) * c["FS"] / n)


# -- README --------------------------------------------------------------------------------


def test_readme_line_numbers_point_at_their_variables():
    """Every line number in examples/README.md points at the variable it names.

    Each "`name` (line N)" under an example's heading, and each ``--probe N:name`` in a
    tracer command line, names a line of that example where ``name`` is assigned."""
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    mentions = []  # (example, symbol, line)
    sections = re.split(r"^## (\S+\.py)\s*$", readme, flags=re.M)
    for name, body in zip(sections[1::2], sections[2::2], strict=True):
        mentions += [(name, s, n) for s, n in re.findall(r"`(\w+)`\s+\(line\s+(\d+)\)", body)]
    command = r"^python -m pyprobe_tracer (.*) examples/(\S+\.py)$"
    for probes, name in re.findall(command, readme, re.M):
        mentions += [(name, s, n) for n, s in re.findall(r"--probe (\d+):(\w+)", probes)]
    for name, symbol, number in mentions:
        code = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()[int(number) - 1]
        assert re.match(rf"\s*{symbol}\b.*=", code), f"{name}:{number} is {code.strip()!r}"
    assert len(mentions) >= 19, mentions


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_each_example_opens_with_its_probes_placed(name):
    from pyprobe.core import sidecar
    from pyprobe.core.probe_sites import SourceIndex

    script = EXAMPLES / name
    saved, warning = sidecar.load(script)
    assert warning is None and saved is not None, f"{name}: no sidecar ({warning})"
    index = SourceIndex(script.read_text(encoding="utf-8"), script)
    assert len(saved.probes) >= 3
    for entry in saved.probes:
        site = index.find(entry.anchor(script))
        assert site is not None, f"{name}: the saved probe {entry.symbol}@{entry.line} is gone"
        assert index.line_text(site.line) == entry.line_text
