"""M4 TracerIPCClient: wire messages over the socket transport, tracer side.

The first eight tests are the seed plan's M4 table; the rest cover what the seed
leaves open: addresses, Unix sockets, the command thread, bad input, closing.
"""

from __future__ import annotations

import logging
import threading
import traceback

import numpy as np
import pytest

from pyprobe_tracer.ipc import TracerIPCClient, UnexpectedMessage
from pyprobe_transport import ConnectionClosed, SocketServer, TransportTimeout
from pyprobe_wire import (
    Message,
    MessageType,
    ProbeAnchor,
    ProtocolError,
    decode_message,
    encode_message,
)
from tests._support.sockets import TIMEOUT, Background, needs_unix
from tests._support.values import assert_same

ANCHOR = ProbeAnchor(file="/tmp/dsp/filter.py", line=12, col=4, symbol="x", func="main")
OTHER = ProbeAnchor(file="/tmp/dsp/filter.py", line=20, col=8, symbol="spectrum", func="fft")
THIRD = ProbeAnchor(file="/tmp/dsp/filter.py", line=31, col=0, symbol="n", is_assignment=True)


def receive(transport) -> Message:
    """The next message a raw server-side transport receives."""
    return decode_message(transport.recv_frame(timeout=TIMEOUT))


def send(transport, msg_type: MessageType, payload=None, timestamp=None) -> Message:
    msg = Message(msg_type, payload) if timestamp is None else Message(msg_type, payload, timestamp)
    transport.send_frame(encode_message(msg))
    return msg


@pytest.fixture
def server():
    with SocketServer() as listening:
        yield listening


@pytest.fixture
def pair(server):
    """(server-side transport, TracerIPCClient) over loopback TCP."""
    client = TracerIPCClient.connect(*server.address, timeout=TIMEOUT)
    with client, server.accept(timeout=TIMEOUT) as accepted:
        yield accepted, client


# --------------------------------------------------------------- seed plan, M4


def test_client_connects_to_server(server):
    host, port = server.address

    client = TracerIPCClient.connect(host, port, timeout=TIMEOUT)

    with client, server.accept(timeout=TIMEOUT) as accepted:
        assert isinstance(client, TracerIPCClient)
        assert not client.closed
        assert client.transport.peer_address == (host, port)
        assert accepted.peer_address == client.transport.local_address
        client.send_stdout("connected\n")
        assert receive(accepted).payload == {"text": "connected\n"}


def test_client_receives_add_probe_cmd(pair):
    accepted, client = pair
    sent = send(accepted, MessageType.CMD_ADD_PROBE, {"anchor": ANCHOR}, timestamp=1234.5)

    msg = client.recv_command(timeout=TIMEOUT)

    assert msg.msg_type is MessageType.CMD_ADD_PROBE
    assert msg.payload == {"anchor": ANCHOR}
    assert type(msg.payload["anchor"]) is ProbeAnchor
    assert msg.timestamp == sent.timestamp


def test_client_sends_probe_value(pair):
    accepted, client = pair

    client.send_probe_value(
        ANCHOR, 3.25, dtype="float", seq=7, timestamp_ns=1_700_000_000_123_456_789, logical_order=5
    )

    msg = receive(accepted)
    assert msg.msg_type is MessageType.DATA_PROBE_VALUE
    assert msg.payload == {
        "anchor": ANCHOR,
        "value": 3.25,
        "dtype": "float",
        "shape": None,
        "seq": 7,
        "timestamp_ns": 1_700_000_000_123_456_789,
        "logical_order": 5,
    }
    assert type(msg.payload["anchor"]) is ProbeAnchor
    assert type(msg.payload["value"]) is float


def test_client_sends_large_array(pair):
    accepted, client = pair
    samples = np.random.default_rng(4).standard_normal(1_000_000)  # 8 MB, more than a socket buffer

    sending = Background(
        lambda: client.send_probe_value(OTHER, samples, dtype="array_1d", shape=samples.shape)
    )
    msg = receive(accepted)
    sending.result()

    assert msg.msg_type is MessageType.DATA_PROBE_VALUE
    assert msg.payload["anchor"] == OTHER
    assert msg.payload["dtype"] == "array_1d"
    assert msg.payload["shape"] == [1_000_000]  # a tuple goes out as a list
    assert_same(msg.payload["value"], samples)


def test_client_sends_batch(pair):
    accepted, client = pair
    iq = np.exp(1j * np.linspace(0, 2 * np.pi, 256)).astype(np.complex64)
    counts = np.arange(12, dtype=np.int32).reshape(3, 4)
    entries = [
        {"anchor": ANCHOR, "value": 0.5, "seq": 1, "logical_order": 9},
        {"anchor": OTHER, "value": iq, "dtype": "complex64", "shape": [256], "seq": 2},
        {"anchor": THIRD, "value": counts, "seq": 3, "timestamp_ns": 42, "logical_order": 9},
    ]

    client.send_probe_batch(entries)

    msg = receive(accepted)
    assert msg.msg_type is MessageType.DATA_PROBE_VALUE_BATCH
    values = msg.payload["values"]
    assert [entry["anchor"] for entry in values] == [ANCHOR, OTHER, THIRD]
    assert [entry["seq"] for entry in values] == [1, 2, 3]
    assert_same(values[0]["value"], 0.5)
    assert_same(values[1]["value"], iq)
    assert_same(values[2]["value"], counts)
    # Every entry has the full DATA_PROBE_VALUE shape; what the caller left out is None.
    assert values[0]["dtype"] is None and values[0]["shape"] is None
    assert values[1]["dtype"] == "complex64" and values[1]["shape"] == [256]
    assert values[2]["timestamp_ns"] == 42 and values[2]["logical_order"] == 9
    assert all(
        set(entry) == {"anchor", "value", "dtype", "shape", "seq", "timestamp_ns", "logical_order"}
        for entry in values
    )


def test_client_sends_script_end(pair):
    accepted, client = pair

    client.send_script_end(3)

    msg = receive(accepted)
    assert msg.msg_type is MessageType.DATA_SCRIPT_END
    assert msg.payload == {"exit_code": 3}


def test_client_sends_exception(pair):
    accepted, client = pair
    try:
        raise ValueError("bad sample rate: -1")
    except ValueError:
        text = traceback.format_exc()

    client.send_exception("ValueError", "bad sample rate: -1", text)

    msg = receive(accepted)
    assert msg.msg_type is MessageType.DATA_EXCEPTION
    assert msg.payload == {
        "type": "ValueError",
        "message": "bad sample rate: -1",
        "traceback": text,
    }
    assert "Traceback (most recent call last)" in msg.payload["traceback"]
    assert "test_client_sends_exception" in msg.payload["traceback"]


def test_client_sends_stdout_stderr(pair):
    accepted, client = pair

    client.send_stdout("fs = 48000\n")
    client.send_stderr("warning: clipping at sample 17 – ±1.0 exceeded\n")

    out, err = receive(accepted), receive(accepted)
    assert (out.msg_type, out.payload) == (MessageType.DATA_STDOUT, {"text": "fs = 48000\n"})
    assert err.msg_type is MessageType.DATA_STDERR
    assert err.payload == {"text": "warning: clipping at sample 17 – ±1.0 exceeded\n"}


# --------------------------------------------------------------- the other messages


def test_client_sends_script_start_and_dropped(pair):
    accepted, client = pair

    client.send_script_start("/tmp/dsp/filter.py", 4321)
    client.send_dropped(17, anchor=ANCHOR)
    client.send_dropped(2)

    start, dropped, dropped_all = receive(accepted), receive(accepted), receive(accepted)
    assert start.msg_type is MessageType.DATA_SCRIPT_START
    assert start.payload == {"script": "/tmp/dsp/filter.py", "pid": 4321}
    assert dropped.msg_type is MessageType.DATA_DROPPED
    assert dropped.payload == {"count": 17, "anchor": ANCHOR}
    assert dropped_all.payload == {"count": 2, "anchor": None}


def test_generic_send_carries_any_tracer_message(pair):
    accepted, client = pair

    client.send(MessageType.DATA_STDOUT, {"text": "raw"})

    msg = receive(accepted)
    assert (msg.msg_type, msg.payload) == (MessageType.DATA_STDOUT, {"text": "raw"})


@pytest.mark.parametrize("msg_type", [MessageType.CMD_STOP, MessageType.HANDSHAKE_ACK])
def test_generic_send_refuses_gui_messages(pair, msg_type):
    accepted, client = pair

    with pytest.raises(ValueError, match=msg_type.name):
        client.send(msg_type, None)

    client.send_stdout("next")  # nothing else went out before this
    assert receive(accepted).msg_type is MessageType.DATA_STDOUT


def test_large_array_is_sent_as_parts_without_joining(pair):
    accepted, client = pair
    samples = np.random.default_rng(5).standard_normal(1 << 20)
    frames = []
    real_send_frame = client.transport.send_frame

    def recording_send_frame(data):
        frames.append(data)
        real_send_frame(data)

    client.transport.send_frame = recording_send_frame
    sending = Background(client.send_probe_value, ANCHOR, samples)
    msg = receive(accepted)
    sending.result()

    (parts,) = frames
    assert isinstance(parts, list) and len(parts) >= 2
    # The array's bytes go out as a view of the array itself: no joined copy was made.
    assert any(np.shares_memory(np.frombuffer(part, np.uint8), samples) for part in parts)
    assert_same(msg.payload["value"], samples)


def test_send_probe_value_checks_the_anchor(pair):
    _, client = pair
    with pytest.raises(TypeError, match="ProbeAnchor"):
        client.send_probe_value(ANCHOR.to_dict(), 1.0)


@pytest.mark.parametrize(
    ("entry", "error", "match"),
    [
        ({"value": 1.0}, ValueError, "'anchor'"),
        ({"anchor": ANCHOR}, ValueError, "'value'"),
        ({"anchor": ANCHOR, "value": 1.0, "sequence": 3}, ValueError, "'sequence'"),
        ({"anchor": "x", "value": 1.0}, TypeError, "ProbeAnchor"),
        ([ANCHOR, 1.0], TypeError, "dict"),
    ],
)
def test_send_probe_batch_checks_each_entry(pair, entry, error, match):
    accepted, client = pair
    with pytest.raises(error, match=match):
        client.send_probe_batch([{"anchor": OTHER, "value": 0.0}, entry])

    client.send_probe_batch([])  # an empty batch sends nothing
    client.send_stdout("after")
    assert receive(accepted).msg_type is MessageType.DATA_STDOUT


# --------------------------------------------------------------- addresses


def test_connect_address_tcp_string(server):
    with (
        TracerIPCClient.connect_address(server.address_string, timeout=TIMEOUT) as client,
        server.accept(timeout=TIMEOUT) as accepted,
    ):
        client.send_script_end(0)
        assert receive(accepted).payload == {"exit_code": 0}


def test_connect_address_ipv6():
    try:
        listening = SocketServer("::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with listening:
        assert listening.address_string.startswith("[::1]:")
        with (
            TracerIPCClient.connect_address(listening.address_string, timeout=TIMEOUT) as client,
            listening.accept(timeout=TIMEOUT) as accepted,
        ):
            client.send_stdout("v6")
            assert receive(accepted).payload == {"text": "v6"}


@needs_unix
def test_client_over_unix_socket():
    with SocketServer.unix() as listening:
        address = listening.address_string
        assert address.startswith("unix:")
        with (
            TracerIPCClient.connect_address(address, timeout=TIMEOUT) as client,
            listening.accept(timeout=TIMEOUT) as accepted,
        ):
            send(accepted, MessageType.CMD_REMOVE_PROBE, {"anchor": OTHER})
            command = client.recv_command(timeout=TIMEOUT)
            assert (command.msg_type, command.payload) == (
                MessageType.CMD_REMOVE_PROBE,
                {"anchor": OTHER},
            )
            samples = np.arange(300_000, dtype=np.float32)
            sending = Background(client.send_probe_value, OTHER, samples)
            assert_same(receive(accepted).payload["value"], samples)
            sending.result()


def test_connect_to_nothing_raises_connection_error():
    with SocketServer() as listening:
        address = listening.address_string
    with pytest.raises(ConnectionError):
        TracerIPCClient.connect_address(address, timeout=TIMEOUT)


# --------------------------------------------------------------- recv_command


def test_recv_command_rejects_a_data_message(pair):
    accepted, client = pair
    send(accepted, MessageType.DATA_STDOUT, {"text": "not a command"})

    with pytest.raises(UnexpectedMessage, match="DATA_STDOUT") as caught:
        client.recv_command(timeout=TIMEOUT)

    assert isinstance(caught.value, ProtocolError)
    assert caught.value.msg_type is MessageType.DATA_STDOUT


def test_recv_command_accepts_handshake_ack(pair):
    accepted, client = pair
    payload = {"protocol_version": "1.0", "accepted": True, "message": ""}
    send(accepted, MessageType.HANDSHAKE_ACK, payload)

    msg = client.recv_command(timeout=TIMEOUT)

    assert (msg.msg_type, msg.payload) == (MessageType.HANDSHAKE_ACK, payload)


def test_recv_command_times_out_and_stays_in_sync(pair):
    accepted, client = pair

    with pytest.raises(TransportTimeout):
        client.recv_command(timeout=0.05)

    send(accepted, MessageType.CMD_PAUSE)
    assert client.recv_command(timeout=TIMEOUT).msg_type is MessageType.CMD_PAUSE


def test_recv_command_malformed_frame_is_a_protocol_error(pair):
    accepted, client = pair
    accepted.send_frame(b"PPR*\x00\x00\x00\x02{}")

    with pytest.raises(ProtocolError):
        client.recv_command(timeout=TIMEOUT)


# --------------------------------------------------------------- the command thread


class Recorder:
    """Callbacks for start_command_thread that remember what they were given."""

    def __init__(self, expected_commands: int = 0):
        self.commands: list[Message] = []
        self.disconnects: list[BaseException | None] = []
        self.threads: set[str] = set()
        self.enough = threading.Event()
        self.disconnected = threading.Event()
        self._expected = expected_commands

    def on_command(self, msg: Message) -> None:
        self.threads.add(threading.current_thread().name)
        self.commands.append(msg)
        if len(self.commands) >= self._expected:
            self.enough.set()

    def on_disconnect(self, exc: BaseException | None) -> None:
        self.disconnects.append(exc)
        self.disconnected.set()


def test_command_thread_delivers_commands_in_order(pair):
    accepted, client = pair
    anchors = [ProbeAnchor("/tmp/s.py", line, 0, f"v{line}") for line in range(1, 51)]
    recorder = Recorder(expected_commands=52)

    thread = client.start_command_thread(recorder.on_command, recorder.on_disconnect)
    for anchor in anchors:
        send(accepted, MessageType.CMD_ADD_PROBE, {"anchor": anchor})
    send(accepted, MessageType.CMD_SET_THROTTLE, {"max_hz": 30.0})
    send(accepted, MessageType.CMD_STOP)

    assert recorder.enough.wait(TIMEOUT)
    assert thread.daemon
    assert recorder.threads == {thread.name}
    assert [m.payload["anchor"] for m in recorder.commands[:50]] == anchors
    assert recorder.commands[50].payload == {"max_hz": 30.0}
    assert recorder.commands[51].msg_type is MessageType.CMD_STOP
    assert recorder.disconnects == []


def test_command_thread_reports_server_close_once(pair):
    accepted, client = pair
    recorder = Recorder(expected_commands=1)
    thread = client.start_command_thread(recorder.on_command, recorder.on_disconnect)
    send(accepted, MessageType.CMD_START)
    assert recorder.enough.wait(TIMEOUT)

    accepted.close()

    assert recorder.disconnected.wait(TIMEOUT)
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    client.close()
    assert len(recorder.disconnects) == 1
    assert isinstance(recorder.disconnects[0], ConnectionClosed)
    assert [m.msg_type for m in recorder.commands] == [MessageType.CMD_START]
    assert client.closed


def test_command_thread_reports_none_when_the_client_closes(pair):
    _, client = pair
    recorder = Recorder()
    thread = client.start_command_thread(recorder.on_command, recorder.on_disconnect)

    client.close()

    assert not thread.is_alive()  # close() joined it
    assert recorder.disconnects == [None]
    client.close()
    assert recorder.disconnects == [None]


def test_command_thread_malformed_frame_ends_the_connection_and_logs(pair, caplog):
    accepted, client = pair
    recorder = Recorder()
    caplog.set_level(logging.ERROR, logger="pyprobe_tracer.ipc")
    thread = client.start_command_thread(recorder.on_command, recorder.on_disconnect)

    accepted.send_frame(b"definitely not a PyProbe message")

    assert recorder.disconnected.wait(TIMEOUT)
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    (error,) = recorder.disconnects
    assert isinstance(error, ProtocolError)
    assert client.closed
    assert any("bad magic" in record.getMessage() for record in caplog.records)
    with pytest.raises(ConnectionClosed):
        accepted.recv_frame(timeout=TIMEOUT)


def test_command_thread_ends_on_a_data_message(pair):
    accepted, client = pair
    recorder = Recorder()
    client.start_command_thread(recorder.on_command, recorder.on_disconnect)

    send(accepted, MessageType.DATA_PROBE_VALUE, {"anchor": ANCHOR, "value": 1.0})

    assert recorder.disconnected.wait(TIMEOUT)
    (error,) = recorder.disconnects
    assert isinstance(error, UnexpectedMessage)
    assert "DATA_PROBE_VALUE" in str(error)
    assert recorder.commands == []


def test_command_callback_error_is_logged_and_reading_goes_on(pair, caplog):
    accepted, client = pair
    caplog.set_level(logging.ERROR, logger="pyprobe_tracer.ipc")
    received = []
    done = threading.Event()

    def on_command(msg):
        if msg.msg_type is MessageType.CMD_PAUSE:
            raise RuntimeError("handler bug")
        received.append(msg.msg_type)
        done.set()

    client.start_command_thread(on_command, lambda exc: None)
    send(accepted, MessageType.CMD_PAUSE)
    send(accepted, MessageType.CMD_RESUME)

    assert done.wait(TIMEOUT)
    assert received == [MessageType.CMD_RESUME]
    assert any(
        record.exc_info and "handler bug" in str(record.exc_info[1]) for record in caplog.records
    )


def test_only_the_command_thread_reads(pair):
    _, client = pair
    client.start_command_thread(lambda msg: None, lambda exc: None)

    with pytest.raises(RuntimeError, match="command thread"):
        client.recv_command(timeout=0.01)
    with pytest.raises(RuntimeError, match="already"):
        client.start_command_thread(lambda msg: None, lambda exc: None)


def test_sends_from_many_threads_while_the_command_thread_reads(pair):
    accepted, client = pair
    recorder = Recorder(expected_commands=100)
    client.start_command_thread(recorder.on_command, recorder.on_disconnect)
    block = np.arange(4096, dtype=np.float64)

    def produce(worker: int) -> None:
        for seq in range(100):
            client.send_probe_value(ANCHOR, block + worker, seq=seq, logical_order=worker)

    producers = [Background(produce, worker) for worker in range(4)]
    for _ in range(100):
        send(accepted, MessageType.CMD_RESUME)
    got = [receive(accepted) for _ in range(400)]
    for producer in producers:
        producer.result()

    assert recorder.enough.wait(TIMEOUT)
    for worker in range(4):
        mine = [m.payload for m in got if m.payload["logical_order"] == worker]
        assert [p["seq"] for p in mine] == list(range(100))
        for payload in mine:
            assert_same(payload["value"], block + worker)


# --------------------------------------------------------------- closing


def test_close_is_idempotent(server):
    client = TracerIPCClient.connect(*server.address, timeout=TIMEOUT)
    with server.accept(timeout=TIMEOUT) as accepted:
        with client:
            client.close()
            client.close()
            assert client.closed
        client.close()

        with pytest.raises(ConnectionClosed):
            client.send_stdout("too late")
        with pytest.raises(ConnectionClosed):
            accepted.recv_frame(timeout=TIMEOUT)


def test_context_manager_closes(server):
    with TracerIPCClient.connect(*server.address, timeout=TIMEOUT) as client:
        accepted = server.accept(timeout=TIMEOUT)
    with accepted:
        assert client.closed
        with pytest.raises(ConnectionClosed):
            accepted.recv_frame(timeout=TIMEOUT)
