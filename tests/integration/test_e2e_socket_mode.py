"""M8: the whole socket path, end to end, the way a person uses it.

The real window (offscreen Qt, pytest-qt) opens a real DSP script; names are clicked
to probe them, F5 runs it and Shift+F5 stops it. Each run launches the real tracer in
its own process, in the script's interpreter: every case runs once per installed
Python 3.10-3.13 (the window stays on this one), each with the tracer, wire and
transport installed from this checkout into a fresh venv. What arrives is compared
with the same quantity computed here another way.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QTextCursor

from pipelines.interpreters import SUPPORTED_PYTHONS, find_python
from pyprobe.core.probes import ProbeState
from pyprobe.gui.main_window import MainWindow
from pyprobe_wire import MessageType
from tests._support.dsp import CRASH, ENERGY_LINE, START_LINE, Y_LINE, fir_energy_truth
from tests._support.dsp import FIR_ENERGY as FIR
from tests._support.fake_gui import probe_values
from tests._support.once import made_once
from tests._support.packaging import build, run, uv_bin

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 30_000  # every wait has its own deadline: a hang fails the test
THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
STDOUT = MessageType.DATA_STDOUT
TRACER_PACKAGES = ("wire", "transport", "tracer")


# -- the script's interpreters -----------------------------------------------------------


def tracer_wheels(out: Path) -> None:
    """The wire, transport and tracer wheels, built from this checkout into ``out``."""
    for name in TRACER_PACKAGES:
        build(ROOT / "packages" / name, out / name, "wheel")


def tracer_venv(interpreter: Path, venv: Path, wheels: list[Path]) -> None:
    """A fresh venv on ``interpreter`` holding ``wheels`` (and numpy)."""
    uv, env = uv_bin(), {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    run(uv, "venv", "--quiet", "--python", str(interpreter), str(venv), env=env)
    python = venv / "bin" / "python"
    # Byte-compiled as pip installs for users, except under a pycache prefix (nox's
    # sessions set one): Python then reads bytecode only from there.
    compile_flag = [] if sys.pycache_prefix else ["--compile-bytecode"]
    install = [uv, "pip", "install", "--quiet", "--python", str(python), *compile_flag]
    run(*install, *map(str, wheels), env=env)


@pytest.fixture(scope="session")
def tracer_pythons(tmp_path_factory):
    """Python ``version`` -> an interpreter whose environment has the tracer. The wheels
    and each version's venv are made once per session, shared by the xdist workers."""

    def python_for(version: str) -> Path:
        if version == THIS_PYTHON:
            return Path(sys.executable)  # the GUI's own environment has the tracer too
        interpreter = find_python(version)
        if interpreter is None:
            pytest.skip(f"Python {version} is not installed (pyenv install {version})")
        wheels = sorted(made_once(tmp_path_factory, "tracer-wheels", tracer_wheels).glob("*/*.whl"))
        venv = made_once(
            tmp_path_factory,
            f"tracer-py{version}",
            lambda into: tracer_venv(interpreter, into, wheels),
        )
        return venv / "bin" / "python"

    return python_for


@pytest.fixture(params=SUPPORTED_PYTHONS)
def script_python(request, tracer_pythons) -> Path:
    """The interpreter the script runs in, one case per supported version."""
    return tracer_pythons(request.param)


# -- the window, driven as a person does -------------------------------------------------


class Session:
    """One window and every message its runs received, in arrival order."""

    def __init__(self, qtbot, window: MainWindow):
        self.qtbot, self.window = qtbot, window
        self.messages = []
        self.pids = []
        window.run_started.connect(self._record)

    def _record(self) -> None:
        self.window.handler.subscribe(self.messages.append)
        self.pids.append(self.window.runner.pid)

    def open(self, script: Path) -> None:
        assert self.window.open_script(script)

    def click(self, line: int, symbol: str) -> None:
        """Click the name as a person would: on its first character in the code view."""
        window = self.window
        site = next(s for s in window.index.on_line(line) if s.symbol == symbol)
        window.code.go_to_line(line)
        block = window.code.document().findBlockByNumber(line - 1)
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + site.char_col)
        rect = window.code.cursorRect(cursor)
        point = QPoint(rect.x() + 2, rect.center().y())
        self.qtbot.mouseClick(window.code.viewport(), Qt.MouseButton.LeftButton, pos=point)

    def run(self) -> None:
        self.qtbot.keyClick(self.window, Qt.Key.Key_F5)

    def run_to_end(self):
        with self.qtbot.waitSignal(self.window.run_ended, timeout=RUN_TIMEOUT_MS) as ended:
            self.run()
        self.window.tick()  # the last values reach the store and the panels
        return ended.args[0]

    def wait_running(self) -> None:
        self.qtbot.waitUntil(lambda: self.window.run_state == "running", timeout=RUN_TIMEOUT_MS)

    def wait_for(self, condition, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
        """Let the window redraw until ``condition()`` holds."""

        def met() -> bool:
            self.window.tick()
            return condition()

        self.qtbot.waitUntil(met, timeout=timeout_ms)

    def values(self, symbol: str) -> list:
        return probe_values(self.messages, symbol)

    def of_type(self, msg_type: MessageType) -> list:
        return [m for m in self.messages if m.msg_type is msg_type]

    def probe(self, symbol: str):
        (probe,) = (p for p in self.window.store if p.anchor.symbol == symbol)
        return probe


@pytest.fixture
def session(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    made = []

    def make(python: Path, legacy_ipc: bool = False) -> Session:
        window = MainWindow(python=str(python), legacy_ipc=legacy_ipc)
        qtbot.addWidget(window)
        with qtbot.waitActive(window):  # keys reach the active window only
            window.show()
            window.activateWindow()
        made.append(Session(qtbot, window))
        return made[-1]

    yield make
    for each in made:
        if each.window.runner is not None:
            each.window.runner.stop()
        for pid in each.pids:  # no tracer is left behind, whatever the test did
            assert not os.path.exists(f"/proc/{pid}"), f"tracer {pid} outlived its test"


def write(tmp_path: Path, name: str, source: str) -> Path:
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    return script


def line_of(source: str, start: str) -> int:
    """The 1-based line whose code starts with ``start`` (scripts are never counted by hand)."""
    (line,) = (n for n, text in enumerate(source.splitlines(), 1) if text.strip().startswith(start))
    return line


# -- the scripts -------------------------------------------------------------------------

SCALAR = """\
import numpy as np

x = 42
gain = np.float64(x) / 2
"""

# A 10,000-sample chirp through a 31-tap moving average, filtered in the time domain.
ARRAY = """\
import numpy as np

n = np.arange(10_000)
chirp = np.cos(2 * np.pi * (0.001 * n + 0.00002 * n * n))
taps = np.ones(31) / 31
smoothed = np.convolve(chirp, taps, mode="same")
"""


def array_truth() -> np.ndarray:
    """The same filter, computed in the frequency domain."""
    n = np.arange(10_000)
    chirp = np.cos(2 * np.pi * (0.001 * n + 0.00002 * n * n))
    size = 10_000 + 31 - 1
    full = np.fft.irfft(np.fft.rfft(chirp, size) * np.fft.rfft(np.ones(31) / 31, size), size)
    return full[15 : 15 + 10_000]


# QPSK through a small carrier offset, as complex64 like a radio's samples.
QPSK = """\
import numpy as np

bits = np.random.default_rng(7).integers(0, 2, size=(512, 2))
symbols = ((1 - 2 * bits[:, 0]) + 1j * (1 - 2 * bits[:, 1])) / np.sqrt(2)
rotation = np.exp(1j * 2 * np.pi * 0.0005 * np.arange(512))
received = (symbols * rotation).astype(np.complex64)
"""


def qpsk_truth() -> np.ndarray:
    bits = np.random.default_rng(7).integers(0, 2, size=(512, 2))
    angle = np.pi / 4 * np.where(bits[:, 0] == 0, np.where(bits[:, 1] == 0, 1, -1), 0)
    angle += np.pi / 4 * np.where(bits[:, 0] == 1, np.where(bits[:, 1] == 0, 3, -3), 0)
    return np.exp(1j * (angle + 2 * np.pi * 0.0005 * np.arange(512)))


# Runs until the test creates the file named by its first argument.
FREE_RUNNING = """\
import math
import os
import sys
import time

done = sys.argv[1]
phase = 0.0
n = 0
while not os.path.exists(done):
    phase = (phase + 0.05) % (2 * math.pi)
    sample = math.cos(phase)
    n = n + 1
    if n == 10:
        print("looping", flush=True)
    time.sleep(0.002)
"""
SAMPLE_LINE = line_of(FREE_RUNNING, "sample =")
COUNT_LINE = line_of(FREE_RUNNING, "n = n + 1")


def free_running(tmp_path: Path, session: Session) -> Path:
    """Open the free-running script with its stop file as argument; the stop file."""
    done = tmp_path / "done"
    assert session.window.open_script(write(tmp_path, "nco.py", FREE_RUNNING), [str(done)])
    return done


# -- the seed's ten ----------------------------------------------------------------------


def test_scalar_probe_e2e(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    gui.open(write(tmp_path, "scalar.py", SCALAR))
    gui.click(line_of(SCALAR, "x = 42"), "x")
    ended = gui.run_to_end()
    assert (ended.outcome, ended.exit_code) == ("finished", 0)
    assert gui.values("x") == [42]
    x = gui.probe("x")
    assert (x.state, x.latest, x.dtype) == (ProbeState.LIVE, 42, "scalar")
    (panel,) = gui.window.panels.values()
    gui.wait_for(lambda: panel.lens is not None and panel.lens.readout.text() == "42")


def test_array_probe_e2e(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    gui.open(write(tmp_path, "chirp.py", ARRAY))
    gui.click(line_of(ARRAY, "smoothed ="), "smoothed")
    assert gui.run_to_end().outcome == "finished"
    (smoothed,) = gui.values("smoothed")
    assert smoothed.shape == (10_000,) and smoothed.dtype == np.float64
    np.testing.assert_allclose(smoothed, array_truth(), rtol=0, atol=1e-12)
    (panel,) = gui.window.panels.values()
    gui.wait_for(lambda: panel.lens is not None and panel.lens.name == "waveform")


def test_complex_array_e2e(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    gui.open(write(tmp_path, "qpsk.py", QPSK))
    gui.click(line_of(QPSK, "received ="), "received")
    assert gui.run_to_end().outcome == "finished"
    (received,) = gui.values("received")
    assert received.dtype == np.complex64 and received.shape == (512,)
    np.testing.assert_allclose(received, qpsk_truth(), rtol=0, atol=1e-6)
    assert gui.probe("received").dtype in ("array_complex", "waveform_complex")
    (panel,) = gui.window.panels.values()
    gui.wait_for(lambda: panel.lens is not None and panel.lens.name == "constellation")


def test_multiple_probes_e2e(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    gui.open(write(tmp_path, "fir.py", FIR))
    for line, symbol in ((Y_LINE, "y"), (ENERGY_LINE, "energy"), (START_LINE, "start")):
        gui.click(line, symbol)
    assert gui.run_to_end().outcome == "finished"
    blocks, energies = fir_energy_truth()
    y = gui.values("y")
    assert len(y) == 8
    for got, expected in zip(y, blocks, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(gui.values("energy"), energies, rtol=1e-12)
    assert gui.values("start") == list(range(0, 2048, 256))
    assert all(gui.probe(s).state is ProbeState.LIVE for s in ("y", "energy", "start"))


def test_script_exception_e2e(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    script = write(tmp_path, "crash.py", CRASH)
    gui.open(script)
    ended = gui.run_to_end()
    assert ended.outcome == "failed" and ended.exit_code != 0
    (exception,) = gui.of_type(MessageType.DATA_EXCEPTION)
    traceback = exception.payload["traceback"]
    assert "ValueError: need an odd tap count, got 16" in traceback
    assert f'File "{script}", line {line_of(CRASH, "raise ValueError")}' in traceback
    gui.window.console.flush()
    assert "ValueError: need an odd tap count, got 16" in gui.window.console.text


def test_script_stdout_e2e(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    gui.open(write(tmp_path, "fir.py", FIR))
    assert gui.run_to_end().outcome == "finished"
    printed = "".join(m.payload["text"] for m in gui.of_type(STDOUT))
    assert printed == "filtered 2048 samples\n"
    gui.window.console.flush()
    assert gui.window.console.text.count("filtered 2048 samples") == 1  # shown once


def test_add_probe_while_running(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    done = free_running(tmp_path, gui)
    gui.run()
    gui.wait_running()
    # the script says when it is ten iterations into its loop
    gui.wait_for(lambda: any("looping" in m.payload["text"] for m in gui.of_type(STDOUT)))
    assert gui.values("n") == []
    gui.click(COUNT_LINE, "n")
    gui.wait_for(lambda: len(gui.values("n")) >= 50)
    done.touch()
    gui.wait_for(lambda: gui.window.runner is None)
    counts = gui.values("n")
    assert counts[0] > 10, f"capture began at n={counts[0]}, before the probe was added"
    assert np.all(np.diff(counts) == 1), "every iteration after the add arrived"
    assert gui.probe("n").latest == counts[-1]


def test_remove_probe_while_running(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    done = free_running(tmp_path, gui)
    gui.click(COUNT_LINE, "n")
    gui.click(SAMPLE_LINE, "sample")
    gui.run()
    gui.wait_for(lambda: len(gui.values("sample")) >= 20)
    gui.click(SAMPLE_LINE, "sample")  # clicked again: the probe goes
    assert [p.anchor.symbol for p in gui.window.store] == ["n"]
    removed_at = gui.values("n")[-1]
    # once n has moved on well past the click, the removal is in effect ...
    gui.wait_for(lambda: gui.values("n")[-1] > removed_at + 20)
    settled = len(gui.values("sample"))
    # ... and from then on only n arrives, for another hundred iterations
    mark = gui.values("n")[-1]
    gui.wait_for(lambda: gui.values("n")[-1] > mark + 100)
    assert len(gui.values("sample")) == settled
    done.touch()
    gui.wait_for(lambda: gui.window.runner is None)
    assert np.all(np.diff(gui.values("n")) == 1), "the other probe lost nothing"


def test_stop_terminates_cleanly(qtbot, session, tmp_path, script_python):
    gui = session(script_python)
    free_running(tmp_path, gui)
    gui.click(COUNT_LINE, "n")
    gui.run()
    gui.wait_for(lambda: len(gui.values("n")) >= 10)
    runner = gui.window.runner
    pid, address = runner.pid, runner.channel.address
    with qtbot.waitSignal(gui.window.run_ended, timeout=2000) as ended:  # within 2 s
        qtbot.keyClick(gui.window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert ended.args[0].outcome == "stopped"
    qtbot.waitUntil(lambda: runner.process.returncode is not None, timeout=2000)
    with pytest.raises(ChildProcessError):  # reaped: no zombie is left
        os.waitpid(pid, os.WNOHANG)
    assert not os.path.exists(f"/proc/{pid}")
    if address.startswith("unix:"):
        socket_dir = os.path.dirname(address.removeprefix("unix:"))
        qtbot.waitUntil(lambda: not os.path.exists(socket_dir), timeout=2000)
    assert gui.window.actions["run"].isEnabled()


def test_legacy_mode_e2e(qtbot, session, tmp_path):
    """The same battery, reduced, over the old multiprocessing path (--legacy-ipc)."""
    gui = session(sys.executable, legacy_ipc=True)
    gui.open(write(tmp_path, "scalar.py", SCALAR))
    gui.click(line_of(SCALAR, "x = 42"), "x")
    assert gui.run_to_end().outcome == "finished"
    assert gui.values("x") == [42]
    assert gui.pids[-1] != os.getpid()  # a child process, not this one

    gui.open(write(tmp_path, "chirp.py", ARRAY))
    gui.click(line_of(ARRAY, "smoothed ="), "smoothed")
    assert gui.run_to_end().outcome == "finished"
    np.testing.assert_allclose(gui.values("smoothed")[-1], array_truth(), rtol=0, atol=1e-12)

    gui.open(write(tmp_path, "crash.py", CRASH))
    assert gui.run_to_end().outcome == "failed"
    (exception,) = gui.of_type(MessageType.DATA_EXCEPTION)
    assert "ValueError: need an odd tap count, got 16" in exception.payload["traceback"]

    free_running(tmp_path, gui)
    gui.click(COUNT_LINE, "n")
    gui.run()
    gui.wait_for(lambda: len(gui.values("n")) >= 10)
    process = gui.window.runner.process
    with qtbot.waitSignal(gui.window.run_ended, timeout=2000) as ended:
        qtbot.keyClick(gui.window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert ended.args[0].outcome == "stopped"
    qtbot.waitUntil(lambda: process.exitcode is not None, timeout=2000)
