"""Pretty JSON, fast: the same bytes as ``json.dumps(indent=2, sort_keys=True,
ensure_ascii=False)``, but with the C string encoder (the stdlib falls back to its
pure-Python encoder whenever ``indent`` is set, which made large snapshots slow)."""

from __future__ import annotations

import json
from typing import Any

_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


def pretty_json(data: Any) -> str:
    parts: list[str] = []
    _emit(data, "", parts)
    parts.append("\n")
    return "".join(parts)


def _emit(value: Any, indent: str, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(_encode_string(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = indent + "  "
        parts.append("{")
        first = True
        for key in sorted(value):
            parts.append("\n" + inner if first else ",\n" + inner)
            first = False
            parts.append(_encode_string(key))
            parts.append(": ")
            _emit(value[key], inner, parts)
        parts.append("\n" + indent + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        inner = indent + "  "
        parts.append("[")
        for index, item in enumerate(value):
            parts.append(("\n" if index == 0 else ",\n") + inner)
            _emit(item, inner, parts)
        parts.append("\n" + indent + "]")
    else:
        parts.append(json.dumps(value))
