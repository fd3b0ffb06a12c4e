"""Lens drawing speed: a probe panel fed a large new value every frame, offscreen.

Each case builds a real ``ProbePanel`` around a probe (as ``tests/gui/test_lenses.py``
does), its lens widget fixed at 800x400 and shown. A frame is: a new value ingested
by the ``ProbeStore`` (a DATA_PROBE_VALUE message), ``panel.refresh()`` (the lens
update) and a real paint: ``QApplication.processEvents()`` until Qt has delivered a
paint event to the plot's viewport, as in the app's event loop (the scene's queued
dirty-item processing, the UpdateRequest, ``paintEvent`` into the offscreen raster
backing store; not ``grab()``, which paints into a separate pixmap), then until a
pass of the event loop paints nothing more: pyqtgraph settles an auto-range while
painting and then paints again, and the app pays for that paint too (the lenses
settle it before painting, so they paint once; a lens that paints twice is said).
The values are made before timing, four different arrays per case, taken in turn,
so nothing drawn is a repeat. Pens are 1 px.

Each figure is printed with its ratio to pyqtgraph on the same data in the same run,
drawn and painted the same way in an 800x400 ``PlotWidget``: its default settings (a
``plot(x, y)`` curve, or a default ``ScatterPlotItem``, given the new data each
frame) and, for the 1M-point real waveform, also with ``setDownsampling(auto=True,
mode='peak')`` and ``setClipToView(True)`` set on the PlotItem (passed as ``plot()``
options they are silently replaced by the PlotItem's own). Frames per second are
frames / elapsed time; each case's lens and baselines are measured in ``--repeat``
alternating slices of ``--seconds / --repeat`` (at least one frame each; a baseline
that has used its ``--seconds`` in fewer slices, as pyqtgraph's scatter of 1M points
does in one frame, is not measured again), the fps printed is the median over the
slices, ms per frame the median over all frames.

Cases and targets (2 cores):

- 1M-point real waveform: at least 60 fps, and at least 1.5x pyqtgraph with peak
  downsampling and clipToView;
- 1M-point complex waveform, drawn as re and im: at least 30 fps;
- 2^20-point real spectrum: at most 50 ms from the new value to the frame drawn with
  its spectrum (the lens's worker transform waited for with ``lens.wait()``, then the
  draw on the next ``refresh()``) until its first paint, median; the baseline does
  the same on the GUI thread with numpy (Hann window, ``rfft``, dB) and plots all
  2^19+1 bins;
- constellation of 100k QAM-16 points: at least 60 fps; of 1M points: at least 30 fps;
- 10 traces of 100k points (a 10 x 100k array): at least 30 fps, with all 10 drawn
  (a lens that draws fewer misses the target whatever its frame rate).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QObject
from PyQt6.QtWidgets import QApplication, QWidget

from pyprobe.core.probes import ProbeStore
from pyprobe.gui.probe_panel import ProbePanel
from pyprobe_wire import Message, MessageType, ProbeAnchor

WIDTH, HEIGHT = 800, 400
VARIANTS = 4  # different arrays per case, drawn in turn
WARM_FRAMES = 2  # at most: one when the first takes longer than WARM_SLOW
WARM_SLOW = 0.5  # seconds
PAINT_TIMEOUT = 30.0  # seconds; a frame never painted is a failure, not a hang
COLOUR = "#3a86d1"

MIN_WAVE_FPS = 60.0
MIN_WAVE_VS_PEAK = 1.5
MIN_COMPLEX_FPS = 30.0
MAX_SPECTRUM_MS = 50.0
MIN_CONSTELLATION_100K_FPS = 60.0
MIN_CONSTELLATION_1M_FPS = 30.0
MIN_TRACES_FPS = 30.0


# --- painting and timing ---------------------------------------------------------------


class PaintWatch(QObject):
    """Counts the paint events the viewports of some graphics views receive."""

    def __init__(self) -> None:
        super().__init__()
        self.painted: set[int] = set()
        self.paints = 0

    def watch(self, views: list[pg.GraphicsView]) -> list[int]:
        keys = []
        for view in views:
            view.viewport().installEventFilter(self)
            keys.append(id(view.viewport()))
        return keys

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted.add(id(obj))
            self.paints += 1
        return False

    def start(self) -> None:
        self.painted.clear()
        self.paints = 0

    def wait(self, keys: list[int]) -> float:
        """Run the event loop until every viewport in ``keys`` has been painted since
        ``start()``, then until a pass of it paints nothing more (pyqtgraph settles an
        auto-range while painting and paints again: that is part of the frame). The
        time the first paint was done (paints are synchronous: done when processEvents
        returns)."""
        app = QApplication.instance()
        deadline = time.perf_counter() + PAINT_TIMEOUT
        while not self.painted.issuperset(keys):
            app.processEvents()
            if time.perf_counter() > deadline:
                raise SystemExit("bench_lenses: a frame was not painted within 30 s")
        drawn = time.perf_counter()
        quiet = 0
        while quiet < 2:
            before = self.paints
            app.processEvents()
            quiet = quiet + 1 if self.paints == before else 0
        return drawn


WATCH: PaintWatch | None = None


def views_in(widget: QWidget) -> list[pg.GraphicsView]:
    found = widget.findChildren(pg.GraphicsView)
    return [widget, *found] if isinstance(widget, pg.GraphicsView) else list(found)


def settle(seconds: float = 0.2) -> None:
    app = QApplication.instance()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


@dataclass
class Subject:
    """Something drawn frame by frame: a lens in its panel, or a pyqtgraph baseline."""

    label: str
    frame: Callable[[object], float]  # draw one value; when its first paint was done
    window: QWidget
    values: list
    fps: list[float] = field(default_factory=list)  # one per slice
    frame_ms: list[float] = field(default_factory=list)  # until the event loop is idle
    drawn_ms: list[float] = field(default_factory=list)  # until the first paint
    paints: list[int] = field(default_factory=list)  # per frame
    spent: float = 0.0  # seconds measured so far
    _next: itertools.count = field(default_factory=itertools.count)

    def draw_next(self) -> float:
        value = self.values[next(self._next) % len(self.values)]
        started = time.perf_counter()
        drawn = self.frame(value)
        ended = time.perf_counter()
        self.drawn_ms.append((drawn - started) * 1e3)
        self.paints.append(WATCH.paints)
        return ended - started

    def warm(self) -> None:
        for _ in range(WARM_FRAMES):
            if self.draw_next() > WARM_SLOW:
                break
        self.drawn_ms.clear()
        self.paints.clear()

    def measure(self, seconds: float) -> None:
        """Frames for ``seconds`` (at least one): their fps and milliseconds."""
        times = []
        started = time.perf_counter()
        while not times or time.perf_counter() - started < seconds:
            times.append(self.draw_next())
        elapsed = time.perf_counter() - started
        self.spent += elapsed
        self.fps.append(len(times) / elapsed)
        self.frame_ms += [t * 1e3 for t in times]

    @property
    def median_fps(self) -> float:
        return statistics.median(self.fps)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.frame_ms)

    @property
    def median_drawn_ms(self) -> float:
        return statistics.median(self.drawn_ms)

    @property
    def paints_per_frame(self) -> float:
        return sum(self.paints) / len(self.paints)

    def close(self) -> None:
        self.window.close()
        self.window.deleteLater()


# --- the lens under test ---------------------------------------------------------------


class LensPanel:
    """A shown ProbePanel on one probe, with ``lens``; ``feed`` ingests a value."""

    def __init__(self, lens: str, dtype: str, first) -> None:
        self.store = ProbeStore()
        self.anchor = ProbeAnchor(file="/dsp/bench.py", line=1, col=0, symbol="x")
        self.probe = self.store.add(self.anchor, 1, "x = ...", lens=lens)
        self.dtype = dtype
        self.seq = itertools.count()
        self.feed(first)
        self.panel = ProbePanel(self.probe)
        self.panel.refresh()  # makes the lens
        self.lens = self.panel.lens
        if hasattr(self.lens, "wait"):  # the first transform, so frames start in step
            self.lens.wait(PAINT_TIMEOUT)
            self.panel.refresh()
        self.lens.widget.setFixedSize(WIDTH, HEIGHT)
        self.panel.adjustSize()
        self.panel.show()
        settle()
        self.keys = WATCH.watch(views_in(self.lens.widget))

    def feed(self, value) -> None:
        seq = next(self.seq)
        payload = {
            "anchor": self.anchor,
            "value": value,
            "dtype": self.dtype,
            "shape": list(np.shape(value)),
            "seq": seq,
            "timestamp_ns": None,
            "logical_order": seq,
        }
        self.store.ingest(Message(MessageType.DATA_PROBE_VALUE, payload))

    def frame(self, value) -> float:
        WATCH.start()
        self.feed(value)
        if not self.panel.refresh():
            raise SystemExit(f"bench_lenses: the {self.lens.name} lens did not draw")
        return WATCH.wait(self.keys)

    def spectrum_frame(self, value) -> float:
        """New value until the frame with its spectrum is painted."""
        WATCH.start()
        self.feed(value)
        self.panel.refresh()  # submits the transform
        self.lens.wait(PAINT_TIMEOUT)
        if not self.panel.refresh():  # draws it
            raise SystemExit("bench_lenses: the spectrum lens did not draw")
        return WATCH.wait(self.keys)

    def subject(self, values, frame=None) -> Subject:
        return Subject("lens", frame or self.frame, self.panel, values)


# --- pyqtgraph baselines ---------------------------------------------------------------


def plot_window() -> pg.PlotWidget:
    widget = pg.PlotWidget()
    widget.setFixedSize(WIDTH, HEIGHT)
    widget.show()
    settle()
    return widget


def curves_baseline(label: str, values, split, peak: bool = False) -> Subject:
    """pyqtgraph curves fed ``split(value)`` (a list of (x, y)), one curve per trace."""
    widget = plot_window()
    plot = widget.getPlotItem()
    if peak:  # on the PlotItem: as plot() options they would be overridden by these
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
    curves = [plot.plot(pen=pg.mkPen(COLOUR, width=1)) for _ in split(values[0])]
    keys = WATCH.watch([widget])

    def frame(value) -> float:
        WATCH.start()
        for curve, (x, y) in zip(curves, split(value), strict=True):
            curve.setData(x, y)
        return WATCH.wait(keys)

    return Subject(label, frame, widget, values)


def scatter_baseline(values) -> Subject:
    widget = plot_window()
    scatter = pg.ScatterPlotItem()  # default options
    widget.addItem(scatter)
    keys = WATCH.watch([widget])

    def frame(value) -> float:
        WATCH.start()
        scatter.setData(x=value.real, y=value.imag)
        return WATCH.wait(keys)

    return Subject("pyqtgraph default scatter", frame, widget, values)


def spectrum_baseline(values) -> Subject:
    """Hann window, rfft and dB on the GUI thread, every bin plotted."""
    widget = plot_window()
    curve = widget.getPlotItem().plot(pen=pg.mkPen(COLOUR, width=1))
    keys = WATCH.watch([widget])
    n = len(values[0])
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    scale = 2.0 / hann.sum() ** 2
    freqs = np.fft.rfftfreq(n)

    def frame(value) -> float:
        WATCH.start()
        spectrum = np.fft.rfft(value * hann)
        power = spectrum.real**2 + spectrum.imag**2
        curve.setData(freqs, 10 * np.log10(np.maximum(power * scale, 1e-30)))
        return WATCH.wait(keys)

    return Subject("numpy rfft + pyqtgraph undecimated", frame, widget, values)


# --- the values ------------------------------------------------------------------------


def waves(n: int, rng: np.random.Generator, complex_: bool = False) -> list[np.ndarray]:
    t = np.arange(n)
    out = []
    for k in range(VARIANTS):
        cycles = 5 + 3 * k
        if complex_:
            noise = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            out.append(np.exp(2j * np.pi * cycles * t / n) + 0.05 * noise)
        else:
            wave = np.sin(2 * np.pi * cycles * t / n) + 0.05 * rng.standard_normal(n)
            wave[rng.integers(n)] = 4.0  # a spike that only peak-keeping shows
            out.append(wave)
    return out


def tones(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    t = np.arange(n)
    return [
        np.sin(2 * np.pi * (0.05 + 0.01 * k) * t)
        + 0.01 * np.sin(2 * np.pi * 0.31 * t)
        + 1e-3 * rng.standard_normal(n)
        for k in range(VARIANTS)
    ]


def qam16(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    levels = np.array([-3.0, -1.0, 1.0, 3.0])
    return [
        rng.choice(levels, n)
        + 1j * rng.choice(levels, n)
        + (0.15 + 0.05 * k) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
        for k in range(VARIANTS)
    ]


def trace_bank(rows: int, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    t = np.arange(n)
    return [
        np.vstack([np.sin(2 * np.pi * (r + 1 + k) * t / n) + r for r in range(rows)])
        + 0.05 * rng.standard_normal((rows, n))
        for k in range(VARIANTS)
    ]


# --- cases -----------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # the printed figure's name
    lens: Subject
    baselines: list[Subject]
    panel: LensPanel
    latency: bool = False  # print ms per frame (lower is better) rather than fps
    note: str = ""

    def subjects(self) -> list[Subject]:
        return [self.lens, *self.baselines]


def index_x(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64)


def build_case(name: str, rng: np.random.Generator) -> Case:
    if name == "waveform_1M":
        values = waves(1_000_000, rng)
        panel = LensPanel("waveform", "array_1d", values[-1])
        x = index_x(1_000_000)

        def split(v):
            return [(x, v)]

        return Case(
            name,
            panel.subject(values),
            [
                curves_baseline("pyqtgraph default", values, split),
                curves_baseline("pyqtgraph peak+clipToView", values, split, peak=True),
            ],
            panel,
        )
    if name == "waveform_complex_1M":
        values = waves(1_000_000, rng, complex_=True)
        panel = LensPanel("waveform", "array_complex", values[-1])
        x = index_x(1_000_000)

        def split(v):
            return [(x, v.real), (x, v.imag)]

        baseline = curves_baseline("pyqtgraph default (re, im)", values, split)
        return Case(name, panel.subject(values), [baseline], panel)
    if name == "spectrum_2^20":
        values = tones(2**20, rng)
        panel = LensPanel("spectrum", "array_1d", values[-1])
        subject = panel.subject(values, panel.spectrum_frame)
        return Case(name, subject, [spectrum_baseline(values)], panel, latency=True)
    if name in ("constellation_100k", "constellation_1M"):
        values = qam16(100_000 if name.endswith("100k") else 1_000_000, rng)
        panel = LensPanel("constellation", "array_complex", values[-1])
        return Case(name, panel.subject(values), [scatter_baseline(values)], panel)
    if name == "traces_10x100k":
        values = trace_bank(10, 100_000, rng)
        panel = LensPanel("waveform", "array_2d", values[-1])
        x = index_x(100_000)

        def split(v):
            return [(x, row) for row in v]

        baseline = curves_baseline("pyqtgraph default (10 curves)", values, split)
        return Case(name, panel.subject(values), [baseline], panel)
    raise ValueError(name)


CASES = (
    "waveform_1M",
    "waveform_complex_1M",
    "spectrum_2^20",
    "constellation_100k",
    "constellation_1M",
    "traces_10x100k",
)


def run_case(case: Case, seconds: float, repeat: int) -> None:
    for subject in case.subjects():
        subject.warm()
    for _ in range(repeat):  # alternating slices: drift hits lens and baselines alike
        for subject in case.subjects():
            if subject is case.lens or subject.spent < seconds:
                subject.measure(seconds / repeat)


def drawn_traces(case: Case) -> int:
    return sum(
        curve.getData()[1] is not None and len(curve.getData()[1]) > 0
        for curve in case.panel.lens.curves
    )


def profile_case(case: Case, seconds: float, top: int) -> str:
    """cProfile of the lens's frames, by own time (Qt's painting shows as the QPainter
    methods pyqtgraph calls; the spectrum worker's thread is included)."""
    profiler = cProfile.Profile()
    frames = 0
    started = time.perf_counter()
    profiler.enable()
    while frames == 0 or time.perf_counter() - started < seconds:
        case.lens.draw_next()
        frames += 1
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    body = text[text.index("   ncalls") :] if "   ncalls" in text else text
    return f"profile {case.name}: {frames} frames (profiled, so slower), by own time\n{body}"


# --- report ----------------------------------------------------------------------------


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base > 0 else "n/a"


def report(case: Case) -> list[str]:
    """Print the case's line; the targets it missed."""
    lens = case.lens
    missed = []
    if case.latency:
        ms, base = lens.median_drawn_ms, case.baselines[0]
        p95 = float(np.percentile(lens.drawn_ms, 95))
        print(
            f"lenses.{case.name}_ms: median {ms:.1f} ms data to drawn frame, p95 {p95:.1f} ms, "
            f"{lens.median_ms:.1f} ms to an idle event loop ({ratio(ms, base.median_drawn_ms)} "
            f"{base.label} {base.median_drawn_ms:.1f} ms; target <= {MAX_SPECTRUM_MS:.0f} ms)"
        )
        if ms > MAX_SPECTRUM_MS:
            missed.append(f"{case.name} {ms:.1f} ms > {MAX_SPECTRUM_MS:.0f} ms")
        return missed + repaints(case)
    fps = lens.median_fps
    against = "; ".join(
        f"{ratio(fps, b.median_fps)} {b.label} {b.median_fps:.1f} fps" for b in case.baselines
    )
    target = {
        "waveform_1M": MIN_WAVE_FPS,
        "waveform_complex_1M": MIN_COMPLEX_FPS,
        "constellation_100k": MIN_CONSTELLATION_100K_FPS,
        "constellation_1M": MIN_CONSTELLATION_1M_FPS,
        "traces_10x100k": MIN_TRACES_FPS,
    }[case.name]
    goal = f"target >= {target:.0f} fps"
    if case.name == "waveform_1M":
        goal += f" and >= {MIN_WAVE_VS_PEAK:.1f}x peak+clipToView"
    print(
        f"lenses.{case.name}_fps: {fps:.1f} fps, median {lens.median_ms:.1f} ms/frame "
        f"({against}; {goal})"
    )
    if fps < target:
        missed.append(f"{case.name} {fps:.1f} fps < {target:.0f}")
    if case.name == "waveform_1M":
        peak = case.baselines[1].median_fps
        if fps < MIN_WAVE_VS_PEAK * peak:
            missed.append(f"{case.name} {fps / peak:.2f}x peak+clipToView < {MIN_WAVE_VS_PEAK}x")
    if case.name == "traces_10x100k":
        drawn = drawn_traces(case)
        if drawn < 10:
            print(f"  the lens draws {drawn} of the 10 traces (the baseline draws all 10)")
            missed.append(f"{case.name} draws {drawn} of 10 traces")
    return missed + repaints(case)


def repaints(case: Case) -> list[str]:
    """A note when the lens paints a new value more than once (no target: no miss)."""
    paints = case.lens.paints_per_frame
    if paints > 1.05:
        others = ", ".join(f"{b.label} {b.paints_per_frame:.1f}" for b in case.baselines)
        print(f"  the lens paints {paints:.1f} times per new value ({others})")
    return []


def main() -> int:
    global WATCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="alternating slices per case (median fps)"
    )
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="measuring time per lens and baseline"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--profile", action="store_true", help="profile each lens case (top 15, own time)"
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.seconds <= 0:
        parser.error("--repeat must be at least 1 and --seconds above 0")

    app = QApplication.instance() or QApplication(sys.argv[:1])
    WATCH = PaintWatch()
    rng = np.random.default_rng(1)
    missed, profiles = [], []
    for name in CASES:
        case = build_case(name, rng)
        run_case(case, args.seconds, args.repeat)
        missed += report(case)
        if args.profile:
            profiles.append(profile_case(case, args.seconds, 15))
        for subject in case.subjects():
            subject.close()
        app.processEvents()
    for text in profiles:
        print(text)
    if missed:
        print("  missed: " + "; ".join(missed))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
