"""VariableTracer: keep the probes, find their sites, and drive a tracing backend."""

from __future__ import annotations

import contextlib
import os
import threading
from types import CodeType

from . import _monitoring, _settrace
from .anchor import ProbeAnchor
from .anchor_matcher import Site, find_sites, nested_code_objects
from .backends import BACKEND_NAMES, default_backend, unavailable_reason
from .capture_manager import DEFAULT_SAMPLE_HZ, MODE_ALL, MODE_SAMPLE, CaptureManager, Probe
from .errors import BackendUnavailable
from .handlers import capture_handler, combine, final_handler, guarded_handlers

BACKENDS = {
    _monitoring.NAME: _monitoring.MonitoringBackend,
    _settrace.NAME: _settrace.SettraceBackend,
}


def _real(path: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 - a deliberate cache
    real = cache.get(path)
    if real is None:
        real = cache[path] = os.path.realpath(path)
    return real


class VariableTracer:
    """Captures probed variables of running code into a CaptureManager.

    Probes can be added and removed before ``start()`` or while the script runs,
    from any thread; the change reaches running frames at their next instruction.
    """

    def __init__(self, manager: CaptureManager | None = None, backend: str = "auto") -> None:
        name = default_backend() if backend == "auto" else backend
        if name not in BACKEND_NAMES:
            raise BackendUnavailable(
                f"unknown backend {backend!r}; choose one of: auto, {', '.join(BACKEND_NAMES)}"
            )
        reason = unavailable_reason(name)
        if reason is not None:
            raise BackendUnavailable(reason)
        self.manager = manager if manager is not None else CaptureManager()
        self._backend = BACKENDS[name](self._discover)
        self.backend = name
        self._lock = threading.RLock()
        self._probes: dict[ProbeAnchor, Probe] = {}
        self._codes: dict[str, set[CodeType]] = {}  # real file path -> code objects seen
        # Every code object ever shown, by id: the backends report code objects again
        # after each restart_events(), and hashing a code object hashes its bytecode.
        self._seen: dict[int, CodeType] = {}
        self._armed: dict = {}
        self._running = False
        self._resumed = threading.Event()
        self._resumed.set()
        self._exempt: set[int] = set()

    # -- probes -------------------------------------------------------------

    def add_probe(
        self, anchor: ProbeAnchor, mode: str = MODE_ALL, max_hz: float = DEFAULT_SAMPLE_HZ
    ) -> Probe:
        """Start capturing ``anchor`` (replacing its mode if already probed)."""
        probe = Probe(anchor, mode, max_hz)
        with self._lock:
            self._probes[anchor] = probe
            self.manager.attach(probe)
            self._replan()
        return probe

    def remove_probe(self, anchor: ProbeAnchor) -> bool:
        """Stop capturing ``anchor``; False when it was not probed."""
        with self._lock:
            if self._probes.pop(anchor, None) is None:
                return False
            self.manager.detach(anchor)
            self._replan()
            return True

    def set_max_hz(self, max_hz: float) -> None:
        """The sample rate limit of every sample-mode probe (CMD_SET_THROTTLE)."""
        if not max_hz > 0:
            raise ValueError(f"max_hz must be positive, got {max_hz!r}")
        with self._lock:
            for probe in self._probes.values():
                probe.max_hz = max_hz

    @property
    def probes(self) -> list[Probe]:
        return list(self._probes.values())

    def sites(self, anchor: ProbeAnchor) -> list[Site]:
        """Where ``anchor`` is observed among the code objects seen so far."""
        return find_sites(list(self._codes.get(_real(anchor.file), ())), anchor)

    # -- code objects ---------------------------------------------------------

    def _discover(self, code: CodeType) -> None:
        # Called from the backends for every code object they meet: stay cheap.
        if self._seen.get(id(code)) is code:
            return
        with self._lock:
            real = _real(code.co_filename)
            for inner in nested_code_objects(code):
                self._seen[id(inner)] = inner
                self._codes.setdefault(_real(inner.co_filename), set()).add(inner)
            if any(_real(anchor.file) == real for anchor in self._probes):
                self._replan()

    def _replan(self) -> None:
        plans: dict[CodeType, dict[int, list]] = {}
        exits: dict[CodeType, list] = {}
        self._armed.clear()
        for anchor, probe in self._probes.items():
            for site in self.sites(anchor):
                handlers = plans.setdefault(site.code, {})
                # At one instruction, finished assignments are reported before the
                # loads about to happen: that is the order the script runs them in.
                rank = 0 if site.after else 1
                if site.guard_offset is None:
                    handler = capture_handler(site, probe, self.manager)
                else:
                    arm, handler = guarded_handlers(site, probe, self.manager, self._armed)
                    handlers.setdefault(site.guard_offset, []).append((1, arm))
                handlers.setdefault(site.offset, []).append((rank, handler))
                if probe.mode == MODE_SAMPLE and site.sole_store:
                    # A sample site goes quiet between samples; its frame's end
                    # still delivers the last value it produced.
                    exits.setdefault(site.code, []).append(final_handler(site, probe, self.manager))
        combined = {
            code: {
                offset: combine([h for _, h in sorted(hs, key=lambda pair: pair[0])], self.manager)
                for offset, hs in handlers.items()
            }
            for code, handlers in plans.items()
        }
        self._backend.set_plans(combined, exits)

    # -- running --------------------------------------------------------------

    def start(self) -> None:
        if self._running:
            return
        self._backend.start()
        self._running = True

    def stop(self) -> None:
        if not self._running:
            return
        self.resume()
        self._backend.stop()
        self._running = False

    def silence_after_fork(self) -> None:
        """Stop tracing in a forked child. Takes no lock: one another thread held at
        the fork is never released in the child."""
        self._running = False
        self._resumed.set()
        with contextlib.suppress(Exception):  # a child must run on, traced or not
            self._backend.stop()

    def exempt_current_thread(self) -> None:
        """Never pause the calling thread (the tracer's own sender and command threads)."""
        self._exempt.add(threading.get_ident())

    def pause(self) -> None:
        """Suspend the script's threads at their next line until ``resume()``."""
        with self._lock:
            if not self._resumed.is_set():
                return
            self._resumed.clear()
            self._backend.set_paused(True, self._resumed, self._exempt)

    def resume(self) -> None:
        with self._lock:
            if self._resumed.is_set():
                return
            self._resumed.set()
            self._backend.set_paused(False, self._resumed, self._exempt)

    def rearm(self) -> None:
        """Let sample-mode sites that took a sample observe again (the sender calls this
        at the sample rate)."""
        self._backend.rearm()

    def __enter__(self) -> VariableTracer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
