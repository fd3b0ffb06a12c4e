"""FrameReader: messages out of a byte stream that arrives in arbitrary chunks."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ._framing import PREFIX_SIZE, check_max_frame_bytes, parse_prefix
from .codec import decode_message
from .constants import DEFAULT_MAX_FRAME_BYTES
from .exceptions import ProtocolError
from .message import Message


class FrameReader:
    """Incremental decoder: ``feed()`` bytes as they arrive, take whole messages out.

    Each frame is decoded as soon as its last byte arrives; a bad prefix (magic or
    length over ``max_frame_bytes``) is refused as soon as its 8 bytes are in, before
    any of the body is buffered. Every byte is copied once, into a buffer owned by
    its frame, which the decoded arrays then view (read-only).

    After a ProtocolError the reader is *poisoned*: messages completed before the
    bad frame can still be taken, then ``next_message()``, ``messages()``,
    iteration and ``feed()`` all raise that same error. The stream cannot be
    resynchronised; close the connection.
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._max_frame_bytes = check_max_frame_bytes(max_frame_bytes)
        self._prefix = bytearray()  # bytes of the next prefix, while fewer than 8
        self._frame: bytearray | None = None  # the frame being assembled, prefix included
        self._frame_size = 0
        self._ready: deque[Message] = deque()
        self._error: ProtocolError | None = None

    @property
    def buffered_bytes(self) -> int:
        """Bytes held of a frame not yet complete (0 between frames)."""
        return len(self._prefix) + (len(self._frame) if self._frame is not None else 0)

    def feed(self, data) -> None:
        """Add bytes (bytes, bytearray or memoryview) from the stream; no reference to
        ``data`` is kept. Raises ProtocolError as soon as the stream is invalid."""
        self._raise_if_poisoned()
        with memoryview(data) as view, view.cast("B") as chunk:
            try:
                self._consume(chunk)
            except ProtocolError as error:
                self._error = error
                self._prefix.clear()
                self._frame = None
                raise

    def next_message(self) -> Message | None:
        """The oldest complete message, or None if there is none yet."""
        if self._ready:
            return self._ready.popleft()
        self._raise_if_poisoned()
        return None

    def messages(self) -> list[Message]:
        """Every complete message, oldest first; [] if there is none yet."""
        if not self._ready:
            self._raise_if_poisoned()
        taken = list(self._ready)
        self._ready.clear()
        return taken

    def __iter__(self) -> Iterator[Message]:
        """Complete messages, oldest first; stops when none is left (never blocks)."""
        while (msg := self.next_message()) is not None:
            yield msg

    def completed(self) -> Iterator[Message]:
        """Like iteration, but a poisoned reader only stops: the messages completed
        before the bad frame come out, the error does not (``feed()`` raised it)."""
        while self._ready:
            yield self._ready.popleft()

    def _raise_if_poisoned(self) -> None:
        if self._error is not None:
            raise self._error.with_traceback(None)  # don't grow its traceback each time

    def _consume(self, chunk: memoryview) -> None:
        position = 0
        while position < len(chunk):
            if self._frame is None:
                take = chunk[position : position + PREFIX_SIZE - len(self._prefix)]
                self._prefix += take
                position += len(take)
                if len(self._prefix) < PREFIX_SIZE:
                    return
                length = parse_prefix(self._prefix, self._max_frame_bytes)
                self._frame, self._frame_size = bytearray(self._prefix), PREFIX_SIZE + length
                self._prefix.clear()
            else:
                take = chunk[position : position + self._frame_size - len(self._frame)]
                self._frame += take
                position += len(take)
            if len(self._frame) == self._frame_size:
                frame, self._frame = self._frame, None
                self._ready.append(decode_message(frame, max_frame_bytes=self._max_frame_bytes))
