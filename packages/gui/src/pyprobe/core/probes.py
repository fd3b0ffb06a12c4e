"""The probe model: what is probed, and what the tracer's messages said about it.

A ``ProbeStore`` holds one ``Probe`` per probed occurrence, in the order they were
added. ``ProbeStore.ingest(message)`` takes DATA_PROBE_VALUE, DATA_PROBE_VALUE_BATCH
(entries and ``series`` columns) and DATA_DROPPED messages; panels read the probes
on their redraw tick and redraw only when ``Probe.version`` changed.

Scalars (dtype "scalar", or any Python/numpy number) go into the probe's
``ScalarHistory``, a bounded ring of the newest values; arrays and other values only
replace ``Probe.latest``. With ``ProbeStore(keep_all=True)`` every value is also kept
in ``Probe.all_values`` in capture (``seq``) order, for the headless export.

No Qt here: plain Python and numpy, tested without an event loop.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import math
import numbers
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pyprobe_wire import Message, MessageType, ProbeAnchor

from .probe_sites import SourceIndex

#: Probe colours, in the order new probes get them: a Tableau-10-like set whose
#: neighbours differ in lightness as well as hue (blue and orange first), each with a
#: contrast of at least 3:1 against both white and a #1e1e1e dark background.
PALETTE: tuple[str, ...] = (
    "#3a86d1",  # blue
    "#e8710a",  # orange
    "#d94452",  # red
    "#1a9fa8",  # teal
    "#2e9e5b",  # green
    "#7a9a1a",  # olive
    "#9a6fd0",  # purple
    "#d45cad",  # pink
    "#9c755f",  # brown
    "#8a8a8a",  # grey
)

#: Seconds without a value, while the run is running, after which a LIVE probe is STALE.
STALE_AFTER = 2.0

#: Scalar values a probe's history keeps by default.
DEFAULT_HISTORY = 10_000


class ProbeState(enum.Enum):
    ARMED = "armed"  # probed, no value yet in this run
    LIVE = "live"  # values are coming
    STALE = "stale"  # no value for STALE_AFTER seconds while the run is running
    INVALID = "invalid"  # the anchor no longer matches the file


class ScalarHistory:
    """The newest ``capacity`` scalar values of a probe and their ``seq`` numbers.

    A ring of two numpy arrays: values as float64 (bools and ints are converted; ints
    beyond 2**53 lose precision), switching the whole buffer to complex128 once a
    complex value arrives; seqs as int64. ``values()`` and ``seqs()`` return new
    arrays in chronological order (copies: safe to keep while more values arrive).
    """

    def __init__(self, capacity: int = DEFAULT_HISTORY) -> None:
        self._capacity = _check_capacity(capacity)
        self._values = np.empty(self._capacity, dtype=np.float64)
        self._seqs = np.empty(self._capacity, dtype=np.int64)
        self._end = 0  # where the next value goes
        self._count = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def dtype(self) -> np.dtype:
        """float64, or complex128 once a complex value arrived."""
        return self._values.dtype

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"ScalarHistory({self._count}/{self._capacity}, {self._values.dtype})"

    def last_seq(self) -> int | None:
        return int(self._seqs[self._end - 1]) if self._count else None

    def append(self, value: Any, seq: int) -> None:
        """Add one value (a Python or numpy number) with its ``seq``."""
        if isinstance(value, (complex, np.complexfloating)) and self._values.dtype.kind != "c":
            self._promote()
        self._values[self._end] = _number(value)
        self._seqs[self._end] = seq
        self._end = (self._end + 1) % self._capacity
        self._count = min(self._count + 1, self._capacity)

    def extend(self, values: np.ndarray, seqs: np.ndarray) -> None:
        """Add a column of values and their seqs (equal lengths), without a Python loop."""
        values, seqs = np.asarray(values), np.asarray(seqs)
        if values.shape != seqs.shape or values.ndim != 1:
            raise ValueError(
                f"ScalarHistory.extend: values {values.shape} and seqs {seqs.shape} "
                "must be 1-D and of equal length"
            )
        if values.dtype.kind == "c" and self._values.dtype.kind != "c":
            self._promote()
        n = len(values)
        if n >= self._capacity:  # only the newest fit: the ring starts over
            self._values[:] = values[n - self._capacity :]
            self._seqs[:] = seqs[n - self._capacity :]
            self._end, self._count = 0, self._capacity
            return
        first = min(n, self._capacity - self._end)  # up to the end of the buffer
        self._values[self._end : self._end + first] = values[:first]
        self._seqs[self._end : self._end + first] = seqs[:first]
        rest = n - first  # wraps around to the start
        self._values[:rest] = values[first:]
        self._seqs[:rest] = seqs[first:]
        self._end = (self._end + n) % self._capacity
        self._count = min(self._count + n, self._capacity)

    def values(self) -> np.ndarray:
        """The values, oldest first (a new array)."""
        return self._ordered(self._values)

    def seqs(self) -> np.ndarray:
        """The seqs of ``values()``, oldest first (a new array)."""
        return self._ordered(self._seqs)

    def resize(self, capacity: int) -> None:
        """Keep at most ``capacity`` values from now on, the newest of those held."""
        capacity = _check_capacity(capacity)
        keep = min(self._count, capacity)
        values, seqs = self.values()[self._count - keep :], self.seqs()[self._count - keep :]
        self._capacity = capacity
        self._values = np.empty(capacity, dtype=self._values.dtype)
        self._seqs = np.empty(capacity, dtype=np.int64)
        self._values[:keep], self._seqs[:keep] = values, seqs
        self._count, self._end = keep, keep % capacity

    def clear(self) -> None:
        """Forget every value; the buffer is float64 again."""
        self._values = np.empty(self._capacity, dtype=np.float64)
        self._end = self._count = 0

    def _promote(self) -> None:
        self._values = self._values.astype(np.complex128)

    def _ordered(self, buffer: np.ndarray) -> np.ndarray:
        if self._count < self._capacity:
            return buffer[: self._count].copy()
        return np.concatenate([buffer[self._end :], buffer[: self._end]])


@dataclass(eq=False)
class Probe:
    """One probed occurrence and what this run captured of it. Compared by identity."""

    anchor: ProbeAnchor
    occurrence: int  # N of LINE:SYMBOL:N
    line_text: str  # the anchored line's text when the probe was made, for re-anchoring
    color: str  # "#rrggbb"
    lens: str | None = None  # the lens the user chose; None = automatic
    state: ProbeState = ProbeState.ARMED
    dtype: str | None = None  # the tracer's classification of the latest value
    shape: tuple[int, ...] | None = None
    latest: Any = None
    update_count: int = 0
    last_update: float | None = None  # time.monotonic() of the last value
    history: ScalarHistory = field(default_factory=ScalarHistory, repr=False)
    all_values: list | None = field(default=None, repr=False)  # only with keep_all
    version: int = 0  # changes whenever anything a panel draws changed
    dropped: int = 0  # captures the tracer reported dropped for this probe
    _latest_seq: int | None = field(default=None, repr=False, init=False)
    _all_seqs: list | None = field(default=None, repr=False, init=False)  # of all_values

    @property
    def name(self) -> str:
        """``y @ 12``: the symbol and its line."""
        return f"{self.anchor.symbol} @ {self.anchor.line}"

    @property
    def spec(self) -> str:
        """The tracer's ``--probe`` form: ``LINE:SYMBOL:N``."""
        return f"{self.anchor.line}:{self.anchor.symbol}:{self.occurrence}"

    def _value(self, value: Any, seq: int | None, dtype: str | None, shape: Any) -> None:
        """Take one value (from a single message or a batch entry)."""
        if dtype == "scalar" and isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if _is_number(value):
            if seq is None:
                seq = self._next_seq()
            self.history.append(value, seq)
            dtype, shape = "scalar", None
        if seq is None or self._latest_seq is None or seq >= self._latest_seq:
            self.latest, self.dtype = value, dtype
            self.shape = None if shape is None else tuple(shape)
            self._latest_seq = seq if seq is not None else self._latest_seq
        if self.all_values is not None:
            _keep_one(self.all_values, self._all_seqs, value, seq)
        self.update_count += 1

    def _column(self, values: np.ndarray, seqs: np.ndarray) -> None:
        """Take a series column: one vectorised extend of the history."""
        if len(seqs) > 1 and not bool(np.all(seqs[1:] >= seqs[:-1])):
            order = np.argsort(seqs, kind="stable")
            values, seqs = values[order], seqs[order]
        self.history.extend(values, seqs)
        last = int(seqs[-1])
        if self._latest_seq is None or last >= self._latest_seq:
            self.latest, self.dtype, self.shape = values[-1].item(), "scalar", None
            self._latest_seq = last
        if self.all_values is not None:
            _keep_column(self.all_values, self._all_seqs, values.tolist(), seqs.tolist())
        self.update_count += len(values)

    def _next_seq(self) -> int:
        last = self.history.last_seq()
        return 0 if last is None else last + 1

    def _clear(self, keep_all: bool) -> None:
        self.dtype = self.shape = self.latest = self.last_update = self._latest_seq = None
        self.update_count = self.dropped = 0
        self.history.clear()
        self.all_values = [] if keep_all else None
        self._all_seqs = [] if keep_all else None
        if self.state is not ProbeState.INVALID:
            self.state = ProbeState.ARMED
        self.version += 1


class ProbeStore:
    """The probes of one script, in the order they were added, fed by tracer messages.

    ``ignored`` counts values for anchors that are not (or no longer) probed,
    ``malformed`` values or entries whose payload did not have the documented shape,
    ``dropped_total`` the captures the tracer reported dropped.
    """

    def __init__(self, *, keep_all: bool = False, history: int = DEFAULT_HISTORY) -> None:
        self.keep_all = keep_all
        self.history_capacity = _check_capacity(history)
        self.dropped_total = 0
        self.ignored = 0
        self.malformed = 0
        self._probes: list[Probe] = []
        self._live: dict[ProbeAnchor, Probe] = {}  # the probes that take values

    # -- the set of probes ------------------------------------------------------------

    def add(
        self,
        anchor: ProbeAnchor,
        occurrence: int,
        line_text: str,
        color: str | None = None,
        lens: str | None = None,
    ) -> Probe:
        """Probe ``anchor``. ``color`` defaults to the least used palette colour (the
        first unused one while there are fewer probes than colours).

        ValueError if ``anchor`` is already probed.
        """
        if anchor in self._live:
            raise ValueError(
                f"{anchor.file}:{anchor.line}: {anchor.symbol!r} at column {anchor.col} "
                "is already probed; change that probe (store.get(anchor)) or remove it first"
            )
        probe = Probe(
            anchor=anchor,
            occurrence=occurrence,
            line_text=line_text,
            color=color or self._next_color(),
            lens=lens,
            history=ScalarHistory(self.history_capacity),
            all_values=[] if self.keep_all else None,
        )
        probe._all_seqs = [] if self.keep_all else None
        self._probes.append(probe)
        self._reindex()
        return probe

    def remove(self, anchor: ProbeAnchor | Probe) -> Probe | None:
        """Stop probing ``anchor`` (or this probe); the removed probe, None if none was."""
        probe = anchor if isinstance(anchor, Probe) else self.get(anchor)
        if probe is None or probe not in self._probes:
            return None
        self._probes = [p for p in self._probes if p is not probe]
        self._reindex()
        return probe

    def get(self, anchor: ProbeAnchor) -> Probe | None:
        """The probe of ``anchor``; an INVALID probe only when no valid one has it."""
        probe = self._live.get(anchor)
        if probe is None:
            probe = next((p for p in self._probes if p.anchor == anchor), None)
        return probe

    def __contains__(self, anchor: object) -> bool:
        return isinstance(anchor, ProbeAnchor) and self.get(anchor) is not None

    def __iter__(self) -> Iterator[Probe]:
        return iter(list(self._probes))

    def __len__(self) -> int:
        return len(self._probes)

    def resize_history(self, capacity: int) -> None:
        """Keep ``capacity`` scalar values per probe from now on (the newest held stay)."""
        self.history_capacity = _check_capacity(capacity)
        for probe in self._probes:
            probe.history.resize(self.history_capacity)

    def _next_color(self) -> str:
        used = [p.color for p in self._probes]
        return min(PALETTE, key=lambda color: (used.count(color), PALETTE.index(color)))

    def _reindex(self) -> None:
        self._live = {p.anchor: p for p in self._probes if p.state is not ProbeState.INVALID}

    # -- messages ----------------------------------------------------------------------

    def ingest(self, message: Message, *, now: float | None = None) -> int:
        """Apply one tracer message; how many values it gave to probes.

        ``now`` (default ``time.monotonic()``) is recorded as the probes'
        ``last_update``. Messages of other types are ignored (0).
        """
        kind, payload = message.msg_type, message.payload
        if kind is MessageType.DATA_DROPPED:
            self._dropped(payload)
            return 0
        if kind is MessageType.DATA_PROBE_VALUE:
            entries, series = [payload], []
        elif kind is MessageType.DATA_PROBE_VALUE_BATCH:
            if not isinstance(payload, dict):
                self.malformed += 1
                return 0
            entries, series = payload.get("values") or [], payload.get("series") or []
        else:
            return 0
        now = time.monotonic() if now is None else now
        touched: dict[int, Probe] = {}
        taken = 0
        for entry in entries:
            probe = self._target(entry, 1)
            if probe is not None:
                probe._value(entry.get("value"), _seq(entry), entry.get("dtype"), _shape(entry))
                touched[id(probe)] = probe
                taken += 1
        for column in series:
            values, seqs = _column(column)
            if values is None:
                self.malformed += 1
                continue
            probe = self._target(column, len(values))
            if probe is not None and len(values):
                probe._column(values, seqs)
                touched[id(probe)] = probe
                taken += len(values)
        for probe in touched.values():
            probe.last_update = now
            probe.state = ProbeState.LIVE
            probe.version += 1
        return taken

    def _target(self, entry: Any, count: int) -> Probe | None:
        """The probe an entry or column is for; counts it as malformed or ignored if none."""
        anchor = entry.get("anchor") if isinstance(entry, dict) else None
        if not isinstance(anchor, ProbeAnchor):
            self.malformed += count
            return None
        probe = self._live.get(anchor)
        if probe is None:
            self.ignored += count
        return probe

    def _dropped(self, payload: Any) -> None:
        count = payload.get("count") if isinstance(payload, dict) else None
        if type(count) is not int or count < 0:
            self.malformed += 1
            return
        self.dropped_total += count
        anchor = payload.get("anchor")
        probe = self._live.get(anchor) if isinstance(anchor, ProbeAnchor) else None
        if probe is not None:
            probe.dropped += count
            probe.version += 1

    # -- the run -------------------------------------------------------------------------

    def mark_stale(self, now: float, running: bool) -> list[Probe]:
        """Turn LIVE probes STALE after STALE_AFTER s without a value while ``running``.

        The probes that changed (their ``version`` moved on). A value turns a probe
        LIVE again.
        """
        if not running:
            return []
        changed = []
        for probe in self._probes:
            if (
                probe.state is ProbeState.LIVE
                and probe.last_update is not None
                and now - probe.last_update >= STALE_AFTER
            ):
                probe.state = ProbeState.STALE
                probe.version += 1
                changed.append(probe)
        return changed

    def reset_run(self) -> None:
        """A new run: forget every value, count and drop; probes ARMED (INVALID stays)."""
        for probe in self._probes:
            probe._clear(self.keep_all)
        self.dropped_total = self.ignored = self.malformed = 0

    # -- the file changed ------------------------------------------------------------

    def relocate(self, index: SourceIndex) -> list[tuple[Probe, ProbeAnchor | None]]:
        """Re-anchor every probe in ``index``, the new text of the script.

        A probe whose anchor still names the same symbol on an unchanged line stays.
        Otherwise ``index.relocate`` looks for its line text (the nearest line whose
        text is the one it was made on); found, the probe moves there and its
        ``line_text`` becomes that line's; not found, or where another probe already
        is, it becomes INVALID (keeping its anchor and line text, so a later edit
        that brings the line back re-anchors it). A probe re-anchored from INVALID is
        ARMED again. A text that does not parse (``index.error``) changes nothing.

        Returns ``(probe, new anchor)`` for each probe that moved or was re-anchored,
        ``(probe, None)`` for each that became INVALID. Take the old anchors (to tell
        the tracer) before calling.
        """
        if index.error is not None:
            return []
        changed: list[tuple[Probe, ProbeAnchor | None]] = []
        taken: set[ProbeAnchor] = set()
        moving = []
        for probe in self._probes:
            site = index.find(probe.anchor)
            text = index.line_text(probe.anchor.line)
            if (
                site is not None
                and site.occurrence == probe.occurrence
                and text.strip() == probe.line_text.strip()
            ):
                taken.add(probe.anchor)
                if probe.state is ProbeState.INVALID:
                    probe.state = ProbeState.ARMED
                    probe.version += 1
                    changed.append((probe, probe.anchor))
            else:
                moving.append(probe)
        for probe in moving:
            site = index.relocate(probe.anchor, probe.occurrence, probe.line_text)
            anchor = None
            if site is not None:
                anchor = dataclasses.replace(
                    probe.anchor,
                    line=site.line,
                    col=site.col,
                    func=site.func,
                    is_assignment=site.is_assignment,
                )
            if anchor is None or anchor in taken:
                if probe.state is not ProbeState.INVALID:
                    probe.state = ProbeState.INVALID
                    probe.version += 1
                    changed.append((probe, None))
                continue
            taken.add(anchor)
            probe.anchor, probe.line_text = anchor, index.line_text(site.line)
            if probe.state is ProbeState.INVALID:
                probe.state = ProbeState.ARMED
            probe.version += 1
            changed.append((probe, anchor))
        self._reindex()
        return changed


def summary(value: Any) -> dict[str, Any]:
    """What the watch list shows of a value.

    A numeric array: ``dtype`` (numpy's name), ``shape``, and ``min``/``max``/``mean``
    over its non-NaN elements (of the magnitude for complex arrays), each None when
    there is none (empty or all-NaN). A waveform (``{"samples", "t0", "dt"}``): the
    summary of its samples plus ``t0`` and ``dt``. A scalar: ``{"dtype": "scalar",
    "value": value}``. A list or tuple: its ``count``. Anything else: its type name and
    the value itself.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.ndarray):
        return _array_summary(value)
    if isinstance(value, dict) and isinstance(value.get("samples"), np.ndarray):
        return {**_array_summary(value["samples"]), "t0": value.get("t0"), "dt": value.get("dt")}
    if _is_number(value):
        return {"dtype": "scalar", "value": value}
    if isinstance(value, (list, tuple)):
        return {"dtype": type(value).__name__, "count": len(value)}
    return {"dtype": None if value is None else type(value).__name__, "value": value}


def _array_summary(array: np.ndarray) -> dict[str, Any]:
    result: dict[str, Any] = {
        "dtype": str(array.dtype),
        "shape": tuple(array.shape),
        "min": None,
        "max": None,
        "mean": None,
    }
    kind = array.dtype.kind
    if kind not in "biufc" or array.size == 0:
        return result
    data = np.abs(array) if kind == "c" else array
    if kind == "b":
        data = data.astype(np.int64)
    if data.dtype.kind == "f":
        data = data[~np.isnan(data)]
        if data.size == 0:
            return result
    with np.errstate(all="ignore"):  # inf - inf in the mean is nan, quietly
        result["min"], result["max"] = data.min().item(), data.max().item()
        result["mean"] = float(data.mean(dtype=np.float64))
    return result


# -- helpers -----------------------------------------------------------------------------


def _check_capacity(capacity: Any) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, numbers.Integral) or capacity < 1:
        raise ValueError(f"history capacity must be a positive integer, got {capacity!r}")
    return int(capacity)


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Number, np.number, np.bool_))


def _number(value: Any) -> float | complex:
    """A number as the history stores it; ints beyond float range become +-inf."""
    try:
        return complex(value) if isinstance(value, (complex, np.complexfloating)) else float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _seq(entry: dict) -> int | None:
    seq = entry.get("seq")
    return int(seq) if isinstance(seq, (int, np.integer)) and not isinstance(seq, bool) else None


def _shape(entry: dict) -> Any:
    shape = entry.get("shape")
    return shape if isinstance(shape, (list, tuple)) else None


def _column(column: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A series column's values and seqs, or (None, None) when it is malformed."""
    if not isinstance(column, dict):
        return None, None
    values, seqs = column.get("values"), column.get("seq")
    if (
        not isinstance(values, np.ndarray)
        or not isinstance(seqs, np.ndarray)
        or values.ndim != 1
        or values.shape != seqs.shape
        or values.dtype.kind not in "biufc"
        or seqs.dtype.kind not in "iu"
    ):
        return None, None
    return values, seqs


def _keep_one(values: list, seqs: list, value: Any, seq: int | None) -> None:
    """Add a value to ``values`` keeping ``seqs`` ascending; no seq: after everything.

    The usual case, newer than all held, is an append; an older value (the tracer
    may split one flush over several messages) goes to its place.
    """
    if seq is None:
        seq = seqs[-1] if seqs else 0
    at = len(seqs) if not seqs or seq >= seqs[-1] else bisect.bisect_right(seqs, seq)
    values.insert(at, value)
    seqs.insert(at, seq)


def _keep_column(values: list, seqs: list, new_values: list, new_seqs: list) -> None:
    """``_keep_one`` for a column whose ``new_seqs`` ascend."""
    if not seqs or new_seqs[0] >= seqs[-1]:
        values.extend(new_values)
        seqs.extend(new_seqs)
        return
    pairs = zip(seqs + new_seqs, values + new_values, strict=True)
    merged = sorted(pairs, key=lambda pair: pair[0])
    seqs[:] = [seq for seq, _ in merged]
    values[:] = [value for _, value in merged]


__all__ = [
    "DEFAULT_HISTORY",
    "PALETTE",
    "STALE_AFTER",
    "Probe",
    "ProbeState",
    "ProbeStore",
    "ScalarHistory",
    "summary",
]
