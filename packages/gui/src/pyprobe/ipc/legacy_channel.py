"""IPCChannel: the legacy way to run a script, kept behind ``--legacy-ipc``.

The tracer's engine runs in a ``multiprocessing`` child of the GUI (so in the
GUI's own interpreter, not the user's), talking over two queues. What crosses the
queues are the same wire frames the socket carries, as bytes: the queues pickle
nothing but ``bytes``. This is the only module of the GUI that imports
pyprobe_tracer, and only in the child. Where pyprobe_tracer is not importable (the
frozen binary leaves it out: ``pyprobe._freeze``), making a channel raises
LegacyIPCUnavailable, which says to use socket mode.
"""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pyprobe_transport import ConnectionClosed, TransportTimeout
from pyprobe_wire import Message, MessageType, decode_message, encode_message

from .channel import check_command

# spawn, not fork: the GUI has threads (Qt's among them), and a forked copy of a
# threaded process may deadlock.
_CONTEXT = multiprocessing.get_context("spawn")
_END = b""  # on the command queue: the GUI closed the channel


class LegacyIPCUnavailable(RuntimeError):
    """Legacy mode was asked for where pyprobe_tracer cannot be imported.

    A RuntimeError, as ScriptRunner.start() documents: the window shows it in the console.
    """


def check_legacy_available() -> None:
    """Raise LegacyIPCUnavailable unless this interpreter can import pyprobe_tracer."""
    try:
        found = importlib.util.find_spec("pyprobe_tracer") is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return
    if getattr(sys, "frozen", False):
        where = (
            "this PyProbe binary is built without pyprobe_tracer and runs scripts in "
            "socket mode only"
        )
    else:
        where = f"pyprobe_tracer is not installed in PyProbe's own interpreter ({sys.executable})"
    raise LegacyIPCUnavailable(
        f"Legacy mode (--legacy-ipc) is not available: {where}. Run without --legacy-ipc "
        "(or with --socket-ipc): the script then runs through pyprobe-tracer in its own "
        "Python (`python -m pip install pyprobe-tracer` there)."
    )


class IPCChannel:
    """Commands to, and data from, a tracer engine in a multiprocessing child."""

    def __init__(self) -> None:
        check_legacy_available()
        self.command_queue = _CONTEXT.Queue()
        self.data_queue = _CONTEXT.Queue()
        self._closed = False

    def start_process(
        self,
        script: str | os.PathLike[str],
        args: Sequence[str] = (),
        *,
        cwd: str | os.PathLike[str] | None = None,
    ) -> multiprocessing.process.BaseProcess:
        """Start the child that runs ``script`` under the tracer's engine, and return it.

        The child waits for CMD_START (send the probes first), and puts itself in a
        process group of its own, so that stopping it can end what the script started.
        """
        process = _CONTEXT.Process(
            target=run_legacy_tracer,
            args=(str(script), list(args), None if cwd is None else str(cwd)),
            kwargs={"commands": self.command_queue, "data": self.data_queue},
            name=f"pyprobe-legacy-{Path(script).name}",
            daemon=True,
        )
        process.start()
        return process

    def send_command(self, message: Message) -> None:
        """Send a CMD_* message to the child (ValueError for any other type;
        ConnectionClosed once the channel is closed)."""
        check_command(message)
        if self._closed:
            raise ConnectionClosed("the channel is closed")
        self.command_queue.put(encode_message(message))

    def receive_data(self, timeout: float = 0.0) -> Message | None:
        """The next message from the child, or None if none arrives within ``timeout``
        seconds (0, the default, never waits)."""
        if self._closed:
            return None
        try:
            frame = (
                self.data_queue.get(timeout=timeout)
                if timeout > 0
                else self.data_queue.get_nowait()
            )
        except (queue.Empty, OSError, ValueError):
            return None
        return decode_message(frame)

    def cleanup(self) -> None:
        """Tell the child the GUI is gone and close both queues. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for q, last in ((self.command_queue, _END), (self.data_queue, None)):
            if last is not None:
                with contextlib.suppress(OSError, ValueError):
                    q.put(last)
            q.close()
            q.cancel_join_thread()

    @property
    def closed(self) -> bool:
        """Whether cleanup() has run."""
        return self._closed


class _QueueClient:
    """The child's end: what pyprobe_tracer's Launch needs of a connection to the GUI."""

    def __init__(self, commands, data) -> None:
        self._commands = commands
        self._data = data

    def send(self, msg_type: MessageType, payload=None) -> None:
        self._data.put(encode_message(Message(msg_type, payload)))

    def recv_command(self, timeout: float | None = None) -> Message:
        try:
            frame = self._commands.get(timeout=timeout)
        except queue.Empty:
            raise TransportTimeout(f"no command within {timeout:g} s") from None
        if frame == _END:
            raise ConnectionClosed("the GUI closed the legacy channel")
        return decode_message(frame)

    def start_command_thread(
        self,
        on_command: Callable[[Message], object],
        on_disconnect: Callable[[BaseException | None], object],
    ) -> threading.Thread:
        def read() -> None:
            try:
                while True:
                    on_command(self.recv_command())
            except ConnectionClosed as exc:
                on_disconnect(exc)

        thread = threading.Thread(target=read, name="pyprobe-legacy-commands", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        # Flush what is still buffered: a stopped run leaves through os._exit.
        self._data.close()
        self._data.join_thread()


def run_legacy_tracer(script: str, args: Iterable[str], cwd: str | None, *, commands, data) -> None:
    """The child's entry point: run ``script`` under the tracer's engine."""
    os.setsid()
    if cwd is not None:
        os.chdir(cwd)
    from pyprobe_tracer.launch import Launch

    launch = Launch(Path(script), list(args), [])
    sys.exit(launch.run_with(_QueueClient(commands, data)))
