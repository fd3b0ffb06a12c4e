"""The sender thread: drain captures and output, turn them into DATA_* messages.

It sits between the script and the socket. The script only ever appends to the
CaptureManager's bounded queue or overwrites its latest-sample slots, so a slow
or stalled receiver can never make the script wait; what does not fit is
counted and reported as DATA_DROPPED.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from pyprobe_wire import MessageType

from .engine import CaptureManager
from .engine.capture_manager import SCALAR_COLUMN_DTYPES, ScalarSeries
from .ipc import payloads

Send = Callable[[MessageType, Any], None]

DEFAULT_FLUSH_INTERVAL = 0.02  # seconds between flushes of all-mode captures
DEFAULT_MAX_BATCH = 4096  # records per DATA_PROBE_VALUE_BATCH message


class Streamer:
    """Sends what the script produced, from a daemon thread, until ``stop()``."""

    def __init__(
        self,
        manager: CaptureManager,
        send: Send,
        *,
        rearm: Callable[[], None] | None = None,
        sample_hz: Callable[[], float] | None = None,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        max_batch: int = DEFAULT_MAX_BATCH,
        on_thread_start: Callable[[], None] | None = None,
    ) -> None:
        self._manager = manager
        self._send = send
        self._rearm = rearm
        self._sample_hz = sample_hz
        self._interval = flush_interval
        self._max_batch = max_batch
        self._on_thread_start = on_thread_start
        self._output: deque[tuple[MessageType, str]] = deque()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one flush at a time (the thread, or stop())
        self._thread = threading.Thread(target=self._run, name="pyprobe-streamer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def output(self, msg_type: MessageType, text: str) -> None:
        """Queue text the script wrote (DATA_STDOUT / DATA_STDERR)."""
        self._output.append((msg_type, text))
        self._manager.wakeup.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Flush everything still queued and end the thread."""
        self._stop.set()
        self._manager.wakeup.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.flush()

    def _run(self) -> None:
        if self._on_thread_start is not None:
            self._on_thread_start()
        next_rearm = 0.0
        while not self._stop.is_set():
            period = self._rearm_period()
            wait = self._interval if period is None else min(self._interval, period)
            self._manager.wakeup.wait(wait)
            self._manager.wakeup.clear()
            try:
                self.flush()
            except Exception as exc:  # a bug here must not end streaming for the run
                print(f"pyprobe-tracer: sending failed: {exc!r}", file=sys.__stderr__)
            if period is not None and self._rearm is not None:
                now = time.monotonic()
                if now >= next_rearm:
                    self._rearm()
                    next_rearm = now + period

    def _rearm_period(self) -> float | None:
        if self._sample_hz is None:
            return None
        hz = self._sample_hz()
        return None if hz <= 0 else 1.0 / hz

    def flush(self) -> None:
        """Send all queued output, captures and drop counts now."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        output = self._output
        while output:
            msg_type, text = output.popleft()
            # Coalesce consecutive writes to the same stream into one message.
            while output and output[0][0] is msg_type:
                text += output.popleft()[1]
            self._send(msg_type, payloads.text(text))
        series, records = self._manager.take()
        entries = [record.to_payload() for record in records]
        columns = []
        for one in series:
            column = series_payload(one)
            if column is None:  # mixed or unrepresentable scalars: send them one by one
                entries.extend(record.to_payload() for record in one.records())
            else:
                columns.append(column)
        if len(entries) == 1 and not columns:
            self._send(MessageType.DATA_PROBE_VALUE, entries[0])
        elif entries or columns:
            for start in range(0, max(len(entries), 1), self._max_batch):
                batch = {"values": entries[start : start + self._max_batch]}
                if start == 0:
                    batch["series"] = columns
                self._send(MessageType.DATA_PROBE_VALUE_BATCH, batch)
        for anchor, count in self._manager.take_dropped().items():
            self._send(MessageType.DATA_DROPPED, payloads.dropped(count, anchor))


def series_payload(series: ScalarSeries) -> dict[str, Any] | None:
    """One probe's scalar captures as columns, or None when they cannot be one array.

    The batch entry: ``{"anchor", "dtype": "scalar", "values": ndarray, "seq":
    int64 ndarray, "timestamp_ns": int64 ndarray}``; each capture is its own trace
    event, so its logical_order is its seq.
    """
    kinds = set(map(type, series.values))
    if len(kinds) != 1:
        return None
    try:
        values = np.array(series.values, dtype=SCALAR_COLUMN_DTYPES[kinds.pop()])
    except OverflowError:  # an int beyond int64
        return None
    return {
        "anchor": series.anchor,
        "dtype": "scalar",
        "values": values,
        "seq": series.seqs,
        "timestamp_ns": series.stamps,
    }
