"""The frozen GUI binary leaves pyprobe_tracer out, so legacy mode says it is unavailable.

The binary itself is built and checked by tests/packaging/test_tracer_package.py; these
tests check, in this interpreter, what the binary does when legacy mode is asked for
without pyprobe_tracer: a clear error before any child process starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pyprobe import _freeze
from pyprobe.gui.script_runner import ScriptRunner
from pyprobe.ipc.legacy_channel import IPCChannel, LegacyIPCUnavailable


@pytest.fixture
def no_tracer(monkeypatch):
    """pyprobe_tracer cannot be imported, as in the frozen binary."""
    monkeypatch.setitem(sys.modules, "pyprobe_tracer", None)


def test_legacy_channel_without_tracer_says_socket_mode(no_tracer):
    with pytest.raises(LegacyIPCUnavailable) as raised:
        IPCChannel()
    message = str(raised.value)
    assert "--legacy-ipc" in message
    assert "--socket-ipc" in message
    assert "pip install pyprobe-tracer" in message
    assert sys.executable in message


def test_legacy_channel_in_the_binary_names_the_binary(no_tracer, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(LegacyIPCUnavailable, match="binary is built without pyprobe_tracer"):
        IPCChannel()


def test_legacy_runner_without_tracer_starts_nothing(no_tracer, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("x = 1\n")
    runner = ScriptRunner(script, legacy_ipc=True)
    # A RuntimeError, as ScriptRunner.start() documents: the window shows it in its console.
    with pytest.raises(RuntimeError, match="Legacy mode"):
        runner.start()
    assert runner.process is None
    assert runner.poll_events() == []


def test_freeze_lists_leave_the_tracer_out_and_keep_the_socket_path():
    assert "pyprobe_tracer" in _freeze.EXCLUDES
    assert {
        "pyprobe_wire",
        "pyprobe_transport",
        "pyprobe.ipc.socket_channel",
        "pyprobe.ipc.handshake",
    } <= set(_freeze.HIDDEN_IMPORTS)
    excluded = [
        name
        for name in _freeze.HIDDEN_IMPORTS
        for top in _freeze.EXCLUDES
        if name == top or name.startswith(top + ".")
    ]
    assert excluded == []
    # the spec builds from these lists, not from copies of them
    spec = (Path(__file__).resolve().parents[2] / "packages/gui/pyprobe.spec").read_text()
    assert "hiddenimports=list(_freeze.HIDDEN_IMPORTS)" in spec
    assert "excludes=list(_freeze.EXCLUDES)" in spec
