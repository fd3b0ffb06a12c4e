"""Connecting to a SocketServer: by host and port, by Unix socket path, or by address."""

from __future__ import annotations

import errno
import socket

from pyprobe_transport import _unix
from pyprobe_transport._framing import DEFAULT_MAX_FRAME_BYTES, check_max_frame_bytes
from pyprobe_transport.address import Address, TcpAddress, UnixAddress, parse_address
from pyprobe_transport.exceptions import TransportTimeout
from pyprobe_transport.transport import SocketTransport


def _wrap(sock: socket.socket, max_frame_bytes: int) -> SocketTransport:
    try:
        return SocketTransport(sock, max_frame_bytes=max_frame_bytes)
    except BaseException:
        sock.close()
        raise


class SocketClient:
    """The tracer's side: each method opens one connection and returns its transport."""

    @staticmethod
    def connect(
        host: str,
        port: int,
        timeout: float | None = 5.0,
        *,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> SocketTransport:
        """Connect over TCP (TCP_NODELAY on).

        Raises ConnectionRefusedError (a ConnectionError) when nothing listens there,
        TransportTimeout (a TimeoutError) when the connection is not made within
        ``timeout`` seconds, and other OSErrors, e.g. for an unknown host name.
        """
        check_max_frame_bytes(max_frame_bytes)
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError as exc:
            raise TransportTimeout(
                f"could not connect to {host}:{port} within {timeout:g} s"
            ) from exc
        return _wrap(sock, max_frame_bytes)

    @staticmethod
    def connect_unix(
        path,
        timeout: float | None = 5.0,
        *,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> SocketTransport:
        """Connect to a Unix domain socket.

        Raises ConnectionRefusedError (a ConnectionError) when nothing listens there,
        including when the socket file does not exist, AddressError when the path is
        too long, TransportTimeout when the server's backlog stays full for
        ``timeout`` seconds, and OSError on platforms without Unix sockets.
        """
        _unix.require_unix_sockets()
        check_max_frame_bytes(max_frame_bytes)
        path = _unix.check_path(_unix.str_path(path))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(path)
        except FileNotFoundError as exc:
            sock.close()
            raise ConnectionRefusedError(
                errno.ENOENT, "no Unix socket there (is the server running?)", path
            ) from exc
        except TimeoutError as exc:
            sock.close()
            raise TransportTimeout(f"could not connect to {path!r} within {timeout:g} s") from exc
        except BaseException:
            sock.close()
            raise
        return _wrap(sock, max_frame_bytes)


def connect(
    address: Address | str,
    timeout: float | None = 5.0,
    *,
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
) -> SocketTransport:
    """Connect to ``address``: a TcpAddress, a UnixAddress, or a string that
    ``parse_address()`` accepts (``HOST:PORT``, ``[IPV6]:PORT``, ``unix:PATH``)."""
    if isinstance(address, str):
        address = parse_address(address)
    if isinstance(address, TcpAddress):
        return SocketClient.connect(
            address.host, address.port, timeout, max_frame_bytes=max_frame_bytes
        )
    if isinstance(address, UnixAddress):
        return SocketClient.connect_unix(address.path, timeout, max_frame_bytes=max_frame_bytes)
    raise TypeError(
        f"address must be a TcpAddress, a UnixAddress or a str, got {type(address).__name__}"
    )
