"""``pyprobe --auto-run --auto-quit``: the real window, offscreen, as CI and bug reports use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests._support.dsp import FIR_ENERGY as FIR
from tests._support.dsp import fir_energy_truth

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def pyprobe(*args, cwd, config):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "pyprobe", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


def test_a_headless_run_exports_every_value_and_a_screenshot(tmp_path):
    script = tmp_path / "fir.py"
    script.write_text(FIR)
    out, shot = tmp_path / "out", tmp_path / "shots" / "fir.png"
    result = pyprobe(  # socket mode, the default
        "--python",
        sys.executable,
        "--auto-run",
        "--auto-quit",
        "--probe",
        "10:y",
        "--probe",
        "12:energy",
        "--probe",
        "12:energy:2",
        "--export",
        out,
        "--screenshot",
        shot,
        script,
        cwd=tmp_path,
        config=tmp_path / "config",
    )
    assert result.returncode == 0, result.stderr
    filtered, energies = fir_energy_truth()
    np.testing.assert_allclose(np.load(out / "10_y.npy"), filtered, rtol=1e-12)
    np.testing.assert_allclose(np.load(out / "12_energy.npy"), energies, rtol=1e-12)
    before = np.load(out / "12_energy_2.npy")  # the energy read on the right-hand side
    np.testing.assert_allclose(before, np.concatenate([[0.0], energies[:-1]]), rtol=1e-12)
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["exit_code"], summary["outcome"]) == (0, "finished")
    assert [(p["spec"], p["count"]) for p in summary["probes"]] == [
        ("10:y:1", 8),
        ("12:energy:1", 8),
        ("12:energy:2", 8),
    ]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    assert not (tmp_path / ".pyprobe").exists(), "a headless run must not write the sidecar"


def test_a_failing_script_gives_its_exit_code_and_its_traceback(tmp_path):
    script = tmp_path / "crash.py"
    script.write_text(
        textwrap.dedent("""\
        x = 1
        raise SystemExit(3)
    """)
    )
    result = pyprobe(
        "--socket-ipc",
        "--python",
        sys.executable,
        "--auto-run",
        "--auto-quit",
        script,
        cwd=tmp_path,
        config=tmp_path / "config",
    )
    assert result.returncode == 3
    assert "exited with code 3" in result.stderr


def test_a_probe_that_is_not_there_is_a_usage_error_naming_what_is(tmp_path):
    script = tmp_path / "fir.py"
    script.write_text(FIR)
    result = pyprobe(
        "--auto-run",
        "--auto-quit",
        "--probe",
        "10:nope",
        script,
        cwd=tmp_path,
        config=tmp_path / "config",
    )
    assert result.returncode == 2
    assert "10:nope" in result.stderr and "y" in result.stderr


def test_help_explains_the_headless_options(tmp_path):
    result = pyprobe("--help", cwd=tmp_path, config=tmp_path / "config")
    assert result.returncode == 0
    for option in ("--auto-run", "--auto-quit", "--probe", "--export", "--screenshot"):
        assert option in result.stdout


def test_a_run_that_cannot_start_ends_at_once_with_its_reason(tmp_path):
    # Legacy mode where pyprobe_tracer cannot be imported (as in the frozen binary):
    # the run never starts, so no end would ever come; the headless run must not wait
    # for --timeout but say why and exit 1.
    script = tmp_path / "fir.py"
    script.write_text(FIR)
    hide_tracer = (
        "import sys; sys.modules['pyprobe_tracer'] = None; from pyprobe.app import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "c")}
    command = [sys.executable, "-c", hide_tracer, "--legacy-ipc", "--auto-run", "--auto-quit"]
    result = subprocess.run(
        [*command, "--timeout", "60", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "Legacy mode (--legacy-ipc) is not available" in result.stderr
    assert "did not end within" not in result.stderr
