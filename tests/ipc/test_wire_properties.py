"""Generated payloads round-trip; generated damage yields ProtocolError and nothing else."""

from __future__ import annotations

import json

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyprobe_wire import (
    MAGIC,
    FrameReader,
    Message,
    MessageType,
    ProbeAnchor,
    ProtocolError,
    decode_message,
    encode_message,
    encode_message_parts,
)
from tests._support.values import assert_same

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DTYPES = [np.dtype(c) for c in ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]] + [
    np.dtype(c) for c in ["f2", "f4", "f8", "c8", "c16"]
]
# Integers far beyond any float (400 digits and more) but within Python's int-to-str limit.
HUGE_INTEGERS = st.integers(10**399, 10**1000) | st.integers(-(10**1000), -(10**399))
# JSON number tokens that parse to infinity: written into a header raw (see header_mutated).
OVERFLOWING_NUMBERS = ["1e999", "-1e999", "1.5e400", "-0.1e99999"]
RAW = "@raw:"

RESERVED_LOOKING_KEYS = ["$nd", "$t", "$d", "$c", "$f", "$np", "$anchor", "$", "$zz"]


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
    arr = draw(hnp.arrays(dtype, shape))
    layout = draw(st.sampled_from(["C", "F", "swapped", "stepped", "transposed"]))
    if layout == "F":
        arr = np.asfortranarray(arr)
    elif layout == "swapped":
        arr = arr.astype(dtype.newbyteorder(">"))
    elif layout == "stepped" and arr.ndim:
        arr = np.repeat(arr, 2, axis=0)[::2]
    elif layout == "transposed":
        arr = arr.T
    return arr


def numpy_scalars():
    return st.sampled_from(DTYPES).flatmap(lambda dt: hnp.from_dtype(dt).map(dt.type))


anchors = st.builds(
    ProbeAnchor,
    file=st.text(max_size=10),
    line=st.integers(-(2**40), 2**40),
    col=st.integers(0, 200),
    symbol=st.text(max_size=8),
    func=st.text(max_size=8),
    is_assignment=st.booleans(),
)

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**80), 2**80),
    HUGE_INTEGERS,
    st.floats(),
    st.complex_numbers(),
    st.text(max_size=12),
    numpy_scalars(),
    arrays(),
    anchors,
)

payloads = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(
            st.text(max_size=6) | st.sampled_from(RESERVED_LOOKING_KEYS), children, max_size=4
        ),
    ),
    max_leaves=12,
)

messages = st.builds(
    Message,
    msg_type=st.sampled_from(list(MessageType)),
    payload=payloads,
    timestamp=st.floats(allow_nan=False, allow_infinity=False),
)


def assert_same_message(got: Message, expected: Message):
    assert got.msg_type is expected.msg_type
    assert got.timestamp == expected.timestamp
    assert_same(got.payload, expected.payload)


@FAST
@given(messages)
def test_generated_messages_roundtrip(msg):
    data = encode_message(msg)
    assert_same_message(decode_message(data), msg)
    assert b"".join(encode_message_parts(msg)) == data


@settings(FAST, max_examples=100)
@given(st.lists(messages, min_size=1, max_size=3), st.data())
def test_reader_reassembles_any_chunking(msgs, data):
    stream = b"".join(encode_message(m) for m in msgs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    reader = FrameReader()
    got = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        reader.feed(stream[start:end])
        got.extend(reader)
    assert len(got) == len(msgs)
    for g, m in zip(got, msgs, strict=True):
        assert_same_message(g, m)
    assert reader.buffered_bytes == 0


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_protocol_error(garbage):
    prefixed = MAGIC + len(garbage).to_bytes(4, "big") + garbage
    for data in (garbage, prefixed):
        with pytest.raises(ProtocolError):
            decode_message(data)
    with pytest.raises(ProtocolError):
        FrameReader().feed(prefixed)  # a complete frame: decoded (and refused) at once


small_messages = st.builds(
    Message,
    msg_type=st.sampled_from(list(MessageType)),
    payload=st.recursive(
        st.one_of(
            st.none(), st.integers(), st.floats(), st.text(max_size=4), arrays(), numpy_scalars()
        ),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
        max_leaves=5,
    ),
    timestamp=st.floats(0, 1e10),
)


@st.composite
def mutated(draw, frame: bytes) -> bytes:
    """``frame`` damaged in the body (usually with a matching length field, so the
    damage reaches the header and array checks) or in the prefix."""
    data = bytearray(frame)
    kinds = ["flip", "set", "insert", "delete", "truncate", "prefix"]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds))
        i = draw(st.sampled_from(range(min(8, len(data)), len(data) + 1)))  # uniform
        if kind == "flip" and i < len(data):
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and i < len(data):
            data[i] = draw(st.sampled_from([0, 0x22, 0x24, 0x2C, 0x5B, 0x7B, 0x7D, 0xFF]))
        elif kind == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[i : i + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif kind == "prefix" and len(data) >= 8:
            data[draw(st.integers(0, 7))] ^= 1 << draw(st.integers(0, 7))
    if len(data) >= 8 and draw(st.integers(0, 3)):
        data[4:8] = (len(data) - 8).to_bytes(4, "big")
    return bytes(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | HUGE_INTEGERS
    | st.sampled_from(OVERFLOWING_NUMBERS).map(lambda token: RAW + token)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["<f8", "|b1", "<U4", "O", ">f8", "nan", "CMD_START"]),
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(
            st.text(max_size=4) | st.sampled_from(RESERVED_LOOKING_KEYS), c, max_size=3
        )
    ),
    max_leaves=5,
)


def json_slots(node) -> list[tuple]:
    """(container, key) for every value inside a parsed JSON document."""
    slots = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in items:
        slots.append((node, key))
        if isinstance(child, (dict, list)):
            slots.extend(json_slots(child))
    return slots


@st.composite
def header_mutated(draw, frame: bytes, values=json_values) -> bytes:
    """``frame`` with one value of its header JSON replaced. The header keeps its
    length when the new one is not longer, so array offsets still line up. A string
    ``RAW + token`` is written as the bare token (numbers json.dumps never writes)."""
    data = bytes(frame)
    nul = data.index(b"\0", 8)
    header = json.loads(data[8:nul])
    container, key = draw(st.sampled_from(json_slots(header)))
    container[key] = draw(values)
    text = json.dumps(header)
    for token in OVERFLOWING_NUMBERS:
        text = text.replace(json.dumps(RAW + token), token)
    text = text.encode().ljust(nul - 8)
    body = text + data[nul:]
    return MAGIC + len(body).to_bytes(4, "big") + body


def decode_or_protocol_error(data: bytes) -> Message | None:
    """Decode; a damaged frame may only fail with ProtocolError, and anything that
    does decode must be a valid message that survives a round trip itself."""
    try:
        msg = decode_message(data)
    except ProtocolError:
        return None
    again = decode_message(encode_message(msg))
    assert_same_message(again, msg)
    return msg


@FAST
@given(small_messages.map(lambda m: bytes(encode_message(m))).flatmap(mutated))
def test_mutated_frames_raise_only_protocol_error(data):
    decode_or_protocol_error(data)


@FAST
@given(small_messages.map(lambda m: bytes(encode_message(m))).flatmap(header_mutated))
def test_frames_with_a_changed_header_value_raise_only_protocol_error(data):
    decode_or_protocol_error(data)


extreme_numbers = HUGE_INTEGERS | st.sampled_from(OVERFLOWING_NUMBERS).map(lambda t: RAW + t)


@FAST
@given(
    small_messages.map(lambda m: bytes(encode_message(m))).flatmap(
        lambda frame: header_mutated(frame, extreme_numbers)
    )
)
def test_huge_or_overflowing_numbers_in_a_header_raise_only_protocol_error(data):
    decode_or_protocol_error(data)


@FAST
@given(
    st.lists(small_messages, min_size=1, max_size=3)
    .map(lambda ms: b"".join(encode_message(m) for m in ms))
    .flatmap(mutated),
    st.data(),
)
def test_reader_on_mutated_streams_raises_only_protocol_error(stream, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    reader = FrameReader(max_frame_bytes=1 << 20)
    try:
        for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
            reader.feed(stream[start:end])
            for msg in reader:
                assert isinstance(msg, Message)
    except ProtocolError as error:
        # Poisoned: messages completed before the damage, then the same error for good.
        for _ in range(len(stream)):
            try:
                msg = reader.next_message()
            except ProtocolError as again:
                assert again is error
                break
            assert isinstance(msg, Message)
        else:
            raise AssertionError("a poisoned reader kept returning normally") from error
        with pytest.raises(ProtocolError) as again:
            reader.feed(b"more")
        assert again.value is error
