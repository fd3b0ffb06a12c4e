"""pyprobe_wire in detail: values, layout, zero-copy, parts, bad input, FrameReader."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time

import numpy as np
import pytest

import pyprobe_wire
from pyprobe_wire import (
    DEFAULT_MAX_FRAME_BYTES,
    MAGIC,
    PROTOCOL_VERSION,
    DecodeError,
    EncodeError,
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

NUMERIC_DTYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
]
SHAPES = [(), (0,), (3, 0), (7,), (2, 3, 4)]
ANCHOR = ProbeAnchor("a.py", 3, 1, "y", func="f", is_assignment=True)


def roundtrip(payload):
    return decode_message(encode_message(Message(MessageType.DATA_PROBE_VALUE, payload))).payload


def sample(dtype, shape) -> np.ndarray:
    """Distinct, dtype-appropriate values (wrapping for small ints is fine)."""
    size = math.prod(shape)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return (np.arange(size) % 3 == 0).reshape(shape)
    if dtype.kind == "c":
        return (np.arange(size) - 1.5j * np.arange(size)).astype(dtype).reshape(shape)
    return (np.arange(size) * 7 - 5).astype(dtype).reshape(shape)


def assert_same_array(got, expected):
    """Same shape, little-endian standard dtype of the same kind, bit-identical values."""
    assert type(got) is np.ndarray
    wire_dtype = expected.dtype.newbyteorder("<")
    assert got.dtype == wire_dtype
    assert got.dtype.str == wire_dtype.str
    assert got.shape == expected.shape
    assert got.tobytes() == np.ascontiguousarray(expected, dtype=wire_dtype).tobytes()


def split_frame(frame) -> tuple[dict, int]:
    """The header dict of an encoded frame and the offset just past its NUL."""
    data = bytes(frame)
    nul = data.index(b"\0", 8)
    return json.loads(data[8:nul]), nul + 1


# ---------------------------------------------------------------- hand-built frames

HEADER_SPACE = 1015  # header text is space-padded so its NUL ends at offset 1024
DELETE = object()


def raw_frame(body: bytes, *, magic: bytes = MAGIC, length: int | None = None) -> bytes:
    length = len(body) if length is None else length
    return magic + length.to_bytes(4, "big") + body


def frame(payload=None, blobs=(), **overrides) -> bytes:
    """A frame built by hand from a header, independently of the encoder.

    ``blobs`` holds (dtype, shape, data) triples, laid out 64-byte aligned after the
    header, which is then space-padded to end at 1024. ``overrides`` replace header
    fields (DELETE removes one).
    """
    entries, body, offset = [], b"", 1024
    for dtype, shape, data in blobs:
        offset += -offset % 64
        entries.append({"dtype": dtype, "shape": list(shape), "offset": offset})
        body += bytes(offset - 1024 - len(body)) + data
        offset += len(data)
    header = {
        "v": 1,
        "msg_type": "DATA_PROBE_VALUE",
        "timestamp": 1.0,
        "payload": payload,
        "arrays": entries,
        **overrides,
    }
    header = {key: value for key, value in header.items() if value is not DELETE}
    text = json.dumps(header).encode()
    if blobs:
        assert len(text) <= HEADER_SPACE
        text = text.ljust(HEADER_SPACE)
    return raw_frame(text + b"\0" + body)


def f8(*values) -> bytes:
    return np.array(values, dtype="<f8").tobytes()


def decode_error(data, **kwargs) -> str:
    with pytest.raises(DecodeError) as info:
        decode_message(data, **kwargs)
    return str(info.value)


def test_hand_built_frames_are_valid_when_not_broken():
    msg = decode_message(frame({"$nd": 0}, [("<f8", [2], f8(1.0, 2.0))]))
    assert msg.msg_type is MessageType.DATA_PROBE_VALUE
    np.testing.assert_array_equal(msg.payload, [1.0, 2.0])
    msg = decode_message(
        frame([{"$nd": 0}, {"$nd": 1}], [("|u1", [3], b"abc"), ("<f8", [], f8(5))])
    )
    assert msg.payload[0].tobytes() == b"abc"
    assert msg.payload[1].shape == ()


# ---------------------------------------------------------------- public surface


def test_public_constants():
    assert MAGIC == b"PPR*" == bytes([0x50, 0x50, 0x52, 0x2A])
    assert DEFAULT_MAX_FRAME_BYTES == 268435456
    assert PROTOCOL_VERSION == "1.0"
    assert pyprobe_wire.__version__ == "0.1.0"
    assert issubclass(ProtocolError, ValueError)
    assert issubclass(EncodeError, ProtocolError)
    assert issubclass(DecodeError, ProtocolError)


def test_message_type_members():
    assert [m.name for m in MessageType] == [
        "CMD_ADD_PROBE",
        "CMD_REMOVE_PROBE",
        "CMD_SET_THROTTLE",
        "CMD_START",
        "CMD_PAUSE",
        "CMD_RESUME",
        "CMD_STOP",
        "DATA_SCRIPT_START",
        "DATA_PROBE_VALUE",
        "DATA_PROBE_VALUE_BATCH",
        "DATA_STDOUT",
        "DATA_STDERR",
        "DATA_EXCEPTION",
        "DATA_SCRIPT_END",
        "DATA_DROPPED",
        "HANDSHAKE",
        "HANDSHAKE_ACK",
    ]


def test_message_defaults_and_equality():
    before = time.time()
    msg = Message(MessageType.CMD_STOP)
    assert msg.payload is None
    assert before <= msg.timestamp <= time.time()
    assert Message(MessageType.CMD_STOP, {"a": 1}, 5.0) == Message(
        MessageType.CMD_STOP, {"a": 1}, 5.0
    )
    assert Message(MessageType.CMD_STOP, None, 5.0) != Message(MessageType.CMD_START, None, 5.0)


def test_header_fields_on_the_wire():
    msg = Message(MessageType.CMD_SET_THROTTLE, {"max_hz": 30}, timestamp=12.5)
    header, _ = split_frame(encode_message(msg))
    assert header == {
        "v": 1,
        "msg_type": "CMD_SET_THROTTLE",
        "timestamp": 12.5,
        "payload": {"max_hz": 30},
        "arrays": [],
    }


def test_encode_returns_one_bytearray_with_the_length_prefix():
    data = encode_message(Message(MessageType.CMD_START, {"x": np.arange(3)}))
    assert type(data) is bytearray
    assert data[:4] == MAGIC
    assert int.from_bytes(data[4:8], "big") == len(data) - 8


# ---------------------------------------------------------------- ProbeAnchor


def test_probe_anchor_is_frozen_hashable_with_defaults():
    anchor = ProbeAnchor("s.py", 1, 2, "x")
    assert anchor.func == ""
    assert anchor.is_assignment is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        anchor.line = 5
    assert {anchor: 1}[ProbeAnchor("s.py", 1, 2, "x")] == 1
    assert len({anchor, ProbeAnchor("s.py", 1, 2, "x"), ANCHOR}) == 2


def test_probe_anchor_dict_roundtrip():
    assert ANCHOR.to_dict() == {
        "file": "a.py",
        "line": 3,
        "col": 1,
        "symbol": "y",
        "func": "f",
        "is_assignment": True,
    }
    assert ProbeAnchor.from_dict(ANCHOR.to_dict()) == ANCHOR
    assert ProbeAnchor.from_dict({"file": "s", "line": 1, "col": 0, "symbol": "x"}) == (
        ProbeAnchor("s", 1, 0, "x")
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"line": "3"}, "ProbeAnchor.line: expected int, got str"),
        ({"line": True}, "ProbeAnchor.line: expected int, got bool"),
        ({"col": 1.0}, "ProbeAnchor.col: expected int, got float"),
        ({"file": None}, "ProbeAnchor.file: expected str, got NoneType"),
        ({"symbol": 1}, "ProbeAnchor.symbol: expected str, got int"),
        ({"func": []}, "ProbeAnchor.func: expected str, got list"),
        ({"is_assignment": 1}, "ProbeAnchor.is_assignment: expected bool, got int"),
        ({"line": DELETE}, "ProbeAnchor.line: missing"),
        ({"extra": 1}, "ProbeAnchor: unexpected field 'extra'"),
    ],
)
def test_probe_anchor_from_dict_names_the_bad_field(change, message):
    data = ANCHOR.to_dict()
    for key, value in change.items():
        if value is DELETE:
            del data[key]
        else:
            data[key] = value
    with pytest.raises(ProtocolError, match=f"^{re.escape(message)}$"):
        ProbeAnchor.from_dict(data)


def test_probe_anchor_from_dict_wants_a_dict():
    with pytest.raises(ProtocolError, match="ProbeAnchor: expected dict, got list"):
        ProbeAnchor.from_dict([1, 2])


def test_probe_anchor_constructor_checks_types():
    with pytest.raises(ProtocolError, match=r"ProbeAnchor\.line: expected int, got str"):
        ProbeAnchor("s.py", "1", 0, "x")


def test_probe_anchor_inside_payload_comes_back_as_probe_anchor():
    out = roundtrip({"anchors": [ANCHOR, (ANCHOR,)], "one": ANCHOR})
    assert out == {"anchors": [ANCHOR, (ANCHOR,)], "one": ANCHOR}
    assert type(out["one"]) is ProbeAnchor


# ---------------------------------------------------------------- arrays


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_numeric_dtype_and_shape_roundtrips(dtype, shape):
    arr = sample(dtype, shape)
    assert_same_array(roundtrip({"a": arr})["a"], arr)


@pytest.mark.parametrize(
    "dtype", ["i2", "i4", "i8", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16"]
)
def test_byte_swapped_arrays_come_back_native_little_endian(dtype):
    arr = sample(dtype, (4, 5)).astype(np.dtype(dtype).newbyteorder(">"))
    got = roundtrip(arr)
    assert got.dtype.byteorder in "<="
    assert got.dtype.str == "<" + dtype[0] + str(np.dtype(dtype).itemsize)
    np.testing.assert_array_equal(got, arr)
    assert_same_array(got, arr)


@pytest.mark.parametrize(
    "make",
    [
        lambda a: np.asfortranarray(a),
        lambda a: a[::2, ::3],
        lambda a: a[::-1],
        lambda a: a.T,
        lambda a: a[:, 1],
        lambda a: np.asfortranarray(a.astype(a.dtype.newbyteorder(">")))[1:, ::2],
        lambda a: np.broadcast_to(a[0], (4, 6)),
    ],
    ids=["fortran", "stepped", "reversed", "transposed", "column", "swapped-fortran", "broadcast"],
)
@pytest.mark.parametrize("dtype", ["f8", "c16", "i2", "?"])
def test_non_contiguous_inputs_keep_their_values(make, dtype):
    arr = make(sample(dtype, (5, 6)))
    got = roundtrip([arr])[0]
    assert got.flags.c_contiguous
    assert_same_array(got, arr)


def test_zero_d_array_stays_an_array():
    got = roundtrip(np.array(2.5, dtype=np.float32))
    assert type(got) is np.ndarray
    assert got.shape == ()
    assert got.dtype == np.float32
    assert got[()] == np.float32(2.5)


def test_arrays_nested_anywhere():
    a, b, c = np.arange(3), np.ones((2, 2), np.complex64), np.array([True, False])
    payload = {"x": [1, {"y": (a, [b, {"z": ((c,),)}])}], "w": {"deeper": [[[[a]]]]}}
    out = roundtrip(payload)
    assert_same_array(out["x"][1]["y"][0], a)
    assert_same_array(out["x"][1]["y"][1][0], b)
    assert_same_array(out["x"][1]["y"][1][1]["z"][0][0], c)
    assert_same_array(out["w"]["deeper"][0][0][0][0], a)
    assert type(out["x"][1]["y"]) is tuple


def test_the_same_array_object_twice_gives_two_equal_arrays():
    a = np.arange(4.0)
    out = roundtrip([a, a])
    assert_same_array(out[0], a)
    assert_same_array(out[1], a)


@pytest.mark.parametrize(
    ("arr", "type_name"),
    [
        (np.array([object()], dtype=object), "object"),
        (np.array(["ab"]), "<U2"),
        (np.array([b"ab"]), "|S2"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64[D]"),
        (np.zeros(2, dtype=[("a", "<f8")]), "[('a', '<f8')]"),
        (np.zeros(2, dtype="V4"), "|V4"),
        (np.zeros(2, dtype=np.longdouble), str(np.dtype(np.longdouble))),
    ],
    ids=["object", "unicode", "bytes", "datetime", "structured", "void", "longdouble"],
)
def test_unsupported_array_dtypes_are_refused_at_encode(arr, type_name):
    if arr.dtype == np.longdouble and arr.dtype.itemsize == 8:
        pytest.skip("longdouble is float64 on this platform")
    with pytest.raises(EncodeError) as info:
        encode_message(Message(MessageType.DATA_PROBE_VALUE, {"x": [0, arr]}))
    assert str(info.value) == (
        f"cannot encode array of dtype {type_name} at payload['x'][1]: "
        "only bool, int, uint, float and complex arrays are supported"
    )


def test_array_subclasses_are_refused():
    arr = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    with pytest.raises(EncodeError, match="cannot encode value of type 'MaskedArray' at payload"):
        encode_message(Message(MessageType.DATA_PROBE_VALUE, arr))


# ---------------------------------------------------------------- python and numpy scalars


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -17,
        2**200,
        -(2**100),
        1.5,
        -0.0,
        1e-320,
        1.7976931348623157e308,
        float("inf"),
        float("-inf"),
        "",
        "text with ünïcödé, \x00 NUL and a lone \udc80 surrogate",
        1 + 2j,
        complex(float("nan"), float("-inf")),
        [],
        (),
        {},
        (1, (2, (3,))),
        [1, (2.5, "a"), {"k": (None,)}],
    ],
    ids=repr,
)
def test_python_values_roundtrip_with_their_types(value):
    got = roundtrip({"v": value})["v"]
    assert_same(got, value)


def test_nan_roundtrips():
    got = roundtrip([float("nan"), complex(0, float("nan"))])
    assert math.isnan(got[0])
    assert math.isnan(got[1].imag)
    assert got[1].real == 0.0


def test_ints_too_big_for_json_text_fail_cleanly():
    big = 10**5000  # over Python 3.11's int-to-str digit limit
    try:
        data = encode_message(Message(MessageType.CMD_START, big))
    except EncodeError as error:
        assert "int" in str(error)
    else:
        assert decode_message(data).payload == big


@pytest.mark.parametrize(
    "value",
    [
        np.bool_(True),
        np.bool_(False),
        np.int8(-128),
        np.int16(32767),
        np.int32(-(2**31)),
        np.int64(2**63 - 1),
        np.int64(-(2**63)),
        np.uint8(255),
        np.uint16(65535),
        np.uint32(2**32 - 1),
        np.uint64(2**64 - 1),
        np.float16(1.5),
        np.float16(65504),
        np.float32(1.1),
        np.float32(-0.0),
        np.float32(np.inf),
        np.float64(1 / 3),
        np.complex64(1.1 - 2.2j),
        np.complex128(complex(1 / 3, -np.inf)),
    ],
    ids=lambda v: f"{type(v).__name__}({v})",
)
def test_numpy_scalars_keep_their_type_and_value(value):
    got = roundtrip({"s": value})["s"]
    assert type(got) is type(value)
    assert got.tobytes() == value.tobytes()


def test_numpy_nan_scalars_roundtrip():
    for value in [np.float16("nan"), np.float32("nan"), np.complex64(complex(np.nan, 1))]:
        got = roundtrip(value)
        assert type(got) is type(value)
        assert np.isnan(got)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ({1, 2}, "set"),
        (frozenset(), "frozenset"),
        (object(), "object"),
        (b"bytes", "bytes"),
        (bytearray(b"x"), "bytearray"),
        (np.str_("numpy str"), "str_"),
        (np.datetime64("2020-01-01"), "datetime64"),
        (np.longdouble(1), type(np.longdouble(1)).__name__),
        (MessageType.CMD_START, "MessageType"),
        (range(3), "range"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_unencodable_values_are_named_with_their_path(value, type_name):
    if type(value) is np.longdouble and np.dtype(np.longdouble).itemsize == 8:
        pytest.skip("longdouble is float64 on this platform")
    payload = {"x": [0, 1, value]}
    with pytest.raises(EncodeError) as info:
        encode_message(Message(MessageType.DATA_PROBE_VALUE, payload))
    assert str(info.value) == f"cannot encode value of type '{type_name}' at payload['x'][2]"


def test_unencodable_value_path_through_tuples_and_escaped_dicts():
    payload = ({"$x": {"k": [None, {"inner": {1, 2}}]}},)
    with pytest.raises(EncodeError) as info:
        encode_message(Message(MessageType.DATA_PROBE_VALUE, payload))
    assert str(info.value) == (
        "cannot encode value of type 'set' at payload[0]['$x']['k'][1]['inner']"
    )


def test_unencodable_root_payload():
    with pytest.raises(EncodeError, match=r"^cannot encode value of type 'set' at payload$"):
        encode_message(Message(MessageType.CMD_START, {1}))


@pytest.mark.parametrize(("key", "type_name"), [(1, "int"), (None, "NoneType"), ((1,), "tuple")])
def test_non_str_dict_keys_are_refused(key, type_name):
    with pytest.raises(EncodeError) as info:
        encode_message(Message(MessageType.CMD_START, {"a": {key: 1}}))
    assert str(info.value) == f"cannot encode dict key of type '{type_name}' at payload['a']"


def test_subclasses_of_builtins_are_refused_rather_than_silently_converted():
    class Point(tuple):
        pass

    class Flag(int):
        pass

    for value, name in [(Point((1, 2)), "Point"), (Flag(1), "Flag")]:
        with pytest.raises(EncodeError, match=f"cannot encode value of type '{name}'"):
            encode_message(Message(MessageType.CMD_START, value))


def test_cyclic_and_too_deep_payloads_are_refused():
    cyclic = [1]
    cyclic.append(cyclic)
    deep = []
    for _ in range(200):
        deep = [deep]
    for payload in (cyclic, deep):
        with pytest.raises(EncodeError, match="nested deeper than 100 levels"):
            encode_message(Message(MessageType.CMD_START, payload))


def test_nesting_up_to_the_limit_is_fine():
    deep = 1
    for _ in range(100):
        deep = [deep]
    assert roundtrip(deep) == deep


@pytest.mark.parametrize(
    ("msg", "message"),
    [
        (Message("CMD_START"), "msg_type must be a MessageType, got str"),
        (Message(MessageType.CMD_START, None, float("nan")), "timestamp must be a finite"),
        (Message(MessageType.CMD_START, None, "now"), "timestamp must be a finite"),
        (Message(MessageType.CMD_START, None, True), "timestamp must be a finite"),
        (Message(MessageType.CMD_START, None, 10**400), "timestamp must be a finite"),
    ],
)
def test_bad_message_fields_are_refused_at_encode(msg, message):
    with pytest.raises(EncodeError, match=message):
        encode_message(msg)


def test_integer_timestamps_come_back_as_float():
    msg = decode_message(encode_message(Message(MessageType.CMD_START, None, 5)))
    assert type(msg.timestamp) is float
    assert msg.timestamp == 5.0


# ---------------------------------------------------------------- tag escaping


@pytest.mark.parametrize(
    "user_dict",
    [
        {"$nd": 0},
        {"$t": [1, 2]},
        {"$c": [1.0, 2.0]},
        {"$f": "nan"},
        {"$np": ["<f4", 1.5]},
        {"$anchor": {"file": "a", "line": 1, "col": 0, "symbol": "x"}},
        {"$d": {"$nd": 0}},
        {"$": None},
        {"$nd": 0, "other": 1},
        {"plain": {"$t": ({"$d": {}},)}},
    ],
    ids=repr,
)
def test_user_dicts_with_reserved_keys_are_never_taken_for_tags(user_dict):
    out = roundtrip({"user": user_dict})
    assert out == {"user": user_dict}
    assert_same(out["user"], user_dict)


def test_reserved_keys_are_escaped_on_the_wire():
    header, _ = split_frame(encode_message(Message(MessageType.CMD_START, {"$nd": 0})))
    assert header["payload"] == {"$d": {"$nd": 0}}
    assert header["arrays"] == []


# ---------------------------------------------------------------- layout, zero-copy, parts


def test_arrays_start_64_byte_aligned_in_order():
    arrays = [np.arange(n, dtype=dt) for n, dt in [(3, "u1"), (5, "f8"), (0, "f4"), (7, "c8")]]
    data = encode_message(Message(MessageType.DATA_PROBE_VALUE, {"a": arrays}))
    header, body_start = split_frame(data)
    offsets = [entry["offset"] for entry in header["arrays"]]
    assert all(offset % 64 == 0 for offset in offsets)
    assert offsets[0] == body_start + -body_start % 64
    for i in range(1, 4):
        previous_end = offsets[i - 1] + arrays[i - 1].nbytes
        assert offsets[i] == previous_end + -previous_end % 64
    assert len(data) == offsets[-1] + arrays[-1].nbytes
    assert [entry["dtype"] for entry in header["arrays"]] == ["|u1", "<f8", "<f4", "<c8"]
    assert [entry["shape"] for entry in header["arrays"]] == [[3], [5], [0], [7]]
    for entry, arr in zip(header["arrays"], arrays, strict=True):
        assert bytes(data[entry["offset"] : entry["offset"] + arr.nbytes]) == arr.tobytes()


def test_frame_without_arrays_ends_at_the_nul():
    data = encode_message(Message(MessageType.CMD_STOP))
    assert data[-1] == 0
    assert data.index(b"\0", 8) == len(data) - 1


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_decoded_arrays_are_read_only_zero_copy_views(kind):
    arrays = [np.arange(10.0), np.ones((3, 4), np.complex64), np.array(7, np.int16)]
    data = kind(bytes(encode_message(Message(MessageType.DATA_PROBE_VALUE, arrays))))
    got = decode_message(data).payload
    whole = np.frombuffer(data, np.uint8)
    base_address = whole.ctypes.data
    for arr, expected in zip(got, arrays, strict=True):
        assert np.shares_memory(arr, whole)
        assert (arr.ctypes.data - base_address) % 64 == 0
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0
        assert_same_array(arr, expected)


def test_decode_accepts_a_memoryview_slice_of_any_byte_format():
    data = b"junk" + bytes(encode_message(Message(MessageType.CMD_START, np.arange(3))))
    for view in (memoryview(data)[4:], memoryview(data).cast("c")[4:]):
        np.testing.assert_array_equal(decode_message(view).payload, [0, 1, 2])


def test_decode_refuses_what_is_not_bytes_like():
    with pytest.raises(TypeError):
        decode_message("PPR*")


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {"text": "no arrays"},
        np.arange(10.0),
        [np.arange(5, dtype=np.int8), np.zeros((0, 3)), np.array(1j), np.eye(3)[::2]],
        {"swapped": np.arange(6.0).astype(">f8"), "f": np.asfortranarray(np.eye(3))},
        [np.zeros(0), np.zeros(0)],
    ],
    ids=["none", "no-arrays", "one", "mixed", "converted", "empties"],
)
def test_parts_join_to_the_single_buffer(payload):
    msg = Message(MessageType.DATA_PROBE_VALUE, payload, timestamp=3.0)
    parts = encode_message_parts(msg)
    assert isinstance(parts, list)
    assert all(isinstance(part, (bytes, bytearray, memoryview)) for part in parts)
    assert b"".join(parts) == encode_message(msg)


def test_parts_reference_contiguous_arrays_without_copying():
    contiguous = np.arange(1000.0)
    converted = np.arange(1000.0)[::2]
    parts = encode_message_parts(Message(MessageType.DATA_PROBE_VALUE, [contiguous, converted]))
    views = [np.frombuffer(part, np.uint8) for part in parts]
    assert sum(np.shares_memory(view, contiguous) for view in views) == 1
    assert not any(np.shares_memory(view, converted) for view in views)
    (shared,) = [p for p in parts if np.shares_memory(np.frombuffer(p, np.uint8), contiguous)]
    assert isinstance(shared, memoryview)


def test_the_encoder_copies_the_input_once_and_keeps_no_reference():
    arr = np.arange(100.0)
    data = encode_message(Message(MessageType.DATA_PROBE_VALUE, arr))
    assert not np.shares_memory(np.frombuffer(data, np.uint8), arr)
    arr[:] = -1
    np.testing.assert_array_equal(decode_message(data).payload, np.arange(100.0))


# ---------------------------------------------------------------- bad frames: prefix and framing


def test_bad_magic():
    assert decode_error(raw_frame(b"{}\0", magic=b"XXXX")) == "bad magic b'XXXX' (expected b'PPR*')"


def test_too_short_for_a_prefix():
    assert decode_error(b"PPR") == "truncated frame: 3 bytes, need at least 8"


def test_declared_length_over_the_limit_is_refused_from_the_prefix():
    prefix = MAGIC + (2**32 - 1).to_bytes(4, "big")
    assert decode_error(prefix) == "frame length 4294967295 exceeds max_frame_bytes 268435456"
    good = bytes(encode_message(Message(MessageType.CMD_START, np.arange(100))))
    assert decode_error(good, max_frame_bytes=100) == (
        f"frame length {len(good) - 8} exceeds max_frame_bytes 100"
    )
    assert decode_message(good, max_frame_bytes=len(good) - 8).msg_type is MessageType.CMD_START


def test_max_frame_bytes_applies_to_encode_too():
    msg = Message(MessageType.CMD_START, np.arange(100))
    size = len(encode_message(msg)) - 8
    assert b"".join(encode_message_parts(msg, max_frame_bytes=size)) == encode_message(msg)
    for encode in (encode_message, encode_message_parts):
        with pytest.raises(EncodeError, match=f"frame length {size} exceeds max_frame_bytes 100"):
            encode(msg, max_frame_bytes=100)


def test_frames_over_the_32_bit_length_field_are_refused_before_allocating():
    huge = np.broadcast_to(np.zeros(1), (2**30,))  # 8 GiB, of which nothing is allocated
    msg = Message(MessageType.DATA_PROBE_VALUE, huge)
    for encode in (encode_message, encode_message_parts):
        with pytest.raises(EncodeError, match="does not fit the 32-bit length field"):
            encode(msg, max_frame_bytes=2**40)


def test_declared_length_mismatch():
    good = bytes(encode_message(Message(MessageType.CMD_START, {"a": 1})))
    assert decode_error(good[:-1]) == (
        f"truncated frame: prefix declares {len(good) - 8} bytes, {len(good) - 9} present"
    )
    assert decode_error(good + b"\0\0") == (
        f"2 trailing bytes after a frame of {len(good) - 8} bytes"
    )


def test_missing_nul():
    assert decode_error(raw_frame(b'{"v": 1}')) == "header is not terminated by a NUL byte"


def test_bad_utf8_header():
    assert decode_error(raw_frame(b'{"a": "\xff"}\0')).startswith("header is not valid UTF-8")


@pytest.mark.parametrize("text", [b"", b"{", b"{'v': 1}", b'{"v": 1} x', b"[1, 2"])
def test_bad_json_header(text):
    assert decode_error(raw_frame(text + b"\0")).startswith("header is not valid JSON")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_constants_are_refused(constant):
    text = b'{"v": 1, "msg_type": "CMD_START", "timestamp": %s, "payload": null, "arrays": []}'
    assert decode_error(raw_frame(text % constant + b"\0")) == (
        f"header is not valid JSON: non-standard constant {constant.decode()}"
    )


def test_deeply_nested_json_is_refused():
    text = b'{"payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert decode_error(raw_frame(text + b"\0")).startswith("header is not valid JSON")


@pytest.mark.parametrize("text", [b"[]", b"1", b'"s"', b"null"])
def test_header_must_be_an_object(text):
    assert decode_error(raw_frame(text + b"\0")).startswith("header must be a JSON object, got ")


# ---------------------------------------------------------------- bad frames: header fields


@pytest.mark.parametrize("field", ["v", "msg_type", "timestamp", "payload", "arrays"])
def test_missing_header_field(field):
    assert decode_error(frame(**{field: DELETE})) == f"header field '{field}' is missing"


def test_unknown_header_field():
    assert decode_error(frame(extra=1)) == "unexpected header field 'extra'"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"v": 2}, "unsupported format version 2 (this reader knows 1)"),
        ({"v": True}, "header field 'v' must be an int, got bool"),
        ({"v": "1"}, "header field 'v' must be an int, got str"),
        ({"msg_type": "NOPE"}, "unknown message type 'NOPE'"),
        ({"msg_type": 3}, "header field 'msg_type' must be a str, got int"),
        ({"timestamp": "x"}, "header field 'timestamp' must be a number, got str"),
        ({"timestamp": False}, "header field 'timestamp' must be a number, got bool"),
        ({"arrays": {}}, "header field 'arrays' must be a list, got dict"),
        ({"arrays": [5]}, "array 0: entry must be an object, got int"),
    ],
)
def test_mistyped_header_fields(overrides, message):
    assert decode_error(frame(**overrides)) == message


def test_huge_integer_in_header_decodes_or_is_a_decode_error():
    # Python 3.11+ limits int parsing to 4300 digits; 3.10 has no limit.
    text = b'{"v": 1, "msg_type": "CMD_START", "timestamp": 1, "payload": %s, "arrays": []}'
    try:
        msg = decode_message(raw_frame(text % (b"9" * 5000) + b"\0"))
    except DecodeError as error:
        assert str(error).startswith("header is not valid JSON")
    else:
        assert msg.payload == int("9" * 5000)


# ---------------------------------------------------------------- bad frames: array table


def entry_frame(entry: dict, data: bytes = b"") -> bytes:
    """A frame whose single array entry is exactly ``entry``; ``data`` follows at 1024."""
    header = {"v": 1, "msg_type": "CMD_START", "timestamp": 1.0, "payload": {"$nd": 0}}
    header["arrays"] = [entry]
    return raw_frame(json.dumps(header).encode().ljust(HEADER_SPACE) + b"\0" + data)


def test_entry_frame_helper_is_valid():
    got = decode_message(entry_frame({"dtype": "<f8", "shape": [2], "offset": 1024}, f8(1, 2)))
    np.testing.assert_array_equal(got.payload, [1.0, 2.0])


@pytest.mark.parametrize(
    ("entry", "data", "message"),
    [
        ({"shape": [1], "offset": 1024}, f8(1), "array 0: field 'dtype' is missing"),
        ({"dtype": "<f8", "offset": 1024}, f8(1), "array 0: field 'shape' is missing"),
        ({"dtype": "<f8", "shape": [1]}, f8(1), "array 0: field 'offset' is missing"),
        (
            {"dtype": "<f8", "shape": [1], "offset": 1024, "order": "C"},
            f8(1),
            "array 0: unexpected field 'order'",
        ),
        (
            {"dtype": "<U4", "shape": [1], "offset": 1024},
            b"abcd" * 4,
            "array 0: dtype '<U4' is not a supported numeric dtype",
        ),
        (
            {"dtype": "|O", "shape": [1], "offset": 1024},
            bytes(8),
            "array 0: dtype '|O' is not a supported numeric dtype",
        ),
        (
            {"dtype": "O", "shape": [1], "offset": 1024},
            bytes(8),
            "array 0: dtype 'O' is not a supported numeric dtype",
        ),
        (
            {"dtype": ">f8", "shape": [1], "offset": 1024},
            f8(1),
            "array 0: dtype '>f8' is not a supported numeric dtype",
        ),
        (
            {"dtype": "float64", "shape": [1], "offset": 1024},
            f8(1),
            "array 0: dtype 'float64' is not a supported numeric dtype",
        ),
        (
            {"dtype": "<f16", "shape": [1], "offset": 1024},
            bytes(16),
            "array 0: dtype '<f16' is not a supported numeric dtype",
        ),
        (
            {"dtype": 8, "shape": [1], "offset": 1024},
            f8(1),
            "array 0: dtype must be a str, got int",
        ),
        (
            {"dtype": "<f8", "shape": 1, "offset": 1024},
            f8(1),
            "array 0: shape must be a list, got int",
        ),
        (
            {"dtype": "<f8", "shape": [-1], "offset": 1024},
            f8(1),
            "array 0: shape [-1] must hold non-negative ints",
        ),
        (
            {"dtype": "<f8", "shape": [True], "offset": 1024},
            f8(1),
            "array 0: shape [true] must hold non-negative ints",
        ),
        (
            {"dtype": "<f8", "shape": [1.0], "offset": 1024},
            f8(1),
            "array 0: shape [1.0] must hold non-negative ints",
        ),
        (
            {"dtype": "<f8", "shape": [1] * 33, "offset": 1024},
            f8(1),
            "array 0: 33 dimensions (at most 32)",
        ),
        (
            {"dtype": "<f8", "shape": [2**40, 2**40], "offset": 1024},
            f8(1),
            "array 0: 9671406556917033397649408 bytes at offset 1024 run past the end of "
            "the frame (1032 bytes)",
        ),
        (
            {"dtype": "<f8", "shape": [2], "offset": 1024},
            f8(1),
            "array 0: 16 bytes at offset 1024 run past the end of the frame (1032 bytes)",
        ),
        (
            {"dtype": "<f8", "shape": [0, 2**70], "offset": 1024},
            b"",
            "array 0: shape [0, 1180591620717411303424] cannot be viewed",
        ),
        (
            {"dtype": "<f8", "shape": [1], "offset": "1024"},
            f8(1),
            "array 0: offset must be an int, got str",
        ),
        (
            {"dtype": "<f8", "shape": [1], "offset": 1000},
            f8(1),
            "array 0: offset 1000 is not 64-byte aligned",
        ),
        (
            {"dtype": "<f8", "shape": [1], "offset": 960},
            f8(1),
            "array 0: offset 960 overlaps what precedes it (expected 1024)",
        ),
        (
            {"dtype": "<f8", "shape": [1], "offset": 1088},
            bytes(64) + f8(1),
            "array 0: offset 1088 leaves a gap (expected 1024)",
        ),
        (
            {"dtype": "<f8", "shape": [1], "offset": 1024},
            f8(1, 2),
            "8 unused bytes at the end of the frame",
        ),
        (
            {"dtype": "|b1", "shape": [3], "offset": 1024},
            b"\x00\x01\x02",
            "array 0: bool data holds bytes other than 0 and 1",
        ),
    ],
)
def test_bad_array_entries(entry, data, message):
    assert decode_error(entry_frame(entry, data)) == message


def test_overlapping_second_array():
    header = {
        "v": 1,
        "msg_type": "CMD_START",
        "timestamp": 1.0,
        "payload": [{"$nd": 0}, {"$nd": 1}],
    }
    header["arrays"] = [
        {"dtype": "<f8", "shape": [10], "offset": 1024},
        {"dtype": "<f8", "shape": [1], "offset": 1024},
    ]
    data = raw_frame(json.dumps(header).encode().ljust(HEADER_SPACE) + b"\0" + bytes(80))
    assert decode_error(data) == "array 1: offset 1024 overlaps what precedes it (expected 1152)"


def test_trailing_bytes_without_arrays():
    text = json.dumps({"v": 1, "msg_type": "CMD_START", "timestamp": 1.0, "payload": None})
    text = text[:-1] + ', "arrays": []}'
    assert decode_error(raw_frame(text.encode() + b"\0" + bytes(64))) == (
        "64 unused bytes at the end of the frame"
    )


# ---------------------------------------------------------------- bad frames: payload tags


@pytest.mark.parametrize(
    ("payload", "arrays", "message"),
    [
        ({"$nd": 1}, [("<f8", [1], f8(1))], "payload: array index 1 out of range (1 arrays)"),
        ({"$nd": -1}, [("<f8", [1], f8(1))], "payload: array index -1 out of range (1 arrays)"),
        ({"$nd": "0"}, [("<f8", [1], f8(1))], "payload: bad $nd tag: expected an int, got str"),
        ({"$nd": True}, [("<f8", [1], f8(1))], "payload: bad $nd tag: expected an int, got bool"),
        (
            [{"$nd": 0}, {"$nd": 0}],
            [("<f8", [1], f8(1))],
            "payload[1]: array 0 is referenced more than once",
        ),
        (None, [("<f8", [1], f8(1))], "array 0 is not referenced by the payload"),
        ({"$t": 1}, [], "payload: bad $t tag: expected a list, got int"),
        ({"$d": [1]}, [], "payload: bad $d tag: expected an object, got list"),
        ({"$c": [1.0]}, [], "payload: bad $c tag: expected [real, imag]"),
        ({"$c": [1.0, "2"]}, [], "payload: bad $c tag: expected [real, imag]"),
        ({"$c": 1.0}, [], "payload: bad $c tag: expected [real, imag]"),
        ({"$f": "NaN"}, [], "payload: bad $f tag: expected 'nan', 'inf' or '-inf', got 'NaN'"),
        ({"$f": 1.0}, [], "payload: bad $f tag: expected 'nan', 'inf' or '-inf', got 1.0"),
        ({"$np": "<f4"}, [], "payload: bad $np tag: expected [dtype, value]"),
        ({"$np": ["<U1", "a"]}, [], "payload: bad $np tag: unsupported dtype '<U1'"),
        ({"$np": ["|O", 1]}, [], "payload: bad $np tag: unsupported dtype '|O'"),
        ({"$np": ["|i1", 300]}, [], "payload: bad $np tag: 300 is not a valid int8"),
        ({"$np": ["|i1", 1.0]}, [], "payload: bad $np tag: 1.0 is not a valid int8"),
        ({"$np": ["|b1", 1]}, [], "payload: bad $np tag: 1 is not a valid bool"),
        ({"$np": ["<u8", -1]}, [], "payload: bad $np tag: -1 is not a valid uint64"),
        ({"$np": ["<f2", 1e10]}, [], "payload: bad $np tag: 10000000000.0 is not a valid float16"),
        ({"$np": ["<f4", 0.1]}, [], "payload: bad $np tag: 0.1 is not a valid float32"),
        ({"$np": ["<f4", "x"]}, [], "payload: bad $np tag: 'x' is not a valid float32"),
        ({"$np": ["<c8", [0.1, 0]]}, [], "payload: bad $np tag: [0.1, 0] is not a valid complex64"),
        ({"$np": ["<c8", 1.0]}, [], "payload: bad $np tag: 1.0 is not a valid complex64"),
        ({"$zz": 1}, [], "payload: unknown tag '$zz'"),
        ({"$nd": 0, "x": 1}, [], "payload: reserved key '$nd' in an unescaped object"),
        ({"a": [{"$anchor": {"line": 1}}]}, [], "payload['a'][0]: ProbeAnchor.file: missing"),
        (
            {"$anchor": {"file": "a", "line": "1", "col": 0, "symbol": "x"}},
            [],
            "payload: ProbeAnchor.line: expected int, got str",
        ),
        ({"$anchor": 5}, [], "payload: ProbeAnchor: expected dict, got int"),
    ],
)
def test_bad_payload_tags(payload, arrays, message):
    assert decode_error(frame(payload, arrays)) == message


@pytest.mark.parametrize(
    "wrap", [lambda p: [p], lambda p: {"k": p}, lambda p: {"$t": [p]}, lambda p: {"$d": {"$": p}}]
)
def test_deeply_nested_payload_is_refused_at_decode(wrap):
    payload = 1
    for _ in range(100):
        payload = wrap(payload)
    decode_message(frame(payload))  # the limit itself is fine
    assert decode_error(frame(wrap(payload))) == "payload nested deeper than 100 levels"


# ---------------------------------------------------------------- FrameReader


def messages_in(*payloads):
    return [
        Message(MessageType.DATA_PROBE_VALUE, p, timestamp=float(i)) for i, p in enumerate(payloads)
    ]


def test_reader_many_frames_in_one_feed_and_every_api():
    msgs = messages_in({"a": 1}, np.arange(5), None, "x")
    stream = b"".join(encode_message(m) for m in msgs)

    reader = FrameReader()
    reader.feed(stream)
    first = reader.next_message()
    assert first == msgs[0]
    second = next(iter(reader))
    np.testing.assert_array_equal(second.payload, np.arange(5))
    assert reader.messages() == msgs[2:]
    assert reader.messages() == []
    assert reader.next_message() is None
    assert list(reader) == []
    assert reader.buffered_bytes == 0


def test_reader_one_byte_at_a_time_keeps_partial_frames():
    msgs = messages_in(np.arange(50.0), {"b": (1, 2)})
    stream = b"".join(encode_message(m) for m in msgs)
    first_len = len(encode_message(msgs[0]))

    reader = FrameReader()
    got = []
    for i in range(len(stream)):
        reader.feed(stream[i : i + 1])
        if i + 1 < first_len:
            assert reader.next_message() is None
            assert reader.buffered_bytes == i + 1
        got.extend(reader)
    assert len(got) == 2
    np.testing.assert_array_equal(got[0].payload, np.arange(50.0))
    assert got[1].payload == {"b": (1, 2)}
    assert reader.buffered_bytes == 0


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_reader_accepts_any_bytes_like_and_copies_it(kind):
    data = bytearray(encode_message(Message(MessageType.CMD_START, np.arange(4.0))))
    reader = FrameReader()
    reader.feed(kind(data) if kind is not bytes else bytes(data))
    data[:] = bytes(len(data))  # the caller reuses its buffer
    data.extend(b"more")  # and may resize it: the reader holds no export
    (msg,) = reader.messages()
    np.testing.assert_array_equal(msg.payload, np.arange(4.0))
    assert not msg.payload.flags.writeable


def test_reader_messages_stay_intact_as_more_data_arrives():
    reader = FrameReader()
    reader.feed(encode_message(Message(MessageType.CMD_START, np.arange(8.0))))
    (first,) = reader.messages()
    for k in range(20):
        reader.feed(encode_message(Message(MessageType.CMD_START, np.full(8, -k, float))))
        reader.messages()
    np.testing.assert_array_equal(first.payload, np.arange(8.0))


def test_reader_refuses_an_oversized_frame_from_its_prefix_alone():
    reader = FrameReader(max_frame_bytes=1000)
    with pytest.raises(DecodeError, match=r"^frame length 1001 exceeds max_frame_bytes 1000$"):
        reader.feed(MAGIC + (1001).to_bytes(4, "big"))


def test_reader_default_limit_is_one_gib():
    reader = FrameReader()
    with pytest.raises(
        DecodeError, match="frame length 4294967295 exceeds max_frame_bytes 268435456"
    ):
        reader.feed(MAGIC + b"\xff\xff\xff\xff")


def test_reader_accepts_a_frame_exactly_at_the_limit():
    data = encode_message(Message(MessageType.CMD_START, np.arange(4.0)))
    reader = FrameReader(max_frame_bytes=len(data) - 8)
    reader.feed(data)
    assert len(reader.messages()) == 1


def test_reader_refuses_bad_magic_from_the_prefix():
    reader = FrameReader()
    reader.feed(b"GET ")
    with pytest.raises(DecodeError, match=r"bad magic b'GET ' \(expected b'PPR\*'\)"):
        reader.feed(b"/ HTTP")


def test_reader_is_poisoned_after_an_error():
    good = encode_message(Message(MessageType.CMD_START, 1))
    reader = FrameReader()
    with pytest.raises(DecodeError) as info:
        reader.feed(good + b"XXXXXXXX" + good)
    # A message completed before the bad frame is still delivered, then the error repeats.
    assert reader.next_message() == decode_message(good)
    for call in (
        reader.next_message,
        reader.messages,
        lambda: reader.feed(good),
        lambda: list(reader),
    ):
        with pytest.raises(DecodeError) as again:
            call()
        assert again.value is info.value


def test_reader_reports_bad_bodies_when_the_frame_completes():
    bad = frame(None, extra=1)
    reader = FrameReader()
    reader.feed(bad[:-1])
    with pytest.raises(DecodeError, match="unexpected header field 'extra'"):
        reader.feed(bad[-1:])


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_max_frame_bytes_must_be_a_positive_int(limit):
    with pytest.raises((TypeError, ValueError)):
        FrameReader(max_frame_bytes=limit)
