"""Sockets for tests: connected transport pairs, a port nobody listens on, threads."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest

from pyprobe_transport import DEFAULT_MAX_FRAME_BYTES, SocketClient, SocketServer

TIMEOUT = 5.0
HAS_UNIX = hasattr(socket, "AF_UNIX")
needs_unix = pytest.mark.skipif(not HAS_UNIX, reason="no Unix domain sockets")


class Background:
    """Run ``fn(*args)`` in a thread; ``result()`` joins it and re-raises what it raised."""

    def __init__(self, fn, *args):
        self._outcome: list = []
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn, args):
        try:
            self._outcome.append((True, fn(*args)))
        except BaseException as exc:
            self._outcome.append((False, exc))

    def result(self, timeout=TIMEOUT):
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "background call did not finish"
        ok, value = self._outcome[0]
        if not ok:
            raise value
        return value


@contextmanager
def transport_pair(family="tcp", max_frame_bytes=DEFAULT_MAX_FRAME_BYTES):
    """(server side, client side) of one connection; the server side has the given limit."""
    if family == "tcp":
        server = SocketServer(max_frame_bytes=max_frame_bytes)
    else:
        server = SocketServer.unix(max_frame_bytes=max_frame_bytes)
    with server:
        if family == "tcp":
            client = SocketClient.connect(*server.address, timeout=TIMEOUT)
        else:
            client = SocketClient.connect_unix(server.address, timeout=TIMEOUT)
        with client, server.accept(timeout=TIMEOUT) as accepted:
            yield accepted, client


def closed_port() -> int:
    """A loopback TCP port with nothing listening on it (as of now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
