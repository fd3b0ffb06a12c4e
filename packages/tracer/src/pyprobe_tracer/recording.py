"""Headless recording: every message, wire-framed, appended to a file.

``pyprobe_wire.FrameReader`` reads the file back::

    reader = FrameReader()
    reader.feed(Path("run.ppr").read_bytes())
    messages = list(reader.messages())
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pyprobe_wire import Message, MessageType, encode_message_parts


class RecordFile:
    """Writes messages to ``path`` (created or truncated); safe to call from any thread."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._lock = threading.Lock()

    def send(self, msg_type: MessageType, payload: Any = None) -> None:
        parts = encode_message_parts(Message(msg_type, payload))
        with self._lock:
            for part in parts:
                self._file.write(part)

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> RecordFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
