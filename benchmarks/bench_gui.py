"""The window under load: 20 live scalar probes and a 1M-sample array, offscreen.

A real ``MainWindow`` opens a generated script and probes 20 scalars and one array
(the array first, so that its panel is on screen). ``window.run()`` then runs as it
does for a real run, with the ``ScriptRunner`` it builds replaced by a stand-in
whose feeder thread does what the tracer's streamer and the socket channel's
receiver thread do: every 20 ms a DATA_PROBE_VALUE_BATCH with one ``series``
column per scalar probe (10,000 values/s over the 20), and 30 times a second a
fresh 1,000,000-sample float64 array (a DATA_PROBE_VALUE, or an entry of that
flush's batch, as the streamer composes them); each message is encoded and decoded
with ``pyprobe_wire`` (the copy a received frame costs) and queued for
``receive_data()``. Before measuring, one backlog flush fills the scalar histories,
as after a long run. No tracer process runs: the figures are the GUI's.

Measured on the window's own 30 Hz redraw timer, in a real Qt event loop:

- frames drawn per second (``window.frames_drawn``) and the wall time of each
  ``tick()`` (median, p95); painting happens after the tick, in the event loop, so
  it shows in the frame rate, the gaps between ticks and the GUI thread's CPU;
- a click on a name not yet probed (a mouse press posted to the code view from
  another thread at a random moment, as the window system delivers one) until its
  panel exists and the events it caused (relayout, paints) have been processed; the
  new panel goes to the end of the grid, below the panels on screen, so what gets
  painted is the name's mark in the code view;
- CPU: the process (feeder thread included) and the GUI thread, per wall second.

Each loaded figure is printed with its ratio to the same window idle (the script
open and the probes added, nothing running), measured in the same run; the idle
window draws no frames, so the frame rate is compared with its tick rate. The idle
CPU is that window's; the same window before a script is opened is printed too.
Targets: at least 30 fps and a click-to-panel time of at most 100 ms while loaded,
and under 2 % of one core for the idle window.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QCoreApplication, QEvent, QEventLoop, QPoint, QPointF, Qt, QTimer
from PyQt6.QtGui import QMouseEvent, QTextCursor
from PyQt6.QtWidgets import QApplication

from pyprobe.gui import main_window
from pyprobe.gui.main_window import MainWindow
from pyprobe.gui.script_runner import RunEvent, RunEventKind
from pyprobe_wire import Message, MessageType, ProbeAnchor, decode_message, encode_message

MIN_FPS = 30.0
MAX_CLICK_MS = 100.0
MAX_IDLE_CPU = 2.0  # percent of one core

SCALARS = 20
SCALAR_RATE = 10_000  # values per second, over all the scalar probes
ARRAY_SAMPLES = 1_000_000
ARRAY_HZ = 30.0
FLUSH_S = 0.02  # the tracer's streamer flushes every 20 ms
QUEUE_SIZE = 4096  # the socket channel's receive queue
WARM_S = 1.0  # loaded, before measuring

SCRIPT = "\n".join(
    [
        "import numpy as np",
        *(f"s{i} = 0.0" for i in range(SCALARS)),
        f"wave = np.zeros({ARRAY_SAMPLES:_})",
        "total = 0.0",
        "",
    ]
)
WAVE_LINE = SCALARS + 2
CLICK_LINE, CLICK_NAME = SCALARS + 3, "total"  # not probed: clicked to add its panel


class FakeRun:
    """Stands in for the ScriptRunner that ``MainWindow.run()`` builds: the same
    constructor and the methods the window calls, values from a feeder thread."""

    def __init__(self, script, args=(), *, probes=(), backlog: int = 0, **_options) -> None:
        self.probes = list(probes)
        self.backlog = backlog  # rounds of scalar values in the first flush
        self.arrays = [a for a in self.probes if a.symbol == "wave"]
        self.scalars = [a for a in self.probes if a.symbol != "wave"]
        self._queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, name="bench-feeder", daemon=True)
        self.sent_scalars = self.sent_arrays = self.max_queued = 0
        self.cpu = 0.0  # the feeder thread's CPU seconds so far
        rng = np.random.default_rng(1)
        self._bank = [rng.standard_normal(ARRAY_SAMPLES) for _ in range(3)]
        self._rng = rng
        self._seq = 0
        self._level = np.zeros(len(self.scalars))

    # --- what the window calls -------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._events.put(RunEvent(RunEventKind.CONNECTED, peer={"bench": True}))

    def receive_data(self, timeout: float = 0.0) -> Message | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def poll_events(self) -> list[RunEvent]:
        events = []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    def send_command(self, message: Message) -> bool:
        return True

    def add_probe(self, anchor: ProbeAnchor, mode: str = "all") -> bool:
        return True

    def remove_probe(self, anchor: ProbeAnchor) -> bool:
        return True

    def wait_connected(self, timeout: float | None = None) -> bool:
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._events.put(RunEvent(RunEventKind.ENDED, "stopped", outcome="stopped"))

    # --- the feeder --------------------------------------------------------------------

    def _feed(self) -> None:
        if self.backlog:  # one flush after a long run: the histories are full
            self._flush(self.backlog, with_array=False)
        started = time.perf_counter()
        next_array = started
        scalars_due = 0.0
        while not self._stop.wait(FLUSH_S):
            now = time.perf_counter()
            due = SCALAR_RATE * (now - started) - scalars_due
            rounds = int(due // max(len(self.scalars), 1))
            scalars_due += rounds * len(self.scalars)
            with_array = bool(self.arrays) and now >= next_array
            if with_array:
                next_array = max(next_array + 1 / ARRAY_HZ, now - 1 / ARRAY_HZ)
            self._flush(rounds, with_array)
            self.cpu = time.thread_time()

    def _flush(self, rounds: int, with_array: bool) -> None:
        """One streamer flush: ``rounds`` values of every scalar probe, as columns (the
        script assigns them in turn), and the array if one was captured meanwhile."""
        columns, entries = [], []
        n = len(self.scalars)
        if rounds and n:
            seqs = self._seq + np.arange(rounds * n, dtype=np.int64).reshape(rounds, n)
            steps = self._rng.standard_normal((rounds, n)) * 0.01
            walk = self._level + np.cumsum(steps, axis=0)
            self._level = walk[-1]
            stamps = time.time_ns() + np.zeros(rounds, dtype=np.int64)
            for i, anchor in enumerate(self.scalars):
                columns.append(
                    {
                        "anchor": anchor,
                        "dtype": "scalar",
                        "values": np.ascontiguousarray(walk[:, i]),
                        "seq": np.ascontiguousarray(seqs[:, i]),
                        "timestamp_ns": stamps,
                    }
                )
            self._seq += rounds * n
        if with_array:
            for anchor in self.arrays:
                value = self._bank[self.sent_arrays % len(self._bank)]
                entries.append(
                    {
                        "anchor": anchor,
                        "value": value,
                        "dtype": "array_1d",
                        "shape": [len(value)],
                        "seq": self._seq,
                        "timestamp_ns": time.time_ns(),
                        "logical_order": self._seq,
                    }
                )
                self._seq += 1
                self.sent_arrays += 1
        if len(entries) == 1 and not columns:
            self._send(Message(MessageType.DATA_PROBE_VALUE, entries[0]))
        elif entries or columns:
            batch = {"values": entries, "series": columns}
            self._send(Message(MessageType.DATA_PROBE_VALUE_BATCH, batch))
        self.sent_scalars += rounds * n

    def _send(self, message: Message) -> None:
        # the receiver thread's share: a new frame buffer, decoded into views of it
        message = decode_message(encode_message(message))
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.1)
                break
            except queue.Full:
                continue
        self.max_queued = max(self.max_queued, self._queue.qsize())


class TimedWindow(MainWindow):
    """The MainWindow, its redraw tick timed (the timer calls this ``tick``)."""

    def __init__(self, **kwargs) -> None:
        self.tick_starts: list[float] = []
        self.tick_seconds: list[float] = []
        super().__init__(**kwargs)

    def tick(self) -> None:
        started = time.perf_counter()
        super().tick()
        self.tick_starts.append(started)
        self.tick_seconds.append(time.perf_counter() - started)


def run_loop(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("bench_gui: timed out waiting for the window")
        run_loop(0.01)


def p95(values) -> float:
    return float(np.percentile(values, 95))


def measure(window: TimedWindow, seconds: float, run: FakeRun | None = None) -> dict:
    """Run the event loop for ``seconds``: frames, ticks, gaps, CPU and what was fed."""
    window.tick_starts.clear()
    window.tick_seconds.clear()
    frames = window.frames_drawn
    fed = (run.sent_scalars, run.sent_arrays, run.cpu) if run else (0, 0, 0.0)
    cpu, gui_cpu, wall = time.process_time(), time.thread_time(), time.perf_counter()
    run_loop(seconds)
    wall = time.perf_counter() - wall
    cpu, gui_cpu = time.process_time() - cpu, time.thread_time() - gui_cpu
    ticks = list(window.tick_seconds)
    gaps = np.diff(window.tick_starts) * 1e3
    result = {
        "fps": (window.frames_drawn - frames) / wall,
        "tick_hz": len(ticks) / wall,
        "tick_median": statistics.median(ticks) * 1e3,
        "tick_p95": p95(ticks) * 1e3,
        "gap_p95": p95(gaps),
        "gap_max": float(gaps.max()),
        "cpu": 100 * cpu / wall,
        "gui_cpu": 100 * gui_cpu / wall,
    }
    if run is not None:
        result["scalars_per_s"] = (run.sent_scalars - fed[0]) / wall
        result["arrays_per_s"] = (run.sent_arrays - fed[1]) / wall
        result["feeder_cpu"] = 100 * (run.cpu - fed[2]) / wall
    return result


def point_of(window: MainWindow, line: int, symbol: str) -> QPoint:
    """Where a person clicks to hit ``symbol`` on ``line`` in the code view."""
    site = next(s for s in window.index.on_line(line) if s.symbol == symbol)
    block = window.code.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + site.char_col)
    rect = window.code.cursorRect(cursor)
    return QPoint(rect.x() + 2, rect.center().y())


def click_to_panel(window: MainWindow, repeat: int, rng: random.Random) -> list[float]:
    """Milliseconds from a click on the unprobed name until its panel exists and the
    paints it caused are done; the click lands at a random moment of the tick cycle."""
    site = window.probe_spec_site(f"{CLICK_LINE}:{CLICK_NAME}")
    anchor = site.anchor(window.script)
    viewport = window.code.viewport()
    window.code.go_to_line(CLICK_LINE)
    run_loop(0.1)
    local = QPointF(point_of(window, CLICK_LINE, CLICK_NAME))
    where = QPointF(viewport.mapToGlobal(local.toPoint()))
    done: dict[str, float] = {}
    loop = QEventLoop()

    def on_click(_site) -> None:  # connected after the window's own slot
        if anchor in window.panels and "t" not in done:
            QApplication.processEvents()  # the relayout and paints the click caused
            done["t"] = time.perf_counter()
            loop.quit()

    def press_later(delay: float, sent: dict) -> None:
        time.sleep(delay)
        buttons = Qt.MouseButton.LeftButton
        for kind, held in (
            (QEvent.Type.MouseButtonPress, buttons),
            (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
        ):
            event = QMouseEvent(kind, local, where, buttons, held, Qt.KeyboardModifier.NoModifier)
            if kind is QEvent.Type.MouseButtonPress:
                sent["t"] = time.perf_counter()
            QCoreApplication.postEvent(viewport, event)

    guard = QTimer(singleShot=True)
    guard.timeout.connect(loop.quit)
    window.code.probe_clicked.connect(on_click)
    latencies = []
    try:
        for _ in range(repeat):
            done.clear()
            sent: dict[str, float] = {}
            delay = rng.uniform(0.02, 0.02 + 2 / main_window.REDRAW_HZ)
            threading.Thread(target=press_later, args=(delay, sent), daemon=True).start()
            guard.start(5000)
            loop.exec()
            guard.stop()
            if "t" not in done:
                raise SystemExit("bench_gui: the click made no panel within 5 s")
            latencies.append((done["t"] - sent["t"]) * 1e3)
            window.remove_probe(anchor)
            run_loop(0.15)
    finally:
        window.code.probe_clicked.disconnect(on_click)
    return latencies


def profile_loaded(window: TimedWindow, seconds: float, top: int = 15) -> str:
    """cProfile of the loaded window: its ticks and the Python paint code they cause.

    Python 3.12's cProfile sees every thread, so only pyprobe's and pyqtgraph's own
    functions (the GUI thread's) are listed, not the feeder's.
    """
    window.tick_seconds.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    run_loop(seconds)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"/pyprobe/|/pyqtgraph/|paintEvent|method 'play'", top)
    ticks = len(window.tick_seconds)
    return f"profile: {ticks} ticks in {seconds:.1f} s (profiled, so slower)\n{out.getvalue()}"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base > 0 else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="clicks per case (median)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per case")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--profile", action="store_true", help="profile the loaded window (top 15, cumulative)"
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.seconds < 0.5:
        parser.error("--repeat must be at least 1 and --seconds at least 0.5")

    with tempfile.TemporaryDirectory(prefix="pyprobe-bench-gui-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # not the user's settings
        script = Path(tmp) / "dsp.py"
        script.write_text(SCRIPT)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        window = TimedWindow(legacy_ipc=False, python=sys.executable, save_state=False)
        window.show()
        run_loop(0.5)
        empty = measure(window, min(args.seconds, 3.0))

        window.open_script(script)
        window.add_probe(window.probe_spec_site(f"{WAVE_LINE}:wave"))
        for i in range(SCALARS):
            window.add_probe(window.probe_spec_site(f"{i + 2}:s{i}"))
        run_loop(0.5)
        rng = random.Random(7)
        idle = measure(window, args.seconds)
        idle_clicks = click_to_panel(window, args.repeat, rng)

        original = main_window.ScriptRunner
        backlog = window.store.history_capacity  # values per probe
        main_window.ScriptRunner = functools.partial(FakeRun, backlog=backlog)
        try:
            window.run()
        finally:
            main_window.ScriptRunner = original
        run = window.runner
        wait_for(lambda: window.run_state == "running")
        run_loop(WARM_S)
        loaded = measure(window, args.seconds, run)
        on_screen = sum(not panel.visibleRegion().isEmpty() for panel in window.panels.values())
        loaded_clicks = click_to_panel(window, args.repeat, rng)
        profile = profile_loaded(window, args.seconds) if args.profile else None
        window.stop()
        wait_for(lambda: window.runner is None)
        behind = run.max_queued
        window.close()
        app.processEvents()

    click, idle_click = statistics.median(loaded_clicks), statistics.median(idle_clicks)
    print(
        f"gui.fps_loaded: {loaded['fps']:.1f} fps ({ratio(loaded['fps'], idle['tick_hz'])} "
        f"idle tick rate {idle['tick_hz']:.1f}/s; target >= {MIN_FPS:.0f})"
    )
    print(
        f"gui.tick_ms_loaded: median {loaded['tick_median']:.2f} ms, p95 "
        f"{loaded['tick_p95']:.2f} ms ({ratio(loaded['tick_median'], idle['tick_median'])} "
        f"idle median {idle['tick_median']:.2f} ms, p95 {idle['tick_p95']:.2f} ms)"
    )
    print(
        f"gui.tick_gap_ms_loaded: p95 {loaded['gap_p95']:.1f} ms, max {loaded['gap_max']:.1f} ms "
        f"({ratio(loaded['gap_p95'], idle['gap_p95'])} idle p95 {idle['gap_p95']:.1f} ms, "
        f"max {idle['gap_max']:.1f} ms)"
    )
    print(
        f"gui.click_to_panel_ms: {click:.1f} ms, max {max(loaded_clicks):.1f} ms "
        f"({ratio(click, idle_click)} idle {idle_click:.1f} ms; target <= {MAX_CLICK_MS:.0f})"
    )
    print(
        f"gui.loaded_cpu: {loaded['cpu']:.1f} % of one core, GUI thread "
        f"{loaded['gui_cpu']:.1f} % ({ratio(loaded['cpu'], idle['cpu'])} idle "
        f"{idle['cpu']:.1f} %)"
    )
    print(
        f"gui.idle_cpu: {idle['cpu']:.2f} % of one core, {len(window.panels)} probes open "
        f"(empty window {empty['cpu']:.2f} %; target < {MAX_IDLE_CPU:.0f} %)"
    )
    print(
        f"  fed {loaded['scalars_per_s']:,.0f} scalars/s and {loaded['arrays_per_s']:.1f} "
        f"arrays/s (feeder thread {loaded['feeder_cpu']:.1f} % of a core); receive queue at "
        f"most {behind}; {on_screen} of {len(window.panels)} panels on screen"
    )
    if profile is not None:
        print(profile)
    missed = [
        f"fps {loaded['fps']:.1f} < {MIN_FPS:.0f}" if loaded["fps"] < MIN_FPS else "",
        f"click {click:.0f} ms > {MAX_CLICK_MS:.0f} ms" if click > MAX_CLICK_MS else "",
        f"idle CPU {idle['cpu']:.1f} % >= {MAX_IDLE_CPU:.0f} %"
        if idle["cpu"] >= MAX_IDLE_CPU
        else "",
    ]
    missed = [text for text in missed if text]
    if missed:
        print("  missed: " + "; ".join(missed))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
