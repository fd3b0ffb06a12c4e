"""What the tracer does with each command the GUI sends."""

from __future__ import annotations

import logging
import sys
from typing import Any

from pyprobe_wire import Message, MessageType, ProbeAnchor

from .engine import DEFAULT_SAMPLE_HZ, MODE_ALL, MODES, VariableTracer

log = logging.getLogger(__name__)


class CommandError(ValueError):
    """A command whose payload the tracer cannot act on."""


class Commands:
    """Applies CMD_* messages to the tracer; ``session`` is set once the script runs."""

    def __init__(self, tracer: VariableTracer) -> None:
        self.tracer = tracer
        self.session = None
        self.started = False
        self.stopped = False

    def handle(self, message: Message) -> None:
        """Act on one command from the command thread, which pausing must never block."""
        self.tracer.exempt_current_thread()
        self.apply(message)

    def apply(self, message: Message) -> None:
        """Act on one command; a malformed one is reported on stderr and ignored."""
        try:
            self._dispatch(message)
        except CommandError as exc:
            print(f"pyprobe-tracer: ignoring {message.msg_type.name}: {exc}", file=sys.__stderr__)

    def _dispatch(self, message: Message) -> None:
        kind, payload = message.msg_type, message.payload
        if kind is MessageType.CMD_ADD_PROBE:
            mode = _field(payload, "mode", str, MODE_ALL)
            if mode not in MODES:
                raise CommandError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
            max_hz = _field(payload, "max_hz", (int, float), DEFAULT_SAMPLE_HZ)
            if not max_hz > 0:
                raise CommandError(f"max_hz must be positive, got {max_hz!r}")
            anchor = _anchor(payload)
            _check_capturable(anchor)
            self.tracer.add_probe(anchor, mode, float(max_hz))
        elif kind is MessageType.CMD_REMOVE_PROBE:
            self.tracer.remove_probe(_anchor(payload))
        elif kind is MessageType.CMD_SET_THROTTLE:
            max_hz = _field(payload, "max_hz", (int, float), None)
            if max_hz is None or not max_hz > 0:
                raise CommandError(f"payload needs a positive 'max_hz', got {payload!r}")
            self.tracer.set_max_hz(float(max_hz))
        elif kind is MessageType.CMD_START:
            self.started = True
        elif kind is MessageType.CMD_PAUSE:
            self.tracer.pause()
        elif kind is MessageType.CMD_RESUME:
            self.tracer.resume()
        elif kind is MessageType.CMD_STOP:
            self.stopped = True
            if self.session is not None:
                self.session.request_stop()
        else:
            log.debug("ignoring %s", kind.name)

    def disconnected(self, error: BaseException | None) -> None:
        """The GUI went away: stop the script (it has nobody to report to)."""
        if self.session is not None:
            self.session.request_stop()


def _anchor(payload: Any) -> ProbeAnchor:
    anchor = payload.get("anchor") if isinstance(payload, dict) else None
    if not isinstance(anchor, ProbeAnchor):
        raise CommandError(f"payload needs an 'anchor' (a ProbeAnchor), got {payload!r}")
    return anchor


def _check_capturable(anchor: ProbeAnchor) -> None:
    """A probe that resolves to no capture site is refused, never a silent no-op."""
    from .engine.anchor import check_capturable
    from .engine.errors import ProbeSpecError

    try:
        with open(anchor.file, encoding="utf-8") as fh:
            source = fh.read()
    except (OSError, UnicodeDecodeError):
        return  # not readable here: the file may be generated or imported later
    try:
        check_capturable(anchor, source)
    except ProbeSpecError as exc:
        raise CommandError(str(exc)) from exc


def _field(payload: Any, name: str, types, default):
    if not isinstance(payload, dict) or name not in payload:
        return default
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, types):
        raise CommandError(f"{name!r} has the wrong type: {value!r}")
    return value
