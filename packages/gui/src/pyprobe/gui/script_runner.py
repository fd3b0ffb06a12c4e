"""ScriptRunner: one run of the user's script under the tracer, from start() to stop().

Socket mode: listen first, then start
``<python> -m pyprobe_tracer --socket ADDR script args...`` with ``subprocess.Popen``
in a process group of its own, with a fresh session token in a pipe it inherits
(``--token-fd N``: read and closed by the tracer at start-up, never in its environment).
A connector thread accepts the tracer and shakes hands; the probes asked for so
far and CMD_START go out first thing. Legacy mode (``legacy_ipc=True``): the
tracer's engine runs in a ``multiprocessing`` child of this interpreter, over
queues (``pyprobe.ipc.legacy_channel``).

Nothing here blocks the caller for long, and nothing the child does raises in
the caller: what happens to the run arrives as ``RunEvent``s from
``poll_events()``. ENDED comes exactly once per run, after every message of the
run was queued. ``stop()`` ends the child and everything in its process group
within 2 s, reaps it, and removes the socket file and its private directory.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import logging
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyprobe_transport import ConnectionClosed
from pyprobe_wire import Message, MessageType, ProbeAnchor

from ..core.python_discovery import PythonDiscovery, tracer_install_command
from ..exceptions import PyProbeError, TracerNotInstalledError
from ..ipc.channel import Channel
from ..ipc.handshake import HANDSHAKE_TIMEOUT, TOKEN_ENV_VAR, HandshakeResult
from ..ipc.legacy_channel import IPCChannel
from ..ipc.socket_channel import SocketIPCChannel

log = logging.getLogger(__name__)

#: The mode used when ScriptRunner is not told (the ``use_legacy_ipc`` setting's
#: default). Socket mode since M8 proved it end to end (the rearchitecture's
#: migration table); the old multiprocessing path stays behind ``legacy_ipc=True``.
DEFAULT_LEGACY_IPC = False

#: After CMD_STOP, how long the tracer gets to end the run itself (it needs 0.6 s at
#: most), before SIGTERM and then SIGKILL to its process group.
STOP_GRACE = 1.0
_TERM_GRACE = 0.4
_DRAIN_TIMEOUT = 1.0  # after the child exits: its last frames reach the queue
_OUTPUT_TAIL_LINES = 20


class RunEventKind(enum.Enum):
    """What happened to a run."""

    CONNECTED = "connected"
    """The tracer connected and was accepted; ``peer`` is what it said about itself."""

    REFUSED = "refused"
    """The tracer connected but is incompatible; ``message`` says what to upgrade."""

    NO_CONNECTION = "no_connection"
    """The tracer never connected (wrong interpreter, tracer not installed, hung);
    ``message`` says what happened and what to do."""

    OUTPUT = "output"
    """A line the tracer process printed on its own stdout or stderr (``stream``): its
    start-up errors, the output of processes the script started, and, once connected,
    a copy of what the script prints, which also arrives as DATA_STDOUT / DATA_STDERR
    (the tracer tees it so that a headless run still prints)."""

    ENDED = "ended"
    """The run is over, reported once, after all its messages: ``outcome`` is
    "finished" (exit code 0), "failed" (another exit code, or it never ran),
    "stopped" (by stop()) or "killed" (by a signal from outside)."""


@dataclass(frozen=True)
class RunEvent:
    kind: RunEventKind
    message: str = ""
    outcome: str | None = None
    exit_code: int | None = None
    stream: str | None = None
    peer: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}))


class ScriptRunner:
    """Runs ``script`` once, in ``python`` under the tracer (default: the interpreter
    ``PythonDiscovery.discover`` finds for the script: its venv, then python3 on PATH...).

    ``legacy_ipc`` picks the mode: False for the tracer subprocess over a socket, True
    for the legacy multiprocessing child, None for ``DEFAULT_LEGACY_IPC``.

    ``probes`` are ProbeAnchors captured from the start; add or remove more while the
    script runs with ``add_probe`` / ``remove_probe``. ``unix`` picks the socket
    (default: a Unix socket where the platform has them, else TCP on loopback).
    ``connect_timeout`` bounds the wait for the tracer to connect. The script runs in
    ``cwd`` (default: its own directory) with ``env`` (default: this environment).
    """

    def __init__(
        self,
        script: str | os.PathLike[str],
        args: Sequence[str] = (),
        *,
        python: str | None = None,
        legacy_ipc: bool | None = None,
        probes: Iterable[ProbeAnchor] = (),
        unix: bool | None = None,
        connect_timeout: float = HANDSHAKE_TIMEOUT,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.script = Path(script).absolute()
        self.args = list(args)
        self.python = python
        self.legacy_ipc = DEFAULT_LEGACY_IPC if legacy_ipc is None else legacy_ipc
        self.probes = list(probes)
        self.connect_timeout = connect_timeout
        self.cwd = Path(cwd) if cwd is not None else self.script.parent
        self._unix = unix
        self._env = dict(os.environ if env is None else env)
        self._channel: SocketIPCChannel | IPCChannel | None = None
        self.process: subprocess.Popen | Any = None
        self._events: queue.SimpleQueue[RunEvent] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._exited = threading.Event()
        self._stop_requested = False
        self._gave_up = ""  # why the runner ended a tracer that never connected
        self._threads: list[threading.Thread] = []
        self._readers: list[threading.Thread] = []
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=_OUTPUT_TAIL_LINES)

    # --- starting -------------------------------------------------------------------

    def start(self) -> None:
        """Launch the run and return at once; follow it with ``poll_events()``.

        Raises FileNotFoundError when the script does not exist, RuntimeError when this
        runner was started before (make a new one for another run). Everything that goes
        wrong after that, including an interpreter that cannot be started, is an event.
        """
        with self._lock:
            if self.process is not None or self._channel is not None:
                raise RuntimeError("this runner was already started; make a new ScriptRunner")
            if not self.script.is_file():
                raise FileNotFoundError(f"script not found: {self.script}")
            if self.legacy_ipc:
                self.python = sys.executable  # the engine runs in a child of this interpreter
                self._start_legacy()
            else:
                self._start_subprocess()

    def _queue_start_commands(self, channel: Channel) -> None:
        for anchor in self.probes:
            channel.send_command(_add_probe(anchor))
        channel.send_command(Message(MessageType.CMD_START))

    def _start_subprocess(self) -> None:
        if self.python is None:
            try:
                self.python = PythonDiscovery.discover(self.script)
            except PyProbeError as exc:
                self._fail_to_start(str(exc), "no Python interpreter found")
                return
        channel = SocketIPCChannel(unix=self._unix)
        self._channel = channel
        self._queue_start_commands(channel)
        token_fd = None
        try:
            # The token goes through a pipe, not the environment: /proc/PID/environ would
            # show it to the script and its children for as long as they run.
            token_fd = _token_pipe(channel.token)
            command = [self.python, "-m", "pyprobe_tracer", "--socket", channel.address]
            command += ["--token-fd", str(token_fd), str(self.script), *self.args]
            env = {k: v for k, v in self._env.items() if k != TOKEN_ENV_VAR}
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=(token_fd,),
            )
        except OSError as exc:
            channel.cleanup()
            self._fail_to_start(
                f"Cannot start the interpreter {self.python}: {exc}. Choose a Python 3.10+ "
                f"interpreter with pyprobe-tracer installed.",
                f"{self.python} could not be started",
            )
            return
        finally:
            if token_fd is not None:
                os.close(token_fd)  # the child holds its own copy
        self._readers = [
            self._spawn(self._read_output, self.process.stdout, "stdout"),
            self._spawn(self._read_output, self.process.stderr, "stderr"),
        ]
        connector = self._spawn(self._connect)
        self._spawn(self._watch, connector)

    def _fail_to_start(self, why: str, ended: str) -> None:
        self._emit(RunEventKind.NO_CONNECTION, why)
        self._emit(RunEventKind.ENDED, ended, outcome="failed")
        self._exited.set()

    def _start_legacy(self) -> None:
        channel = IPCChannel()
        self._channel = channel
        self._queue_start_commands(channel)
        self.process = channel.start_process(self.script, self.args, cwd=self.cwd)
        self._connected.set()
        self._emit(RunEventKind.CONNECTED, peer={"pid": self.process.pid, "legacy": True})
        self._spawn(self._watch, None)

    def _spawn(self, target, *args) -> threading.Thread:
        thread = threading.Thread(
            target=target, args=args, name=f"pyprobe-runner-{target.__name__}", daemon=True
        )
        self._threads.append(thread)
        thread.start()
        return thread

    # --- the run's threads ----------------------------------------------------------

    def _connect(self) -> None:
        channel = self._channel
        outcome = channel.accept(self.connect_timeout, keep_waiting=self._child_alive)
        if outcome.ok:
            self._connected.set()
            self._emit(RunEventKind.CONNECTED, peer=outcome.peer)
            return
        if outcome.result is HandshakeResult.INCOMPATIBLE:
            self._emit(RunEventKind.REFUSED, outcome.message)
            return  # the refused tracer exits by itself
        if self._child_alive() and not self._stop_requested:
            self._gave_up = (
                f"The tracer started with {self.python} did not connect within "
                f"{self.connect_timeout:g} s, so it was ended."
            )
            self._signal_group(signal.SIGKILL)
        channel.cleanup()

    def _child_alive(self) -> bool:
        return not self._exited.is_set()

    def _read_output(self, pipe, stream: str) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if stream == "stderr":
                    self._stderr_tail.append(line)
                self._emit(RunEventKind.OUTPUT, line, stream=stream)

    def _watch(self, connector: threading.Thread | None) -> None:
        process = self.process
        if isinstance(process, subprocess.Popen):
            exit_code = process.wait()
        else:
            process.join()
            exit_code = process.exitcode
        self._exited.set()
        if connector is not None:
            connector.join()
        for reader in self._readers:  # the pipes are at EOF unless a grandchild holds them
            reader.join(_DRAIN_TIMEOUT)
        channel = self._channel
        if isinstance(channel, SocketIPCChannel) and self._connected.is_set():
            channel.wait_disconnected(_DRAIN_TIMEOUT)
        if not self._connected.is_set() and not self._stop_requested:
            self._emit(RunEventKind.NO_CONNECTION, self._never_connected(exit_code))
        self._emit(RunEventKind.ENDED, **self._ending(exit_code))

    def _never_connected(self, exit_code: int) -> str:
        said = "\n".join(self._stderr_tail).strip()
        reason = self._gave_up or (
            f"The tracer started with {self.python} exited with code {exit_code} before connecting."
        )
        if said:
            reason += f"\nIt said:\n{said}"
        command = tracer_install_command(self.python)
        if "No module named pyprobe_tracer" in said:
            return f"{reason}\n{TracerNotInstalledError(self.python, command)}"
        return (
            f"{reason}\nCheck that {self.python} is Python 3.10 or newer with pyprobe-tracer "
            f"installed (to install it: {shlex.join(command)})."
        )

    def _ending(self, exit_code: int) -> dict[str, Any]:
        if self._stop_requested:
            return {"outcome": "stopped", "exit_code": exit_code, "message": "stopped"}
        if exit_code < 0 and not self._gave_up:
            name = signal.Signals(-exit_code).name
            return {
                "outcome": "killed",
                "exit_code": exit_code,
                "message": f"the tracer process was killed by {name}",
            }
        if exit_code == 0 and self._connected.is_set():
            return {"outcome": "finished", "exit_code": 0, "message": "the script finished"}
        return {
            "outcome": "failed",
            "exit_code": exit_code,
            "message": f"the tracer exited with code {exit_code}",
        }

    def _emit(self, kind: RunEventKind, message: str = "", **fields: Any) -> None:
        if "peer" in fields:
            fields["peer"] = types.MappingProxyType(dict(fields["peer"]))
        self._events.put(RunEvent(kind, message, **fields))

    # --- talking to the tracer ------------------------------------------------------

    def send_command(self, message: Message) -> bool:
        """Send a CMD_* message to the tracer (queued until it connects). False when the
        run is over and the command went nowhere."""
        channel = self._channel
        if channel is None:
            raise RuntimeError("start() the runner before sending it commands")
        try:
            channel.send_command(message)
        except (ConnectionClosed, OSError):
            return False
        return True

    def add_probe(self, anchor: ProbeAnchor, mode: str = "all") -> bool:
        """Start capturing ``anchor`` (CMD_ADD_PROBE); see send_command for the result."""
        return self.send_command(_add_probe(anchor, mode))

    def remove_probe(self, anchor: ProbeAnchor) -> bool:
        """Stop capturing ``anchor`` (CMD_REMOVE_PROBE)."""
        return self.send_command(Message(MessageType.CMD_REMOVE_PROBE, {"anchor": anchor}))

    def receive_data(self, timeout: float = 0.0) -> Message | None:
        """The next message from the tracer, or None (never waits by default)."""
        channel = self._channel
        return None if channel is None else channel.receive_data(timeout)

    def poll_events(self) -> list[RunEvent]:
        """Every event since the last call, oldest first."""
        events = []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    # --- state ----------------------------------------------------------------------

    @property
    def channel(self) -> SocketIPCChannel | IPCChannel | None:
        return self._channel

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self.process is not None and not self._exited.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait until the tracer has connected; False on timeout or if it never will."""
        return self._connected.wait(timeout)

    # --- stopping -------------------------------------------------------------------

    def stop(self) -> None:
        """End the run: CMD_STOP, then SIGTERM and SIGKILL to the child's process group.

        Returns within 2 s with the child reaped, the threads joined, the socket file
        and its directory removed. Idempotent; fine after the script ended by itself.
        """
        if self.process is None:
            if self._channel is not None:
                self._channel.cleanup()
            return
        if not self._exited.is_set():
            self._stop_requested = True
            self.send_command(Message(MessageType.CMD_STOP))
            for sig, grace in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, _TERM_GRACE)):
                if self._exited.wait(grace):
                    break
                self._signal_group(sig)
            self._exited.wait()
        self._signal_group(signal.SIGKILL)  # what the script started and left behind
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(_DRAIN_TIMEOUT)
        self._channel.cleanup()

    def _signal_group(self, sig: signal.Signals) -> None:
        pid = self.process.pid
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            # no group (yet): a legacy child that has not called setsid, or all gone
            if not self._exited.is_set():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
        except PermissionError:
            log.warning("not allowed to signal process group %d", pid)

    def __repr__(self) -> str:
        mode = "legacy" if self.legacy_ipc else "socket"
        return f"<ScriptRunner {self.script.name} {mode} pid={self.pid}>"


def _add_probe(anchor: ProbeAnchor, mode: str = "all") -> Message:
    return Message(MessageType.CMD_ADD_PROBE, {"anchor": anchor, "mode": mode})


def _token_pipe(token: str) -> int:
    """The read end of a new pipe holding ``token``, its write end already closed."""
    read_fd, write_fd = os.pipe()
    try:
        data = token.encode("utf-8")
        while data:  # a token is far smaller than a pipe's buffer: no reader needed
            data = data[os.write(write_fd, data) :]
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    return read_fd
