"""Opening, closing and cleaning up servers and transports; what the package imports."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

import pyprobe_transport
from pyprobe_transport import (
    AddressError,
    ConnectionClosed,
    SocketClient,
    SocketServer,
    TcpAddress,
    TransportError,
    TransportTimeout,
    UnixAddress,
    connect,
    parse_address,
)
from tests._support.sockets import TIMEOUT, Background, needs_unix


def test_importing_the_package_pulls_in_no_numpy_and_no_other_pyprobe_package():
    code = (
        "import sys, pyprobe_transport\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'numpy', 'pyprobe', 'pyprobe_wire', 'pyprobe_tracer'})\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "[]"


def test_public_api():
    assert pyprobe_transport.__version__ == "0.1.0"
    for name in pyprobe_transport.__all__:
        assert hasattr(pyprobe_transport, name), name
    assert issubclass(ConnectionClosed, TransportError)
    assert issubclass(ConnectionClosed, ConnectionError)
    assert issubclass(TransportTimeout, TimeoutError)
    assert issubclass(AddressError, ValueError)
    assert issubclass(AddressError, TransportError)


# --- TCP server ------------------------------------------------------------------


def test_server_binds_loopback_by_default_and_reports_its_address():
    with SocketServer() as server:
        host, port = server.address
        assert host == "127.0.0.1"
        assert server.address_string == f"127.0.0.1:{port}"
        assert parse_address(server.address_string) == TcpAddress("127.0.0.1", port)
        assert "127.0.0.1" in repr(server)


def test_accept_times_out_when_nobody_connects():
    with SocketServer() as server:
        started = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            server.accept(timeout=0.2)
        assert 0.15 < time.monotonic() - started < 2.0
        assert isinstance(caught.value, TimeoutError)
        assert "no client connected within 0.2 s" in str(caught.value)
        # The server still works after a timeout.
        with connect(server.address_string, timeout=TIMEOUT), server.accept(timeout=TIMEOUT):
            pass


def test_listening_socket_is_not_inherited_by_child_processes():
    with SocketServer() as server:
        assert not os.get_inheritable(server.fileno())


def test_server_close_is_idempotent_and_stops_listening():
    server = SocketServer()
    host, port = server.address
    server.close()
    server.close()
    assert server.closed
    with pytest.raises(ConnectionError):
        SocketClient.connect(host, port, timeout=2.0)
    with pytest.raises(TransportError, match="closed"):
        server.accept(timeout=0.1)


def test_closing_the_server_wakes_a_blocked_accept():
    server = SocketServer()
    accepting = Background(server.accept, None)
    time.sleep(0.05)
    server.close()
    with pytest.raises(TransportError):
        accepting.result()


def test_server_context_manager_closes_it():
    with SocketServer() as server:
        pass
    assert server.closed


def test_tcp_nodelay_is_on_for_both_ends():
    with (
        SocketServer() as server,
        SocketClient.connect(*server.address, timeout=TIMEOUT) as client,
        server.accept(timeout=TIMEOUT) as accepted,
    ):
        for transport in (client, accepted):
            with socket.fromfd(transport.fileno(), socket.AF_INET, socket.SOCK_STREAM) as dup:
                assert dup.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_loopback():
    try:
        server = SocketServer("::1")
    except OSError:
        pytest.skip("IPv6 loopback not available")
    with server:
        assert server.address_string == f"[::1]:{server.address[1]}"
        with (
            connect(server.address_string, timeout=TIMEOUT) as client,
            server.accept(timeout=TIMEOUT) as accepted,
        ):
            client.send_frame(b"v6")
            assert accepted.recv_frame(timeout=TIMEOUT) == b"v6"


# --- transports --------------------------------------------------------------------


def test_transport_close_is_idempotent_and_later_calls_raise_connection_closed():
    with SocketServer() as server:
        client = SocketClient.connect(*server.address, timeout=TIMEOUT)
        with server.accept(timeout=TIMEOUT):
            client.close()
            client.close()
            assert client.closed
            assert client.fileno() == -1
            with pytest.raises(ConnectionClosed, match="transport is closed"):
                client.recv_frame()
            with pytest.raises(ConnectionClosed, match="transport is closed"):
                client.send_frame(b"x")


def test_transport_context_manager_closes_it():
    with SocketServer() as server:
        with (
            SocketClient.connect(*server.address, timeout=TIMEOUT) as client,
            server.accept(timeout=TIMEOUT) as accepted,
        ):
            pass
        assert client.closed
        assert accepted.closed


def test_closing_a_transport_wakes_its_blocked_reader():
    with (
        SocketServer() as server,
        SocketClient.connect(*server.address, timeout=TIMEOUT) as client,
        server.accept(timeout=TIMEOUT),
    ):
        reading = Background(client.recv_frame)
        time.sleep(0.05)
        client.close()
        with pytest.raises(ConnectionClosed):
            reading.result()


def test_a_second_concurrent_reader_is_refused():
    with (
        SocketServer() as server,
        SocketClient.connect(*server.address, timeout=TIMEOUT) as client,
        server.accept(timeout=TIMEOUT) as accepted,
    ):
        reader = threading.Thread(target=lambda: client.recv_frame(timeout=2.0))
        reader.start()
        time.sleep(0.05)
        try:
            with pytest.raises(RuntimeError, match="single reader"):
                client.recv_frame(timeout=0.1)
        finally:
            accepted.send_frame(b"release the first reader")
            reader.join(TIMEOUT)


def test_transport_repr_names_both_ends():
    with SocketServer() as server:
        with SocketClient.connect(*server.address, timeout=TIMEOUT) as client:
            host, port = server.address
            assert f"{host}:{port}" in repr(client)
            assert "open" in repr(client)
        assert "closed" in repr(client)


def test_connect_to_an_unresolvable_kind_of_address_is_a_type_error():
    with pytest.raises(TypeError):
        connect(("127.0.0.1", 5555))


# --- Unix sockets ------------------------------------------------------------------


@needs_unix
def test_unix_server_at_a_given_path(tmp_path):
    path = tmp_path / "gui.sock"
    with SocketServer.unix(path) as server:
        assert server.address == str(path)
        with (
            connect(UnixAddress(str(path)), timeout=TIMEOUT) as client,
            server.accept(timeout=TIMEOUT) as accepted,
        ):
            accepted.send_frame(b"unix")
            assert client.recv_frame(timeout=TIMEOUT) == b"unix"
    assert not path.exists()
    assert tmp_path.exists(), "only the socket file is removed, not a directory we did not make"


@needs_unix
def test_unix_server_given_a_relative_path_reports_it_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SocketServer.unix("rel.sock") as server:
        assert server.address == str(tmp_path / "rel.sock")
        assert parse_address(server.address_string) == UnixAddress(str(tmp_path / "rel.sock"))


@needs_unix
def test_unix_server_does_not_clobber_an_existing_file(tmp_path):
    path = tmp_path / "taken"
    path.write_text("not a socket")
    with pytest.raises(OSError):
        SocketServer.unix(path)
    assert path.read_text() == "not a socket"


@needs_unix
def test_unix_socket_path_too_long_is_a_clear_error(tmp_path):
    path = tmp_path / ("x" * 120)
    with pytest.raises(AddressError, match="too long"):
        SocketServer.unix(path)
    with pytest.raises(AddressError, match="too long"):
        SocketClient.connect_unix(path, timeout=1.0)
    assert not path.exists()


@needs_unix
def test_connect_unix_to_nothing_is_a_connection_error(tmp_path):
    with pytest.raises(ConnectionError):
        SocketClient.connect_unix(tmp_path / "nobody.sock", timeout=1.0)


@needs_unix
def test_unix_private_dir_is_removed_even_if_the_server_is_never_closed():
    server = SocketServer.unix()
    private_dir = os.path.dirname(server.address)
    del server
    gc.collect()
    assert not os.path.exists(private_dir)


@needs_unix
def test_unix_default_socket_is_private_and_short():
    with SocketServer.unix() as server:
        path = server.address
        assert len(os.fsencode(path)) < 100
        assert os.path.basename(os.path.dirname(path)).startswith("pyprobe-")
        assert os.stat(os.path.dirname(path)).st_uid == os.getuid()


def test_closing_a_transport_wakes_a_blocked_sender():
    with (
        SocketServer() as server,
        SocketClient.connect(*server.address, timeout=TIMEOUT) as client,
        server.accept(timeout=TIMEOUT),  # never reads, so the sender fills the buffers
    ):

        def send_forever():
            while True:
                client.send_frame(bytes(1 << 20))

        sending = Background(send_forever)
        time.sleep(0.2)
        client.close()
        with pytest.raises(ConnectionClosed):
            sending.result()
