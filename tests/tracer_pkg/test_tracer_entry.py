"""M2: the pyprobe_tracer command line (seed plan, M2 table)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest


def run_tracer(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyprobe_tracer", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
    )


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "hello.py"
    path.write_text("x = 42\n")
    return path


def test_module_is_runnable():
    result = run_tracer("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")
    assert "--socket" in result.stdout
    assert "HOST:PORT" in result.stdout and "unix:PATH" in result.stdout
    assert "script" in result.stdout


def test_missing_script_arg():
    result = run_tracer("--socket", "127.0.0.1:5555")
    assert result.returncode == 2
    assert "the following arguments are required: script" in result.stderr
    assert result.stderr.startswith("usage:")


def test_missing_socket_arg(script):
    # Without --socket the tracer can still run headless with --record; with neither
    # it has nowhere to send anything: a usage error naming both.
    result = run_tracer(str(script))
    assert result.returncode == 2
    assert result.stderr.startswith("usage:")
    error = result.stderr.splitlines()[-1]
    assert error.startswith("python -m pyprobe_tracer: error:")
    assert "--socket ADDR" in error
    assert "--record FILE" in error


def test_version_flag():
    import pyprobe_tracer

    result = run_tracer("--version")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"pyprobe-tracer \d+\.\d+\.\d+ \(Python \d+\.\d+\.\d+\)\n", result.stdout)
    assert pyprobe_tracer.__version__ in result.stdout


def test_nonexistent_script(tmp_path):
    missing = tmp_path / "no_such_script.py"
    result = run_tracer("--socket", "127.0.0.1:5555", str(missing))
    assert result.returncode == 1
    assert f"File not found: {missing}" in result.stderr


def test_tracer_importable():
    import pyprobe_tracer

    assert isinstance(pyprobe_tracer.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+", pyprobe_tracer.__version__)
    from importlib.metadata import version

    assert version("pyprobe-tracer") == pyprobe_tracer.__version__
