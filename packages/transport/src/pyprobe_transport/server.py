"""SocketServer: the GUI's listening socket, TCP on loopback or a private Unix socket."""

from __future__ import annotations

import contextlib
import os
import socket
import weakref

from pyprobe_transport import _unix
from pyprobe_transport._framing import DEFAULT_MAX_FRAME_BYTES, check_max_frame_bytes
from pyprobe_transport.address import Address, TcpAddress, UnixAddress
from pyprobe_transport.exceptions import TransportError, TransportTimeout
from pyprobe_transport.transport import SocketTransport

_BACKLOG = 8


def _close_listener(listener, unix_path, identity, private_dir) -> None:
    # shutdown() wakes a thread blocked in accept() on Linux; close() alone does not.
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    if unix_path is not None:
        _unix.remove_socket_file(unix_path, identity)
    if private_dir is not None:
        _unix.remove_private_dir(private_dir)


class SocketServer:
    """Listens for the tracer's connection; ``accept()`` returns a SocketTransport.

    ``SocketServer()`` listens on TCP 127.0.0.1 at a port the OS picks;
    ``SocketServer.unix()`` listens on a Unix socket in a fresh private directory.
    Closing the server (``close()``, the ``with`` block, garbage collection or
    interpreter exit, whichever comes first) stops listening and removes the socket
    file and the directory it created. Transports already accepted stay open.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ):
        check_max_frame_bytes(max_frame_bytes)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # create_server() sets SO_REUSEADDR on POSIX only: on Windows it would let
        # another process bind the same port.
        listener = socket.create_server((host, port), family=family, backlog=_BACKLOG)
        host, port = listener.getsockname()[:2]
        self._start(listener, max_frame_bytes, TcpAddress(host, port), None, None)

    @classmethod
    def unix(cls, path=None, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> SocketServer:
        """Listen on a Unix domain socket.

        With no ``path``, the socket is ``transport.sock`` in a new directory made by
        ``tempfile.mkdtemp(prefix="pyprobe-")`` (mode 0700, so only this user can
        connect); close() removes both. A given ``path`` is made absolute, must not
        exist yet, and only the socket file is removed on close.
        Raises AddressError if the path is too long for a Unix socket.
        """
        _unix.require_unix_sockets()
        check_max_frame_bytes(max_frame_bytes)
        private_dir = None
        if path is None:
            private_dir = _unix.make_private_dir()
            path = os.path.join(private_dir, _unix.SOCKET_NAME)
        else:
            path = os.path.abspath(_unix.str_path(path))
        try:
            address = UnixAddress(path)  # checks the length
            listener, identity = _unix.bind_listener(path, _BACKLOG)
        except BaseException:
            if private_dir is not None:
                _unix.remove_private_dir(private_dir)
            raise
        server = cls.__new__(cls)
        server._start(listener, max_frame_bytes, address, identity, private_dir)
        return server

    def _start(self, listener, max_frame_bytes, endpoint: Address, identity, private_dir):
        self._listener = listener
        self._max_frame_bytes = max_frame_bytes
        self._endpoint = endpoint
        unix_path = endpoint.path if isinstance(endpoint, UnixAddress) else None
        self._close = weakref.finalize(
            self, _close_listener, listener, unix_path, identity, private_dir
        )

    def accept(self, timeout: float | None = 5.0) -> SocketTransport:
        """Wait for one client and return its transport.

        Raises TransportTimeout (a TimeoutError) if nobody connects within
        ``timeout`` seconds (None: wait for ever), and TransportError if the server
        is or gets closed meanwhile.
        """
        if self.closed:
            raise TransportError("the server is closed")
        try:
            self._listener.settimeout(timeout)
            sock, _ = self._listener.accept()
        except TimeoutError:
            raise TransportTimeout(f"no client connected within {timeout:g} s") from None
        except OSError as exc:
            if self.closed:
                raise TransportError("the server was closed while waiting for a client") from exc
            raise
        try:
            return SocketTransport(sock, max_frame_bytes=self._max_frame_bytes)
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        """Stop listening and remove what ``unix()`` created. Idempotent."""
        self._close()

    @property
    def closed(self) -> bool:
        return not self._close.alive

    @property
    def address(self) -> tuple[str, int] | str:
        """``(host, port)`` for TCP, the socket file's path for a Unix socket."""
        if isinstance(self._endpoint, UnixAddress):
            return self._endpoint.path
        return (self._endpoint.host, self._endpoint.port)

    @property
    def address_string(self) -> str:
        """The address as ``parse_address()`` and the tracer's ``--socket`` take it:
        ``127.0.0.1:50123``, ``[::1]:50123`` or ``unix:/tmp/pyprobe-x1y2/transport.sock``."""
        return str(self._endpoint)

    @property
    def max_frame_bytes(self) -> int:
        """The limit given to every transport this server accepts."""
        return self._max_frame_bytes

    def fileno(self) -> int:
        """The listening socket's file descriptor (-1 once closed), e.g. for a
        QSocketNotifier that calls accept() when a client is waiting."""
        return self._listener.fileno()

    def __enter__(self) -> SocketServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "listening"
        return f"<SocketServer {self.address_string} {state}>"
