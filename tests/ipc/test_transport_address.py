"""Address strings the tracer gets on its command line: HOST:PORT and unix:PATH."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyprobe_transport import (
    AddressError,
    SocketServer,
    TcpAddress,
    UnixAddress,
    connect,
    parse_address,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5555", TcpAddress("127.0.0.1", 5555)),
        ("localhost:1", TcpAddress("localhost", 1)),
        ("gui-host.example:65535", TcpAddress("gui-host.example", 65535)),
        ("[::1]:5555", TcpAddress("::1", 5555)),
        ("[fe80::1%lo]:80", TcpAddress("fe80::1%lo", 80)),
        ("unix:/run/user/1000/pyprobe/s.sock", UnixAddress("/run/user/1000/pyprobe/s.sock")),
        ("unix:relative/s.sock", UnixAddress("relative/s.sock")),
        ("unix:has:colons", UnixAddress("has:colons")),
    ],
)
def test_good_addresses_parse_and_print_back(text, expected):
    parsed = parse_address(text)
    assert parsed == expected
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo", "expected HOST:PORT or unix:PATH, got 'foo'"),
        ("", "expected HOST:PORT or unix:PATH, got ''"),
        (":5555", "empty host in ':5555'"),
        ("127.0.0.1:", "port must be a number from 1 to 65535, got '' in '127.0.0.1:'"),
        ("127.0.0.1:http", "port must be a number from 1 to 65535, got 'http'"),
        ("127.0.0.1:70000", "port must be a number from 1 to 65535, got '70000'"),
        ("127.0.0.1:0", "port must be a number from 1 to 65535, got '0'"),
        ("127.0.0.1:-1", "port must be a number from 1 to 65535, got '-1'"),
        ("127.0.0.1:\uff15\uff15", "port must be a number from 1 to 65535"),
        ("::1:5555", "IPv6 addresses need brackets, e.g. '[::1]:5555'; got '::1:5555'"),
        ("[::1]5555", "expected HOST:PORT or unix:PATH, got '[::1]5555'"),
        ("[::1]", "expected HOST:PORT or unix:PATH, got '[::1]'"),
        ("[not-v6]:5555", "invalid IPv6 address 'not-v6' in '[not-v6]:5555'"),
        ("my host:5555", "host must not contain whitespace, got 'my host'"),
        ("unix:", "empty path in 'unix:'"),
        ("unix:" + "p" * 200, "too long"),
        ("unix:a\0b", "NUL"),
    ],
)
def test_bad_addresses_are_address_errors_that_say_why(text, message):
    with pytest.raises(AddressError) as caught:
        parse_address(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_parse_address_wants_a_str():
    with pytest.raises(TypeError):
        parse_address(b"127.0.0.1:5555")


def test_addresses_are_frozen_hashable_values():
    address = TcpAddress("127.0.0.1", 5555)
    with pytest.raises(dataclasses.FrozenInstanceError):
        address.port = 1
    assert {address, TcpAddress("127.0.0.1", 5555)} == {address}
    assert UnixAddress("/x") == UnixAddress("/x")


@pytest.mark.parametrize(
    "build",
    [
        lambda: TcpAddress("", 5555),
        lambda: TcpAddress("127.0.0.1", 0),
        lambda: TcpAddress("127.0.0.1", 65536),
        lambda: TcpAddress("127.0.0.1", True),
        lambda: TcpAddress("127.0.0.1", "5555"),
        lambda: UnixAddress(""),
    ],
)
def test_addresses_validate_when_built_directly(build):
    with pytest.raises(AddressError):
        build()


@settings(max_examples=50, deadline=None)
@given(
    host=st.one_of(
        st.ip_addresses(v=4).map(str),
        st.ip_addresses(v=6).map(str),
        st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}", fullmatch=True),
    ),
    port=st.integers(1, 65535),
)
def test_tcp_addresses_round_trip(host, port):
    address = TcpAddress(host, port)
    assert parse_address(str(address)) == address


def test_connect_dispatches_on_the_parsed_address():
    with SocketServer() as server:
        for address in (server.address_string, parse_address(server.address_string)):
            with connect(address, timeout=5.0) as client, server.accept(timeout=5.0) as accepted:
                client.send_frame(b"via connect()")
                assert accepted.recv_frame(timeout=5.0) == b"via connect()"


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets")
def test_connect_dispatches_unix_addresses():
    with (
        SocketServer.unix() as server,
        connect(server.address_string, timeout=5.0) as client,
        server.accept(timeout=5.0) as accepted,
    ):
        accepted.send_frame(b"unix via connect()")
        assert client.recv_frame(timeout=5.0) == b"unix via connect()"
