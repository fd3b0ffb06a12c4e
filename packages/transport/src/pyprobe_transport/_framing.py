"""Moving one frame over a connected stream socket: the length prefix, scatter-gather
sends and exact-size receives. No state lives here; SocketTransport adds locking,
limits and error translation."""

from __future__ import annotations

import math
import select
import socket
import struct
from collections.abc import Sequence

LENGTH_PREFIX = struct.Struct(">I")

#: The longest frame the 4-byte big-endian length prefix can announce.
MAX_FRAME_LENGTH = 0xFFFF_FFFF

#: How long a frame a transport accepts unless told otherwise (256 MiB).
DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024

# Linux refuses sendmsg() with more than IOV_MAX (1024) buffers.
_MAX_BUFFERS_PER_CALL = 1024

# Report a vanished peer as EPIPE instead of killing the process with SIGPIPE,
# even when the tracer runs a user script that restored SIGPIPE's default.
_SEND_FLAGS = getattr(socket, "MSG_NOSIGNAL", 0)

_HAS_SENDMSG = hasattr(socket.socket, "sendmsg")  # not on Windows


def check_max_frame_bytes(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise TypeError(f"max_frame_bytes must be an int, got {type(limit).__name__}")
    if not 0 <= limit <= MAX_FRAME_LENGTH:
        raise ValueError(f"max_frame_bytes must be from 0 to {MAX_FRAME_LENGTH}, got {limit}")
    return limit


def byte_views(data) -> list[memoryview]:
    """Flat, C-contiguous, unsigned-byte views of a bytes-like object or of a list or
    tuple of them. Nothing is copied."""
    parts: Sequence = data if isinstance(data, (list, tuple)) else (data,)
    views = []
    for part in parts:
        view = memoryview(part)  # TypeError for str and other non-buffers
        if not view.c_contiguous:
            raise TypeError("frame data must be C-contiguous buffers; copy it with bytes() first")
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
        if view.nbytes:
            views.append(view)
    return views


def send_buffers(sock: socket.socket, buffers: list, total: int) -> None:
    """Send the ``total`` bytes of ``buffers``, in order, as if they were one buffer.

    ``sendmsg`` may write only part of what it is given (a signal, a huge frame),
    so after each call skip the buffers it finished and slice the one it stopped in.
    """
    if not _HAS_SENDMSG:
        for buffer in buffers:
            sock.sendall(buffer)
        return
    first = 0
    while True:
        if first == 0 and len(buffers) <= _MAX_BUFFERS_PER_CALL:
            batch = buffers
        else:
            batch = buffers[first : first + _MAX_BUFFERS_PER_CALL]
        sent = sock.sendmsg(batch, (), _SEND_FLAGS)
        total -= sent
        if total == 0:
            return
        # Some bytes are left, so this stops at a buffer that is not all sent.
        while sent >= len(buffers[first]):
            sent -= len(buffers[first])
            first += 1
        if sent:
            buffers[first] = memoryview(buffers[first])[sent:]


def recv_into_fully(sock: socket.socket, view: memoryview) -> int:
    """Fill ``view`` from the socket. Returns how many bytes arrived: less than
    ``len(view)`` only if the peer closed the connection first."""
    size = len(view)
    if size == 0:
        return 0
    received = sock.recv_into(view)
    while 0 < received < size:
        count = sock.recv_into(view[received:])
        if count == 0:
            break
        received += count
    return received


def wait_readable(sock: socket.socket, timeout: float) -> bool:
    """True once the socket has something to read (data or end of file), False if
    ``timeout`` seconds pass first. Leaves the socket blocking, unlike settimeout(),
    which would also put a deadline on another thread's send."""
    timeout = max(timeout, 0.0)
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(math.ceil(timeout * 1000)))
    readable, _, _ = select.select([sock], [], [], timeout)
    return bool(readable)
