"""A stand-in for the GUI: accept one tracer, shake hands, send commands, collect messages."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from pyprobe.ipc.handshake import HandshakeResult, accept_handshake, new_session_token
from pyprobe_transport import ConnectionClosed, SocketServer
from pyprobe_wire import (
    FrameReader,
    Message,
    MessageType,
    ProbeAnchor,
    decode_message,
    encode_message,
)
from tests._support.sockets import TIMEOUT

TOKEN_ENV_VAR = "PYPROBE_SESSION_TOKEN"


class FakeGUI:
    """Listens on loopback; a thread handles one tracer connection.

    ``commands`` are sent right after a successful handshake (CMD_START is
    appended unless ``start=False``). Every message the tracer sends is kept in
    ``messages`` until DATA_SCRIPT_END or the connection closes.
    """

    def __init__(
        self, commands=(), *, start: bool = True, unix: bool = False, token=None, stall=None
    ):
        self.server = SocketServer.unix() if unix else SocketServer()
        self.token = token or new_session_token()
        self.commands = [*commands] + ([Message(MessageType.CMD_START, None)] if start else [])
        self.messages: list[Message] = []
        self.stall = stall  # a threading.Event: read nothing until it is set
        self.outcome = None
        self.transport = None
        self.ended = threading.Event()
        self.got: dict[MessageType, threading.Event] = {t: threading.Event() for t in MessageType}
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return self.server.address_string

    def env(self, **extra) -> dict[str, str]:
        return {**os.environ, TOKEN_ENV_VAR: self.token, **extra}

    def __enter__(self) -> FakeGUI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.transport is not None:
            self.transport.close()
        self.server.close()
        self._thread.join(TIMEOUT)

    def send(self, msg_type: MessageType, payload=None) -> None:
        self.transport.send_frame(encode_message(Message(msg_type, payload)))

    def wait_for(self, msg_type: MessageType, timeout: float = TIMEOUT * 2) -> Message:
        assert self.got[msg_type].wait(timeout), f"no {msg_type.name} within {timeout} s"
        return next(m for m in self.messages if m.msg_type is msg_type)

    def of_type(self, msg_type: MessageType) -> list[Message]:
        return [m for m in self.messages if m.msg_type is msg_type]

    def _serve(self) -> None:
        try:
            transport = self.server.accept(timeout=TIMEOUT * 4)
        except OSError:
            self.ended.set()
            return
        self.transport = transport
        self.outcome = accept_handshake(transport, token=self.token)
        if self.outcome.result is not HandshakeResult.OK:
            transport.close()
            self.ended.set()
            return
        for command in self.commands:
            transport.send_frame(encode_message(command))
        if self.stall is not None:
            self.stall.wait(TIMEOUT * 6)
        try:
            while True:
                message = decode_message(transport.recv_frame(TIMEOUT * 4))
                self.messages.append(message)
                self.got[message.msg_type].set()
                if message.msg_type is MessageType.DATA_SCRIPT_END:
                    break
        except (ConnectionClosed, OSError):
            pass
        finally:
            self.ended.set()


def add_probe(anchor: ProbeAnchor, mode: str = "all") -> Message:
    return Message(MessageType.CMD_ADD_PROBE, {"anchor": anchor, "mode": mode})


def run_tracer(*args, env=None, timeout=60.0, cwd=None) -> subprocess.CompletedProcess:
    """``python -m pyprobe_tracer args...`` to completion, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "pyprobe_tracer", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )


def start_tracer(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pyprobe_tracer", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def captures(messages: list[Message], symbol: str) -> list[tuple[int, object]]:
    """``(seq, value)`` of every capture of ``symbol`` in seq order (single, batch and
    series forms)."""
    found = []
    for message in messages:
        if message.msg_type is MessageType.DATA_PROBE_VALUE:
            entries, series = [message.payload], []
        elif message.msg_type is MessageType.DATA_PROBE_VALUE_BATCH:
            entries, series = message.payload["values"], message.payload.get("series", [])
        else:
            continue
        for entry in entries:
            if entry["anchor"].symbol == symbol:
                found.append((entry["seq"], entry["value"]))
        for column in series:
            if column["anchor"].symbol == symbol:
                found.extend(zip(column["seq"].tolist(), column["values"].tolist(), strict=True))
    return sorted(found, key=lambda pair: pair[0])


def probe_values(messages: list[Message], symbol: str) -> list:
    """The values captured for ``symbol`` in sequence order."""
    return [value for _, value in captures(messages, symbol)]


def read_recording(path: Path) -> list[Message]:
    """Every message of a recording the tracer wrote; it must end on a frame boundary."""
    reader = FrameReader()
    reader.feed(Path(path).read_bytes())
    messages = reader.messages()
    assert reader.buffered_bytes == 0, "the recording ends inside a frame"
    return messages


__all__ = [
    "FakeGUI",
    "Path",
    "add_probe",
    "captures",
    "probe_values",
    "read_recording",
    "run_tracer",
    "start_tracer",
]
