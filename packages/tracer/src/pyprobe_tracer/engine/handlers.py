"""Per-site handlers: the small functions a trace event runs at a probed instruction.

A handler takes the user's frame (and, when several probes share one instruction,
the logical_order of that trace event) and returns True when its site may go quiet
until re-armed (a sample was taken), False when it must keep observing.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from types import FrameType

from .anchor_matcher import READ_GLOBAL, READ_LOCAL, READ_NAME, Site
from .capture_manager import IMMUTABLE_SCALARS, MODE_ALL, CaptureManager, Probe

Handler = Callable[..., bool]

_MISSING = object()
_BUILTINS = builtins.__dict__


def reader(site: Site) -> Callable[[FrameType], object]:
    """A function reading the site's symbol from a frame; _MISSING when it is unbound."""
    symbol = site.anchor.symbol
    if site.read == READ_LOCAL:
        return _local_reader(symbol)
    elif site.read == READ_GLOBAL:

        def read(frame):
            value = frame.f_globals.get(symbol, _MISSING)
            return _BUILTINS.get(symbol, _MISSING) if value is _MISSING else value

    elif site.read == READ_NAME:

        def read(frame):
            value = frame.f_locals.get(symbol, _MISSING)
            if value is _MISSING:
                value = frame.f_globals.get(symbol, _MISSING)
                if value is _MISSING:
                    value = _BUILTINS.get(symbol, _MISSING)
            return value

    else:  # pragma: no cover - the matcher only produces the three above
        raise ValueError(f"unknown read strategy {site.read!r}")
    return read


def _local_reader(symbol: str):
    def read(frame):
        return frame.f_locals.get(symbol, _MISSING)

    return read


def capture_handler(site: Site, probe: Probe, manager: CaptureManager) -> Handler:
    read = reader(site)
    capture = manager.capture
    if probe.mode != MODE_ALL:

        def handle(frame, event=-1):
            value = read(frame)
            if value is _MISSING:
                return False
            return capture(probe, value, event)

        return handle

    # All mode, inlined: a scalar is three appends (see CaptureManager.capture).
    fast, limit, clock, tick = IMMUTABLE_SCALARS, manager.limit, manager.clock, manager.tick
    ticks, values, stamps = probe.ticks.append, probe.values.append, probe.stamps
    stamp = stamps.append
    local = site.read == READ_LOCAL
    symbol = site.anchor.symbol

    def handle(frame, event=-1):
        value = frame.f_locals.get(symbol, _MISSING) if local else read(frame)
        if value is _MISSING:
            return False
        if event < 0 and type(value) in fast and len(stamps) < limit:
            ticks(tick())
            values(value)
            stamp(clock())
            return False
        return capture(probe, value, event)

    return handle


def final_handler(site: Site, probe: Probe, manager: CaptureManager) -> Handler:
    """At the return of the site's frame: keep the name's value as the probe's latest."""
    read = reader(site)
    keep = manager.capture_final

    def handle(frame, event=-1):
        value = read(frame)
        if value is not _MISSING:
            keep(probe, value)
        return True

    return handle


def guarded_handlers(
    site: Site, probe: Probe, manager: CaptureManager, armed: dict
) -> tuple[Handler, Handler]:
    """(at the store, after it): the store arms its frame, the next instruction captures
    only when armed, so reaching that instruction by a jump captures nothing."""
    capture = capture_handler(site, probe, manager)
    key = (probe, site.offset)

    def arm(frame, event=-1):
        armed[frame, key] = True
        return False

    def fire(frame, event=-1):
        if armed.pop((frame, key), None) is None:
            return False
        return capture(frame, event)

    return arm, fire


def combine(handlers: list[Handler], manager: CaptureManager) -> Handler:
    """One handler for several probes at the same instruction: one trace event, one batch."""
    if len(handlers) == 1:
        return handlers[0]
    handlers = tuple(handlers)
    new_event = manager.new_event

    def handle(frame, event=-1):
        event = new_event()
        quiet = True
        for handler in handlers:
            if not handler(frame, event):
                quiet = False
        return quiet

    return handle
