"""Payload values to and from JSON-able data, with arrays moved out to a side list.

JSON carries None, bool, int, str, finite float, list and str-keyed dict as
themselves. Everything else becomes a *tag*: a dict with exactly one key from
``TAGS``. A user dict with any key starting with ``$`` is wrapped as
``{"$d": {...}}``, so a plain JSON object never has such a key and a one-key
``$`` object is always a tag.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

from .anchor import ProbeAnchor
from .constants import MAX_DEPTH
from .exceptions import DecodeError, EncodeError, ProtocolError

if TYPE_CHECKING:
    import numpy as np

ARRAY = "$nd"  # int: index into the frame's array table
TUPLE = "$t"  # list of items
DICT = "$d"  # escaped user dict, keys taken literally
COMPLEX = "$c"  # [real, imag], each a float slot
FLOAT = "$f"  # "nan", "inf" or "-inf"
NUMPY = "$np"  # [wire dtype string, value]: a numpy scalar
ANCHOR = "$anchor"  # ProbeAnchor.to_dict()
TAGS = (ARRAY, TUPLE, DICT, COMPLEX, FLOAT, NUMPY, ANCHOR)

_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to about ``limit`` characters: what an error shows of peer data."""
    text = repr(value) if type(value) is not str or len(value) <= limit else repr(value[:limit])
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _PathError(Exception):
    """Raised deep in a payload; each enclosing container adds its key on the way up."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # encode errors: said after the path
        self.keys: list[Any] = []  # innermost first

    def where(self) -> str:
        keys = [shown(key) for key in reversed(self.keys)]
        if len(keys) > 12:  # a path as deep as MAX_DEPTH says little more than its ends
            keys[6:-6] = ["..."]
        return "payload" + "".join(f"[{key}]" for key in keys)


class _TooDeep(Exception):
    pass


# ---------------------------------------------------------------- encode


def to_json(payload: Any) -> tuple[Any, list[np.ndarray]]:
    """The JSON-able form of ``payload`` and the arrays it refers to, in index order."""
    arrays: list[np.ndarray] = []
    try:
        return _encode(payload, arrays, 0), arrays
    except _PathError as error:
        raise EncodeError(f"{error.message} at {error.where()}{error.detail}") from None
    except _TooDeep:
        raise EncodeError(
            f"payload nested deeper than {MAX_DEPTH} levels (is it cyclic?)"
        ) from None


def _encode(value: Any, arrays: list[np.ndarray], depth: int) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return _float_to_json(value)
    # numpy is imported only when needed: if nobody imported it, no value is numpy's.
    np = sys.modules.get("numpy")
    if np is not None and kind is np.ndarray:
        from .dtypes import wire_dtype

        if wire_dtype(value.dtype) is None:
            raise _PathError(
                f"cannot encode array of dtype {value.dtype}",
                ": only bool, int, uint, float and complex arrays are supported",
            )
        arrays.append(value)
        return {ARRAY: len(arrays) - 1}
    if kind is list or kind is tuple or kind is dict:
        if depth >= MAX_DEPTH:
            raise _TooDeep
        if kind is dict:
            return _encode_dict(value, arrays, depth + 1)
        items = _encode_items(enumerate(value), arrays, depth + 1)
        return items if kind is list else {TUPLE: items}
    if kind is complex:
        return {COMPLEX: [_float_to_json(value.real), _float_to_json(value.imag)]}
    if kind is ProbeAnchor:
        return {ANCHOR: value.to_dict()}
    if np is not None and isinstance(value, np.generic):
        from .dtypes import wire_dtype

        dtype = wire_dtype(value.dtype)
        if dtype is not None:
            return {NUMPY: [dtype.str, _scalar_to_json(value.item())]}
    raise _PathError(f"cannot encode value of type {kind.__name__!r}")


def _encode_items(pairs, arrays: list[np.ndarray], depth: int) -> list[Any]:
    out = []
    for key, item in pairs:
        try:
            out.append(_encode(item, arrays, depth))
        except _PathError as error:
            error.keys.append(key)
            raise
    return out


def _encode_dict(value: dict, arrays: list[np.ndarray], depth: int) -> dict[str, Any]:
    escape = False
    for key in value:
        if type(key) is not str:
            raise _PathError(f"cannot encode dict key of type {type(key).__name__!r}")
        escape = escape or key.startswith("$")
    encoded = dict(zip(value, _encode_items(value.items(), arrays, depth), strict=True))
    return {DICT: encoded} if escape else encoded


def _float_to_json(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {FLOAT: "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _scalar_to_json(item: bool | int | float | complex) -> Any:
    if type(item) is float:
        return _float_to_json(item)
    if type(item) is complex:
        return [_float_to_json(item.real), _float_to_json(item.imag)]
    return item


# ---------------------------------------------------------------- decode


def from_json(data: Any, arrays: list[np.ndarray]) -> Any:
    """The payload ``data`` describes; each array must be referenced exactly once."""
    used = [False] * len(arrays)
    try:
        payload = _decode(data, arrays, used, 0)
    except _PathError as error:
        raise DecodeError(f"{error.where()}: {error.message}") from None
    except _TooDeep:
        raise DecodeError(f"payload nested deeper than {MAX_DEPTH} levels") from None
    if not all(used):
        raise DecodeError(f"array {used.index(False)} is not referenced by the payload")
    return payload


def _decode(data: Any, arrays: list[np.ndarray], used: list[bool], depth: int) -> Any:
    kind = type(data)
    if kind is list:
        if depth >= MAX_DEPTH:
            raise _TooDeep
        return _decode_items(enumerate(data), arrays, used, depth + 1)
    if kind is not dict:
        return data  # json.loads only makes None, bool, int, float, str besides
    if len(data) == 1:
        ((key, value),) = data.items()
        if key.startswith("$"):
            return _decode_tag(key, value, arrays, used, depth)
    for key in data:
        if key.startswith("$"):
            raise _PathError(f"reserved key {shown(key)} in an unescaped object")
    if depth >= MAX_DEPTH:
        raise _TooDeep
    return dict(zip(data, _decode_items(data.items(), arrays, used, depth + 1), strict=True))


def _decode_items(pairs, arrays: list[np.ndarray], used: list[bool], depth: int) -> list[Any]:
    out = []
    for key, item in pairs:
        try:
            out.append(_decode(item, arrays, used, depth))
        except _PathError as error:
            error.keys.append(key)
            raise
    return out


def _decode_tag(tag: str, value: Any, arrays: list[np.ndarray], used: list[bool], depth: int):
    if tag == ARRAY:
        return _array_from_json(value, arrays, used)
    if tag in (TUPLE, DICT):
        expected, name = (list, "a list") if tag == TUPLE else (dict, "an object")
        if type(value) is not expected:
            raise _PathError(f"bad {tag} tag: expected {name}, got {type(value).__name__}")
        if depth >= MAX_DEPTH:
            raise _TooDeep
        if tag == TUPLE:
            return tuple(_decode_items(enumerate(value), arrays, used, depth + 1))
        items = _decode_items(value.items(), arrays, used, depth + 1)
        return dict(zip(value, items, strict=True))
    if tag == COMPLEX:
        parts = _complex_parts(value)
        if parts is None:
            raise _PathError(f"bad {COMPLEX} tag: expected [real, imag]")
        return complex(*parts)
    if tag == FLOAT:
        if type(value) is not str or value not in _NONFINITE:
            raise _PathError(
                f"bad {FLOAT} tag: expected 'nan', 'inf' or '-inf', got {shown(value)}"
            )
        return _NONFINITE[value]
    if tag == NUMPY:
        return _scalar_from_json(value)
    if tag == ANCHOR:
        try:
            return ProbeAnchor.from_dict(value)
        except ProtocolError as error:
            raise _PathError(str(error)) from None
    raise _PathError(f"unknown tag {shown(tag)}")


def _array_from_json(index: Any, arrays: list[np.ndarray], used: list[bool]) -> np.ndarray:
    if type(index) is not int:
        raise _PathError(f"bad {ARRAY} tag: expected an int, got {type(index).__name__}")
    if not 0 <= index < len(arrays):
        raise _PathError(f"array index {index} out of range ({len(arrays)} arrays)")
    if used[index]:
        raise _PathError(f"array {index} is referenced more than once")
    used[index] = True
    return arrays[index]


def _float_from_json(value: Any) -> float | None:
    """A float slot: a JSON float or a FLOAT tag; None if it is neither."""
    if type(value) is float:
        return value
    if type(value) is dict and len(value) == 1 and type(value.get(FLOAT)) is str:
        return _NONFINITE.get(value[FLOAT])
    return None


def _complex_parts(value: Any) -> tuple[float, float] | None:
    if type(value) is not list or len(value) != 2:
        return None
    real, imag = _float_from_json(value[0]), _float_from_json(value[1])
    if real is None or imag is None:
        return None
    return real, imag


def _scalar_from_json(value: Any) -> np.generic:
    if type(value) is not list or len(value) != 2 or type(value[0]) is not str:
        raise _PathError(f"bad {NUMPY} tag: expected [dtype, value]")
    code, item = value
    from .dtypes import WIRE_DTYPES

    dtype = WIRE_DTYPES.get(code)
    if dtype is None:
        raise _PathError(f"bad {NUMPY} tag: unsupported dtype {shown(code)}")
    scalar = _exact_scalar(dtype, item)
    if scalar is None:
        raise _PathError(f"bad {NUMPY} tag: {shown(item)} is not a valid {dtype.name}")
    return scalar


def _exact_scalar(dtype: np.dtype, item: Any) -> np.generic | None:
    """``item`` as a scalar of ``dtype`` if it is exactly representable, else None."""
    import numpy as np

    if dtype.kind == "b":
        return dtype.type(item) if type(item) is bool else None
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        ok = type(item) is int and info.min <= item <= info.max
        return dtype.type(item) if ok else None
    parts = (_float_from_json(item),) if dtype.kind == "f" else _complex_parts(item)
    if parts is None or None in parts:
        return None
    with np.errstate(all="ignore"):
        scalar = dtype.type(complex(*parts) if dtype.kind == "c" else parts[0])
    # Compare as Python floats: numpy would compare in the scalar's own precision.
    got = (float(scalar.real), float(scalar.imag)) if dtype.kind == "c" else (float(scalar),)
    for want, have in zip(parts, got, strict=True):
        if not (want == have or (math.isnan(want) and math.isnan(have))):
            return None
    return scalar
