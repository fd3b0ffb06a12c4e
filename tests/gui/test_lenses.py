"""Each lens fed a known value: what it draws (the data behind the items, the ranges,
the density image's total count), and the panel's tools on top of it.

With PYPROBE_SCREENSHOTS=DIR set, each lens test also saves a PNG of its panel
there (`nox -s screenshots` writes them to docs/images/lenses/).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pyprobe.core.probes import ProbeStore
from pyprobe.gui.probe_panel import ProbePanel
from pyprobe.lenses import LENSES
from pyprobe.lenses.prepare import density_image
from pyprobe_wire import Message, MessageType, ProbeAnchor

pytestmark = pytest.mark.gui

WIDTH, HEIGHT = 560, 300


def feed(store: ProbeStore, anchor: ProbeAnchor, *values, dtype: str) -> None:
    for seq, value in enumerate(values):
        shape = None if dtype == "scalar" else list(np.shape(value))
        payload = {
            "anchor": anchor,
            "value": value,
            "dtype": dtype,
            "shape": shape,
            "seq": seq,
            "timestamp_ns": None,
            "logical_order": seq,
        }
        store.ingest(Message(MessageType.DATA_PROBE_VALUE, payload))


@pytest.fixture
def panel_for(qtbot, request):
    """A shown panel with ``lens`` on a probe fed ``values``; draws until settled."""

    def make(lens: str, *values, dtype: str, symbol: str = "x") -> ProbePanel:
        store = ProbeStore()
        anchor = ProbeAnchor(file="/dsp/demo.py", line=7, col=0, symbol=symbol)
        probe = store.add(anchor, 1, f"{symbol} = ...", lens=lens)
        feed(store, anchor, *values, dtype=dtype)
        panel = ProbePanel(probe)
        qtbot.addWidget(panel)
        panel.resize(WIDTH, HEIGHT)
        panel.show()
        qtbot.waitExposed(panel)
        panel.refresh()
        if hasattr(panel.lens, "wait"):
            panel.lens.wait(10)
            panel.refresh()
        qtbot.wait(10)
        folder = os.environ.get("PYPROBE_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            panel.grab().save(str(Path(folder) / f"{request.node.name}.png"))
        return panel

    return make


def curve_data(curve):
    x, y = curve.getData()
    return np.asarray(x), np.asarray(y)


def test_scalar_lens_draws_the_history_and_reads_out_the_latest(panel_for):
    values = np.sin(2 * np.pi * 0.02 * np.arange(300))
    panel = panel_for("scalar", *values.tolist(), dtype="scalar", symbol="level")
    x, y = curve_data(panel.lens.curve)
    np.testing.assert_allclose(y, values)
    np.testing.assert_array_equal(x, np.arange(300))
    assert panel.lens.readout.text() == f"{values[-1]:.6g}"


def test_scalar_lens_shows_complex_values_as_re_and_im_or_magnitude(panel_for):
    values = [complex(np.cos(k / 5), np.sin(k / 5)) * 2 for k in range(50)]
    panel = panel_for("scalar", *values, dtype="scalar", symbol="z")
    np.testing.assert_allclose(curve_data(panel.lens.curve)[1], np.real(values))
    np.testing.assert_allclose(curve_data(panel.lens.imag_curve)[1], np.imag(values))
    panel.lens.set_option("Complex values", "magnitude")
    panel.refresh()
    np.testing.assert_allclose(curve_data(panel.lens.curve)[1], np.full(50, 2.0))


def test_the_scalar_history_length_is_selectable(panel_for):
    panel = panel_for("scalar", *range(50), dtype="scalar")
    panel.lens.set_option("History length", "1000")
    panel.refresh()
    assert panel.probe.history.capacity == 1000
    assert list(panel.probe.history.values()) == list(range(50))  # nothing lost growing it


def test_waveform_lens_decimates_a_million_points_keeping_every_peak(panel_for):
    rng = np.random.default_rng(1)
    samples = np.sin(2 * np.pi * np.arange(1_000_000) / 50_000) + 0.01 * rng.standard_normal(
        1_000_000
    )
    samples[123_457] = 5.0  # one spike that must survive
    panel = panel_for("waveform", samples, dtype="array_1d", symbol="wave")
    x, y = curve_data(panel.lens.curves[0])
    assert len(y) <= 2 * 1000, "not decimated to the panel's width"
    assert y.max() == samples.max() == 5.0
    assert y.min() == samples.min()
    assert x[np.argmax(y)] == 123_457
    x_range = panel.lens.plot.getPlotItem().vb.viewRange()[0]
    assert x_range[0] <= 0 and x_range[1] >= 999_999


def test_waveform_lens_uses_the_waveforms_time_axis(panel_for):
    value = {"samples": np.arange(100, dtype=np.float64), "t0": 2.0, "dt": 0.5}
    panel = panel_for("waveform", value, dtype="waveform_real", symbol="trace")
    x, y = curve_data(panel.lens.curves[0])
    np.testing.assert_allclose(x, 2.0 + 0.5 * np.arange(100))
    np.testing.assert_allclose(y, np.arange(100))


def test_waveform_lens_draws_rows_as_traces_with_a_legend(panel_for):
    rows = np.vstack([np.full(64, k, dtype=np.float64) for k in range(3)])
    panel = panel_for("waveform", rows, dtype="array_2d", symbol="bank")
    drawn = [curve_data(curve)[1] for curve in panel.lens.curves[:3]]
    for k, y in enumerate(drawn):
        np.testing.assert_array_equal(y, np.full(64, k))
    labels = [label.text for _, label in panel.lens.legend.items]
    assert labels == ["[0]", "[1]", "[2]"]


def test_zooming_in_shows_the_real_samples(panel_for):
    samples = np.random.default_rng(2).standard_normal(200_000)
    panel = panel_for("waveform", samples, dtype="array_1d")
    panel.lens.plot.getPlotItem().vb.setXRange(1000, 1100, padding=0)
    x, y = curve_data(panel.lens.curves[0])
    inside = (x >= 1000) & (x <= 1100)
    np.testing.assert_array_equal(y[inside], samples[x[inside].astype(int)])
    assert inside.sum() >= 100  # every sample in the window, not one pair per column


def test_magnitude_phase_lens_unwraps_a_rotating_phasor(panel_for):
    n = np.arange(400)
    phasor = 0.5 * np.exp(1j * 0.1 * n)
    panel = panel_for("magnitude-phase", phasor, dtype="array_complex")
    np.testing.assert_allclose(curve_data(panel.lens.curves[0])[1], 0.5)
    np.testing.assert_allclose(curve_data(panel.lens.phase_curves[0])[1], 0.1 * n, atol=1e-9)
    panel.lens.set_option("Phase", "wrapped")
    panel.refresh()
    assert curve_data(panel.lens.phase_curves[0])[1].max() <= np.pi


def test_magnitude_db_lens(panel_for):
    panel = panel_for("magnitude-db", np.full(64, 0.1), dtype="array_1d")
    np.testing.assert_allclose(curve_data(panel.lens.curves[0])[1], -20.0)


def test_spectrum_lens_puts_a_tone_at_its_frequency_and_power(panel_for):
    rate, n = 8000.0, 4096
    t = np.arange(n) / rate
    tone = {"samples": np.sin(2 * np.pi * 1000.0 * t), "t0": 0.0, "dt": 1 / rate}
    panel = panel_for("spectrum", tone, dtype="waveform_real", symbol="tone")
    x, y = curve_data(panel.lens.curve)
    assert x[np.argmax(y)] == pytest.approx(1000.0, abs=rate / n)
    assert y.max() == pytest.approx(10 * np.log10(0.5), abs=0.05)
    assert x.min() == 0.0 and x.max() == pytest.approx(rate / 2)


def test_spectrum_lens_of_complex_samples_is_centred(panel_for):
    n = 1024
    phasor = np.exp(-2j * np.pi * 0.25 * np.arange(n))  # at -1/4 cycles per sample
    panel = panel_for("spectrum", phasor, dtype="array_complex")
    x, y = curve_data(panel.lens.curve)
    assert x.min() == pytest.approx(-0.5)
    assert x[np.argmax(y)] == pytest.approx(-0.25)
    assert y.max() == pytest.approx(0.0, abs=0.05)


def test_waterfall_lens_stacks_one_row_per_value(qtbot, panel_for):
    frames = [np.sin(2 * np.pi * f * np.arange(256) / 256) for f in (10, 20, 30)]
    panel = panel_for("waterfall", frames[0], dtype="array_1d")
    store_probe = panel.probe
    for frame in frames[1:]:
        store_probe.latest = frame
        store_probe.version += 1
        panel.refresh()
        panel.lens.wait(10)
        panel.refresh()
    image = panel.lens.waterfall.image()
    assert image.shape[1] == 3
    assert [int(np.argmax(image[:, k])) for k in range(3)] == [10, 20, 30]


def test_constellation_lens_draws_points_then_a_density_image(panel_for):
    rng = np.random.default_rng(3)
    qpsk = (rng.choice([-1, 1], 2000) + 1j * rng.choice([-1, 1], 2000)) / np.sqrt(2)
    panel = panel_for("constellation", qpsk, dtype="array_complex", symbol="rx")
    x, y = panel.lens.scatter.getData()
    np.testing.assert_allclose(x + 1j * y, qpsk)
    assert not panel.lens.image.isVisible()

    cloud = (rng.choice([-3, -1, 1, 3], 100_000) + 1j * rng.choice([-3, -1, 1, 3], 100_000)) + (
        0.2 * (rng.standard_normal(100_000) + 1j * rng.standard_normal(100_000))
    )
    dense = panel_for("constellation", cloud, dtype="array_complex", symbol="rx16")
    assert dense.lens.image.isVisible()
    assert len(dense.lens.scatter.getData()[0]) == 0
    counts, (x0, y0, span, _) = density_image(cloud)
    assert counts.sum() == 100_000
    reference, _, _ = np.histogram2d(
        cloud.real, cloud.imag, bins=counts.shape[0], range=[[x0, x0 + span], [y0, y0 + span]]
    )
    np.testing.assert_array_equal(counts, reference)
    np.testing.assert_allclose(dense.lens.image.image, np.log1p(counts))


def test_constellation_persistence_fades_older_frames(panel_for):
    frames = [np.full(10, k + 1j * k) for k in range(4)]
    panel = panel_for("constellation", frames[0], dtype="array_complex")
    panel.lens.set_option("Persistence", "4")
    for frame in frames[1:]:
        panel.probe.latest = frame
        panel.probe.version += 1
        panel.refresh()
    x, _ = panel.lens.scatter.getData()
    assert len(x) == 40
    alphas = [spot.brush().color().alphaF() for spot in panel.lens.scatter.points()[::10]]
    assert alphas == sorted(alphas) and alphas[-1] == pytest.approx(1.0)
    assert alphas[0] == pytest.approx(0.125, abs=0.01)


def test_every_lens_is_covered_here():
    tested = {"scalar", "waveform", "magnitude-phase", "magnitude-db", "spectrum"}
    tested |= {"waterfall", "constellation"}
    assert set(LENSES) == tested


# ----------------------------------------------------------------- the panel's tools


def test_pinning_x_keeps_the_range_while_data_changes(panel_for):
    panel = panel_for("waveform", np.arange(1000, dtype=np.float64), dtype="array_1d")
    view = panel.lens.plot.getPlotItem().vb
    view.setXRange(100, 200, padding=0)
    panel.pin("x", True)
    panel.probe.latest = np.arange(5000, dtype=np.float64)
    panel.probe.version += 1
    panel.refresh()
    assert view.viewRange()[0] == pytest.approx([100, 200])
    panel.autoscale()
    panel.refresh()
    assert view.viewRange()[0][1] >= 4999


def test_crosshair_reads_out_where_it_points(panel_for):
    panel = panel_for("waveform", np.arange(10, dtype=np.float64), dtype="array_1d")
    panel.set_crosshair(True)
    panel.crosshair.show_at(3.5, 2.25)
    assert panel.crosshair.text == "x=3.5  y=2.25"
    panel.set_crosshair(False)
    assert panel.crosshair is None


def test_peak_marker_follows_the_maximum(panel_for):
    samples = np.zeros(500)
    samples[321] = 7.0
    panel = panel_for("waveform", samples, dtype="array_1d")
    panel.set_peak_marker(True)
    assert panel.peak_marker.peak == (321.0, 7.0)
    samples = np.zeros(500)
    samples[42] = 9.0
    panel.probe.latest = samples
    panel.probe.version += 1
    panel.refresh()
    assert panel.peak_marker.peak == (42.0, 9.0)


def test_freeze_stops_this_panel_only(panel_for):
    panel = panel_for("waveform", np.zeros(10), dtype="array_1d")
    panel.set_frozen(True)
    panel.probe.latest = np.ones(10)
    panel.probe.version += 1
    assert not panel.refresh()
    np.testing.assert_array_equal(curve_data(panel.lens.curves[0])[1], np.zeros(10))
    assert "frozen" in panel.state_label.text()
    panel.set_frozen(False)
    np.testing.assert_array_equal(curve_data(panel.lens.curves[0])[1], np.ones(10))


def test_export_png_csv_and_npy(panel_for, tmp_path):
    wave = np.exp(1j * np.linspace(0, 3, 50))
    panel = panel_for("waveform", wave, dtype="array_complex")
    panel.export(tmp_path / "panel.png")
    assert (tmp_path / "panel.png").read_bytes()[:4] == b"\x89PNG"
    np.testing.assert_array_equal(np.load(panel.export(tmp_path / "value.npy")), wave)
    table = np.loadtxt(panel.export(tmp_path / "value.csv"), delimiter=",", skiprows=1)
    np.testing.assert_allclose(table, np.column_stack([np.arange(50), wave.real, wave.imag]))
    assert (tmp_path / "value.csv").read_text().splitlines()[0] == "index,re,im"

    scalar = panel_for("scalar", 1.0, 2.0, 4.0, dtype="scalar")
    history = np.loadtxt(scalar.export(tmp_path / "h.csv"), delimiter=",", skiprows=1)
    np.testing.assert_allclose(history, [[0, 1.0], [1, 2.0], [2, 4.0]])
    with pytest.raises(ValueError, match=r"npy or \.csv"):
        scalar.export(tmp_path / "h.txt")
