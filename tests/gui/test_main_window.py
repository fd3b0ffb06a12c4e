"""The application window, driven the way a person does: clicks on names, keys, Run, Stop.

Offscreen Qt (pytest-qt). The script is a block FIR filter; what the panels and
the watch list show is compared with the same filter computed here in numpy.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QTextCursor

from pyprobe.core.probes import ProbeState
from pyprobe.gui.main_window import MainWindow
from tests._support.dsp import CRASH, ENERGY_LINE, START_LINE, Y_LINE, fir_energy_truth
from tests._support.dsp import FIR_ENERGY as FIR

pytestmark = [pytest.mark.gui, pytest.mark.e2e]

RUN_TIMEOUT_MS = 20_000


NCO = """\
import math
import time

phase = 0.0
for n in range(100_000_000):
    phase = (phase + 0.05) % (2 * math.pi)
    sample = math.cos(phase)
    time.sleep(0.0005)
"""


def write(tmp_path: Path, name: str, source: str) -> Path:
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    return script


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    made = []

    def make(**kwargs) -> MainWindow:
        kwargs.setdefault("legacy_ipc", False)
        kwargs.setdefault("python", sys.executable)
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        with qtbot.waitActive(window):  # shortcuts reach the active window only
            window.show()
            window.activateWindow()
        made.append(window)
        return window

    yield make
    for window in made:
        if window.runner is not None:
            window.runner.stop()


def point_of(window: MainWindow, line: int, symbol: str, occurrence: int = 1) -> QPoint:
    """Where a person would click to hit that occurrence in the code view."""
    site = next(
        s for s in window.index.on_line(line) if s.symbol == symbol and s.occurrence == occurrence
    )
    window.code.go_to_line(line)
    block = window.code.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + site.char_col)
    rect = window.code.cursorRect(cursor)
    return QPoint(rect.x() + 2, rect.center().y())


def click_name(qtbot, window, line, symbol, occurrence=1, modifier=Qt.KeyboardModifier.NoModifier):
    point = point_of(window, line, symbol, occurrence)
    qtbot.mouseClick(window.code.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def drawn_now(window, panel) -> bool:
    """Let the window redraw; whether the panel's lens shows the probe's latest value."""
    window.tick()
    return panel.lens is not None and panel.lens._drawn_version == panel.probe.version


def run_to_end(qtbot, window):
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT_MS, raising=False) as ended:
        qtbot.keyClick(window, Qt.Key.Key_F5)
    window.console.flush()
    assert ended.signal_triggered, f"no end: {window.run_state}; console: {window.console.text}"
    window.tick()  # the last values reach the panels
    return ended.args[0]


def test_open_probe_three_names_run_and_see_the_values(qtbot, make_window, tmp_path):
    script = write(tmp_path, "fir.py", FIR)
    window = make_window()
    assert window.open_script(script)
    click_name(qtbot, window, Y_LINE, "y")
    click_name(qtbot, window, ENERGY_LINE, "energy")
    click_name(qtbot, window, START_LINE, "start")
    click_name(qtbot, window, ENERGY_LINE, "energy", 1, Qt.KeyboardModifier.AltModifier)
    assert [a.symbol for a in window.panels] == ["y", "energy", "start"]
    assert [a.symbol for a in window.watches] == ["energy"]

    ended = run_to_end(qtbot, window)
    assert (ended.outcome, ended.exit_code) == ("finished", 0)
    blocks, energies = fir_energy_truth()
    panels = {anchor.symbol: panel for anchor, panel in window.panels.items()}
    y = panels["y"].probe
    assert y.state is ProbeState.LIVE and y.update_count == 8
    np.testing.assert_allclose(y.latest, blocks[-1], rtol=1e-12)
    for name in ("y", "energy"):  # scroll to each, as a person would, then it is drawn
        window.grid.ensureWidgetVisible(panels[name])
        qtbot.waitUntil(lambda n=name: drawn_now(window, panels[n]), timeout=2000)
    drawn = panels["y"].lens.curves[0].getData()[1]
    np.testing.assert_allclose(drawn, blocks[-1], rtol=1e-12)  # 256 points: drawn as they are
    energy = panels["energy"].probe
    np.testing.assert_allclose(energy.history.values(), energies, rtol=1e-12)
    assert panels["energy"].lens.readout.text() == f"{energies[-1]:.6g}"
    assert list(panels["start"].probe.history.values()) == list(range(0, 2048, 256))

    window.watch_list.refresh()
    row = [window.watch_list.item(0, c).text() for c in range(window.watch_list.columnCount())]
    assert row[0] == f"energy @ {ENERGY_LINE}"
    assert row[1] == f"{energies[-1]:.6g}"
    assert row[7] == "8"
    assert "filtered 2048 samples" in window.console.text


def test_clicking_a_probed_name_again_removes_its_probe(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_script(write(tmp_path, "fir.py", FIR))
    click_name(qtbot, window, Y_LINE, "y")
    assert len(window.panels) == 1
    click_name(qtbot, window, Y_LINE, "y")
    assert window.panels == {}
    assert len(window.store) == 0


def test_modules_and_functions_are_not_clickable(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_script(write(tmp_path, "fir.py", FIR))
    line = 3  # taps = np.hanning(16)
    window.code.go_to_line(line)
    block = window.code.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + block.text().index("np"))
    rect = window.code.cursorRect(cursor)
    qtbot.mouseClick(
        window.code.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QPoint(rect.x() + 2, rect.center().y()),
    )
    assert window.panels == {}


def test_hovering_a_name_outlines_it(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_script(write(tmp_path, "fir.py", FIR))
    point = point_of(window, Y_LINE, "y")
    qtbot.mouseMove(window.code.viewport(), point)
    qtbot.waitUntil(lambda: window.code._hovered is not None, timeout=2000)
    assert window.code._hovered.symbol == "y"
    assert window.code.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor


def test_an_exception_is_shown_with_a_clickable_frame(qtbot, make_window, tmp_path):
    script = write(tmp_path, "crash.py", CRASH)
    window = make_window()
    window.open_script(script)
    ended = run_to_end(qtbot, window)
    assert ended.outcome == "failed"
    window.console.flush()
    text = window.console.text
    assert "ValueError: need an odd tap count, got 16" in text
    document = window.console.document()
    frame_line = next(
        n for n in range(document.blockCount()) if "line 6" in document.findBlockByNumber(n).text()
    )
    block = document.findBlockByNumber(frame_line)
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + block.text().index("File") + 2)
    window.console.setTextCursor(cursor)
    window.console.ensureCursorVisible()
    rect = window.console.cursorRect(cursor)
    window.code.go_to_line(1)
    qtbot.mouseClick(
        window.console.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    assert window.code.textCursor().blockNumber() + 1 == 6


@pytest.mark.timing
def test_stop_ends_the_run_within_two_seconds_and_the_window_stays_responsive(
    qtbot, make_window, tmp_path
):
    window = make_window()
    window.open_script(write(tmp_path, "nco.py", NCO))
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.run_state == "running", timeout=RUN_TIMEOUT_MS)
    ticks = []
    window._timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    with qtbot.waitSignal(window.run_ended, timeout=2000) as ended:
        started = time.monotonic()
        qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
        returned = time.monotonic() - started
    took = time.monotonic() - started
    assert returned < 0.1, f"Stop held the window for {returned:.2f} s"
    assert ended.args[0].outcome == "stopped"
    assert took < 2.0
    # the redraw timer kept ticking while the child was being stopped
    edges = [started, *ticks, started + took]
    assert max(np.diff(edges)) < 0.25, f"no redraw for {max(np.diff(edges)):.2f} s"


def test_probes_and_watches_come_back_from_the_sidecar(qtbot, make_window, tmp_path):
    script = write(tmp_path, "fir.py", FIR)
    first = make_window()
    first.open_script(script)
    click_name(qtbot, first, Y_LINE, "y")
    click_name(qtbot, first, ENERGY_LINE, "energy")
    click_name(qtbot, first, START_LINE, "start", 1, Qt.KeyboardModifier.AltModifier)
    expected = {(a.line, a.col, a.symbol): first.panels[a].probe.color for a in first.panels}
    first.close()
    assert (tmp_path / ".pyprobe" / "fir.py.json").is_file()

    second = make_window()
    second.open_script(script)
    restored = {(a.line, a.col, a.symbol): second.panels[a].probe.color for a in second.panels}
    assert restored == expected
    assert [(a.line, a.symbol) for a in second.watches] == [(START_LINE, "start")]


def test_a_corrupt_sidecar_is_reported_and_set_aside(qtbot, make_window, tmp_path):
    script = write(tmp_path, "fir.py", FIR)
    sidecar = tmp_path / ".pyprobe" / "fir.py.json"
    sidecar.parent.mkdir()
    sidecar.write_text("{not json")
    window = make_window()
    assert window.open_script(script)
    window.console.flush()
    assert "fir.py.json" in window.console.text
    assert not sidecar.exists()
    assert window.panels == {}


def test_every_shortcut_shown_is_registered_and_works(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_script(write(tmp_path, "nco.py", NCO))
    for name, action in window.actions.items():
        shortcut = action.shortcut().toString()
        assert shortcut, f"{name} has no shortcut"
        assert shortcut in action.toolTip(), f"{name}'s tooltip does not show {shortcut}"
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.actions["loop"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not window.actions["loop"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.run_state == "running", timeout=RUN_TIMEOUT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.run_state == "paused" and window.actions["pause"].text() == "Resume"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.run_state == "running"
    with qtbot.waitSignal(window.run_ended, timeout=3000):
        qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    opened = []
    window.choose_script = lambda: opened.append(True)  # the dialog itself is Qt's
    window.actions["open"].triggered.disconnect()
    window.actions["open"].triggered.connect(window.choose_script)
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert opened == [True]


def test_loop_runs_the_script_again_when_it_ends(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_script(write(tmp_path, "fir.py", FIR))
    click_name(qtbot, window, ENERGY_LINE, "energy")
    window.actions["loop"].setChecked(True)
    ends = []
    window.run_ended.connect(ends.append)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: len(ends) >= 2, timeout=RUN_TIMEOUT_MS)
    window.actions["loop"].setChecked(False)
    qtbot.waitUntil(lambda: window.runner is None, timeout=RUN_TIMEOUT_MS)
    assert all(event.outcome == "finished" for event in ends)


def test_an_edit_on_disk_reloads_the_code_and_moves_the_probes(qtbot, make_window, tmp_path):
    script = write(tmp_path, "fir.py", FIR)
    window = make_window()
    window.open_script(script)
    click_name(qtbot, window, Y_LINE, "y")
    script.write_text("# tuned by hand\n" + FIR)
    qtbot.waitUntil(lambda: window.source.startswith("# tuned"), timeout=5000)
    (anchor,) = window.panels
    assert (anchor.line, anchor.symbol) == (Y_LINE + 1, "y")
    script.write_text(FIR.replace("y = np.convolve", "out = np.convolve"))
    qtbot.waitUntil(lambda: window.source.startswith("import"), timeout=5000)
    (probe,) = window.store
    assert probe.state is ProbeState.INVALID


SLOW_ONCE = """\
import time

level = 0.5
time.sleep(3)
"""


def test_a_probe_without_new_values_turns_stale_on_the_panel_and_the_name(
    qtbot, make_window, tmp_path
):
    window = make_window()
    window.open_script(write(tmp_path, "once.py", SLOW_ONCE))
    click_name(qtbot, window, 3, "level")
    (panel,) = window.panels.values()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: panel.probe.state is ProbeState.LIVE, timeout=RUN_TIMEOUT_MS)
    assert "live" in panel.state_label.text()
    qtbot.waitUntil(lambda: panel.probe.state is ProbeState.STALE, timeout=4000)
    window.tick()
    assert "stale" in panel.state_label.text()
    (mark,) = window.code._tints.values()
    assert mark == (panel.probe.color, "stale")


def test_a_missing_tracer_is_installed_with_one_click(qtbot, make_window, tmp_path, monkeypatch):
    from pyprobe.core.python_discovery import Candidate
    from pyprobe.gui import main_window

    installed = []

    def fake_install(python, on_output=None):
        installed.append(python)
        for line in ("Collecting pyprobe-tracer", "Successfully installed pyprobe-tracer-0.1.0"):
            on_output(line)
        return 0

    monkeypatch.setattr(main_window, "install_tracer", fake_install)
    monkeypatch.setattr(main_window.MainWindow, "refresh_interpreters", lambda self: None)
    window = make_window(python=None)
    window.open_script(write(tmp_path, "fir.py", FIR))
    bare = Candidate(
        path="/opt/py/bin/python3",
        source="PATH python3",
        version="3.11.7",
        tracer_version=None,
        usable=True,
        reason="",
    )
    window._show_interpreters([bare])
    assert window.install_action.isVisible()
    assert "no tracer" in window.interpreters.currentText()
    qtbot.mouseClick(window.install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "pyprobe-tracer installed" in window.console.text, timeout=5000)
    assert installed == ["/opt/py/bin/python3"]
    assert "Successfully installed pyprobe-tracer-0.1.0" in window.console.text


COUNTER = """\
import time

for n in range(100_000):
    count = n * 2
    time.sleep(0.002)
"""


def test_pausing_lets_you_scrub_back_through_the_run(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_script(write(tmp_path, "counter.py", COUNTER))
    click_name(qtbot, window, 4, "count")
    (probe,) = window.store
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: probe.update_count >= 50, timeout=RUN_TIMEOUT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.run_state == "paused" and window.scrubber.isVisible()
    assert "history" in window.status_dropped.text()
    latest = probe.latest
    window.scrubber.go_to_index(0)
    assert probe.latest == 0
    window.scrubber.go_to_index(10)
    assert probe.latest == 20 and list(probe.history.values()) == [2 * n for n in range(11)]
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.scrubber.isVisible()
    assert probe.latest >= latest
    with qtbot.waitSignal(window.run_ended, timeout=3000):
        qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert window.scrubber.isVisible(), "after the run, its history stays to scrub through"
