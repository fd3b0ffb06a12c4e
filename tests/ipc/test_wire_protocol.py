"""M1 wire protocol: the ten behaviours the seed plan names.

More focused cases (every dtype, every bad-input message, zero-copy, parts form)
live in test_wire_values.py; generated cases in test_wire_properties.py.
"""

from __future__ import annotations

import json
import random
import time

import numpy as np
import pytest

from pyprobe_wire import (
    FrameReader,
    Message,
    MessageType,
    ProbeAnchor,
    ProtocolError,
    decode_message,
    encode_message,
)
from pyprobe_wire.codec import DEFAULT_MAX_HEADER_BYTES

ANCHOR = ProbeAnchor(file="/tmp/script.py", line=12, col=4, symbol="x", func="main")


def roundtrip(msg: Message) -> Message:
    return decode_message(encode_message(msg))


def test_roundtrip_simple_command():
    msg = Message(MessageType.CMD_ADD_PROBE, {"anchor": ANCHOR.to_dict()}, timestamp=1234.5)

    out = roundtrip(msg)

    assert out == msg
    assert ProbeAnchor.from_dict(out.payload["anchor"]) == ANCHOR


def test_roundtrip_scalar_data():
    msg = Message(MessageType.DATA_PROBE_VALUE, {"anchor": ANCHOR, "value": 3.25})

    out = roundtrip(msg)

    assert out.msg_type is MessageType.DATA_PROBE_VALUE
    assert out.timestamp == msg.timestamp
    assert out.payload["anchor"] == ANCHOR
    assert type(out.payload["value"]) is float
    assert out.payload["value"] == 3.25


def test_roundtrip_small_array():
    arr = np.linspace(-1.0, 1.0, 1000, dtype=np.float64)  # 8 KB
    assert arr.nbytes < 10_000

    out = roundtrip(Message(MessageType.DATA_PROBE_VALUE, {"anchor": ANCHOR, "value": arr}))

    value = out.payload["value"]
    assert isinstance(value, np.ndarray)
    assert value.dtype == arr.dtype
    assert value.shape == arr.shape
    np.testing.assert_array_equal(value, arr)


def test_roundtrip_large_array():
    rng = np.random.default_rng(1)
    arr = rng.standard_normal(1_000_000) + 1j * rng.standard_normal(1_000_000)

    out = roundtrip(Message(MessageType.DATA_PROBE_VALUE, {"anchor": ANCHOR, "value": arr}))

    value = out.payload["value"]
    assert value.dtype == np.complex128
    assert value.shape == (1_000_000,)
    np.testing.assert_array_equal(value, arr)


def test_roundtrip_batch_message():
    anchors = [ProbeAnchor("s.py", line, 0, f"v{line}") for line in range(1, 5)]
    values = [1.5, np.arange(5, dtype=np.int32), np.ones((2, 3), np.complex64), "text"]
    payload = {"values": [{"anchor": a, "value": v} for a, v in zip(anchors, values, strict=True)]}

    out = roundtrip(Message(MessageType.DATA_PROBE_VALUE_BATCH, payload))

    assert out.msg_type is MessageType.DATA_PROBE_VALUE_BATCH
    got = out.payload["values"]
    assert [entry["anchor"] for entry in got] == anchors
    assert got[0]["value"] == 1.5
    for i in (1, 2):
        assert got[i]["value"].dtype == values[i].dtype
        np.testing.assert_array_equal(got[i]["value"], values[i])
    assert got[3]["value"] == "text"


# @tdd-prose:behavior wire.every_message_type_round_trips
@pytest.mark.parametrize("msg_type", list(MessageType), ids=lambda t: t.name)
def test_roundtrip_all_message_types(msg_type):
    msg = Message(msg_type, {"n": 1, "data": np.arange(3.0)}, timestamp=42.0)

    out = roundtrip(msg)

    assert out.msg_type is msg_type
    assert out.timestamp == 42.0
    assert out.payload["n"] == 1
    np.testing.assert_array_equal(out.payload["data"], [0.0, 1.0, 2.0])


# @tdd-prose:behavior wire.truncated_frames_are_protocol_errors
def test_decode_truncated_bytes_raises():
    frame = bytes(encode_message(Message(MessageType.DATA_PROBE_VALUE, {"v": np.arange(4)})))

    for length in range(len(frame)):
        with pytest.raises(ProtocolError):
            decode_message(frame[:length])


# @tdd-prose:behavior wire.garbage_is_a_protocol_error
def test_decode_garbage_raises():
    rng = random.Random(7)
    for size in [0, 1, 7, 8, 9, 64, 1000]:
        for _ in range(20):
            garbage = rng.randbytes(size)
            with pytest.raises(ProtocolError):
                decode_message(garbage)
            # The same garbage behind a valid prefix still gets only ProtocolError.
            with pytest.raises(ProtocolError):
                decode_message(b"PPR*" + len(garbage).to_bytes(4, "big") + garbage)


def test_large_array_performance():
    arr = np.exp(1j * np.linspace(0, 100, 1_000_000))
    msg = Message(MessageType.DATA_PROBE_VALUE, {"anchor": ANCHOR, "value": arr})
    decode_message(encode_message(msg))  # warm up

    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        decoded = decode_message(encode_message(msg))
        best = min(best, time.perf_counter() - start)

    # Timing alone would pass for code that does nothing: check the work was done.
    np.testing.assert_array_equal(decoded.payload["value"], arr)
    assert best < 0.050, f"encode+decode of 1M complex128 took {best * 1000:.1f} ms"


def test_framing_multiple_messages():
    msgs = [
        Message(MessageType.HANDSHAKE, {"protocol_version": "1.0"}),
        Message(MessageType.DATA_STDOUT, {"text": "hello\n"}),
        Message(MessageType.DATA_PROBE_VALUE, {"anchor": ANCHOR, "value": np.arange(100.0)}),
        Message(MessageType.CMD_PAUSE),
        Message(MessageType.DATA_PROBE_VALUE, {"anchor": ANCHOR, "value": np.eye(3)}),
    ]
    stream = b"".join(encode_message(m) for m in msgs)

    for chunk_size in [len(stream), 1, 3, 7, 64, 1000]:
        reader = FrameReader()
        got = []
        for start in range(0, len(stream), chunk_size):
            reader.feed(stream[start : start + chunk_size])
            got.extend(reader)
        assert [m.msg_type for m in got] == [m.msg_type for m in msgs]
        assert got[0].payload == {"protocol_version": "1.0"}
        assert got[1].payload == {"text": "hello\n"}
        np.testing.assert_array_equal(got[2].payload["value"], np.arange(100.0))
        assert got[3].payload is None
        np.testing.assert_array_equal(got[4].payload["value"], np.eye(3))
        assert reader.next_message() is None


def raw_frame(header: str | bytes) -> bytes:
    """A frame with this header text and no arrays, written by hand."""
    body = (header.encode() if isinstance(header, str) else header) + b"\0"
    return b"PPR*" + len(body).to_bytes(4, "big") + body


def header_text(*, timestamp: str = "0.0", payload: str = "null", msg_type: str = "CMD_START"):
    return (
        f'{{"v":1,"msg_type":"{msg_type}","timestamp":{timestamp},"payload":{payload},"arrays":[]}}'
    )


def test_huge_integer_timestamp_is_a_protocol_error_not_an_overflow():
    frame = raw_frame(header_text(timestamp="9" * 400))

    with pytest.raises(ProtocolError, match="timestamp"):
        decode_message(frame)
    with pytest.raises(ProtocolError, match="timestamp"):
        FrameReader().feed(frame)


@pytest.mark.parametrize(
    ("timestamp", "payload"),
    [("1e999", "null"), ("-1e999", "null"), ("0.0", "1e999"), ("0.0", '{"x":[1,-1e999]}')],
)
def test_overflowing_json_number_is_a_protocol_error_not_infinity(timestamp, payload):
    frame = raw_frame(header_text(timestamp=timestamp, payload=payload))

    with pytest.raises(ProtocolError, match="finite"):
        decode_message(frame)


def test_huge_integer_in_payload_decodes_and_reencodes():
    msg = decode_message(raw_frame(header_text(payload="[" + "7" * 400 + "]")))

    assert msg.payload == [int("7" * 400)]
    assert decode_message(encode_message(msg)).payload == msg.payload


def test_header_longer_than_max_header_bytes_is_refused_before_parsing(monkeypatch):
    frame = raw_frame(header_text(payload="[" + ",".join(["{}"] * 1000) + "]"))

    def no_parsing(*args, **kwargs):
        raise AssertionError("the header was parsed")

    with monkeypatch.context() as patched:
        patched.setattr(json, "loads", no_parsing)
        with pytest.raises(ProtocolError, match="max_header_bytes 1024"):
            decode_message(frame, max_header_bytes=1024)
    assert decode_message(frame, max_header_bytes=len(frame)).payload == [{}] * 1000


@pytest.mark.timing
def test_default_header_limit_refuses_a_huge_header_of_empty_objects_quickly():
    count = DEFAULT_MAX_HEADER_BYTES // 3 + 1
    frame = raw_frame(header_text(payload="[" + ",".join(["{}"] * count) + "]"))

    started = time.perf_counter()
    with pytest.raises(ProtocolError, match="max_header_bytes"):
        decode_message(frame)
    with pytest.raises(ProtocolError, match="max_header_bytes"):
        FrameReader().feed(frame)
    assert time.perf_counter() - started < 2.0


def test_decode_error_shows_a_bounded_part_of_peer_text():
    frame = raw_frame(header_text(msg_type="X" * 100_000))

    with pytest.raises(ProtocolError) as refused:
        decode_message(frame)
    assert "unknown message type" in str(refused.value)
    assert len(str(refused.value)) < 300
