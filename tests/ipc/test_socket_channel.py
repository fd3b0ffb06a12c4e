"""M5: the GUI's SocketIPCChannel, driven by a mock tracer (TracerIPCClient on a thread)."""

from __future__ import annotations

import inspect
import os
import threading
import time

import numpy as np
import pytest

from pyprobe.ipc.channel import Channel
from pyprobe.ipc.handshake import HandshakeResult
from pyprobe.ipc.legacy_channel import IPCChannel
from pyprobe.ipc.socket_channel import SocketIPCChannel
from pyprobe_tracer.ipc import TracerIPCClient
from pyprobe_transport import ConnectionClosed, SocketClient
from pyprobe_wire import Message, MessageType, ProbeAnchor, encode_message
from tests._support.sockets import TIMEOUT, Background, needs_unix

ANCHOR = ProbeAnchor(file="/tmp/filter.py", line=12, col=4, symbol="y", func="main")


def open_pair(channel: SocketIPCChannel) -> TracerIPCClient:
    """Connect a mock tracer to ``channel`` and complete the handshake on both ends."""
    tracer = Background(_open_later, channel.address, channel.token, 0)
    outcome = channel.accept(timeout=TIMEOUT)
    assert outcome.result is HandshakeResult.OK, outcome.message
    return tracer.result()


def receive(channel: SocketIPCChannel, timeout: float = TIMEOUT) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = channel.receive_data()
        if message is not None:
            return message
        time.sleep(0.002)
    raise AssertionError(f"nothing arrived within {timeout} s")


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture(params=["tcp", pytest.param("unix", marks=needs_unix)])
def channel(request):
    channel = SocketIPCChannel(unix=request.param == "unix")
    yield channel
    channel.cleanup()


def test_socket_channel_send_command(channel):
    with open_pair(channel) as tracer:
        channel.send_command(Message(MessageType.CMD_ADD_PROBE, {"anchor": ANCHOR, "mode": "all"}))
        channel.send_command(Message(MessageType.CMD_START))
        first = tracer.recv_command(timeout=TIMEOUT)
        second = tracer.recv_command(timeout=TIMEOUT)
    assert first.msg_type is MessageType.CMD_ADD_PROBE
    assert first.payload == {"anchor": ANCHOR, "mode": "all"}
    assert second.msg_type is MessageType.CMD_START


def test_socket_channel_receive_data(channel):
    assert channel.receive_data() is None  # nothing yet, and no wait
    with open_pair(channel) as tracer:
        started = time.perf_counter()
        assert channel.receive_data() is None
        assert time.perf_counter() - started < 0.05, "receive_data() blocked its caller"
        tracer.send_probe_value(ANCHOR, 3.25, dtype="scalar", seq=7)
        tracer.send_stdout("hello\n")
        value = receive(channel)
        text = receive(channel)
    assert value.msg_type is MessageType.DATA_PROBE_VALUE
    assert value.payload["anchor"] == ANCHOR
    assert value.payload["value"] == 3.25
    assert value.payload["seq"] == 7
    assert (text.msg_type, text.payload) == (MessageType.DATA_STDOUT, {"text": "hello\n"})


def test_socket_channel_large_array(channel):
    rng = np.random.default_rng(5)
    samples = (rng.standard_normal(1_000_000) + 1j * rng.standard_normal(1_000_000)).astype(
        np.complex64
    )
    with open_pair(channel) as tracer:
        tracer.send_probe_value(ANCHOR, samples, dtype="array_complex", shape=samples.shape)
        message = receive(channel, timeout=TIMEOUT * 2)
    received = message.payload["value"]
    assert received.dtype == np.complex64
    assert received.shape == (1_000_000,)
    np.testing.assert_array_equal(received, samples)


def test_socket_channel_cleanup(channel):
    threads_before = set(threading.enumerate())
    fds_before = open_fds()
    unix_path = (
        channel.address.removeprefix("unix:") if channel.address.startswith("unix:") else None
    )
    tracer = open_pair(channel)
    tracer.send_stdout("pending\n")  # unread data must not keep anything alive
    channel.cleanup()
    channel.cleanup()  # idempotent
    assert channel.closed
    assert channel.receive_data() is None
    with pytest.raises(ConnectionClosed):
        tracer.recv_command(timeout=TIMEOUT)
    tracer.close()
    with pytest.raises(ConnectionClosed):
        channel.send_command(Message(MessageType.CMD_STOP))
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leftover == []
    assert open_fds() <= fds_before
    if unix_path is not None:
        assert not os.path.exists(unix_path)
        assert not os.path.exists(os.path.dirname(unix_path))


def test_socket_channel_api_compat():
    def public_api(cls) -> dict[str, inspect.Signature | str]:
        api = {}
        for name, member in inspect.getmembers(cls):
            if name.startswith("_"):
                continue
            api[name] = "property" if isinstance(member, property) else inspect.signature(member)
        return api

    legacy, socket_api = public_api(IPCChannel), public_api(SocketIPCChannel)
    protocol = {
        name for name in dir(Channel) if not name.startswith("_") and name in Channel.__dict__
    }
    assert protocol, "the Channel protocol declares no members"
    for name in sorted(protocol):
        assert name in legacy, f"IPCChannel lacks {name}"
        assert name in socket_api, f"SocketIPCChannel lacks {name}"
        assert socket_api[name] == legacy[name], f"{name}: {socket_api[name]} != {legacy[name]}"
    for cls in (SocketIPCChannel, IPCChannel):
        instance = cls()
        try:
            assert isinstance(instance, Channel)
        finally:
            instance.cleanup()


# ----------------------------------------------------------------- beyond the seed


def test_a_connection_without_the_token_is_refused_and_the_tracer_still_gets_in(channel):
    intruder = Background(_open_later, channel.address, "not-the-token", 0)
    tracer = Background(_open_later, channel.address, channel.token, 0.3)
    outcome = channel.accept(timeout=TIMEOUT)
    assert outcome.result is HandshakeResult.OK
    with pytest.raises(Exception, match="token"):
        intruder.result()
    with tracer.result() as client:
        client.send_stdout("real\n")
        assert receive(channel).payload == {"text": "real\n"}


def _open_later(address, token, delay):
    time.sleep(delay)
    return TracerIPCClient.open(address, token=token)


def test_accept_gives_up_when_told_the_tracer_is_gone(channel):
    started = time.monotonic()
    outcome = channel.accept(timeout=TIMEOUT, keep_waiting=lambda: False)
    assert outcome.result is HandshakeResult.TIMEOUT
    assert time.monotonic() - started < 1.0


def test_a_malformed_frame_closes_the_connection_and_is_reported(channel):
    tracer = open_pair(channel)
    tracer.send_stdout("before\n")
    tracer.transport.send_frame(b"\x00garbage that is no wire frame")
    assert receive(channel).payload == {"text": "before\n"}
    assert channel.wait_disconnected(TIMEOUT)
    assert "frame" in channel.error.lower()
    assert channel.receive_data() is None
    tracer.close()


def test_a_command_from_the_tracer_side_is_a_protocol_error(channel):
    tracer = open_pair(channel)
    tracer.transport.send_frame(encode_message(Message(MessageType.CMD_STOP)))
    assert channel.wait_disconnected(TIMEOUT)
    assert "CMD_STOP" in channel.error
    tracer.close()


def test_only_commands_can_be_sent(channel):
    with pytest.raises(ValueError, match="DATA_STDOUT"):
        channel.send_command(Message(MessageType.DATA_STDOUT, {"text": "x"}))


def test_commands_sent_before_the_tracer_connects_arrive_first_in_order(channel):
    channel.send_command(Message(MessageType.CMD_ADD_PROBE, {"anchor": ANCHOR}))
    channel.send_command(Message(MessageType.CMD_START))
    with open_pair(channel) as tracer:
        kinds = [tracer.recv_command(timeout=TIMEOUT).msg_type for _ in range(2)]
    assert kinds == [MessageType.CMD_ADD_PROBE, MessageType.CMD_START]


def test_a_full_queue_holds_the_tracer_back_instead_of_dropping(monkeypatch):
    channel = SocketIPCChannel(max_queue=4)
    try:
        with open_pair(channel) as tracer:
            sender = Background(_send_numbers, tracer, 50)
            got = []
            deadline = time.monotonic() + TIMEOUT
            while len(got) < 50 and time.monotonic() < deadline:
                message = channel.receive_data()
                if message is None:
                    time.sleep(0.001)
                else:
                    got.append(message.payload["value"])
            sender.result()
        assert got == list(range(50))
    finally:
        channel.cleanup()


def _send_numbers(tracer, count):
    for number in range(count):
        tracer.send_probe_value(ANCHOR, number)


def test_listening_stops_once_the_tracer_is_in(channel):
    open_pair(channel).close()
    host_or_path = channel.address
    if host_or_path.startswith("unix:"):
        assert not os.path.exists(host_or_path.removeprefix("unix:"))
    else:
        host, port = host_or_path.rsplit(":", 1)
        with pytest.raises(OSError):
            SocketClient.connect(host, int(port), timeout=1).close()
