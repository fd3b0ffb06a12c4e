"""sys.monitoring backend (Python 3.12+): events only where probes are.

INSTRUCTION events are enabled on the code objects that hold probe sites and
nowhere else. Every other instruction of those code objects returns DISABLE the
first time it runs, so after warm-up only the probed instructions call back.
A global PY_START callback sees each new code object once (imports, exec) and
disables itself for it: that is how probes in files imported later are found.
Adding or removing probes re-arms with ``restart_events()``; sample-mode sites
disable themselves after each sample and are re-armed by the sender's clock.
"""

from __future__ import annotations

import sys
import threading

from .errors import BackendUnavailable

NAME = "monitoring"
AVAILABLE = hasattr(sys, "monitoring")
_TOOL_NAME = "pyprobe"
# Debuggers own DEBUGGER_ID; prefer it, but live alongside a debugger or coverage.
_PREFERRED_IDS = (0, 3, 4, 5, 2)


class MonitoringBackend:
    def __init__(self, discover) -> None:
        self._discover = discover
        self._plans: dict = {}
        # Hot lookups go by id(): hashing a code object hashes its whole bytecode.
        # The callbacks hold these very dicts, so they are updated in place.
        self._by_id: dict[int, dict] = {}
        self._exits_by_id: dict[int, list] = {}
        self._tool: int | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        mon = sys.monitoring
        for tool in _PREFERRED_IDS:
            if mon.get_tool(tool) is None:
                mon.use_tool_id(tool, _TOOL_NAME)
                self._tool = tool
                break
        else:
            raise BackendUnavailable("every sys.monitoring tool id is taken by other tools")
        events = mon.events
        mon.register_callback(self._tool, events.INSTRUCTION, self._make_instruction_callback())
        mon.register_callback(self._tool, events.PY_START, self._on_start)
        mon.register_callback(self._tool, events.PY_RETURN, self._make_return_callback())
        mon.set_events(self._tool, events.PY_START)
        self._apply({}, self._plans)

    def stop(self) -> None:
        if self._tool is None:
            return
        mon = sys.monitoring
        mon.set_events(self._tool, 0)
        mon.register_callback(self._tool, mon.events.LINE, None)
        for code in self._plans:
            mon.set_local_events(self._tool, code, 0)
        mon.register_callback(self._tool, mon.events.INSTRUCTION, None)
        mon.register_callback(self._tool, mon.events.PY_START, None)
        mon.register_callback(self._tool, mon.events.PY_RETURN, None)
        mon.free_tool_id(self._tool)
        self._tool = None

    def set_plans(self, plans: dict, exits: dict | None = None) -> None:
        """``plans``: code object -> {offset: handler}; ``exits``: code object -> handlers
        to run when a frame of it returns. Takes effect at once, in every thread."""
        with self._lock:
            old, self._plans = self._plans, plans
            _replace_contents(self._exits_by_id, exits or {})
            _replace_contents(self._by_id, plans)
            if self._tool is not None:
                self._apply(old, plans)

    def set_paused(self, paused: bool, resumed: threading.Event, exempt: set[int]) -> None:
        """While paused, every line of every thread but ``exempt`` waits for ``resumed``."""
        if self._tool is None:
            return
        mon = sys.monitoring
        events = mon.events
        if paused:
            get_ident = threading.get_ident

            def on_line(code, line):
                if not resumed.is_set() and get_ident() not in exempt:
                    resumed.wait()

            mon.register_callback(self._tool, events.LINE, on_line)
            mon.set_events(self._tool, events.PY_START | events.LINE)
        else:
            mon.set_events(self._tool, events.PY_START)
            mon.register_callback(self._tool, events.LINE, None)

    def rearm(self) -> None:
        """Wake up the sites that went quiet after taking a sample."""
        if self._tool is not None:
            sys.monitoring.restart_events()

    def _apply(self, old: dict, new: dict) -> None:
        mon = sys.monitoring
        for code in old.keys() - new.keys():
            mon.set_local_events(self._tool, code, 0)
        events = mon.events
        for code in new:
            returns = events.PY_RETURN if id(code) in self._exits_by_id else 0
            wanted = events.INSTRUCTION | returns
            mon.set_local_events(self._tool, code, wanted)
        mon.restart_events()

    def _make_return_callback(self):
        disable = sys.monitoring.DISABLE
        getframe = sys._getframe
        exits = self._exits_by_id.get

        def on_return(code, offset, retval):
            handlers = exits(id(code))
            if handlers is not None:
                frame = getframe(1)
                for handler in handlers:
                    handler(frame)
            # Once per sample tick is enough: re-armed with the sample sites.
            return disable

        return on_return

    def _make_instruction_callback(self):
        disable = sys.monitoring.DISABLE
        getframe = sys._getframe
        plans = self._by_id.get

        def on_instruction(code, offset):
            handlers = plans(id(code))
            if handlers is None:
                return disable
            handler = handlers.get(offset)
            if handler is None:
                return disable
            if handler(getframe(1)):
                return disable
            return None

        return on_instruction

    def _on_start(self, code, offset):
        self._discover(code)
        return sys.monitoring.DISABLE


def _replace_contents(by_id: dict[int, object], by_code: dict) -> None:
    """Make ``by_id`` hold ``by_code``'s entries keyed by id(code), without replacing it."""
    fresh = {id(code): value for code, value in by_code.items()}
    by_id.update(fresh)
    for stale in by_id.keys() - fresh.keys():
        del by_id[stale]
