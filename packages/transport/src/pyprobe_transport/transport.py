"""SocketTransport: frames over one connected stream socket, TCP or Unix."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

from pyprobe_transport._alloc import frame_buffer
from pyprobe_transport._framing import (
    DEFAULT_MAX_FRAME_BYTES,
    LENGTH_PREFIX,
    MAX_FRAME_LENGTH,
    byte_views,
    check_max_frame_bytes,
    recv_into_fully,
    send_buffers,
    wait_readable,
)
from pyprobe_transport.exceptions import ConnectionClosed, FrameTooLarge, TransportTimeout

_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)
_PEER_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
_NO_WAIT_FLAGS = getattr(socket, "MSG_DONTWAIT", 0) | getattr(socket, "MSG_NOSIGNAL", 0)


def _socket_name(get_name):
    """(host, port) for TCP, the path for Unix ('' if unnamed), None if unavailable."""
    try:
        name = get_name()
    except OSError:
        return None
    return name[:2] if isinstance(name, tuple) else name


def _describe(name) -> str:
    if isinstance(name, tuple):
        host, port = name
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return repr(name)


class SocketTransport:
    """Length-prefixed frames over a connected stream socket.

    Usually made by ``SocketServer.accept()`` or ``SocketClient.connect*()``; it can
    also wrap any connected stream socket (e.g. one end of ``socket.socketpair()``),
    which it then owns and closes.

    Threading: any number of threads may call ``send_frame`` (a lock keeps frames
    whole); one thread at a time may call ``recv_frame``; ``close`` may be called
    from any thread and wakes a thread blocked in ``recv_frame``.
    """

    def __init__(self, sock: socket.socket, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES):
        self._max_frame_bytes = check_max_frame_bytes(max_frame_bytes)
        sock.settimeout(None)  # blocking: timeouts are handled per call, see recv_frame
        if sock.family in _TCP_FAMILIES:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._local_address = _socket_name(sock.getsockname)
        self._peer_address = _socket_name(sock.getpeername)
        self._send_lock = threading.Lock()
        self._recv_lock = threading.Lock()
        self._prefix = bytearray(LENGTH_PREFIX.size)
        self._prefix_view = memoryview(self._prefix)
        self._closed = False

    # --- sending ---------------------------------------------------------------

    def send_frame(self, data, *, timeout: float | None = None) -> None:
        """Send one frame: a bytes-like object, or a list or tuple of them sent as one
        frame without joining them (scatter-gather). Thread-safe; blocks until the
        kernel has taken every byte, or at most ``timeout`` seconds (None: no limit).

        A peer that stops reading fills the socket buffers; with a ``timeout`` the send
        then gives up with TransportTimeout and closes the transport (part of the
        frame may have gone out, so the stream cannot be used again).

        Raises ConnectionClosed if the connection is gone (the transport is then
        closed: part of the frame may have been sent), FrameTooLarge if the frame is
        longer than the length prefix can announce (nothing is sent), and TypeError
        for data that is not a C-contiguous buffer.
        """
        # Plain bytes and bytearray, the common case, skip byte_views() for speed.
        parts = [data] if type(data) in (bytes, bytearray) else byte_views(data)
        length = sum(map(len, parts))
        if length > MAX_FRAME_LENGTH:
            raise FrameTooLarge(
                f"frame length {length} exceeds {MAX_FRAME_LENGTH}, "
                "the most a 4-byte length prefix can announce",
                length=length,
                limit=MAX_FRAME_LENGTH,
            )
        buffers = [LENGTH_PREFIX.pack(length), *parts]
        with self._send_lock:
            if self._closed:
                raise ConnectionClosed("transport is closed")
            try:
                if timeout is None:
                    send_buffers(self._sock, buffers, LENGTH_PREFIX.size + length)
                else:
                    self._send_before(time.monotonic() + max(timeout, 0.0), buffers, timeout)
            except TransportTimeout:
                self.close()
                raise
            except OSError as exc:
                error = self._connection_lost(exc)
                self.close()
                raise error from exc
            except BaseException:
                self.close()  # interrupted mid-frame: the stream cannot be trusted
                raise

    def _send_before(self, deadline: float, buffers: list, timeout: float) -> None:
        """Send ``buffers`` without blocking past ``deadline`` (the socket stays blocking
        for other callers: each write is a non-blocking one, after waiting to be able to)."""
        for buffer in buffers:
            view = memoryview(buffer).cast("B")
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not _wait_writable(self._sock, remaining):
                    raise TransportTimeout(
                        f"the peer took no frame within {timeout:g} s (it is not reading)"
                    )
                try:
                    if _NO_WAIT_FLAGS & getattr(socket, "MSG_DONTWAIT", 0):
                        sent = self._sock.send(view, _NO_WAIT_FLAGS)
                    else:  # no MSG_DONTWAIT (Windows): writable means some room is free
                        sent = self._sock.send(view[:4096])
                except BlockingIOError:
                    continue
                view = view[sent:]

    # --- receiving -------------------------------------------------------------

    def recv_frame(
        self, timeout: float | None = None, *, max_bytes: int | None = None
    ) -> bytearray:
        """Receive one frame as a new bytearray of exactly the frame's length.

        ``max_bytes`` lowers ``max_frame_bytes`` for this call only (e.g. for a
        handshake from a peer not yet trusted); it is checked against the length
        prefix, before any of the frame is read or allocated.

        ``timeout`` (seconds, None to wait for ever) limits only the wait for a frame
        to *start*: TransportTimeout then leaves the stream in sync. Once the first
        byte has arrived, the frame is read to its end however long that takes.

        Raises ConnectionClosed when the peer closed the connection, between frames
        or in the middle of one (the message says how far it got), and FrameTooLarge
        when the peer announces more than ``max_frame_bytes``; in both cases the
        transport is closed. RuntimeError if another thread is already receiving.
        """
        if not self._recv_lock.acquire(blocking=False):
            raise RuntimeError(
                "recv_frame() is already running in another thread: a transport has a single reader"
            )
        try:
            limit = self._max_frame_bytes
            if max_bytes is not None:
                limit = min(limit, check_max_frame_bytes(max_bytes))
            return self._recv_frame(timeout, limit)
        finally:
            self._recv_lock.release()

    def _recv_frame(self, timeout: float | None, limit: int) -> bytearray:
        if self._closed:
            raise ConnectionClosed("transport is closed")
        if timeout is not None:
            try:
                ready = wait_readable(self._sock, timeout)
            except (OSError, ValueError) as exc:  # ValueError: closed by another thread
                raise self._connection_lost(exc) from exc
            if not ready:
                raise TransportTimeout(f"no frame arrived within {timeout:g} s")

        # From here on the stream position is unknown after any failure, so every
        # failure closes the transport rather than let it misread the next frame.
        try:
            received = recv_into_fully(self._sock, self._prefix_view)
            if received < LENGTH_PREFIX.size:
                if received == 0:
                    raise self._peer_closed("peer closed the connection")
                raise self._peer_closed(
                    f"peer closed the connection after {received} of {LENGTH_PREFIX.size} "
                    "bytes of a frame's length prefix"
                )
            (length,) = LENGTH_PREFIX.unpack(self._prefix)
            if length > limit:
                raise FrameTooLarge(
                    f"frame length {length} exceeds max_frame_bytes {limit}",
                    length=length,
                    limit=limit,
                )
            frame = frame_buffer(length)  # not zero-filled: recv_into overwrites it all
            received = recv_into_fully(self._sock, memoryview(frame))
            if received < length:
                raise self._peer_closed(
                    f"peer closed the connection after {received} of {length} bytes of a frame"
                )
            return frame
        except ConnectionClosed:
            self.close()
            raise
        except OSError as exc:
            error = self._connection_lost(exc)
            self.close()
            raise error from exc
        except BaseException:
            self.close()
            raise

    def _peer_closed(self, message: str) -> ConnectionClosed:
        # close() from another thread also shows up here, as an end of file.
        return ConnectionClosed("transport is closed" if self._closed else message)

    def _connection_lost(self, exc: BaseException) -> ConnectionClosed:
        if self._closed:
            return ConnectionClosed("transport is closed")
        if isinstance(exc, _PEER_GONE):
            return ConnectionClosed(f"peer closed the connection ({exc.strerror or exc})")
        return ConnectionClosed(f"connection lost: {exc}")

    # --- lifetime and introspection -------------------------------------------------

    def close(self) -> None:
        """Close the connection. Idempotent; safe to call from any thread."""
        if self._closed:
            return
        self._closed = True
        # shutdown() first: unlike close(), it wakes threads blocked on this socket.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def max_frame_bytes(self) -> int:
        """The longest frame ``recv_frame`` accepts."""
        return self._max_frame_bytes

    @property
    def local_address(self):
        """This end: ``(host, port)`` for TCP, a path (or '') for Unix sockets."""
        return self._local_address

    @property
    def peer_address(self):
        """The other end: ``(host, port)`` for TCP, a path (or '') for Unix sockets."""
        return self._peer_address

    def fileno(self) -> int:
        """The socket's file descriptor, -1 once closed. For select() and debugging
        only: reading or writing it directly would desynchronise the frames."""
        return self._sock.fileno()

    def __enter__(self) -> SocketTransport:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<SocketTransport {_describe(self._local_address)} -> "
            f"{_describe(self._peer_address)} {state}>"
        )


def _wait_writable(sock: socket.socket, timeout: float) -> bool:
    """True once the socket can take more bytes (or has failed), False after ``timeout``."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        return bool(poller.poll(max(1, int(timeout * 1000 + 0.999))))
    _, writable, failed = select.select([], [sock], [sock], timeout)
    return bool(writable or failed)
