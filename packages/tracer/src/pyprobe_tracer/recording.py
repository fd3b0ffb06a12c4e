"""Headless recording: every message, wire-framed, appended to a file.

``pyprobe_wire.FrameReader`` reads the file back::

    reader = FrameReader()
    reader.feed(Path("run.ppr").read_bytes())
    messages = list(reader.messages())
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from pyprobe_wire import Message, MessageType, encode_message_parts


class RecordFile:
    """Writes messages to ``path`` (created or truncated); safe to call from any thread."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._lock = threading.Lock()
        self._pid = os.getpid()  # a forked child writes nothing: the file is the parent's
        if hasattr(os, "register_at_fork"):
            # Empty the buffer before a fork, or the child would write it again at exit.
            this = weakref.ref(self)
            os.register_at_fork(before=lambda: _flush(this))

    def send(self, msg_type: MessageType, payload: Any = None) -> None:
        if os.getpid() != self._pid:
            return
        parts = encode_message_parts(Message(msg_type, payload))
        with self._lock:
            for part in parts:
                self._file.write(part)

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def close(self) -> None:
        if os.getpid() != self._pid:
            return  # the parent's buffered frames must not be written twice
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> RecordFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _flush(ref: weakref.ref) -> None:
    record = ref()
    if record is not None:
        record.flush()
