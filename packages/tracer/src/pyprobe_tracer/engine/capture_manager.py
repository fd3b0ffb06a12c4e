"""CaptureManager: turn observed values into ordered, snapshotted capture records.

Two modes per probe:

- ``all``: every value, in order, queued for the sender. Each probe's queue is
  bounded; past the bound captures are dropped *and counted*, and the count is
  reported (DATA_DROPPED), never lost silently.
- ``sample``: only the latest value, at most ``max_hz`` per second. Older values
  are overwritten, so a slow or stalled receiver never makes the script wait.

The capture path runs inside the traced script, so it does the minimum. Plain
scalars (the values of scalar histories, by far the most frequent) go to three
columns per probe: value, sequence number, timestamp. Everything else is
classified and snapshotted at once and queued as a row. Records are built when
the sender drains.
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
# Immutable scalars: no snapshot needed, classified by their type alone.
IMMUTABLE_SCALARS = frozenset(
    {
        float,
        int,
        complex,
        bool,
        np.float64,
        np.float32,
        np.int64,
        np.int32,
        np.complex128,
        np.complex64,
        np.bool_,
    }
)


@dataclass(eq=False)
class Probe:
    """The engine's state for one anchor. Compared by identity: it is a hot dict key."""

    anchor: ProbeAnchor
    mode: str = MODE_ALL
    max_hz: float = DEFAULT_SAMPLE_HZ
    next_due_ns: int = field(default=0, repr=False)
    # all mode: scalar columns and other rows, taken by the sender
    values: list = field(default_factory=list, repr=False)
    seqs: list = field(default_factory=list, repr=False)
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
    seqs: list
    stamps: list


class CaptureManager:
    """Receives (probe, value) from trace events; the sender drains ordered batches."""

    def __init__(self, *, queue_limit: int = DEFAULT_QUEUE_LIMIT, clock=time.time_ns) -> None:
        if queue_limit < 1:
            raise ValueError(f"queue_limit must be at least 1, got {queue_limit}")
        self._seq = SequenceCounter()
        self.clock = clock
        self.limit = queue_limit
        self._probes: dict[ProbeAnchor, Probe] = {}
        self._retired: list[Probe] = []  # removed probes with captures not yet drained
        self._retired_dropped: dict[ProbeAnchor, int] = {}
        self._lock = threading.Lock()
        self.wakeup = threading.Event()  # set when a sample or a drop wants sending
        self.next_seq = self._seq.next

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
        """A logical_order for a trace event capturing several probes at once."""
        return self.next_seq()

    def capture(self, probe: Probe, value: Any, event: int = -1) -> bool:
        """Record ``value`` for ``probe``. True means the site may stay quiet until re-armed
        (a sample was taken), False that it must keep observing."""
        if probe.mode == MODE_SAMPLE:
            now = self.clock()
            if now < probe.next_due_ns:
                return True
            probe.next_due_ns = now + probe.period_ns
            dtype, shape = SCALAR if type(value) in IMMUTABLE_SCALARS else classify_data(value)
            value = value if dtype == "scalar" else snapshot(value, dtype)
            seq = self.next_seq()
            probe.latest = (value, dtype, shape, seq, now, seq if event < 0 else event)
            self.wakeup.set()
            return True
        if len(probe.seqs) + len(probe.rows) >= self.limit:
            probe.dropped += 1
            self.wakeup.set()
            return False
        if event < 0 and type(value) in IMMUTABLE_SCALARS:
            probe.seqs.append(self.next_seq())
            probe.values.append(value)
            probe.stamps.append(self.clock())
            return False
        dtype, shape = classify_data(value)
        value = snapshot(value, dtype)
        seq = self.next_seq()
        probe.rows.append((value, dtype, shape, seq, self.clock(), seq if event < 0 else event))
        return False

    # -- sender side ---------------------------------------------------------

    def take(self) -> tuple[list[ScalarSeries], list[CaptureRecord]]:
        """Everything captured since the last take: scalar columns and other records."""
        with self._lock:
            probes = [*self._retired, *self._probes.values()]
            for probe in self._retired:
                self._count_dropped(probe, self._retired_dropped)
            self._retired = []
        series: list[ScalarSeries] = []
        records: list[CaptureRecord] = []
        for probe in probes:
            anchor = probe.anchor
            # Columns grow from other threads; stamps are appended last, so their
            # length is the number of complete captures.
            count = len(probe.stamps)
            if count:
                seqs, values, stamps = (
                    probe.seqs[:count],
                    probe.values[:count],
                    probe.stamps[:count],
                )
                del probe.seqs[:count], probe.values[:count], probe.stamps[:count]
                series.append(ScalarSeries(anchor, values, seqs, stamps))
            rows, pop = probe.rows, probe.rows.popleft
            for _ in range(len(rows)):
                value, dtype, shape, seq, stamp, order = pop()
                records.append(CaptureRecord(anchor, value, dtype, shape, seq, stamp, order))
            latest, probe.latest = probe.latest, None
            if latest is not None:
                value, dtype, shape, seq, stamp, order = latest
                records.append(CaptureRecord(anchor, value, dtype, shape, seq, stamp, order))
        return series, records

    def drain(self) -> list[list[CaptureRecord]]:
        """Take what was captured, as batches (one per trace event) in sequence order."""
        series, records = self.take()
        for s in series:
            records.extend(
                CaptureRecord(s.anchor, value, "scalar", None, seq, stamp, seq)
                for value, seq, stamp in zip(s.values, s.seqs, s.stamps, strict=True)
            )
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
