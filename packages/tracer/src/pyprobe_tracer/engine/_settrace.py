"""sys.settrace backend (every Python but 3.12, the default before 3.12).

The global trace function runs on each call and returns None (no local tracing)
unless the code object holds probe sites. In those frames opcode events are
switched on only on the lines that hold a site, so the rest of the frame runs
with line events alone.
"""

from __future__ import annotations

import sys
import threading

from .anchor_matcher import disassembled

NAME = "settrace"


def _opcode_events_work() -> bool:
    """Whether per-frame opcode events reach a trace function on this interpreter."""
    seen = []

    def local(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            seen.append(event)
        return local

    def global_(frame, event, arg):
        if frame.f_code is _probe.__code__:
            frame.f_trace_opcodes = True
            return local
        return None

    def _probe():
        return 1

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        _probe()
    finally:
        sys.settrace(previous)
    return bool(seen)


# On CPython 3.12 this backend is off: its legacy tracing writes ``f_locals`` back
# into the frame after every trace event, which corrupts 3.12's inlined
# comprehensions (a variable the comprehension cleared comes back as None), and
# 3.12.0/3.12.1 also ignore ``f_trace_opcodes`` set from a trace function.
# sys.monitoring has neither problem and is the default there.
AVAILABLE = sys.version_info[:2] != (3, 12) and _opcode_events_work()


class SettraceBackend:
    def __init__(self, discover) -> None:
        self._discover = discover
        # Hot lookups go by id(): hashing a code object hashes its whole bytecode.
        # The tracer keeps every code object it was shown alive, so ids stay unique.
        self._by_id: dict[int, dict] = {}
        self._exits_by_id: dict[int, list] = {}
        self._lines_by_id: dict[int, frozenset] = {}
        self._active = False
        self._previous = None
        self._resumed: threading.Event | None = None  # set while not paused
        self._exempt: set[int] = set()

    def start(self) -> None:
        self._active = True
        self._previous = sys.gettrace()
        threading.settrace(self._global)
        sys.settrace(self._global)
        self._attach_running_frames()

    def stop(self) -> None:
        self._active = False
        sys.settrace(self._previous)
        threading.settrace(self._previous)  # type: ignore[arg-type]
        for frame in self._running_frames():
            if frame.f_trace is self._local:
                frame.f_trace = None

    def set_plans(self, plans: dict, exits: dict | None = None) -> None:
        self._lines_by_id = {
            id(code): _site_lines(code, handlers) for code, handlers in plans.items()
        }
        self._by_id = {id(code): handlers for code, handlers in plans.items()}
        self._exits_by_id = {id(code): handlers for code, handlers in (exits or {}).items()}
        if self._active:
            self._attach_running_frames()

    def set_paused(self, paused: bool, resumed: threading.Event, exempt: set[int]) -> None:
        """While paused, frames of every thread but ``exempt`` wait at their next line."""
        self._exempt = exempt
        self._resumed = resumed if paused else None
        if paused and self._active:
            for ident, frame in sys._current_frames().items():
                if ident in exempt:
                    continue
                while frame is not None:
                    if frame.f_trace is None:
                        frame.f_trace = self._local
                    frame = frame.f_back

    def _wait_if_paused(self) -> None:
        resumed = self._resumed
        if resumed is not None and threading.get_ident() not in self._exempt:
            resumed.wait()

    def rearm(self) -> None:
        """Nothing to do: settrace never silences a site, the sample clock limits the rate."""

    def _global(self, frame, event, arg):
        code = frame.f_code
        self._discover(code)
        key = id(code)
        if key not in self._by_id:
            if self._resumed is not None:
                self._wait_if_paused()
                return self._local
            return None
        frame.f_trace_opcodes = frame.f_lineno in self._lines_by_id[key]
        return self._local

    def _local(self, frame, event, arg):
        key = id(frame.f_code)
        if event == "opcode":
            handlers = self._by_id.get(key)
            if handlers is not None:
                handler = handlers.get(frame.f_lasti)
                if handler is not None:
                    handler(frame)
        elif event == "return":
            finishers = self._exits_by_id.get(key)
            if finishers is not None:
                for handler in finishers:
                    handler(frame)
        elif event == "line":
            if self._resumed is not None:
                self._wait_if_paused()
            lines = self._lines_by_id.get(key)
            frame.f_trace_opcodes = lines is not None and frame.f_lineno in lines
        return self._local

    def _running_frames(self):
        for frame in sys._current_frames().values():
            while frame is not None:
                yield frame
                frame = frame.f_back

    def _attach_running_frames(self) -> None:
        """Trace frames that were already running when their probes arrived."""
        for frame in self._running_frames():
            lines = self._lines_by_id.get(id(frame.f_code))
            if lines is not None and frame.f_trace is not self._local:
                frame.f_trace = self._local
                frame.f_trace_opcodes = frame.f_lineno in lines


def _site_lines(code, handlers) -> frozenset:
    """The source lines holding the instructions in ``handlers`` (offset -> handler)."""
    instructions, lines = disassembled(code)
    return frozenset(
        line for ins, line in zip(instructions, lines, strict=True) if ins.offset in handlers
    )
