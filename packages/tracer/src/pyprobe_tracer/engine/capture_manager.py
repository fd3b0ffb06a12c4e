"""CaptureManager: turn observed values into ordered, snapshotted capture records.

Two modes per probe:

- ``all``: every value, in order, queued for the sender. Each probe's queue is
  bounded; past the bound captures are dropped *and counted*, and the count is
  reported (DATA_DROPPED), never lost silently.
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

    def __init__(self, *, queue_limit: int = DEFAULT_QUEUE_LIMIT, clock=time.monotonic_ns) -> None:
        if queue_limit < 1:
            raise ValueError(f"queue_limit must be at least 1, got {queue_limit}")
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
            probe.latest = (*_snapshotted(value), self.tick(), now, event)
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
        probe.rows.append((*_snapshotted(value), self.tick(), self.clock(), event))
        return False

    def capture_final(self, probe: Probe, value: Any) -> None:
        """A sample-mode probe's value as its frame ends: kept as the latest whatever
        the rate, so the last value of a run is never lost."""
        probe.latest = (*_snapshotted(value), self.tick(), self.clock(), -1)
        self.wakeup.set()

    # -- sender side ---------------------------------------------------------

    def take(self) -> tuple[list[ScalarSeries], list[CaptureRecord]]:
        """Everything captured since the last take: scalar columns and other records,
        numbered in capture (timestamp) order."""
        with self._take_lock:
            return self._take()

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
            rows.extend((probe.anchor, *pop()) for _ in range(len(probe.rows)))
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
        with self._lock:
            dropped, self._retired_dropped = self._retired_dropped, {}
            for probe in [*self._retired, *self._probes.values()]:
                self._count_dropped(probe, dropped)
        return dropped

    @staticmethod
    def _count_dropped(probe: Probe, into: dict[ProbeAnchor, int]) -> None:
        count = probe.dropped
        if count:
            probe.dropped -= count
            into[probe.anchor] = into.get(probe.anchor, 0) + count


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
