"""Encode a Message to one frame and decode one frame back.

Frame: MAGIC, u32 big-endian length of the rest, UTF-8 JSON header, NUL, then
each array's raw little-endian bytes at a 64-byte aligned offset from the frame
start, zero padding in between. See the package README for the full format.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, NamedTuple

from ._framing import (
    MAX_LENGTH_FIELD,
    PREFIX_SIZE,
    align,
    check_max_frame_bytes,
    parse_prefix,
)
from ._values import from_json, shown, to_json
from .constants import ALIGNMENT, DEFAULT_MAX_FRAME_BYTES, FORMAT_VERSION, MAGIC, MAX_NDIM
from .exceptions import DecodeError, EncodeError
from .message import Message
from .message_type import MessageType

if TYPE_CHECKING:
    import numpy as np

DEFAULT_MAX_HEADER_BYTES = 8 * 1024 * 1024
"""Default limit (8 MiB) on a frame's JSON header, checked before the header is parsed.

Headers are small (bulk numbers travel as arrays after the header), but parsing JSON
costs far more memory than its text: a header of empty objects ``[{},{},...]`` takes
about 50 times its size. This bounds that to a few hundred MiB for a trusted peer;
unauthenticated peers get a much smaller limit (the GUI reads handshakes with 64 KiB).
"""

_HEADER_FIELDS = ("v", "msg_type", "timestamp", "payload", "arrays")


class _Layout(NamedTuple):
    head: bytes  # prefix + header + NUL + padding up to the first array
    arrays: list[np.ndarray]
    dtypes: list[np.dtype]  # wire dtype of each array
    offsets: list[int]
    size: int  # of the whole frame


def encode_message(msg: Message, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> bytearray:
    """One frame holding ``msg``, as a new bytearray.

    Each array is copied exactly once, straight into the result; arrays that are not
    C-contiguous little-endian are converted during that same copy.
    """
    layout = _plan(msg, max_frame_bytes)
    pieces = list(_pieces(layout))
    if all(part is not None for _, part, _, _ in pieces):
        return bytearray().join(part for _, part, _, _ in pieces)
    # Some array must be converted on the way in: give it a place to be written to.
    # A zeroed bytearray costs a memset, but is still far cheaper than copying twice.
    import numpy as np

    frame = bytearray(layout.size)
    for offset, part, arr, dtype in pieces:
        if part is not None:
            frame[offset : offset + len(part)] = part
        else:
            target = np.frombuffer(frame, dtype, count=arr.size, offset=offset)
            np.copyto(target.reshape(arr.shape), arr, casting="equiv")
    return frame


def encode_message_parts(
    msg: Message, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
) -> list[bytes | memoryview]:
    """The frame of ``msg`` as a list of buffers, for ``socket.sendmsg`` without joining.

    ``b"".join(parts) == encode_message(msg)``. C-contiguous little-endian arrays appear
    as memoryviews of their own memory (no copy): keep them unchanged until sent.
    Other arrays are converted into a new buffer (one copy).
    """
    parts: list[bytes | memoryview] = []
    for _, part, arr, dtype in _pieces(_plan(msg, max_frame_bytes)):
        if part is None:
            import numpy as np

            part = _raw(np.ascontiguousarray(arr, dtype))
        parts.append(part)
    return parts


def _plan(msg: Message, max_frame_bytes: int) -> _Layout:
    check_max_frame_bytes(max_frame_bytes)
    if not isinstance(msg.msg_type, MessageType):
        raise EncodeError(f"msg_type must be a MessageType, got {type(msg.msg_type).__name__}")
    timestamp = _finite_float(msg.timestamp)
    if timestamp is None:
        raise EncodeError(f"timestamp must be a finite number, got {msg.timestamp!r}")
    payload, arrays = to_json(msg.payload)
    try:
        payload_text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    except ValueError as error:  # ints beyond Python's int-to-str digit limit
        raise EncodeError(f"payload cannot be written as JSON: {error}") from None
    head_text = (
        f'{{"v":{FORMAT_VERSION},"msg_type":{json.dumps(msg.msg_type.name)},'
        f'"timestamp":{json.dumps(timestamp)},"payload":{payload_text},"arrays":'
    )
    dtypes = []
    if arrays:  # numpy is loaded: the payload holds its arrays
        from .dtypes import wire_dtype

        dtypes = [wire_dtype(arr.dtype) for arr in arrays]
    sizes = [arr.size * dtype.itemsize for arr, dtype in zip(arrays, dtypes, strict=True)]

    # The array offsets are written in the header, so the header length depends on
    # them and they on it. Offsets only grow from one round to the next, so this
    # settles on the smallest consistent layout, in a round or two.
    first = 0
    while True:
        offsets = []
        end = first
        for size in sizes:
            end = align(end)
            offsets.append(end)
            end += size
        table = [
            {"dtype": dtype.str, "shape": list(arr.shape), "offset": offset}
            for arr, dtype, offset in zip(arrays, dtypes, offsets, strict=True)
        ]
        header = (head_text + json.dumps(table, separators=(",", ":")) + "}").encode("ascii")
        header_end = PREFIX_SIZE + len(header) + 1  # just past the NUL
        if not arrays:
            first = end = header_end
            break
        if align(header_end) == first:
            break
        first = align(header_end)

    length = end - PREFIX_SIZE
    if length > max_frame_bytes:
        raise EncodeError(f"frame length {length} exceeds max_frame_bytes {max_frame_bytes}")
    if length > MAX_LENGTH_FIELD:
        raise EncodeError(f"frame length {length} does not fit the 32-bit length field")
    padding = bytes(first - header_end)
    head = b"".join([MAGIC, length.to_bytes(4, "big"), header, b"\0", padding])
    return _Layout(head, arrays, dtypes, offsets, end)


def _finite_float(value: Any) -> float | None:
    if type(value) not in (int, float):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def _pieces(layout: _Layout):
    """(offset, part, array, wire dtype) for each piece of the frame, in order: the
    head, then each array and the padding before it. ``part`` is the bytes to send,
    or None for an array that must be converted first (array is None for the rest)."""
    yield 0, layout.head, None, None
    position = len(layout.head)
    for arr, dtype, offset in zip(layout.arrays, layout.dtypes, layout.offsets, strict=True):
        if offset > position:
            yield position, bytes(offset - position), None, None
        size = arr.size * dtype.itemsize
        position = offset + size
        if size == 0:
            continue
        if arr.flags.c_contiguous and arr.dtype == dtype:
            yield offset, _raw(arr), arr, dtype
        else:
            yield offset, None, arr, dtype


def _raw(arr: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array, without copying."""
    return memoryview(arr.reshape(-1)).cast("B")


def decode_message(
    data,
    *,
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> Message:
    """The Message in ``data`` (bytes, bytearray or memoryview holding exactly one frame).

    Arrays are read-only views of ``data``, which they keep alive. Raises DecodeError
    (a ProtocolError) for anything that is not one valid frame, including a JSON
    header longer than ``max_header_bytes`` (refused before it is parsed).
    """
    check_max_frame_bytes(max_frame_bytes)
    check_max_header_bytes(max_header_bytes)
    view = memoryview(data)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    size = len(view)
    if size < PREFIX_SIZE:
        raise DecodeError(f"truncated frame: {size} bytes, need at least {PREFIX_SIZE}")
    length = parse_prefix(view, max_frame_bytes)
    if size < PREFIX_SIZE + length:
        raise DecodeError(
            f"truncated frame: prefix declares {length} bytes, {size - PREFIX_SIZE} present"
        )
    if size > PREFIX_SIZE + length:
        extra = size - PREFIX_SIZE - length
        raise DecodeError(f"{extra} trailing bytes after a frame of {length} bytes")

    nul = _find_nul(view, PREFIX_SIZE, min(size, PREFIX_SIZE + max_header_bytes + 1))
    if nul < 0:
        if size > PREFIX_SIZE + max_header_bytes:
            raise DecodeError(
                f"header is longer than max_header_bytes {max_header_bytes}: bulk data "
                "belongs in arrays, or raise the reader's max_header_bytes"
            )
        raise DecodeError("header is not terminated by a NUL byte")
    header = _parse_header(view[PREFIX_SIZE:nul])
    msg_type, timestamp = _check_header(header)
    arrays = _view_arrays(view, header["arrays"], nul + 1)
    return Message(msg_type, from_json(header["payload"], arrays), timestamp)


def _find_nul(view: memoryview, start: int, end: int) -> int:
    chunk = 4096  # headers are usually small: look at a little first, then more
    while start < end:
        stop = min(end, start + chunk)
        found = bytes(view[start:stop]).find(0)
        if found >= 0:
            return start + found
        start, chunk = stop, chunk * 2
    return -1


def check_max_header_bytes(value: int) -> int:
    if type(value) is not int:
        raise TypeError(f"max_header_bytes must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"max_header_bytes must be positive, got {value}")
    return value


def _refuse_constant(name: str):
    raise DecodeError(f"header is not valid JSON: non-standard constant {name}")


def _json_shown(value: Any, limit: int = 60) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _finite_json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DecodeError(
            f"header is not valid JSON: number {shown(text)} is not a finite float "
            '(non-finite floats travel as {"$f": "inf"} tags)'
        )
    return value


def _parse_header(raw: memoryview) -> Any:
    try:
        text = str(raw, "utf-8")
    except UnicodeDecodeError as error:
        raise DecodeError(f"header is not valid UTF-8: {error}") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_json_float)
    except DecodeError:
        raise
    except (ValueError, RecursionError) as error:
        raise DecodeError(f"header is not valid JSON: {error}") from None


def _check_header(header: Any) -> tuple[MessageType, float]:
    if type(header) is not dict:
        raise DecodeError(f"header must be a JSON object, got {type(header).__name__}")
    for name in _HEADER_FIELDS:
        if name not in header:
            raise DecodeError(f"header field {name!r} is missing")
        if name == "v":
            _check_version(header["v"])
    for name in header:
        if name not in _HEADER_FIELDS:
            raise DecodeError(f"unexpected header field {shown(name)}")

    type_name = _typed(header, "msg_type", (str,), "a str")
    msg_type = MessageType.__members__.get(type_name)
    if msg_type is None:
        raise DecodeError(f"unknown message type {shown(type_name)}")
    timestamp = _finite_float(_typed(header, "timestamp", (int, float), "a number"))
    if timestamp is None:  # an int too large for a float
        raise DecodeError(
            f"header field 'timestamp' must be a finite float, got {shown(header['timestamp'])}"
        )
    _typed(header, "arrays", (list,), "a list")
    return msg_type, timestamp


def _check_version(version: Any) -> None:
    if type(version) is not int:
        raise DecodeError(f"header field 'v' must be an int, got {type(version).__name__}")
    if version != FORMAT_VERSION:
        raise DecodeError(
            f"unsupported format version {version} (this reader knows {FORMAT_VERSION})"
        )


def _typed(header: dict, name: str, types: tuple[type, ...], what: str) -> Any:
    value = header[name]
    if type(value) not in types:
        raise DecodeError(f"header field {name!r} must be {what}, got {type(value).__name__}")
    return value


def _view_arrays(view: memoryview, table: list, position: int) -> list[np.ndarray]:
    """Read-only views of the frame for each array-table entry, checked against the
    canonical layout: in order, each at the first aligned offset after the previous."""
    arrays = []
    for index, entry in enumerate(table):
        try:
            arr, position = _view_array(view, entry, position)
        except DecodeError as error:
            raise DecodeError(f"array {index}: {error}") from None
        arrays.append(arr)
    if position != len(view):
        raise DecodeError(f"{len(view) - position} unused bytes at the end of the frame")
    return arrays


def _view_array(view: memoryview, entry: Any, position: int) -> tuple[np.ndarray, int]:
    import numpy as np

    from .dtypes import WIRE_DTYPES

    if type(entry) is not dict:
        raise DecodeError(f"entry must be an object, got {type(entry).__name__}")
    for name in ("dtype", "shape", "offset"):
        if name not in entry:
            raise DecodeError(f"field {name!r} is missing")
    for name in entry:
        if name not in ("dtype", "shape", "offset"):
            raise DecodeError(f"unexpected field {shown(name)}")
    code, shape, offset = entry["dtype"], entry["shape"], entry["offset"]

    if type(code) is not str:
        raise DecodeError(f"dtype must be a str, got {type(code).__name__}")
    dtype = WIRE_DTYPES.get(code)  # never np.dtype(code): the string is untrusted
    if dtype is None:
        raise DecodeError(f"dtype {shown(code)} is not a supported numeric dtype")
    if type(shape) is not list:
        raise DecodeError(f"shape must be a list, got {type(shape).__name__}")
    if len(shape) > MAX_NDIM:
        raise DecodeError(f"{len(shape)} dimensions (at most {MAX_NDIM})")
    if not all(type(n) is int and n >= 0 for n in shape):
        raise DecodeError(f"shape {_json_shown(shape)} must hold non-negative ints")
    if type(offset) is not int:
        raise DecodeError(f"offset must be an int, got {type(offset).__name__}")

    expected = align(position)
    if offset % ALIGNMENT:
        raise DecodeError(f"offset {offset} is not {ALIGNMENT}-byte aligned")
    if offset < expected:
        raise DecodeError(f"offset {offset} overlaps what precedes it (expected {expected})")
    if offset > expected:
        raise DecodeError(f"offset {offset} leaves a gap (expected {expected})")
    count = math.prod(shape)
    size = count * dtype.itemsize
    if offset + size > len(view):
        raise DecodeError(
            f"{size} bytes at offset {offset} run past the end of the frame ({len(view)} bytes)"
        )
    if dtype.kind == "b" and count and np.frombuffer(view, np.uint8, count, offset).max() > 1:
        raise DecodeError("bool data holds bytes other than 0 and 1")
    try:
        arr = np.frombuffer(view, dtype, count, offset).reshape(shape)
    except (ValueError, OverflowError):  # e.g. a 0 next to a dimension numpy cannot hold
        raise DecodeError(f"shape {_json_shown(shape)} cannot be viewed") from None
    arr.flags.writeable = False
    return arr, offset + size
