"""Opening a recording (`pyprobe view run.ppr`, File > Open recording) and scrubbing it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import Qt

from pyprobe.gui.main_window import MainWindow
from tests._support.dsp import FIR_ENERGY, fir_energy_truth
from tests._support.fake_gui import run_tracer

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recording")
    script = folder / "fir.py"
    # the loop's last line, then a print; the pause keeps each print in its own flush
    # (the tracer sends a flush's text before its captures)
    in_loop = '    print("block", start // 256)\n    __import__("time").sleep(0.05)\n'
    script.write_text(FIR_ENERGY.replace('print("filtered"', in_loop + 'print("filtered"'))
    path = folder / "run.ppr"
    result = run_tracer("--probe", "10:y", "--probe", "12:energy", "--record", path, script)
    assert result.returncode == 0, result.stderr
    return (path, *fir_energy_truth())


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    window = MainWindow(save_state=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def probe_named(window, symbol):
    return next(p for p in window.store if p.anchor.symbol == symbol)


def test_a_recording_gets_a_panel_per_probe_and_scrubs_in_order(qtbot, window, recording):
    path, blocks, energies = recording
    assert window.open_recording(path)
    assert sorted(a.symbol for a in window.panels) == ["energy", "y"]
    assert not window.actions["run"].isEnabled()
    positions = window.scrubber.positions
    assert len(positions) == 16  # 8 blocks x (y, energy)
    y, energy = probe_named(window, "y"), probe_named(window, "energy")
    for index in range(16):
        window.scrubber.go_to_index(index)
        block = index // 2  # y of block k comes right before its energy
        np.testing.assert_allclose(y.latest, blocks[block], rtol=1e-12)
        if index % 2:
            np.testing.assert_allclose(energy.history.values(), energies[: block + 1])
            assert energy.update_count == block + 1
    window.scrubber.go_to_index(0)
    assert energy.latest is None and y.update_count == 1


def test_the_console_shows_what_was_printed_up_to_the_position(window, recording):
    path, _, _ = recording
    window.open_recording(path)
    window.scrubber.go_to_index(15)
    window.console.flush()
    assert "block 7" in window.console.text
    window.scrubber.go_to_index(0)
    window.console.flush()
    assert "block 7" not in window.console.text


def test_step_and_play(qtbot, window, recording):
    path, _, _ = recording
    window.open_recording(path)
    window.scrubber.go_to_index(0)
    qtbot.mouseClick(window.scrubber.forward, Qt.MouseButton.LeftButton)
    assert window.scrubber.slider.value() == 1
    window.scrubber.play.setChecked(True)
    qtbot.waitUntil(lambda: not window.scrubber.play.isChecked(), timeout=5000)
    assert window.scrubber.slider.value() == 15


def test_a_file_that_is_no_recording_is_reported_not_raised(window, tmp_path):
    bogus = tmp_path / "notes.ppr"
    bogus.write_text("not a recording")
    assert not window.open_recording(bogus)
    window.console.flush()
    assert "notes.ppr" in window.console.text


def test_pyprobe_view_takes_a_screenshot_at_a_position(recording, tmp_path):
    path, _, _ = recording
    shot = tmp_path / "view.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "pyprobe", "view", str(path), "--at", "5"]
    result = subprocess.run(
        [*command, "--screenshot", str(shot)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert shot.read_bytes()[:4] == b"\x89PNG"
    missing = subprocess.run(
        [sys.executable, "-m", "pyprobe", "view", str(tmp_path / "nope.ppr")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 2 and "nope.ppr" in missing.stderr
