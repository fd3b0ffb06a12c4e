"""The DATA_PROBE_VALUE payload, built where the capture is made.

It lives in the engine, not in ``ipc``, so that a CaptureRecord can turn itself into a
payload without loading the tracer's IPC client and with it the socket transport
(docs/ARCHITECTURE.md: the engine imports nothing outward). ``pyprobe_wire.MessageType``
documents the payload.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyprobe_wire import ProbeAnchor

#: The keys of a DATA_PROBE_VALUE payload (and of each entry of a batch).
PROBE_VALUE_KEYS = ("anchor", "value", "dtype", "shape", "seq", "timestamp_ns", "logical_order")


def check_anchor(anchor: Any, where: str) -> ProbeAnchor:
    if type(anchor) is not ProbeAnchor:
        raise TypeError(f"{where} must be a ProbeAnchor, got {type(anchor).__name__}")
    return anchor


def shape_list(shape: Iterable[int] | None) -> list[int] | None:
    return None if shape is None else list(shape)


def probe_value_payload(
    anchor: ProbeAnchor,
    value: Any,
    *,
    dtype: str | None = None,
    shape: Iterable[int] | None = None,
    seq: int | None = None,
    timestamp_ns: int | None = None,
    logical_order: int | None = None,
) -> dict[str, Any]:
    """The DATA_PROBE_VALUE payload: every key of ``PROBE_VALUE_KEYS``, None where unknown.

    ``shape`` is sent as a list. Raises TypeError if ``anchor`` is not a ProbeAnchor.
    """
    return {
        "anchor": check_anchor(anchor, "anchor"),
        "value": value,
        "dtype": dtype,
        "shape": shape_list(shape),
        "seq": seq,
        "timestamp_ns": timestamp_ns,
        "logical_order": logical_order,
    }
