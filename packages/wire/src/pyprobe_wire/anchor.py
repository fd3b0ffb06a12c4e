"""ProbeAnchor: where in the source a probed variable lives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exceptions import ProtocolError


@dataclass(frozen=True)
class ProbeAnchor:
    """A probed symbol at a source position. Frozen and hashable, so usable as a key.

    Field types are checked on construction: a ProbeAnchor on the wire is always valid.
    """

    file: str
    line: int
    col: int
    symbol: str
    func: str = ""
    is_assignment: bool = False

    def __post_init__(self) -> None:
        for name, expected in _FIELD_TYPES.items():
            value = getattr(self, name)
            # Exact types: bool is an int subclass, but a line number of True is a bug.
            if type(value) is not expected:
                raise ProtocolError(
                    f"ProbeAnchor.{name}: expected {expected.__name__}, got {type(value).__name__}"
                )

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELD_TYPES}

    @classmethod
    def from_dict(cls, d: Any) -> ProbeAnchor:
        """Build from ``to_dict()`` output; ProtocolError names any bad field."""
        if type(d) is not dict:
            raise ProtocolError(f"ProbeAnchor: expected dict, got {type(d).__name__}")
        for name in _REQUIRED:
            if name not in d:
                raise ProtocolError(f"ProbeAnchor.{name}: missing")
        for name in d:
            if name not in _FIELD_TYPES:
                raise ProtocolError(f"ProbeAnchor: unexpected field {name!r}")
        return cls(**d)


_FIELD_TYPES = {
    "file": str,
    "line": int,
    "col": int,
    "symbol": str,
    "func": str,
    "is_assignment": bool,
}
_REQUIRED = ("file", "line", "col", "symbol")
