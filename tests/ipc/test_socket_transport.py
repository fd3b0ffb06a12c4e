"""M3 socket transport: framed bytes between the GUI (server) and the tracer (client)."""

from __future__ import annotations

import os
import random
import stat
import struct
import time

import pytest

from pyprobe_transport import ConnectionClosed, SocketClient, SocketServer, SocketTransport
from tests._support.sockets import TIMEOUT, Background, closed_port, needs_unix, transport_pair


def blob(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def test_server_accepts_connection():
    with SocketServer() as server:
        host, port = server.address
        assert host == "127.0.0.1"
        assert 0 < port < 65536
        with (
            SocketClient.connect(host, port, timeout=TIMEOUT) as client,
            server.accept(timeout=TIMEOUT) as accepted,
        ):
            assert isinstance(accepted, SocketTransport)
            assert isinstance(client, SocketTransport)
            assert accepted.peer_address == client.local_address
            assert accepted.local_address == client.peer_address == (host, port)
            client.send_frame(b"hello")
            assert accepted.recv_frame(timeout=TIMEOUT) == b"hello"


def test_send_recv_small():
    payload = bytes(range(100))
    with transport_pair("tcp") as (server_side, client_side):
        client_side.send_frame(payload)
        received = server_side.recv_frame(timeout=TIMEOUT)
    assert isinstance(received, bytearray)
    assert len(received) == 100
    assert received == payload


def test_send_recv_large():
    payload = blob(10 * 1024 * 1024)
    with transport_pair("tcp") as (server_side, client_side):
        sending = Background(client_side.send_frame, payload)
        received = server_side.recv_frame(timeout=TIMEOUT)
        sending.result()
    assert len(received) == len(payload)
    assert received == payload


def test_bidirectional():
    to_client, to_server = blob(1 << 20, seed=1), blob(1 << 20, seed=2)
    with transport_pair("tcp") as (server_side, client_side):
        # Both directions in flight at once.
        server_sending = Background(server_side.send_frame, to_client)
        client_sending = Background(client_side.send_frame, to_server)
        assert client_side.recv_frame(timeout=TIMEOUT) == to_client
        assert server_side.recv_frame(timeout=TIMEOUT) == to_server
        server_sending.result()
        client_sending.result()
        # And a reply after a request, the way the GUI and the tracer talk.
        client_side.send_frame(b"ping")
        assert server_side.recv_frame(timeout=TIMEOUT) == b"ping"
        server_side.send_frame(b"pong")
        assert client_side.recv_frame(timeout=TIMEOUT) == b"pong"


def test_client_disconnect_detected():
    with transport_pair("tcp") as (server_side, client_side):
        client_side.send_frame(b"last words")
        client_side.close()
        assert server_side.recv_frame(timeout=TIMEOUT) == b"last words"
        with pytest.raises(ConnectionClosed) as caught:
            server_side.recv_frame(timeout=TIMEOUT)
    assert isinstance(caught.value, ConnectionError)
    assert "peer closed the connection" in str(caught.value)


def test_server_shutdown_detected():
    with SocketServer() as server:
        client = SocketClient.connect(*server.address, timeout=TIMEOUT)
        accepted = server.accept(timeout=TIMEOUT)
    with client:
        waiting = Background(client.recv_frame)  # blocked in recv when the GUI goes away
        time.sleep(0.05)
        accepted.close()
        with pytest.raises(ConnectionClosed):
            waiting.result()
        with pytest.raises(ConnectionClosed):
            client.recv_frame(timeout=TIMEOUT)


def test_concurrent_send_recv():
    sizes = [0, 1, 100, 4096, 70_000, 300_000]  # some larger than a socket buffer
    frames_per_thread = 60

    def frame(writer: int, seq: int) -> bytes:
        body = bytes([(writer * 31 + seq) % 251]) * sizes[(seq + writer) % len(sizes)]
        return struct.pack(">II", writer, seq) + body

    def write(transport: SocketTransport, writer: int) -> None:
        for seq in range(frames_per_thread):
            data = frame(writer, seq)
            # One writer sends each frame as scatter-gather parts, the other as one buffer.
            transport.send_frame([data[:8], data[8:100], data[100:]] if writer else data)

    with transport_pair("tcp") as (server_side, client_side):
        writers = [Background(write, client_side, writer) for writer in (0, 1)]
        next_seq = [0, 0]
        for _ in range(2 * frames_per_thread):
            received = server_side.recv_frame(timeout=TIMEOUT)
            writer, seq = struct.unpack_from(">II", received)
            assert seq == next_seq[writer], "frames of one thread arrive in order"
            assert received == frame(writer, seq), "each frame arrives whole and unmixed"
            next_seq[writer] += 1
        for writer in writers:
            writer.result()
    assert next_seq == [frames_per_thread, frames_per_thread]


@needs_unix
def test_unix_socket_transport():
    server = SocketServer.unix()
    path = server.address
    private_dir = os.path.dirname(path)
    assert isinstance(path, str)
    assert server.address_string == f"unix:{path}"
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert stat.S_IMODE(os.stat(private_dir).st_mode) == 0o700
    with (
        server,
        SocketClient.connect_unix(path, timeout=TIMEOUT) as client,
        server.accept(timeout=TIMEOUT) as accepted,
    ):
        client.send_frame(bytes(range(100)))
        assert accepted.recv_frame(timeout=TIMEOUT) == bytes(range(100))
        big = blob(3 * 1024 * 1024)
        sending = Background(accepted.send_frame, big)
        assert client.recv_frame(timeout=TIMEOUT) == big
        sending.result()
        client.send_frame([b"scatter", b"-", b"gather"])
        assert accepted.recv_frame(timeout=TIMEOUT) == b"scatter-gather"
        client.close()
        with pytest.raises(ConnectionClosed):
            accepted.recv_frame(timeout=TIMEOUT)
    assert not os.path.exists(path)
    assert not os.path.exists(private_dir)


def test_connect_timeout():
    port = closed_port()
    started = time.monotonic()
    with pytest.raises(ConnectionError):
        SocketClient.connect("127.0.0.1", port, timeout=2.0)
    assert time.monotonic() - started < 2.0
