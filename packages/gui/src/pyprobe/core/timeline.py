"""The whole run, capture by capture: what the time scrubber replays.

A ``Timeline`` holds every capture of one run in ``seq`` order, and the text the
script wrote, so that the state of every probe can be shown at any point of the
run. It is built either from a recording (``Timeline.from_file``, the file
``python -m pyprobe_tracer --record FILE`` writes) or live, from the messages the
GUI also gives its ``ProbeStore`` (``Timeline.add``).

A *position* is a capture's ``seq``. ``state_at(position)`` is the latest capture
of each anchor with ``seq <= position``: what the probes showed right after that
capture. ``positions`` lists every position, ``step`` walks them.

Text (DATA_STDOUT, DATA_STDERR, DATA_EXCEPTION) has no seq of its own. Each text
event is placed *after the newest capture received before it in the stream*: its
``after_seq`` is the highest seq of any capture that arrived earlier (None when
none had), and ``text_at(position)`` is the text of the events whose ``after_seq``
is at most ``position``. That is as precise as the stream is: the tracer sends
what it queued every few milliseconds, the queued text *before* the captures
queued in the same interval, so text can show up to one send interval (20 ms in
the tracer) before captures that really preceded it. The traceback the tracer
echoes on stderr after a DATA_EXCEPTION is dropped: it is the exception's text.

Memory: captures are kept per anchor in numpy columns. While an anchor's captures
are numbers of one kind they are one numeric column (seq, timestamp and value: 24
bytes a capture); otherwise its values are kept as objects, arrays as read-only
copies (so that they do not pin the frame they were decoded from). A timeline with
a ``budget_bytes`` keeps the newest captures whose cost fits it, dropping the oldest
(over all anchors) first and counting them in ``evicted``. A capture costs
``SCALAR_OVERHEAD`` in a numeric column, else ``CAPTURE_OVERHEAD`` plus, for each
array it holds, the array's ``nbytes`` plus ``ARRAY_OVERHEAD``: close to what it
really takes. Text is not budgeted.

No Qt here; not thread-safe (the GUI feeds and reads it from its own thread).
"""

from __future__ import annotations

import bisect
import numbers
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pyprobe_wire import MAGIC, FrameReader, Message, MessageType, ProbeAnchor, ProtocolError

from ..exceptions import PyProbeError
from .probes import DEFAULT_HISTORY

#: Default memory budget of a live timeline.
DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024

#: Bytes a scalar capture counts for while its anchor's values are one numeric column
#: (its seq, timestamp and value take 24).
SCALAR_OVERHEAD = 32

#: Bytes any other capture counts for, besides its arrays (its columns' entries and a
#: small Python object).
CAPTURE_OVERHEAD = 64

#: Bytes each array a capture holds counts for on top of its nbytes (the ndarray object
#: and its allocation).
ARRAY_OVERHEAD = 128

#: Bytes read from a recording at a time.
READ_CHUNK_BYTES = 1 << 20

#: The text streams of ``TextEvent.stream``.
TEXT_STREAMS = ("stdout", "stderr", "exception")

_NO_TIMESTAMP = np.iinfo(np.int64).min  # a capture whose timestamp_ns was not sent
_BEFORE_ANY = -(1 << 64)  # the order key of text received before any capture
_INITIAL_CAPACITY = 16
_TEXT_TYPES = {
    MessageType.DATA_STDOUT: "stdout",
    MessageType.DATA_STDERR: "stderr",
}


class RecordingError(PyProbeError):
    """A file cannot be replayed: it cannot be read, is not a PyProbe recording, or
    holds no complete message. ``path`` is the file; the message says what is wrong."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)

    def __reduce__(self):
        return type(self), (self.path, str(self))


@dataclass(frozen=True)
class Capture:
    """One captured value. ``dtype`` is the tracer's classification ("scalar",
    "array_1d", ...), ``shape`` a tuple (None for a scalar), ``timestamp_ns`` when it
    was captured (None if not sent). Arrays are read-only; compare them with numpy."""

    seq: int
    anchor: ProbeAnchor
    value: Any
    dtype: str | None
    shape: tuple[int, ...] | None
    timestamp_ns: int | None


@dataclass(frozen=True)
class TextEvent:
    """Text the script wrote (``stream`` "stdout" or "stderr") or the traceback of the
    exception that ended it ("exception"), placed after the capture ``after_seq``
    (None: before every capture)."""

    after_seq: int | None
    stream: str
    text: str


class Timeline:
    """Every capture of one run, by seq, and its text; see the module docstring.

    ``budget_bytes`` (None: no limit) bounds the captures kept; ``evicted`` counts
    those dropped for it, ``bytes_used`` is what the kept ones count for.
    ``malformed`` counts entries whose payload did not have the documented shape.
    ``truncated`` and ``problem`` say whether (and why) ``from_file`` stopped before
    the end of the file.
    """

    def __init__(self, *, budget_bytes: int | None = DEFAULT_BUDGET_BYTES) -> None:
        if budget_bytes is not None and (
            isinstance(budget_bytes, bool)
            or not isinstance(budget_bytes, numbers.Integral)
            or budget_bytes < 0
        ):
            raise ValueError(
                f"budget_bytes must be a non-negative integer or None, got {budget_bytes!r}"
            )
        self.budget_bytes = None if budget_bytes is None else int(budget_bytes)
        self.bytes_used = 0
        self.evicted = 0
        self.malformed = 0
        self.script: str | None = None
        self.pid: int | None = None
        self.ended = False
        self.exit_code: int | None = None
        self.stopped: bool | None = None
        self.exception: dict[str, str] | None = None
        self.dropped = 0
        self.dropped_by_anchor: dict[ProbeAnchor, int] = {}
        self.path: str | None = None
        self.truncated = False
        self.problem: str | None = None
        self._tracks: dict[ProbeAnchor, _Track] = {}
        self._max_seq: int | None = None  # the highest seq ever received (evicted or not)
        self._positions: np.ndarray | None = None  # cache of ``positions``
        self._events: list[TextEvent] = []
        self._event_keys: list[int] = []  # after_seq of each event, _BEFORE_ANY for None
        self._text: tuple[str, list[int]] | None = None  # all text, and each event's end
        self._echo: str | None = None  # traceback text stderr is expected to repeat

    # -- building --------------------------------------------------------------------

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, budget_bytes: int | None = None
    ) -> Timeline:
        """The timeline of a recording (by default with no memory budget).

        A file that ends inside a frame, or whose frames turn invalid part way, gives
        the timeline of every complete message before that point with ``truncated``
        set and ``problem`` saying what is wrong. RecordingError when the file cannot
        be read, is not a recording, or has no complete message.
        """
        name = os.fspath(path)
        timeline = cls(budget_bytes=budget_bytes)
        timeline.path = name
        reader = FrameReader()
        count = 0
        error: ProtocolError | None = None
        head = b""  # the file's first bytes
        try:
            with open(name, "rb") as file:
                while error is None and (chunk := file.read(READ_CHUNK_BYTES)):
                    head = head or chunk[: len(MAGIC)]
                    try:
                        reader.feed(chunk)
                    except ProtocolError as exc:  # the messages before it can still be taken
                        error = exc
                    for message in reader.completed():
                        if count == 0 and message.msg_type is not MessageType.DATA_SCRIPT_START:
                            raise RecordingError(
                                name,
                                f"{name} is not a PyProbe recording: its first message is "
                                f"{message.msg_type.name}, and a recording starts with "
                                "DATA_SCRIPT_START",
                            )
                        timeline.add(message)
                        count += 1
        except OSError as exc:
            raise RecordingError(
                name, f"cannot read the recording {name}: {exc.strerror or exc}"
            ) from exc
        pending = reader.buffered_bytes if error is None else 0
        if count == 0:
            raise RecordingError(name, _no_message(name, error, pending, head))
        if error is not None:
            timeline.truncated = True
            timeline.problem = (
                f"{name}: the frame after message {count} is damaged ({error}); the "
                f"{count} messages before it were kept"
            )
        elif pending:
            timeline.truncated = True
            timeline.problem = (
                f"{name} ends inside a frame: its last {pending} bytes are part of a message "
                f"that was never completely written (the recording was cut short); the "
                f"{count} complete messages before it were kept"
            )
        return timeline

    def add(self, message: Message) -> int:
        """Take one tracer message; the number of captures it added.

        Captures (DATA_PROBE_VALUE, DATA_PROBE_VALUE_BATCH entries and series), text,
        DATA_SCRIPT_START / END and DATA_DROPPED; other messages are ignored. A
        capture without a seq is placed right after the newest one. Over the budget,
        the oldest captures are dropped.
        """
        kind, payload = message.msg_type, message.payload
        added = 0
        if kind is MessageType.DATA_PROBE_VALUE:
            added = self._entries([payload])
        elif kind is MessageType.DATA_PROBE_VALUE_BATCH:
            if isinstance(payload, dict):
                added = self._entries(payload.get("values") or [])
                added += self._series(payload.get("series") or [])
            else:
                self.malformed += 1
        elif kind in _TEXT_TYPES:
            text = payload.get("text") if isinstance(payload, dict) else None
            if isinstance(text, str):
                self._add_text(_TEXT_TYPES[kind], text)
            else:
                self.malformed += 1
        elif kind is MessageType.DATA_EXCEPTION:
            self._add_exception(payload)
        elif kind is MessageType.DATA_SCRIPT_START:
            if isinstance(payload, dict):
                self.script, self.pid = payload.get("script"), payload.get("pid")
        elif kind is MessageType.DATA_SCRIPT_END:
            self.ended = True
            if isinstance(payload, dict):
                code = payload.get("exit_code")
                self.exit_code = code if type(code) is int else None
                self.stopped = payload.get("stopped")
        elif kind is MessageType.DATA_DROPPED:
            self._add_dropped(payload)
        if added:
            self._positions = None
            if self.budget_bytes is not None and self.bytes_used > self.budget_bytes:
                self._evict(self.bytes_used - self.budget_bytes)
        return added

    # -- reading ---------------------------------------------------------------------

    @property
    def anchors(self) -> list[ProbeAnchor]:
        """Every anchor a capture was received for, in the order of their first
        captures (kept when all of an anchor's captures were evicted)."""
        return list(self._tracks)

    def __len__(self) -> int:
        """The number of captures held."""
        return sum(track.end - track.start for track in self._tracks.values())

    @property
    def first_seq(self) -> int | None:
        heads = [int(t.seqs[t.start]) for t in self._tracks.values() if t.end > t.start]
        return min(heads) if heads else None

    @property
    def last_seq(self) -> int | None:
        tails = [int(t.seqs[t.end - 1]) for t in self._tracks.values() if t.end > t.start]
        return max(tails) if tails else None

    @property
    def positions(self) -> np.ndarray:
        """The seq of every capture held, ascending (int64, read-only)."""
        if self._positions is None:
            live = [t.seqs[t.start : t.end] for t in self._tracks.values()]
            # Sorted runs, one per anchor: a stable (merging) sort is ten times faster.
            positions = np.concatenate(live) if live else np.empty(0, np.int64)
            positions = np.sort(positions, kind="stable")
            positions.flags.writeable = False
            self._positions = positions
        return self._positions

    def state_at(self, position: int) -> dict[ProbeAnchor, Capture]:
        """The latest capture of each anchor with ``seq <= position``, in ``anchors``
        order; anchors with none are left out."""
        state = {}
        for anchor, track in self._tracks.items():
            index = track.index_at(position)
            if index is not None:
                state[anchor] = track.capture(index)
        return state

    def count_at(self, anchor: ProbeAnchor, position: int) -> int:
        """How many captures of ``anchor`` (still held) have ``seq <= position``."""
        track = self._tracks.get(anchor)
        index = None if track is None else track.index_at(position)
        return 0 if index is None else index - track.start + 1

    def history_at(
        self, anchor: ProbeAnchor, position: int, limit: int | None = DEFAULT_HISTORY
    ) -> tuple[np.ndarray, np.ndarray]:
        """The scalar captures of ``anchor`` with ``seq <= position``, the last ``limit``
        of them (None: all): ``(seqs, values)``, new arrays, oldest first.

        Captures of other kinds (arrays...) are left out. The values keep their numeric
        dtype (bool, int, float, complex); both arrays are empty for an anchor with none.
        """
        if limit is not None and (isinstance(limit, bool) or int(limit) < 0):
            raise ValueError(f"limit must be a non-negative integer or None, got {limit!r}")
        track = self._tracks.get(anchor)
        if track is None:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return track.history(position, limit)

    @property
    def text_events(self) -> list[TextEvent]:
        """Every text event, in stream order."""
        return list(self._events)

    def text_at(self, position: int) -> str:
        """The stdout, stderr and exception text written up to ``position`` (the events
        whose ``after_seq`` is at most ``position``), joined as the console showed it."""
        count = bisect.bisect_right(self._event_keys, position)
        if count == 0:
            return ""
        if self._text is None:
            ends, total = [], 0
            for event in self._events:
                total += len(event.text)
                ends.append(total)
            self._text = ("".join(event.text for event in self._events), ends)
        text, ends = self._text
        return text[: ends[count - 1]]

    def step(self, position: int, delta: int = 1) -> int:
        """The position ``delta`` captures after (``delta > 0``) or before (``< 0``)
        ``position``, or the last (first) one when there are fewer in that direction.
        ``position`` need not be a capture's. ValueError on an empty timeline."""
        if isinstance(delta, bool) or not isinstance(delta, numbers.Integral) or delta == 0:
            raise ValueError(f"delta must be a non-zero integer, got {delta!r}")
        if delta in (1, -1):  # the scrubber's step: no need for the sorted positions
            tracks = [t for t in self._tracks.values() if t.end > t.start]
            if not tracks:
                raise ValueError("the timeline holds no captures to step through")
            found = [n for t in tracks if (n := t.neighbour(position, delta)) is not None]
            if delta > 0:
                return min(found) if found else max(int(t.seqs[t.end - 1]) for t in tracks)
            return max(found) if found else min(int(t.seqs[t.start]) for t in tracks)
        positions = self.positions
        if not len(positions):
            raise ValueError("the timeline holds no captures to step through")
        if delta > 0:
            index = int(np.searchsorted(positions, position, side="right")) + int(delta) - 1
        else:
            index = int(np.searchsorted(positions, position, side="left")) + int(delta)
        return int(positions[min(max(index, 0), len(positions) - 1)])

    def __repr__(self) -> str:
        return (
            f"Timeline({len(self)} captures of {len(self._tracks)} anchors, "
            f"seq {self.first_seq}..{self.last_seq}, {self.bytes_used} bytes, "
            f"{self.evicted} evicted)"
        )

    # -- captures --------------------------------------------------------------------

    def _next_seq(self) -> int:
        return 0 if self._max_seq is None else self._max_seq + 1

    def _saw(self, seq: int) -> None:
        if self._max_seq is None or seq > self._max_seq:
            self._max_seq = seq

    def _track(self, anchor: ProbeAnchor, first_seq: int) -> _Track:
        """The track of ``anchor``; a new one is placed by its first capture's seq."""
        track = self._tracks.get(anchor)
        if track is None:
            track = self._tracks[anchor] = _Track(anchor, first_seq)
            if any(other.born > first_seq for other in self._tracks.values()):
                self._tracks = dict(sorted(self._tracks.items(), key=lambda item: item[1].born))
        return track

    def _entries(self, entries: Iterable[Any]) -> int:
        """Single captures, grouped by anchor so that each track grows once."""
        groups: dict[ProbeAnchor, list[tuple]] = {}
        for entry in entries:
            anchor = entry.get("anchor") if isinstance(entry, dict) else None
            if not isinstance(anchor, ProbeAnchor):
                self.malformed += 1
                continue
            seq = _int_or_none(entry.get("seq"))
            if seq is None:
                seq = self._next_seq()
            self._saw(seq)
            stamp = _int_or_none(entry.get("timestamp_ns"))
            value, dtype, shape = entry.get("value"), entry.get("dtype"), entry.get("shape")
            if isinstance(value, np.ndarray) and value.ndim == 0 and dtype == "scalar":
                value = value[()]
            groups.setdefault(anchor, []).append((seq, stamp, value, dtype, shape))
        for anchor, rows in groups.items():
            track = self._track(anchor, min(row[0] for row in rows))
            before = track.held_bytes()
            track.append_rows(rows)
            self.bytes_used += track.held_bytes() - before
        return sum(len(rows) for rows in groups.values())

    def _series(self, columns: Iterable[Any]) -> int:
        """Series columns: one vectorised append each."""
        added = 0
        for column in columns:
            anchor = column.get("anchor") if isinstance(column, dict) else None
            values, seqs, stamps = _series_arrays(column)
            if values is None or not isinstance(anchor, ProbeAnchor):
                self.malformed += 1
                continue
            if not len(values):
                continue
            self._saw(int(seqs.max()))
            track = self._track(anchor, int(seqs.min()))
            before = track.held_bytes()
            track.append_column(values, seqs, stamps)
            self.bytes_used += track.held_bytes() - before
            added += len(values)
        return added

    def _evict(self, excess: int) -> None:
        """Drop the oldest captures (by seq, over every anchor) until at least
        ``excess`` bytes are freed: find the smallest seq ``cut`` such that the
        captures with ``seq <= cut`` count for ``excess``, and drop those."""
        tracks = [t for t in self._tracks.values() if t.end > t.start]
        if not tracks:
            return
        low = min(int(t.seqs[t.start]) for t in tracks) - 1  # frees nothing
        high = max(int(t.seqs[t.end - 1]) for t in tracks)  # frees everything
        while high - low > 1:
            middle = (low + high) // 2
            if sum(t.cost_upto(middle) for t in tracks) >= excess:
                high = middle
            else:
                low = middle
        for track in tracks:
            count, cost = track.drop_upto(high)
            self.evicted += count
            self.bytes_used -= cost
        self._positions = None

    # -- text and the run --------------------------------------------------------------

    def _add_text(self, stream: str, text: str) -> None:
        if stream == "stderr" and self._echo is not None:
            text = self._skip_echo(text)
        if text:
            self._append_event(stream, text)

    def _skip_echo(self, text: str) -> str:
        """``text`` without the part that repeats the exception's traceback."""
        echo, self._echo = self._echo, None
        if echo.startswith(text):
            rest = echo[len(text) :]
            self._echo = rest or None
            return ""
        if text.startswith(echo):
            return text[len(echo) :]
        return text  # something else was written: show it all

    def _add_exception(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            self.malformed += 1
            return
        kind, message = str(payload.get("type") or "Exception"), str(payload.get("message") or "")
        traceback = payload.get("traceback")
        if not isinstance(traceback, str) or not traceback:
            traceback = f"{kind}: {message}\n" if message else f"{kind}\n"
        self.exception = {"type": kind, "message": message, "traceback": traceback}
        self._append_event("exception", traceback)
        self._echo = traceback

    def _append_event(self, stream: str, text: str) -> None:
        self._events.append(TextEvent(self._max_seq, stream, text))
        self._event_keys.append(_BEFORE_ANY if self._max_seq is None else self._max_seq)
        self._text = None

    def _add_dropped(self, payload: Any) -> None:
        count = payload.get("count") if isinstance(payload, dict) else None
        if type(count) is not int or count < 0:
            self.malformed += 1
            return
        self.dropped += count
        anchor = payload.get("anchor")
        if isinstance(anchor, ProbeAnchor):
            self.dropped_by_anchor[anchor] = self.dropped_by_anchor.get(anchor, 0) + count


class _Track:
    """One anchor's captures, sorted by seq, in parallel columns ``[start, end)``.

    While every capture is a number of one dtype kind (dtype "scalar") the values are
    a numeric column and each capture costs SCALAR_OVERHEAD; once another kind of
    value arrives the values become an object column with per-capture dtype, shape
    and cost (``cum[i]``: the cost of the captures before index ``i``).
    """

    __slots__ = (
        "anchor",
        "born",
        "cum",
        "dtypes",
        "end",
        "seqs",
        "shapes",
        "stamps",
        "start",
        "values",
    )

    def __init__(self, anchor: ProbeAnchor, born: int) -> None:
        self.anchor = anchor
        self.born = born  # the seq of its first capture, which orders the anchors
        self.seqs = np.empty(_INITIAL_CAPACITY, np.int64)
        self.stamps = np.empty(_INITIAL_CAPACITY, np.int64)
        self.values: np.ndarray | None = None  # its dtype is set by the first append
        self.dtypes: np.ndarray | None = None  # object column only, as are shapes and cum
        self.shapes: np.ndarray | None = None
        self.cum: np.ndarray | None = None
        self.start = self.end = 0

    @property
    def numeric(self) -> bool:
        return self.dtypes is None

    # -- reading -----------------------------------------------------------------------

    def index_at(self, position: int) -> int | None:
        """The index of the latest capture with seq <= position, None if there is none."""
        found = int(self.seqs[self.start : self.end].searchsorted(position, side="right"))
        return self.start + found - 1 if found else None

    def neighbour(self, position: int, direction: int) -> int | None:
        """The seq of the first capture after ``position`` (direction 1) or the last one
        before it (-1); None if there is none."""
        live = self.seqs[self.start : self.end]
        if direction > 0:
            index = int(live.searchsorted(position, side="right"))
            return int(live[index]) if index < len(live) else None
        index = int(live.searchsorted(position, side="left")) - 1
        return int(live[index]) if index >= 0 else None

    def capture(self, index: int) -> Capture:
        stamp = int(self.stamps[index])
        stamp_ns = None if stamp == _NO_TIMESTAMP else stamp
        if self.numeric:
            value = self.values[index].item()
            return Capture(int(self.seqs[index]), self.anchor, value, "scalar", None, stamp_ns)
        return Capture(
            int(self.seqs[index]),
            self.anchor,
            self.values[index],
            self.dtypes[index],
            self.shapes[index],
            stamp_ns,
        )

    def history(self, position: int, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        stop = self.start + int(self.seqs[self.start : self.end].searchsorted(position, "right"))
        if self.numeric:
            first = self.start if limit is None else max(self.start, stop - int(limit))
            return self.seqs[first:stop].copy(), self.values[first:stop].copy()
        seqs, values = [], []
        index = stop - 1
        while index >= self.start and (limit is None or len(values) < limit):
            value = self.values[index]
            if _scalar_dtype(value) is not None:
                seqs.append(int(self.seqs[index]))
                values.append(value)
            index -= 1
        if not values:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return np.array(seqs[::-1], np.int64), np.array(values[::-1])

    def held_bytes(self) -> int:
        """What the captures held count for."""
        if self.numeric:
            return (self.end - self.start) * SCALAR_OVERHEAD
        return int(self.cum[self.end] - self.cum[self.start])

    def cost_upto(self, seq: int) -> int:
        """What the captures with seq <= ``seq`` count for."""
        count = int(self.seqs[self.start : self.end].searchsorted(seq, side="right"))
        if self.numeric:
            return count * SCALAR_OVERHEAD
        return int(self.cum[self.start + count] - self.cum[self.start])

    def drop_upto(self, seq: int) -> tuple[int, int]:
        """Forget the captures with seq <= ``seq``: (how many, what they counted for)."""
        count = int(self.seqs[self.start : self.end].searchsorted(seq, side="right"))
        cost = self.cost_upto(seq)
        if not self.numeric:
            self.values[self.start : self.start + count] = None  # free the arrays now
        self.start += count
        return count, cost

    # -- growing -----------------------------------------------------------------------

    def append_column(self, values: np.ndarray, seqs: np.ndarray, stamps: np.ndarray) -> None:
        """Add scalar captures given as columns."""
        if self.values is None:
            self.values = np.empty(_INITIAL_CAPACITY, values.dtype)
        elif self.numeric:
            wanted = _merged_dtype(self.values.dtype, values.dtype)
            if wanted is None:
                self._to_objects()
            elif wanted != self.values.dtype:
                self.values = self.values.astype(wanted)
        if not self.numeric:
            n = len(values)
            dtypes, shapes = np.full(n, "scalar", object), np.full(n, None, object)
            costs = np.full(n, CAPTURE_OVERHEAD, np.int64)
            self._write(seqs, stamps, values.astype(object), dtypes, shapes, costs)
        else:
            self._write(seqs, stamps, values)

    def append_rows(self, rows: list[tuple]) -> None:
        """Add single captures ``(seq, stamp, value, dtype, shape)``."""
        seqs = np.fromiter((row[0] for row in rows), np.int64, len(rows))
        stamps = np.fromiter(
            (_NO_TIMESTAMP if row[1] is None else row[1] for row in rows), np.int64, len(rows)
        )
        kind = _rows_dtype(rows)
        if kind is not None and (self.values is None or self.numeric):
            self.append_column(np.array([row[2] for row in rows], kind), seqs, stamps)
            return
        if self.values is None:
            self.values = np.empty(_INITIAL_CAPACITY, object)
            self.dtypes = np.empty(_INITIAL_CAPACITY, object)
            self.shapes = np.empty(_INITIAL_CAPACITY, object)
            self.cum = np.zeros(_INITIAL_CAPACITY + 1, np.int64)
        elif self.numeric:
            self._to_objects()
        n = len(rows)
        values, dtypes, shapes = (np.empty(n, object) for _ in range(3))
        costs = np.empty(n, np.int64)
        # One item at a time: numpy would turn equal-shape arrays (or shape tuples) in a
        # list into one 2-D block.
        for i, (_, _, value, dtype, shape) in enumerate(rows):
            values[i], array_bytes = _own(value)
            dtypes[i] = _INTERNED.setdefault(dtype, dtype) if isinstance(dtype, str) else None
            shapes[i] = _shape(shape)
            costs[i] = CAPTURE_OVERHEAD + array_bytes
        self._write(seqs, stamps, values, dtypes, shapes, costs)

    def _write(self, seqs, stamps, values, dtypes=None, shapes=None, costs=None) -> None:
        n = len(seqs)
        self._reserve(n)
        begin, end = self.end, self.end + n
        self.seqs[begin:end] = seqs
        self.stamps[begin:end] = stamps
        if self.numeric:
            self.values[begin:end] = values
        else:
            self.values[begin:end] = values  # object arrays of the same length
            self.dtypes[begin:end] = dtypes
            self.shapes[begin:end] = shapes
            self.cum[begin + 1 : end + 1] = self.cum[begin] + np.cumsum(costs, dtype=np.int64)
        self.end = end
        self._sort_from(begin)

    def _sort_from(self, begin: int) -> None:
        """Keep the columns sorted by seq after appending at ``begin`` (the tracer may
        split one send over several messages): re-sort the tail the new rows reach."""
        new = self.seqs[begin : self.end]
        ordered = bool(np.all(new[1:] >= new[:-1]))
        if ordered and (begin == self.start or new[0] >= self.seqs[begin - 1]):
            return
        head = self.seqs[self.start : begin]
        first = self.start + int(head.searchsorted(new.min(), side="right"))
        order = np.argsort(self.seqs[first : self.end], kind="stable") + first
        self.seqs[first : self.end] = self.seqs[order]
        self.stamps[first : self.end] = self.stamps[order]
        self.values[first : self.end] = self.values[order]
        if not self.numeric:
            self.dtypes[first : self.end] = self.dtypes[order]
            self.shapes[first : self.end] = self.shapes[order]
            costs = np.diff(self.cum[first : self.end + 1])[order - first]
            self.cum[first + 1 : self.end + 1] = self.cum[first] + np.cumsum(costs)

    def _reserve(self, extra: int) -> None:
        """Room for ``extra`` more rows after ``end``; moving the rows to the front of
        new columns (twice what is needed) when there is not."""
        if self.end + extra <= len(self.seqs):
            return
        live = self.end - self.start
        capacity = max(_INITIAL_CAPACITY, 2 * (live + extra))
        live_range = slice(self.start, self.end)

        def moved(column: np.ndarray) -> np.ndarray:
            new = np.empty(capacity, column.dtype)
            new[:live] = column[live_range]
            return new

        self.seqs, self.stamps = moved(self.seqs), moved(self.stamps)
        self.values = moved(self.values)
        if not self.numeric:
            self.dtypes, self.shapes = moved(self.dtypes), moved(self.shapes)
            cum = np.empty(capacity + 1, np.int64)
            cum[: live + 1] = self.cum[self.start : self.end + 1] - self.cum[self.start]
            self.cum = cum
        self.start, self.end = 0, live

    def _to_objects(self) -> None:
        """Turn the numeric column into an object column (another kind of value came)."""
        capacity = len(self.seqs)
        values = np.empty(capacity, object)
        values[self.start : self.end] = self.values[self.start : self.end].astype(object)
        self.values = values
        self.dtypes = np.empty(capacity, object)
        self.dtypes[self.start : self.end] = "scalar"
        self.shapes = np.empty(capacity, object)
        self.cum = np.zeros(capacity + 1, np.int64)
        self.cum[self.start + 1 : self.end + 1] = CAPTURE_OVERHEAD * np.arange(
            1, self.end - self.start + 1, dtype=np.int64
        )


# -- helpers -----------------------------------------------------------------------------

_INTERNED: dict[Any, Any] = {}  # dtype names and shapes, shared by every capture


def _no_message(name: str, error: ProtocolError | None, pending: int, head: bytes) -> str:
    """Why a file gave no complete message."""
    if error is not None:
        return f"{name} is not a PyProbe recording: {error}"
    if pending == 0:
        return f"{name} is empty: not a PyProbe recording"
    if not MAGIC.startswith(head):
        return f"{name} is not a PyProbe recording: it does not start with {MAGIC!r}"
    return (
        f"{name} ends inside its first frame ({pending} bytes): the recording was cut "
        "short before its first complete message"
    )


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    return None


def _shape(shape: Any) -> tuple[int, ...] | None:
    if not isinstance(shape, (list, tuple)):
        return None
    try:
        key = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        return None
    return _INTERNED.setdefault(key, key)


def _scalar_dtype(value: Any) -> np.dtype | None:
    """The numpy dtype a number is kept as; None for anything else (an int beyond
    int64, a Fraction...), which is kept as an object."""
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, int):
        return np.dtype(np.int64) if -(1 << 63) <= value < (1 << 63) else None
    if isinstance(value, float):
        return np.dtype(np.float64)
    if isinstance(value, complex):
        return np.dtype(np.complex128)
    if isinstance(value, (np.number, np.bool_)):
        return value.dtype
    return None


def _merged_dtype(have: np.dtype, new: np.dtype) -> np.dtype | None:
    """The column dtype holding both exactly: the wider of one kind, else None."""
    if have.kind != new.kind or have.kind not in "biufc":
        return None
    return np.result_type(have, new)


def _rows_dtype(rows: list[tuple]) -> np.dtype | None:
    """The one numeric dtype of rows that are all "scalar" numbers, else None."""
    merged = None
    for row in rows:
        if row[3] != "scalar":
            return None
        kind = _scalar_dtype(row[2])
        if kind is None:
            return None
        merged = kind if merged is None else _merged_dtype(merged, kind)
        if merged is None:
            return None
    return merged


_PIN_SLACK = 64 * 1024  # what keeping an array's frame may cost beyond the array


def _frame_bytes(array: np.ndarray) -> float:
    """The size of the buffer ``array`` was decoded from (inf when unknown)."""
    base = array.base
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        return base.nbytes
    if isinstance(base, (bytes, bytearray)):
        return len(base)
    return float("inf")


def _own(value: Any) -> tuple[Any, int]:
    """``value`` with its arrays read-only and not pinning much more than themselves:
    an array decoded from a frame of its own size is kept as it is, others are copied
    (a view would keep the whole frame alive); and what those arrays count for:
    nbytes plus ARRAY_OVERHEAD each."""
    if isinstance(value, np.ndarray):
        if _frame_bytes(value) <= value.nbytes + _PIN_SLACK:
            # the frame is little more than this array: keep it, a copy would cost a
            # memcpy per value (8 MB for a 1M-sample array) for nothing
            kept = value.view()
        else:
            kept = np.array(value, copy=True)
        kept.flags.writeable = False
        return kept, kept.nbytes + ARRAY_OVERHEAD
    if isinstance(value, dict):
        owned, total = {}, 0
        for key, item in value.items():
            owned[key], nbytes = _own(item)
            total += nbytes
        return owned, total
    if isinstance(value, (list, tuple)):
        parts = [_own(item) for item in value]
        return type(value)(item for item, _ in parts), sum(nbytes for _, nbytes in parts)
    return value, 0


def _series_arrays(column: Any) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """A series column's values, seqs and timestamps; values None when it is malformed."""
    empty = np.empty(0, np.int64)
    if not isinstance(column, dict):
        return None, empty, empty
    values, seqs, stamps = column.get("values"), column.get("seq"), column.get("timestamp_ns")
    if (
        not isinstance(values, np.ndarray)
        or not isinstance(seqs, np.ndarray)
        or values.ndim != 1
        or values.shape != seqs.shape
        or values.dtype.kind not in "biufc"
        or seqs.dtype.kind not in "iu"
    ):
        return None, empty, empty
    if isinstance(stamps, np.ndarray) and stamps.shape == seqs.shape and stamps.dtype.kind in "iu":
        stamps = stamps.astype(np.int64, copy=False)
    else:
        stamps = np.full(len(seqs), _NO_TIMESTAMP, np.int64)
    return values, seqs.astype(np.int64, copy=False), stamps


__all__ = [
    "ARRAY_OVERHEAD",
    "CAPTURE_OVERHEAD",
    "DEFAULT_BUDGET_BYTES",
    "SCALAR_OVERHEAD",
    "TEXT_STREAMS",
    "Capture",
    "RecordingError",
    "TextEvent",
    "Timeline",
]
