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
from .engine.capture_manager import (
    SCALAR_COLUMN_DTYPES,
    ScalarSeries,
    default_max_value_bytes,
    value_nbytes,
)
from .ipc import payloads

Send = Callable[[MessageType, Any], None]

DEFAULT_FLUSH_INTERVAL = 0.02  # seconds between flushes of all-mode captures
DEFAULT_MAX_BATCH = 4096  # records per DATA_PROBE_VALUE_BATCH message
#: Characters of script output per DATA_STDOUT / DATA_STDERR message. The wire
#: escapes non-ASCII text (up to 12 bytes a character), so this keeps each message
#: a few MiB, well under the frame and header limits the GUI accepts.
MAX_TEXT_CHARS = 1 << 18


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
        max_frame_bytes: int | None = None,
        max_text_chars: int = MAX_TEXT_CHARS,
    ) -> None:
        self._manager = manager
        # Values and batches stay under the largest frame the GUI accepts (the
        # transport's DEFAULT_MAX_FRAME_BYTES unless given).
        self._max_payload = default_max_value_bytes(max_frame_bytes)
        self._max_text = max_text_chars
        self._send = send
        self._rearm = rearm
        self._sample_hz = sample_hz
        self._interval = flush_interval
        self._max_batch = max_batch
        self._on_thread_start = on_thread_start
        self._output: deque[tuple[MessageType, str]] = deque()
        self._stop = threading.Event()
        self._quiet = False  # set in a forked child: it must never send
        self._lock = threading.Lock()  # one flush at a time (the thread, or stop())
        self._thread = threading.Thread(target=self._run, name="pyprobe-streamer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def output(self, msg_type: MessageType, text: str) -> None:
        """Queue text the script wrote (DATA_STDOUT / DATA_STDERR)."""
        self._output.append((msg_type, text))
        self._manager.wakeup.set()

    def go_quiet(self) -> None:
        """Never send again (a forked child: the connection is its parent's). Locks
        another thread held at the fork stay held in the child, so none is taken."""
        self._quiet = True
        self._output = deque()
        self._stop.set()

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
        if self._quiet:
            return
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        output, limit = self._output, self._max_text
        while output:
            msg_type, text = output.popleft()
            # Coalesce consecutive writes to the same stream into one message, and
            # split a long text into messages of at most max_text_chars characters.
            while output and output[0][0] is msg_type and len(text) < limit:
                text += output.popleft()[1]
            for start in range(0, len(text), limit):
                self._send(msg_type, payloads.text(text[start : start + limit]))
        manager = self._manager
        series, records = manager.take(hold=True)
        held = manager.last_take_bytes
        try:
            self._send_values(series, records)
        finally:
            manager.release(held)  # sent (or failed): the bytes leave the budget
        for anchor, (count, nbytes) in manager.take_dropped_bytes().items():
            self._send(MessageType.DATA_DROPPED, payloads.dropped(count, anchor, nbytes))

    def _send_values(self, series: list[ScalarSeries], records) -> None:
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
            return
        if not entries and not columns:
            return
        # Batches of at most max_batch entries and about max_payload bytes, so that
        # no frame exceeds what the GUI accepts (a single larger value was already
        # summarised when it was captured).
        batch: list = []
        size = sum(value_nbytes(column["values"]) * 3 for column in columns)
        first = True
        for entry in entries:
            nbytes = value_nbytes(entry["value"])
            if batch and (len(batch) >= self._max_batch or size + nbytes > self._max_payload):
                self._send_batch(batch, columns if first else None)
                batch, size, first = [], 0, False
            batch.append(entry)
            size += nbytes
        if batch or first:
            self._send_batch(batch, columns if first else None)

    def _send_batch(self, entries: list, columns: list | None) -> None:
        batch: dict[str, Any] = {"values": entries}
        if columns is not None:
            batch["series"] = columns
        self._send(MessageType.DATA_PROBE_VALUE_BATCH, batch)


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
