"""Tie the pieces of one tracer process together: connect, take probes, run, report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyprobe_transport import ConnectionClosed, TransportError
from pyprobe_wire import MessageType, ProtocolError

from .engine.anchor import ProbeAnchor
from .recording import RecordFile

EXIT_ERROR = 1


class Launch:
    def __init__(
        self,
        script: Path,
        script_args: list[str],
        anchors: list[ProbeAnchor],
        *,
        mode: str = "all",
        backend: str = "auto",
    ) -> None:
        self.script = script
        self.script_args = script_args
        self.anchors = anchors
        self.mode = mode
        self.backend = backend

    def run(
        self,
        *,
        address=None,
        record: str | None = None,
        connect_timeout: float = 5.0,
        token: str | None = None,
    ) -> int:
        """Connect to the GUI at ``address`` (if any) presenting ``token`` (None: the one
        in $PYPROBE_SESSION_TOKEN, for tracers run by hand), record to ``record`` (if
        any), and run the script. The variable is removed from the environment first,
        with or without a GUI: the script and the processes it starts never see it."""
        from .ipc.handshake import TOKEN_ENV_VAR, token_from_environment

        if token is None:
            token = token_from_environment()
        os.environ.pop(TOKEN_ENV_VAR, None)
        recorder = None
        if record is not None:
            try:
                recorder = RecordFile(record)
            except OSError as exc:
                print(
                    f"pyprobe-tracer: cannot write the recording {record}: {exc}", file=sys.stderr
                )
                return EXIT_ERROR
        client = None
        if address is not None:
            # Shake hands before importing the engine (and numpy): the GUI hears
            # from a new tracer as early as possible.
            client = self._connect(address, connect_timeout, token)
            if client is None:
                _close(recorder)
                return EXIT_ERROR
        return self.run_with(client, recorder)

    def run_with(self, client, recorder: RecordFile | None = None) -> int:
        """Run the script for ``client``, an open connection to the GUI (or None).

        ``client`` needs ``send(msg_type, payload)``, ``recv_command()`` and
        ``start_command_thread(on_command, on_disconnect)``, as TracerIPCClient has;
        the GUI's legacy mode passes its own queue-backed one. Both are closed at the
        end. A stopped run ends the process here (``os._exit``).
        """
        try:
            exit_code, stopped = self._run(client, recorder)
        finally:
            _close(client)
            _close(recorder)
        if stopped:
            # Threads the script started may still run, and the interpreter would
            # wait for them at exit: a stop ends the process now.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exit_code)
        return exit_code

    def _run(self, client, recorder) -> tuple[int, bool]:
        """(exit code, whether a stop ended the run)."""
        from .commands import Commands
        from .engine import CaptureManager, VariableTracer
        from .session import Session

        # The command line checked the backend; --backend auto always has one.
        tracer = VariableTracer(CaptureManager(), self.backend)
        for anchor in self.anchors:
            tracer.add_probe(anchor, self.mode)
        commands = Commands(tracer)
        sinks = [sink.send for sink in (recorder, client) if sink is not None]
        if client is not None and not self._wait_for_start(client, commands):
            return (0 if commands.stopped else EXIT_ERROR), False

        def send(msg_type: MessageType, payload) -> None:
            for sink in sinks:
                sink(msg_type, payload)

        session = Session(self.script, self.script_args, tracer, send)
        commands.session = session

        def take_commands() -> None:
            if client is not None:
                client.start_command_thread(commands.handle, commands.disconnected)

        return session.run(on_ready=take_commands), session.stopped

    def _connect(self, address, timeout: float, token: str | None):
        from .ipc import TracerIPCClient
        from .ipc.exceptions import HandshakeError, HandshakeRejected

        try:
            return TracerIPCClient.open(address, token=token, timeout=timeout)
        except HandshakeRejected as exc:
            print(f"pyprobe-tracer: the GUI refused this tracer: {exc}", file=sys.stderr)
        except HandshakeError as exc:
            print(
                f"pyprobe-tracer: handshake with the GUI at {address} failed: {exc}",
                file=sys.stderr,
            )
        except OSError as exc:
            print(f"pyprobe-tracer: cannot connect to the GUI at {address}: {exc}", file=sys.stderr)
        return None

    def _wait_for_start(self, client, commands) -> bool:
        """Take the initial commands (probes, throttle) until CMD_START; False if the GUI
        stopped or went away first."""
        while not commands.started:
            try:
                message = client.recv_command()
            except (ConnectionClosed, TransportError, ProtocolError) as exc:
                print(
                    f"pyprobe-tracer: the GUI went away before starting the script: {exc}",
                    file=sys.stderr,
                )
                return False
            commands.apply(message)
            if commands.stopped:
                return False
        return True


def _close(resource) -> None:
    if resource is not None:
        resource.close()
