"""The sender thread: drain captures and output, turn them into DATA_* messages.

It sits between the script and the socket. The script only ever appends to the
CaptureManager's bounded queue or overwrites its latest-sample slots, so a slow
or stalled receiver can never make the script wait; what does not fit is
counted and reported as DATA_DROPPED.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from pyprobe_wire import MessageType

from .engine import CaptureManager
from .engine.capture_manager import ScalarSeries

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
        on_error: Callable[[BaseException], None] | None = None,
        on_thread_start: Callable[[], None] | None = None,
    ) -> None:
        self._manager = manager
        self._send = send
        self._rearm = rearm
        self._sample_hz = sample_hz
        self._interval = flush_interval
        self._max_batch = max_batch
        self._on_error = on_error
        self._on_thread_start = on_thread_start
        self._output: deque[tuple[MessageType, str]] = deque()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one flush at a time (the thread, or stop())
        self._thread = threading.Thread(target=self._run, name="pyprobe-streamer", daemon=True)
        self.failed: BaseException | None = None

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
            self.flush()
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
        if self.failed is not None:
            return
        with self._lock:
            try:
                self._flush()
            except BaseException as exc:  # the connection died: stop sending, tell the owner
                self.failed = exc
                if self._on_error is not None:
                    self._on_error(exc)

    def _flush(self) -> None:
        output = self._output
        while output:
            msg_type, text = output.popleft()
            # Coalesce consecutive writes to the same stream into one message.
            while output and output[0][0] is msg_type:
                text += output.popleft()[1]
            self._send(msg_type, {"text": text})
        series, records = self._manager.take()
        payloads = [record.to_payload() for record in records]
        columns = []
        for one in series:
            column = series_payload(one)
            if column is None:  # mixed or unrepresentable scalars: send them one by one
                payloads.extend(scalar_payloads(one))
            else:
                columns.append(column)
        if len(payloads) == 1 and not columns:
            self._send(MessageType.DATA_PROBE_VALUE, payloads[0])
        elif payloads or columns:
            for start in range(0, max(len(payloads), 1), self._max_batch):
                batch = {"values": payloads[start : start + self._max_batch]}
                if start == 0:
                    batch["series"] = columns
                self._send(MessageType.DATA_PROBE_VALUE_BATCH, batch)
        for anchor, count in self._manager.take_dropped().items():
            self._send(MessageType.DATA_DROPPED, {"count": count, "anchor": anchor})


# Scalar columns travel as arrays of these dtypes when every value has one type.
_COLUMN_DTYPES = {
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
        values = np.array(series.values, dtype=_COLUMN_DTYPES[kinds.pop()])
    except (OverflowError, KeyError):
        return None
    return {
        "anchor": series.anchor,
        "dtype": "scalar",
        "values": values,
        "seq": series.seqs,
        "timestamp_ns": series.stamps,
    }


def scalar_payloads(series: ScalarSeries) -> list[dict[str, Any]]:
    """The DATA_PROBE_VALUE payloads of a series that cannot travel as one array."""
    return [
        {
            "anchor": series.anchor,
            "value": value.item() if isinstance(value, np.generic) else value,
            "dtype": "scalar",
            "shape": None,
            "seq": seq,
            "timestamp_ns": stamp,
            "logical_order": seq,
        }
        for value, seq, stamp in zip(
            series.values, series.seqs.tolist(), series.stamps.tolist(), strict=True
        )
    ]
