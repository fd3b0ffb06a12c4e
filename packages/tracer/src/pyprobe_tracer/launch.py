"""Tie the pieces of one tracer process together: connect, take probes, run, report."""

from __future__ import annotations

import sys
from pathlib import Path

from pyprobe_transport import ConnectionClosed, TransportError
from pyprobe_wire import MessageType, ProtocolError

from .commands import Commands
from .engine import BackendUnavailable, CaptureManager, ProbeAnchor, VariableTracer
from .recording import RecordFile
from .session import Session

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

    def run(self, *, address=None, record: str | None = None, connect_timeout: float = 5.0) -> int:
        try:
            tracer = VariableTracer(CaptureManager(), self.backend)
        except BackendUnavailable as exc:
            print(f"pyprobe-tracer: {exc}", file=sys.stderr)
            return EXIT_ERROR
        for anchor in self.anchors:
            tracer.add_probe(anchor, self.mode)

        sinks = []
        client = None
        recorder = None
        if record is not None:
            try:
                recorder = RecordFile(record)
            except OSError as exc:
                print(f"pyprobe-tracer: cannot write the recording {record}: {exc}", file=sys.stderr)
                return EXIT_ERROR
            sinks.append(recorder.send)
        commands = Commands(tracer)
        if address is not None:
            client = self._connect(address, connect_timeout)
            if client is None:
                if recorder is not None:
                    recorder.close()
                return EXIT_ERROR
            sinks.append(client.send)
            if not self._wait_for_start(client, commands):
                client.close()
                if recorder is not None:
                    recorder.close()
                return EXIT_ERROR if not commands.stopped else 0

        def send(msg_type: MessageType, payload) -> None:
            for sink in sinks:
                sink(msg_type, payload)

        def close() -> None:
            if client is not None:
                client.close(timeout=0.5)
            if recorder is not None:
                recorder.close()

        session = Session(self.script, self.script_args, tracer, send, close=close)
        commands.session = session
        if client is not None:
            client.start_command_thread(commands.handle, commands.disconnected)
        return session.run()

    def _connect(self, address, timeout: float):
        from .ipc import TracerIPCClient
        from .ipc.exceptions import HandshakeError, HandshakeRejected
        from .ipc.handshake import token_from_environment

        try:
            return TracerIPCClient.open(address, token=token_from_environment(), timeout=timeout)
        except HandshakeRejected as exc:
            print(f"pyprobe-tracer: the GUI refused this tracer: {exc}", file=sys.stderr)
        except HandshakeError as exc:
            print(f"pyprobe-tracer: handshake with the GUI at {address} failed: {exc}", file=sys.stderr)
        except OSError as exc:
            print(f"pyprobe-tracer: cannot connect to the GUI at {address}: {exc}", file=sys.stderr)
        return None

    def _wait_for_start(self, client, commands: Commands) -> bool:
        """Take the initial commands (probes, throttle) until CMD_START; False if the GUI
        stopped or went away first."""
        while not commands.started:
            try:
                message = client.recv_command()
            except (ConnectionClosed, TransportError, ProtocolError) as exc:
                print(f"pyprobe-tracer: the GUI went away before starting the script: {exc}", file=sys.stderr)
                return False
            commands.handle(message)
            if commands.stopped:
                return False
        return True
