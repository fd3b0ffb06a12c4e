"""Unix domain socket details: availability, path limits, the private directory,
and removing only the socket file we made."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile

from pyprobe_transport.exceptions import AddressError

UNIX_SUPPORTED = hasattr(socket, "AF_UNIX")

# sun_path holds 108 bytes on Linux and 104 on the BSDs and macOS, NUL included.
MAX_PATH_BYTES = 107 if sys.platform.startswith("linux") else 103

SOCKET_NAME = "transport.sock"


def require_unix_sockets() -> None:
    if not UNIX_SUPPORTED:
        raise OSError("Unix domain sockets are not available on this platform; use TCP")


def str_path(path) -> str:
    """A str from a str, bytes or os.PathLike path."""
    path = os.fspath(path)
    return os.fsdecode(path) if isinstance(path, bytes) else path


def check_path(path: str) -> str:
    if not path:
        raise AddressError("empty Unix socket path")
    if "\0" in path:
        raise AddressError(f"Unix socket path contains a NUL character: {path!r}")
    size = len(os.fsencode(path))
    if size > MAX_PATH_BYTES:
        raise AddressError(
            f"Unix socket path is too long ({size} bytes, the limit is {MAX_PATH_BYTES}): "
            f"{path!r}; use a shorter directory (for the default one, a shorter TMPDIR)"
        )
    return path


def make_private_dir() -> str:
    """A fresh directory only this user can enter (mkdtemp makes it 0700)."""
    return tempfile.mkdtemp(prefix="pyprobe-")


def bind_listener(path: str, backlog: int) -> tuple[socket.socket, tuple[int, int]]:
    """A listening socket bound at ``path``, and the identity of the file it made."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)  # fails if anything exists at path: we never unlink first
        try:
            # The directory is what keeps strangers out; this only narrows the
            # socket file itself when the caller chose a shared directory.
            os.chmod(path, 0o600)
            info = os.stat(path)
            listener.listen(backlog)
        except BaseException:
            os.unlink(path)
            raise
    except BaseException:
        listener.close()
        raise
    return listener, (info.st_dev, info.st_ino)


def remove_socket_file(path: str, identity: tuple[int, int]) -> None:
    """Unlink ``path`` if it is still the socket file we bound, not a successor's."""
    try:
        info = os.lstat(path)
        if (info.st_dev, info.st_ino) == identity:
            os.unlink(path)
    except OSError:
        pass


def remove_private_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
