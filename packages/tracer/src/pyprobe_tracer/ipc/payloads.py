"""The payload of every message the tracer sends, built in one place.

The client's send helpers, the session and the sender thread all use these, so a
payload's shape is defined once; ``pyprobe_wire.MessageType`` documents them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyprobe_wire import ProbeAnchor

# The DATA_PROBE_VALUE payload itself is built in the engine, where captures are made.
from ..engine.payload import (
    PROBE_VALUE_KEYS,
    check_anchor,
    probe_value_payload,
    shape_list,
)

__all__ = ["PROBE_VALUE_KEYS", "check_anchor", "probe_value_payload"]


def batch_entry(index: int, entry: Any) -> dict[str, Any]:
    where = f"batch entry {index}"
    if not isinstance(entry, Mapping):
        raise TypeError(f"{where} must be a dict, got {type(entry).__name__}")
    for key in ("anchor", "value"):
        if key not in entry:
            raise ValueError(f"{where} has no {key!r}")
    unknown = [key for key in entry if key not in PROBE_VALUE_KEYS]
    if unknown:
        raise ValueError(
            f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"a probe value has {', '.join(PROBE_VALUE_KEYS)}"
        )
    check_anchor(entry["anchor"], f"{where}: 'anchor'")
    payload = {key: entry.get(key) for key in PROBE_VALUE_KEYS}
    payload["shape"] = shape_list(payload["shape"])
    return payload


def script_start(script: str, pid: int) -> dict[str, Any]:
    """DATA_SCRIPT_START: the script began running in process ``pid``."""
    return {"script": script, "pid": pid}


def script_end(exit_code: int, stopped: bool | None = None) -> dict[str, Any]:
    """DATA_SCRIPT_END: the script finished with ``exit_code``; ``stopped`` says whether
    a stop ended it (left out when not known)."""
    payload: dict[str, Any] = {"exit_code": exit_code}
    if stopped is not None:
        payload["stopped"] = stopped
    return payload


def exception(exc_type: str, message: str, traceback: str) -> dict[str, Any]:
    """DATA_EXCEPTION: the script raised ``exc_type`` (its name) with ``message``."""
    return {"type": exc_type, "message": message, "traceback": traceback}


def text(text: str) -> dict[str, Any]:
    """DATA_STDOUT / DATA_STDERR: text the script wrote."""
    return {"text": text}


def dropped(
    count: int, anchor: ProbeAnchor | None = None, nbytes: int | None = None
) -> dict[str, Any]:
    """DATA_DROPPED: ``count`` captures were dropped, of ``anchor`` or (None) overall;
    ``nbytes`` (sent as "bytes" when given) is how many bytes of values that was."""
    if anchor is not None:
        check_anchor(anchor, "anchor")
    payload: dict[str, Any] = {"count": count, "anchor": anchor}
    if nbytes is not None:
        payload["bytes"] = nbytes
    return payload
