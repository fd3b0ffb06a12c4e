"""M5: ScriptRunner launches the tracer with Popen and talks to it over the socket.

The scripts are small DSP programs (a block FIR filter, a free-running NCO); the
probed values are compared with the same computation done here in numpy.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pyprobe.gui.message_handler import MessageHandler
from pyprobe.gui.script_runner import RunEventKind, ScriptRunner
from pyprobe.ipc.legacy_channel import IPCChannel
from pyprobe.ipc.socket_channel import SocketIPCChannel
from pyprobe_tracer.engine.anchor import resolve_probes
from pyprobe_wire import MessageType
from tests._support.fake_gui import probe_values

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0

FIR_SCRIPT = """\
import numpy as np

taps = np.hanning(16)
taps /= taps.sum()
signal = np.random.default_rng(3).standard_normal(2048)
state = np.zeros(15)
for start in range(0, 2048, 256):
    padded = np.concatenate([state, signal[start:start + 256]])
    y = np.convolve(padded, taps, mode="valid")
    state = padded[-15:]
print("filtered", len(signal), "samples")
"""
FIR_LINE = 9  # y = ...

NCO_SCRIPT = """\
import math
import time

phase = 0.0
step = 2 * math.pi * 0.01
for n in range(100_000_000):
    phase = (phase + step) % (2 * math.pi)
    sample = math.cos(phase)
    count = n + 1
    time.sleep(0.0005)
"""
NCO_LINE = 9  # count = ...


def fir_truth() -> list[np.ndarray]:
    taps = np.hanning(16)
    taps /= taps.sum()
    signal = np.random.default_rng(3).standard_normal(2048)
    filtered = np.convolve(signal, taps)[:2048]
    return [filtered[start : start + 256] for start in range(0, 2048, 256)]


def write(tmp_path: Path, name: str, source: str) -> Path:
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    return script


def anchor(script: Path, line: int, symbol: str):
    (found,) = resolve_probes(script, [f"{line}:{symbol}"])
    return found


class Collector:
    """Subscribes to a runner's handler and keeps every message and event."""

    def __init__(self, runner: ScriptRunner):
        self.handler = MessageHandler(runner)
        self.messages = []
        self.events = []
        self.handler.subscribe(self.messages.append)
        self.handler.on_event(self.events.append)

    def until(self, predicate, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                kinds = [e.kind.name for e in self.events]
                raise AssertionError(f"timed out; events so far: {kinds}")
            self.handler.poll()
            time.sleep(0.005)

    def ended(self) -> bool:
        return any(e.kind is RunEventKind.ENDED for e in self.events)

    def has(self, msg_type: MessageType) -> bool:
        return any(m.msg_type is msg_type for m in self.messages)

    def of_kind(self, kind: RunEventKind):
        return [e for e in self.events if e.kind is kind]


@pytest.fixture
def runners():
    started = []

    def make(*args, **kwargs) -> ScriptRunner:
        kwargs.setdefault("python", sys.executable)
        kwargs.setdefault("legacy_ipc", False)
        runner = ScriptRunner(*args, **kwargs)
        started.append(runner)
        return runner

    yield make
    for runner in started:
        runner.stop()


def is_reaped(pid: int) -> bool:
    """True when ``pid`` is no child of ours any more (reaped, so no zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_start_launches_subprocess(tmp_path, runners):
    script = write(tmp_path, "nco.py", NCO_SCRIPT)
    runner = runners(script)
    runner.start()
    assert isinstance(runner.process, subprocess.Popen)
    assert not isinstance(runner.process, multiprocessing.process.BaseProcess)
    assert runner.pid == runner.process.pid
    assert runner.pid != os.getpid()
    assert runner.process.poll() is None
    command = runner.process.args
    assert command[:4] == [sys.executable, "-m", "pyprobe_tracer", "--socket"]
    assert command[-1] == str(script)
    assert os.getpgid(runner.pid) == runner.pid  # its own process group


def test_start_tracer_connects(tmp_path, runners):
    script = write(tmp_path, "nco.py", NCO_SCRIPT)
    runner = runners(script)
    runner.start()
    assert runner.wait_connected(TIMEOUT)
    assert isinstance(runner.channel, SocketIPCChannel)
    assert runner.channel.connected
    assert runner.channel.peer["pid"] == runner.pid
    collector = Collector(runner)
    collector.until(lambda: collector.has(MessageType.DATA_SCRIPT_START))
    (connected,) = collector.of_kind(RunEventKind.CONNECTED)
    assert connected.peer["pid"] == runner.pid


def test_stop_terminates_subprocess(tmp_path, runners):
    script = write(tmp_path, "nco.py", NCO_SCRIPT)
    runner = runners(script)
    runner.start()
    assert runner.wait_connected(TIMEOUT)
    started = time.monotonic()
    runner.stop()
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"stop() took {elapsed:.2f} s"
    assert runner.process.returncode is not None


def test_stop_cleanup_no_leak(tmp_path, runners):
    script = write(tmp_path, "nco.py", NCO_SCRIPT)
    threads_before = set(threading.enumerate())
    runner = runners(script)
    runner.start()
    assert runner.wait_connected(TIMEOUT)
    address = runner.channel.address
    runner.stop()
    assert is_reaped(runner.pid)
    assert not os.path.exists(f"/proc/{runner.pid}")
    assert runner.channel.closed
    if address.startswith("unix:"):
        path = address.removeprefix("unix:")
        assert not os.path.exists(path)
        assert not os.path.exists(os.path.dirname(path))
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leftover == []
    collector = Collector(runner)
    collector.handler.poll()
    (ended,) = collector.of_kind(RunEventKind.ENDED)
    assert ended.outcome == "stopped"


def test_legacy_mode_still_works(tmp_path, runners):
    script = write(tmp_path, "fir.py", FIR_SCRIPT)
    runner = runners(script, legacy_ipc=True, probes=[anchor(script, FIR_LINE, "y")])
    runner.start()
    assert isinstance(runner.process, multiprocessing.process.BaseProcess)
    assert isinstance(runner.channel, IPCChannel)
    collector = Collector(runner)
    collector.until(collector.ended)
    blocks = probe_values(collector.messages, "y")
    truth = fir_truth()
    assert len(blocks) == len(truth)
    for got, expected in zip(blocks, truth, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    stdout = "".join(
        m.payload["text"] for m in collector.messages if m.msg_type is MessageType.DATA_STDOUT
    )
    assert "filtered 2048 samples" in stdout
    (ended,) = collector.of_kind(RunEventKind.ENDED)
    assert (ended.outcome, ended.exit_code) == ("finished", 0)
    runner.stop()
    assert runner.process.exitcode == 0


def test_probe_commands_reach_tracer(tmp_path, runners):
    script = write(tmp_path, "nco.py", NCO_SCRIPT)
    runner = runners(script)
    runner.start()
    collector = Collector(runner)
    collector.until(lambda: collector.has(MessageType.DATA_SCRIPT_START))
    assert probe_values(collector.messages, "count") == []
    runner.add_probe(anchor(script, NCO_LINE, "count"))
    collector.until(lambda: len(probe_values(collector.messages, "count")) >= 20)
    counts = probe_values(collector.messages, "count")
    # added while running: capture starts mid-loop, then every iteration arrives
    assert counts[0] > 1
    assert np.all(np.diff(counts) == 1)
    runner.stop()


# ----------------------------------------------------------------- beyond the seed


def test_a_script_that_finishes_is_reported_once_after_its_data(tmp_path, runners):
    script = write(tmp_path, "fir.py", FIR_SCRIPT)
    runner = runners(script, probes=[anchor(script, FIR_LINE, "y")])
    runner.start()
    collector = Collector(runner)
    collector.until(collector.ended)
    assert collector.has(MessageType.DATA_SCRIPT_END), "ENDED came before the run's last data"
    assert len(probe_values(collector.messages, "y")) == 8
    time.sleep(0.2)
    collector.handler.poll()
    (ended,) = collector.of_kind(RunEventKind.ENDED)
    assert (ended.outcome, ended.exit_code) == ("finished", 0)
    assert not runner.running
    assert is_reaped(runner.pid)


def test_a_crashing_script_is_an_event_not_an_exception(tmp_path, runners):
    script = write(tmp_path, "crash.py", "x = 1\nraise ValueError('bad tap count')\n")
    runner = runners(script)
    runner.start()
    collector = Collector(runner)
    collector.until(collector.ended)
    (exception,) = [m for m in collector.messages if m.msg_type is MessageType.DATA_EXCEPTION]
    assert "bad tap count" in exception.payload["message"]
    (ended,) = collector.of_kind(RunEventKind.ENDED)
    assert ended.outcome == "failed"
    assert ended.exit_code == 1


def test_a_tracer_killed_from_outside_is_reported_once(tmp_path, runners):
    script = write(tmp_path, "nco.py", NCO_SCRIPT)
    runner = runners(script)
    runner.start()
    assert runner.wait_connected(TIMEOUT)
    os.kill(runner.pid, 9)
    collector = Collector(runner)
    collector.until(collector.ended)
    (ended,) = collector.of_kind(RunEventKind.ENDED)
    assert ended.outcome == "killed"
    assert "SIGKILL" in ended.message
    runner.stop()  # nothing left to stop: no error
    collector.handler.poll()
    assert len(collector.of_kind(RunEventKind.ENDED)) == 1


def test_an_interpreter_without_the_tracer_is_reported_with_the_fix(tmp_path, runners):
    bare = tmp_path / "bare-python"
    bare.write_text('#!/bin/sh\necho "$0: No module named pyprobe_tracer" >&2\nexit 1\n')
    bare.chmod(0o755)
    script = write(tmp_path, "fir.py", FIR_SCRIPT)
    runner = runners(script, python=str(bare))
    started = time.monotonic()
    runner.start()
    collector = Collector(runner)
    collector.until(collector.ended, timeout=5.0)
    assert time.monotonic() - started < 5.0
    (failed,) = collector.of_kind(RunEventKind.NO_CONNECTION)
    assert "No module named pyprobe_tracer" in failed.message
    assert f"{bare} -m pip install pyprobe-tracer" in failed.message
    assert runner.channel.closed


def test_a_tracer_that_never_connects_is_given_up_on_within_the_timeout(tmp_path, runners):
    silent = tmp_path / "silent-python"
    silent.write_text("#!/bin/sh\nexec sleep 30\n")
    silent.chmod(0o755)
    script = write(tmp_path, "fir.py", FIR_SCRIPT)
    runner = runners(script, python=str(silent), connect_timeout=1.0)
    runner.start()
    collector = Collector(runner)
    collector.until(collector.ended, timeout=4.0)
    (failed,) = collector.of_kind(RunEventKind.NO_CONNECTION)
    assert "1 s" in failed.message
    assert is_reaped(runner.pid)


def test_two_runners_at_once_do_not_mix(tmp_path, runners):
    fir = write(tmp_path, "fir.py", FIR_SCRIPT)
    other = write(tmp_path, "ramp.py", "for k in range(50):\n    ramp = k * 0.5\n")
    first = runners(fir, probes=[anchor(fir, FIR_LINE, "y")])
    second = runners(other, probes=[anchor(other, 2, "ramp")])
    first.start()
    second.start()
    a, b = Collector(first), Collector(second)
    a.until(a.ended)
    b.until(b.ended)
    assert probe_values(a.messages, "ramp") == []
    assert probe_values(b.messages, "y") == []
    assert probe_values(b.messages, "ramp") == [k * 0.5 for k in range(50)]
    assert len(probe_values(a.messages, "y")) == 8
    assert first.channel.address != second.channel.address


def test_the_runner_cannot_start_twice(tmp_path, runners):
    script = write(tmp_path, "nco.py", NCO_SCRIPT)
    runner = runners(script)
    runner.start()
    with pytest.raises(RuntimeError, match="already"):
        runner.start()


def test_without_an_interpreter_the_runner_asks_discovery(tmp_path, runners, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)  # an activated venv that has the tracer
    script = write(tmp_path, "fir.py", FIR_SCRIPT)
    runner = runners(script, python=None, probes=[anchor(script, FIR_LINE, "y")])
    runner.start()
    assert runner.python == os.path.join(sys.prefix, "bin", "python")
    assert runner.process.args[0] == runner.python
    collector = Collector(runner)
    collector.until(collector.ended)
    assert len(probe_values(collector.messages, "y")) == 8


def test_socket_is_the_default_mode_once_m8_has_passed(tmp_path):
    # the rearchitecture's migration table: M8 proved the socket path, so it is the
    # default; the old multiprocessing path stays behind legacy_ipc=True / --legacy-ipc
    assert ScriptRunner(write(tmp_path, "fir.py", FIR_SCRIPT)).legacy_ipc is False
    assert ScriptRunner(tmp_path / "fir.py", legacy_ipc=True).legacy_ipc is True


def test_a_missing_script_is_refused_before_anything_starts(tmp_path, runners):
    runner = runners(tmp_path / "nope.py")
    with pytest.raises(FileNotFoundError, match=r"nope\.py"):
        runner.start()
    assert runner.process is None


TOKEN_PEEK_SCRIPT = """\
import os
import subprocess
import sys

print("environ:", open("/proc/self/environ", "rb").read())
for fd in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        print("fd:", fd, os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        print("fd:", fd)
child = "print('child environ:', open('/proc/self/environ', 'rb').read())"
subprocess.run([sys.executable, "-c", child], check=True)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_session_token_reaches_the_tracer_through_a_pipe_closed_before_the_script_runs(
    tmp_path, runners
):
    script = write(tmp_path, "peek.py", TOKEN_PEEK_SCRIPT)
    runner = runners(script)
    runner.start()
    assert runner.wait_connected(TIMEOUT)  # the tracer presented the right token
    token = runner.channel.token
    command = runner.process.args
    token_fd = command[command.index("--token-fd") + 1]
    collector = Collector(runner)
    collector.until(collector.ended)

    lines = [e.message for e in collector.of_kind(RunEventKind.OUTPUT) if e.stream == "stdout"]
    assert any(line.startswith("environ:") for line in lines), lines
    assert any(line.startswith("child environ:") for line in lines), lines
    fds = [line.split()[1] for line in lines if line.startswith("fd:")]
    assert fds and token_fd not in fds  # closed at start-up, before the script ran
    assert not any(token in line for line in lines)
    assert not any("PYPROBE_SESSION_TOKEN" in line for line in lines)
    assert "PYPROBE_SESSION_TOKEN" not in str(runner.process.args)
    assert token not in str(runner.process.args)
