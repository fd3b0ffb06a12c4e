"""The frame format on the socket and what a transport does with odd or hostile peers."""

from __future__ import annotations

import array
import socket
import struct
import threading
import time
import tracemalloc
from contextlib import contextmanager

import pytest

from pyprobe_transport import (
    DEFAULT_MAX_FRAME_BYTES,
    MAX_FRAME_LENGTH,
    ConnectionClosed,
    FrameTooLarge,
    SocketServer,
    SocketTransport,
    TransportError,
    TransportTimeout,
    _alloc,
)
from tests._support.sockets import HAS_UNIX, TIMEOUT, Background, transport_pair

FAMILIES = [
    "tcp",
    pytest.param("unix", marks=pytest.mark.skipif(not HAS_UNIX, reason="no AF_UNIX")),
]


@contextmanager
def raw_peer(max_frame_bytes=DEFAULT_MAX_FRAME_BYTES):
    """(server-side transport, plain client socket): the test speaks the format by hand."""
    with (
        SocketServer(max_frame_bytes=max_frame_bytes) as server,
        socket.create_connection(server.address, timeout=TIMEOUT) as raw,
        server.accept(timeout=TIMEOUT) as accepted,
    ):
        yield accepted, raw


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "unexpected EOF"
        data += chunk
    return data


# --- the format on the socket ------------------------------------------------


def test_frame_is_a_big_endian_u32_length_then_the_payload():
    with raw_peer() as (transport, raw):
        transport.send_frame(b"abc")
        assert recv_exactly(raw, 7) == b"\x00\x00\x00\x03abc"
        raw.sendall(b"\x00\x00\x01\x00" + bytes(256))
        assert transport.recv_frame(timeout=TIMEOUT) == bytes(256)


def test_frame_split_into_many_small_writes_is_reassembled():
    payload = bytes(range(256)) * 4
    with raw_peer() as (transport, raw):
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        wire = struct.pack(">I", len(payload)) + payload
        for start in range(0, len(wire), 97):
            raw.sendall(wire[start : start + 97])
        assert transport.recv_frame(timeout=TIMEOUT) == payload


def test_zero_length_frames_are_allowed():
    with transport_pair() as (server_side, client_side):
        client_side.send_frame(b"")
        client_side.send_frame([])
        client_side.send_frame(b"after")
        first = server_side.recv_frame(timeout=TIMEOUT)
        assert isinstance(first, bytearray)
        assert first == b""
        assert server_side.recv_frame(timeout=TIMEOUT) == b""
        assert server_side.recv_frame(timeout=TIMEOUT) == b"after"


@pytest.mark.parametrize("family", FAMILIES)
def test_sequence_of_parts_arrives_as_the_joined_frame(family):
    doubles = array.array("d", [1.5, -2.0, 3.25])
    grid = memoryview(bytearray(range(12))).cast("B", (3, 4))  # 2-D, C-contiguous
    parts = [b"head", bytearray(b"er"), memoryview(b"--body--")[2:6], b"", doubles, grid, b"tail"]
    joined = b"header" + b"body" + doubles.tobytes() + bytes(range(12)) + b"tail"
    with transport_pair(family) as (server_side, client_side):
        client_side.send_frame(parts)
        client_side.send_frame(tuple(parts))
        assert server_side.recv_frame(timeout=TIMEOUT) == joined
        assert server_side.recv_frame(timeout=TIMEOUT) == joined


def test_more_parts_than_the_kernel_takes_in_one_call():
    parts = [bytes([i % 256]) for i in range(5000)]
    with transport_pair() as (server_side, client_side):
        client_side.send_frame(parts)
        assert server_side.recv_frame(timeout=TIMEOUT) == b"".join(parts)


@pytest.mark.parametrize("family", FAMILIES)
def test_large_scatter_gather_frame_survives_partial_sends(family):
    # Parts much larger than the socket buffers: sendmsg returns after partial writes.
    parts = [bytes([n]) * (700_000 + n) for n in range(6)]
    with transport_pair(family) as (server_side, client_side):
        sending = Background(client_side.send_frame, parts)
        assert server_side.recv_frame(timeout=TIMEOUT) == b"".join(parts)
        sending.result()


def test_each_frame_is_a_new_buffer():
    with transport_pair() as (server_side, client_side):
        client_side.send_frame(b"first")
        client_side.send_frame(b"second")
        first = server_side.recv_frame(timeout=TIMEOUT)
        view = memoryview(first)[1:3]
        second = server_side.recv_frame(timeout=TIMEOUT)
        assert first is not second
        assert bytes(view) == b"ir"
        assert first == b"first"
        view.release()


def test_sending_a_str_or_non_contiguous_buffer_is_a_type_error():
    with transport_pair() as (server_side, client_side):
        with pytest.raises(TypeError):
            client_side.send_frame("text")
        with pytest.raises(TypeError):
            client_side.send_frame([b"ok", "text"])
        with pytest.raises(TypeError, match="contiguous"):
            client_side.send_frame(memoryview(b"abcdef")[::2])
        # Nothing reached the socket: the stream is still in sync.
        client_side.send_frame(b"fine")
        assert server_side.recv_frame(timeout=TIMEOUT) == b"fine"


def test_frame_longer_than_the_length_prefix_can_hold_is_refused_before_sending():
    one_mib = memoryview(bytes(1 << 20))
    parts = [one_mib] * 4097  # 4 GiB + 1 MiB, without allocating it
    with transport_pair() as (server_side, client_side):
        with pytest.raises(FrameTooLarge, match=str(MAX_FRAME_LENGTH)):
            client_side.send_frame(parts)
        client_side.send_frame(b"still usable")
        assert server_side.recv_frame(timeout=TIMEOUT) == b"still usable"


# --- limits ------------------------------------------------------------------


def test_frame_at_the_limit_is_accepted():
    with transport_pair(max_frame_bytes=1000) as (server_side, client_side):
        client_side.send_frame(bytes(1000))
        assert len(server_side.recv_frame(timeout=TIMEOUT)) == 1000


def test_oversize_announcement_raises_at_once_and_closes_without_allocating():
    with raw_peer(max_frame_bytes=1024) as (transport, raw):
        raw.sendall(struct.pack(">I", 0xFFFFFFFF))  # announces 4 GiB, sends nothing more
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(FrameTooLarge) as caught:
                transport.recv_frame(timeout=TIMEOUT)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert time.monotonic() - started < 1.0
        assert peak < 1 << 20
        assert str(caught.value) == "frame length 4294967295 exceeds max_frame_bytes 1024"
        assert isinstance(caught.value, TransportError)
        assert raw.recv(1) == b"", "the transport closed the connection"
        with pytest.raises(ConnectionClosed):
            transport.recv_frame(timeout=TIMEOUT)


def test_one_byte_over_the_limit_is_refused():
    with raw_peer(max_frame_bytes=1000) as (transport, raw):
        raw.sendall(struct.pack(">I", 1001) + bytes(1001))
        with pytest.raises(FrameTooLarge, match="frame length 1001 exceeds max_frame_bytes 1000"):
            transport.recv_frame(timeout=TIMEOUT)


@pytest.mark.parametrize("limit", [-1, MAX_FRAME_LENGTH + 1, 1.5, None])
def test_max_frame_bytes_must_be_a_valid_length(limit):
    with pytest.raises((ValueError, TypeError)):
        SocketServer(max_frame_bytes=limit)


# --- peers that go away --------------------------------------------------------


def test_peer_vanishing_mid_frame_says_how_far_it_got():
    with raw_peer() as (transport, raw):
        raw.sendall(struct.pack(">I", 1 << 20) + bytes(1000))
        raw.close()
        with pytest.raises(ConnectionClosed) as caught:
            transport.recv_frame(timeout=TIMEOUT)
        assert str(caught.value) == (
            "peer closed the connection after 1000 of 1048576 bytes of a frame"
        )


def test_peer_vanishing_mid_length_prefix():
    with raw_peer() as (transport, raw):
        raw.sendall(b"\x00\x00")
        raw.close()
        with pytest.raises(ConnectionClosed, match="after 2 of 4 bytes of a frame's length prefix"):
            transport.recv_frame(timeout=TIMEOUT)


def test_clean_close_between_frames():
    with raw_peer() as (transport, raw):
        raw.sendall(b"\x00\x00\x00\x01x")
        raw.close()
        assert transport.recv_frame(timeout=TIMEOUT) == b"x"
        with pytest.raises(ConnectionClosed) as caught:
            transport.recv_frame(timeout=TIMEOUT)
        assert str(caught.value) == "peer closed the connection"


@pytest.mark.parametrize("family", FAMILIES)
def test_send_after_peer_closed_raises_connection_closed(family):
    with transport_pair(family) as (server_side, client_side):
        server_side.close()
        deadline = time.monotonic() + TIMEOUT
        # The first sends may still land in the kernel's buffer before the reset arrives.
        with pytest.raises(ConnectionClosed):
            while time.monotonic() < deadline:
                client_side.send_frame(bytes(1000))
                time.sleep(0.01)


# --- timeouts ------------------------------------------------------------------


def test_recv_timeout_when_no_frame_starts():
    with transport_pair() as (server_side, client_side):
        started = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            server_side.recv_frame(timeout=0.2)
        assert 0.15 < time.monotonic() - started < 2.0
        assert isinstance(caught.value, TimeoutError)
        assert isinstance(caught.value, TransportError)
        # The stream is still in sync afterwards.
        client_side.send_frame(b"late")
        assert server_side.recv_frame(timeout=TIMEOUT) == b"late"


def test_recv_timeout_covers_only_the_start_of_a_frame():
    payload = bytes(range(200))
    with raw_peer() as (transport, raw):
        raw.sendall(struct.pack(">I", len(payload)) + payload[:50])
        rest = threading.Timer(0.3, raw.sendall, args=(payload[50:],))
        rest.start()
        try:
            assert transport.recv_frame(timeout=0.05) == payload
        finally:
            rest.join()


def test_zero_timeout_polls():
    with transport_pair() as (server_side, client_side):
        with pytest.raises(TransportTimeout):
            server_side.recv_frame(timeout=0)
        client_side.send_frame(b"x")
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                assert server_side.recv_frame(timeout=0) == b"x"
                break
            except TransportTimeout:
                time.sleep(0.001)
        else:
            pytest.fail("frame never arrived")


# --- wrapping a socket you already have --------------------------------------


@pytest.mark.skipif(not hasattr(socket, "socketpair"), reason="no socketpair")
def test_transport_wraps_a_connected_socket():
    left, right = socket.socketpair()
    with SocketTransport(left) as a, SocketTransport(right) as b:
        a.send_frame(b"over a socketpair")
        assert b.recv_frame(timeout=TIMEOUT) == b"over a socketpair"
        assert a.max_frame_bytes == DEFAULT_MAX_FRAME_BYTES


# --- frame buffers -----------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 64 * 1024 - 1, 64 * 1024, 3 * 1024 * 1024 + 7])
def test_frame_buffers_are_plain_bytearrays_of_the_exact_size(size):
    buffer = _alloc.frame_buffer(size)
    assert type(buffer) is bytearray
    assert len(buffer) == size
    buffer[-1:] = b"x"
    buffer += b"resizable"
    assert buffer.endswith(b"xresizable")


@pytest.mark.parametrize("zero_fill", [False, True], ids=["uninitialised", "zero-filled"])
def test_big_frames_arrive_intact_with_either_allocator(monkeypatch, zero_fill):
    if zero_fill:  # what happens where ctypes is unavailable
        monkeypatch.setattr(_alloc, "_uninitialised_bytearray", lambda: bytearray)
    payloads = [bytes([n]) * (_alloc.UNINITIALISED_FROM + n) for n in (1, 2, 3)]
    with transport_pair() as (server_side, client_side):
        sending = Background(lambda: [client_side.send_frame(p) for p in payloads])
        for payload in payloads:
            received = server_side.recv_frame(timeout=TIMEOUT)
            assert type(received) is bytearray
            assert received == payload
        sending.result()
