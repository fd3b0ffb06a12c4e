"""One captured value, as it is handed to the sender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .anchor import ProbeAnchor
from .payload import probe_value_payload


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """A probed value at one moment.

    ``value`` is a snapshot: arrays were copied when captured, so the script
    mutating them later changes nothing here. ``seq`` orders every capture of the
    run; ``logical_order`` numbers the trace events, so records sharing it were
    captured at the same instant (one batch).
    """

    anchor: ProbeAnchor
    value: Any
    dtype: str
    shape: tuple[int, ...] | None
    seq: int
    timestamp_ns: int
    logical_order: int

    def to_payload(self) -> dict[str, Any]:
        """The DATA_PROBE_VALUE payload for this record."""
        return probe_value_payload(
            self.anchor,
            self.value,
            dtype=self.dtype,
            shape=self.shape,
            seq=self.seq,
            timestamp_ns=self.timestamp_ns,
            logical_order=self.logical_order,
        )
