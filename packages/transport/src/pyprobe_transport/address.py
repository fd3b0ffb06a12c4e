"""Addresses as one string, the way the GUI hands them to the tracer's command line:
``HOST:PORT`` (``[IPV6]:PORT``) for TCP and ``unix:PATH`` for a Unix socket."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from pyprobe_transport import _unix
from pyprobe_transport.exceptions import AddressError

UNIX_PREFIX = "unix:"
_EXPECTED = "expected HOST:PORT or unix:PATH"


def _check_port(port: int, shown: str) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise AddressError(f"port must be a number from 1 to 65535, got {shown}")


@dataclass(frozen=True)
class TcpAddress:
    """A TCP endpoint. ``str()`` gives ``host:port``, or ``[host]:port`` for IPv6."""

    host: str
    port: int

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host:
            raise AddressError(f"host must be a non-empty str, got {self.host!r}")
        if any(char.isspace() for char in self.host):
            raise AddressError(f"host must not contain whitespace, got {self.host!r}")
        _check_port(self.port, repr(self.port))

    def __str__(self) -> str:
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class UnixAddress:
    """A Unix domain socket path. ``str()`` gives ``unix:path``."""

    path: str

    def __post_init__(self) -> None:
        if isinstance(self.path, os.PathLike):
            object.__setattr__(self, "path", os.fspath(self.path))
        if not isinstance(self.path, str):
            raise AddressError(f"path must be a str, got {self.path!r}")
        _unix.check_path(self.path)

    def __str__(self) -> str:
        return f"{UNIX_PREFIX}{self.path}"


Address = TcpAddress | UnixAddress


def parse_address(text: str) -> Address:
    """Parse ``HOST:PORT``, ``[IPV6]:PORT`` or ``unix:PATH``; raise AddressError if malformed.

    >>> parse_address("127.0.0.1:5555")
    TcpAddress(host='127.0.0.1', port=5555)
    >>> parse_address("unix:/run/user/1000/pyprobe.sock")
    UnixAddress(path='/run/user/1000/pyprobe.sock')
    """
    if not isinstance(text, str):
        raise TypeError(f"address must be a str, got {type(text).__name__}")
    if text.startswith(UNIX_PREFIX):
        path = text[len(UNIX_PREFIX) :]
        if not path:
            raise AddressError(f"empty path in {text!r}; {_EXPECTED}")
        return UnixAddress(path)

    if text.startswith("["):
        host, bracket_colon, port_text = text[1:].partition("]:")
        if not bracket_colon:
            raise AddressError(f"{_EXPECTED}, got {text!r}")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise AddressError(f"invalid IPv6 address {host!r} in {text!r}") from None
    else:
        host, colon, port_text = text.rpartition(":")
        if not colon:
            raise AddressError(f"{_EXPECTED}, got {text!r}")
        if ":" in host:
            raise AddressError(f"IPv6 addresses need brackets, e.g. '[::1]:5555'; got {text!r}")
        if not host:
            raise AddressError(f"empty host in {text!r}; {_EXPECTED}")

    # isdecimal() alone would accept non-ASCII digits such as '５'.
    port = int(port_text) if port_text.isascii() and port_text.isdecimal() else None
    _check_port(port, f"{port_text!r} in {text!r}")
    return TcpAddress(host, port)
