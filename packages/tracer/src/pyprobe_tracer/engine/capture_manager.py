"""CaptureManager: turn observed values into ordered, snapshotted capture records.

Two modes per probe:

- ``all``: every value, in order, queued for the sender. Each probe's queue is
  bounded in values (``queue_limit``), and everything queued or being sent is
  bounded in bytes (``queue_bytes``); past a bound captures are dropped *and
  counted* (number and bytes), and reported (DATA_DROPPED), never lost silently.
- ``sample``: only the latest value, at most ``max_hz`` per second. Older values
  are overwritten, so a slow or stalled receiver never makes the script wait.

The capture path runs inside the traced script, so it does the minimum. Plain
scalars (the values of scalar histories, by far the most frequent) go to three
columns per probe: a capture tick (a process-wide counter), the value and the
timestamp. Everything else is classified and snapshotted at once and queued as
a row. Sequence numbers are given when the sender takes the captures, in tick
order, so the stream it sends is strictly increasing in ``seq`` even when
threads interleave, and never depends on the clock's resolution.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .anchor import ProbeAnchor
from .capture_record import CaptureRecord
from .data_classifier import classify_data, snapshot
from .sequence import SequenceCounter

MODE_ALL = "all"
MODE_SAMPLE = "sample"
MODES = (MODE_ALL, MODE_SAMPLE)
DEFAULT_SAMPLE_HZ = 60.0
DEFAULT_QUEUE_LIMIT = 1 << 18
#: The bytes all-mode captures may hold, queued or being sent (a stalled GUI makes
#: the queue fill up to this and no further). ``PYPROBE_TRACER_QUEUE_BYTES`` overrides.
DEFAULT_QUEUE_BYTES = 256 * 1024 * 1024
QUEUE_BYTES_ENV_VAR = "PYPROBE_TRACER_QUEUE_BYTES"
#: Headroom kept under the frame limit for a message's header and other entries.
FRAME_HEADROOM_BYTES = 1024 * 1024


def default_queue_bytes() -> int:
    """``PYPROBE_TRACER_QUEUE_BYTES`` if set to a positive integer, else DEFAULT_QUEUE_BYTES."""
    text = os.environ.get(QUEUE_BYTES_ENV_VAR, "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_QUEUE_BYTES


def default_max_value_bytes(max_frame_bytes: int | None = None) -> int:
    """The largest value sent whole: what fits a frame the GUI accepts (the transport's
    ``DEFAULT_MAX_FRAME_BYTES``) with headroom for the rest of the message."""
    if max_frame_bytes is None:
        from pyprobe_transport import DEFAULT_MAX_FRAME_BYTES

        max_frame_bytes = DEFAULT_MAX_FRAME_BYTES
    return max_frame_bytes - min(FRAME_HEADROOM_BYTES, max_frame_bytes // 4)


SCALAR = ("scalar", None)
# Immutable scalars: no snapshot needed, classified by their type alone, and sent
# as a column of this numpy dtype when a probe's captures all have one type.
SCALAR_COLUMN_DTYPES = {
    float: np.float64,
    int: np.int64,
    complex: np.complex128,
    bool: np.bool_,
    np.float64: np.float64,
    np.float32: np.float32,
    np.int64: np.int64,
    np.int32: np.int32,
    np.complex128: np.complex128,
    np.complex64: np.complex64,
    np.bool_: np.bool_,
}
IMMUTABLE_SCALARS = frozenset(SCALAR_COLUMN_DTYPES)


@dataclass(eq=False)
class Probe:
    """The engine's state for one anchor. Compared by identity: it is a hot dict key."""

    anchor: ProbeAnchor
    mode: str = MODE_ALL
    max_hz: float = DEFAULT_SAMPLE_HZ
    next_due_ns: int = field(default=0, repr=False)
    # all mode: scalar columns and other rows, taken by the sender
    ticks: list = field(default_factory=list, repr=False)
    values: list = field(default_factory=list, repr=False)
    stamps: list = field(default_factory=list, repr=False)
    rows: deque = field(default_factory=deque, repr=False)
    latest: tuple | None = field(default=None, repr=False)  # sample mode
    dropped: int = field(default=0, repr=False)
    dropped_bytes: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"probe mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not self.max_hz > 0:
            raise ValueError(f"max_hz must be positive, got {self.max_hz!r}")

    @property
    def period_ns(self) -> int:
        return int(1e9 / self.max_hz)


@dataclass(frozen=True)
class ScalarSeries:
    """One probe's scalar captures taken in one drain, as columns."""

    anchor: ProbeAnchor
    values: list
    seqs: np.ndarray  # int64
    stamps: np.ndarray  # int64, wall clock ns

    def records(self) -> list[CaptureRecord]:
        """One record per capture; each was its own trace event (logical_order = seq)."""
        return [
            CaptureRecord(self.anchor, value, "scalar", None, seq, stamp, seq)
            for value, seq, stamp in zip(
                self.values, self.seqs.tolist(), self.stamps.tolist(), strict=True
            )
        ]


class CaptureManager:
    """Receives (probe, value) from trace events; the sender drains ordered batches."""

    def __init__(
        self,
        *,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        queue_bytes: int | None = None,
        max_value_bytes: int | None = None,
        clock=time.monotonic_ns,
    ) -> None:
        if queue_limit < 1:
            raise ValueError(f"queue_limit must be at least 1, got {queue_limit}")
        queue_bytes = default_queue_bytes() if queue_bytes is None else queue_bytes
        if queue_bytes < 1:
            raise ValueError(f"queue_bytes must be at least 1, got {queue_bytes}")
        #: The byte budget of all-mode captures queued or being sent.
        self.queue_bytes = queue_bytes
        #: Values larger than this are sent as a summary (and counted as dropped).
        self.max_value_bytes = (
            default_max_value_bytes() if max_value_bytes is None else max_value_bytes
        )
        # Bytes held = added - released. Each counter has one kind of writer (the
        # capturing threads, the sender), so neither needs a lock.
        self._added_bytes = 0
        self._released_bytes = 0
        self._taken_bytes = 0
        #: Bytes of the records the last ``take(hold=True)`` returned, to ``release()``.
        self.last_take_bytes = 0
        self._next_seq = 0
        self._take_lock = threading.Lock()  # one taker at a time numbers the captures
        self._events = SequenceCounter()
        self._ticks = SequenceCounter()
        self.tick = self._ticks.next  # orders captures across probes and threads
        self.clock = clock  # monotonic: orders captures; shifted to wall time when taken
        self._wall_offset = time.time_ns() - clock()
        self.limit = queue_limit
        self._probes: dict[ProbeAnchor, Probe] = {}
        self._retired: list[Probe] = []  # removed probes with captures not yet drained
        self._retired_dropped: dict[ProbeAnchor, int] = {}
        self._lock = threading.Lock()
        self.wakeup = threading.Event()  # set when a sample or a drop wants sending

    def attach(self, probe: Probe) -> None:
        """Make ``probe``'s captures part of what ``drain()`` returns."""
        with self._lock:
            old = self._probes.get(probe.anchor)
            if old is not None and old is not probe:
                self._retired.append(old)
            self._probes[probe.anchor] = probe

    def detach(self, anchor: ProbeAnchor) -> None:
        with self._lock:
            probe = self._probes.pop(anchor, None)
            if probe is not None:
                self._retired.append(probe)

    # -- capture side (runs in the script's threads) -------------------------

    def new_event(self) -> int:
        """A token shared by the captures of one trace event (they get one logical_order)."""
        return self._events.next()

    def capture(self, probe: Probe, value: Any, event: int = -1) -> bool:
        """Record ``value`` for ``probe``. True means the site may stay quiet until re-armed
        (a sample was taken), False that it must keep observing."""
        if probe.mode == MODE_SAMPLE:
            now = self.clock()
            if now < probe.next_due_ns:
                return True
            probe.next_due_ns = now + probe.period_ns
            probe.latest = (*self._snapshotted(probe, value), self.tick(), now, event)
            self.wakeup.set()
            return True
        if len(probe.stamps) + len(probe.rows) >= self.limit:
            probe.dropped += 1
            self.wakeup.set()
            return False
        if event < 0 and type(value) in IMMUTABLE_SCALARS:
            probe.ticks.append(self.tick())
            probe.values.append(value)
            probe.stamps.append(self.clock())
            return False
        # An ndarray's size is known before copying it; anything else is measured on
        # its snapshot (plain data: no property of a user object is evaluated).
        size = value.nbytes if type(value) is np.ndarray else None
        if size is not None and size <= self.max_value_bytes and size > self._room():
            return self._drop(probe, size)
        snap = self._snapshotted(probe, value)
        held = value_nbytes(snap[0])
        if size is None and held > self._room():
            return self._drop(probe, held)
        self._added_bytes += held  # released by the sender: the same count
        probe.rows.append((*snap, self.tick(), self.clock(), event))
        return False

    def _room(self) -> int:
        return self.queue_bytes - (self._added_bytes - self._released_bytes)

    def _drop(self, probe: Probe, nbytes: int) -> bool:
        probe.dropped += 1
        probe.dropped_bytes += nbytes
        self.wakeup.set()
        return False

    def _snapshotted(self, probe: Probe, value: Any) -> tuple[Any, str, tuple[int, ...] | None]:
        """(snapshot, dtype, shape); a value too large for one frame becomes a summary
        (dtype ``unknown``) and counts as dropped, with its bytes. An ndarray is
        summarised without being copied."""
        if type(value) is np.ndarray and value.nbytes > self.max_value_bytes:
            self._drop(probe, value.nbytes)
            return summary(value, value.nbytes, self.max_value_bytes), "unknown", None
        snap = _snapshotted(value)
        if snap[1] != "scalar":
            size = value_nbytes(snap[0])
            if size > self.max_value_bytes:
                self._drop(probe, size)
                return summary(snap[0], size, self.max_value_bytes, type(value)), "unknown", None
        return snap

    def release(self, nbytes: int) -> None:
        """The sender is done with ``nbytes`` of captures it took (sent, or given up)."""
        self._released_bytes += nbytes

    @property
    def held_bytes(self) -> int:
        """Bytes of all-mode captures queued or taken and not yet released."""
        return self._added_bytes - self._released_bytes

    def capture_final(self, probe: Probe, value: Any) -> None:
        """A sample-mode probe's value as its frame ends: kept as the latest whatever
        the rate, so the last value of a run is never lost."""
        probe.latest = (*self._snapshotted(probe, value), self.tick(), self.clock(), -1)
        self.wakeup.set()

    # -- sender side ---------------------------------------------------------

    def take(self, *, hold: bool = False) -> tuple[list[ScalarSeries], list[CaptureRecord]]:
        """Everything captured since the last take: scalar columns and other records,
        numbered in capture (timestamp) order.

        With ``hold`` the bytes of the records taken still count against the byte
        budget until the caller ``release()``s them (after sending them)."""
        with self._take_lock:
            series, records = self._take()
            taken, self._taken_bytes = self._taken_bytes, 0
        if hold:
            self.last_take_bytes = taken
        else:
            self.release(taken)
        return series, records

    def _take(self) -> tuple[list[ScalarSeries], list[CaptureRecord]]:
        with self._lock:
            probes = [*self._retired, *self._probes.values()]
            for probe in self._retired:
                self._count_dropped(probe, self._retired_dropped)
            self._retired = []
        columns, rows = [], []
        for probe in probes:
            # Columns grow from other threads; stamps are appended last, so their
            # length is the number of complete captures.
            count = len(probe.stamps)
            if count:
                ticks, values = probe.ticks[:count], probe.values[:count]
                stamps = probe.stamps[:count]
                del probe.ticks[:count], probe.values[:count], probe.stamps[:count]
                columns.append((probe.anchor, values, ticks, stamps))
            pop = probe.rows.popleft
            first = len(rows)
            rows.extend((probe.anchor, *pop()) for _ in range(len(probe.rows)))
            self._taken_bytes += sum(value_nbytes(row[1]) for row in rows[first:])
            latest, probe.latest = probe.latest, None
            if latest is not None:
                rows.append((probe.anchor, *latest))
        ticks = _joined([column[2] for column in columns] + [[row[4] for row in rows]])
        wall = _joined([column[3] for column in columns] + [[row[5] for row in rows]])
        wall += self._wall_offset
        seqs = self._number(ticks)
        series, start = [], 0
        for anchor, values, _, _ in columns:
            end = start + len(values)
            series.append(ScalarSeries(anchor, values, seqs[start:end], wall[start:end]))
            start = end
        records = []
        first_of_event: dict[int, int] = {}
        row_seqs, row_wall = seqs[start:].tolist(), wall[start:].tolist()
        for (anchor, value, dtype, shape, _, _, event), seq, stamp in zip(
            rows, row_seqs, row_wall, strict=True
        ):
            order = seq if event < 0 else first_of_event.setdefault(event, seq)
            records.append(CaptureRecord(anchor, value, dtype, shape, seq, stamp, order))
        return series, records

    def _number(self, ticks: np.ndarray) -> np.ndarray:
        """Sequence numbers for captures with these ticks: consecutive, in tick order."""
        start, self._next_seq = self._next_seq, self._next_seq + len(ticks)
        numbers = np.arange(start, self._next_seq, dtype=np.int64)
        if len(ticks) < 2 or bool(np.all(ticks[1:] > ticks[:-1])):
            return numbers  # already in order: one probe, or probes that took turns
        seqs = np.empty(len(ticks), dtype=np.int64)
        seqs[np.argsort(ticks)] = numbers
        return seqs

    def drain(self) -> list[list[CaptureRecord]]:
        """Take what was captured, as batches (one per trace event) in sequence order."""
        series, records = self.take()
        for one in series:
            records.extend(one.records())
        records.sort(key=lambda record: record.seq)
        batches: list[list[CaptureRecord]] = []
        for record in records:
            if batches and batches[-1][0].logical_order == record.logical_order:
                batches[-1].append(record)
            else:
                batches.append([record])
        return batches

    def take_dropped(self) -> dict[ProbeAnchor, int]:
        """Counts of captures dropped per anchor since the last call."""
        return {anchor: count for anchor, (count, _) in self.take_dropped_bytes().items()}

    def take_dropped_bytes(self) -> dict[ProbeAnchor, tuple[int, int]]:
        """(count, bytes) of captures dropped per anchor since the last call; bytes
        counts the values dropped for the byte budget or sent as a summary."""
        with self._lock:
            dropped, self._retired_dropped = self._retired_dropped, {}
            for probe in [*self._retired, *self._probes.values()]:
                self._count_dropped(probe, dropped)
        return dropped

    @staticmethod
    def _count_dropped(probe: Probe, into: dict[ProbeAnchor, tuple[int, int]]) -> None:
        count, nbytes = probe.dropped, probe.dropped_bytes
        if count:
            probe.dropped -= count
            probe.dropped_bytes -= nbytes
            old_count, old_bytes = into.get(probe.anchor, (0, 0))
            into[probe.anchor] = (old_count + count, old_bytes + nbytes)


def _joined(parts: list[list[int]]) -> np.ndarray:
    """One int64 array of the concatenated lists."""
    arrays = [np.array(part, dtype=np.int64) for part in parts if len(part)]
    if not arrays:
        return np.empty(0, dtype=np.int64)
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _snapshotted(value: Any) -> tuple[Any, str, tuple[int, ...] | None]:
    """(snapshot, dtype, shape) of a captured value."""
    if type(value) in IMMUTABLE_SCALARS:
        return (value, *SCALAR)
    dtype, shape = classify_data(value)
    return snapshot(value, dtype), dtype, shape


def value_nbytes(value: Any, _depth: int = 0) -> int:
    """About how many bytes a snapshot takes (plain data: arrays, lists, dicts, text): an
    array's data, the sum over a collection's items; other small values count 64."""
    if type(value) is np.ndarray:
        return value.nbytes
    if _depth < 4:
        if type(value) in (list, tuple):
            return 64 + sum(value_nbytes(item, _depth + 1) for item in value)
        if type(value) is dict:
            return 64 + sum(value_nbytes(item, _depth + 1) for item in value.values())
    if type(value) in (str, bytes):
        return len(value)
    return 64


def summary(value: Any, nbytes: int, limit: int, kind: type | None = None) -> dict[str, Any]:
    """What is sent instead of a value too large for one frame: its type, and for an
    ndarray its dtype, shape and min/max (numeric), and its size in bytes, in the form
    of an ``unknown`` value. ``value`` is an ndarray or a snapshot (plain data) of a
    value of type ``kind``."""
    kind = type(value) if kind is None else kind
    out: dict[str, Any] = {"type": f"{kind.__module__}.{kind.__qualname__}", "bytes": nbytes}
    if type(value) is np.ndarray:
        out["dtype"] = str(value.dtype)
        out["shape"] = [int(n) for n in value.shape]
        if value.size and value.dtype.kind in "biuf":
            low, high = value.min().item(), value.max().item()
            if math.isfinite(low) and math.isfinite(high):  # the wire carries no NaN
                out["min"], out["max"] = low, high
    out["repr"] = (
        f"<{kind.__name__} of {nbytes} bytes: over the {limit}-byte limit of one frame, "
        "sent as this summary>"
    )
    return out
