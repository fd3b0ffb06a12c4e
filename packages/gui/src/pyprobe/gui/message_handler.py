"""MessageHandler: drains a run's messages and events and hands them to subscribers.

The GUI calls ``poll()`` from one timer; tests call it directly, no event loop
needed. It works on anything with ``receive_data()`` (a ScriptRunner or either
channel) and also delivers the runner's events when the source has
``poll_events()``. Messages go first: a run's ENDED event is seen after its data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from pyprobe_wire import Message, MessageType

log = logging.getLogger(__name__)

#: At most this many messages per poll(), so one tick never starves the GUI.
DEFAULT_MAX_PER_POLL = 2000
DEFAULT_INTERVAL_MS = 16  # about 60 Hz


class _Timer(Protocol):
    """The part of a QTimer that attach() uses."""

    timeout: Any

    def start(self, msec: int) -> None: ...


class MessageHandler:
    def __init__(self, source, *, max_per_poll: int = DEFAULT_MAX_PER_POLL) -> None:
        self.source = source
        self.max_per_poll = max_per_poll
        self._subscribers: list[tuple[Callable[[Message], object], frozenset | None]] = []
        self._event_subscribers: list[Callable[[Any], object]] = []

    def subscribe(
        self, callback: Callable[[Message], object], *types: MessageType
    ) -> Callable[[], None]:
        """Call ``callback(message)`` for every message (or only those of ``types``).
        Returns a function that unsubscribes."""
        entry = (callback, frozenset(types) or None)
        self._subscribers.append(entry)
        return lambda: self._subscribers.remove(entry)

    def on_event(self, callback: Callable[[Any], object]) -> Callable[[], None]:
        """Call ``callback(event)`` for every RunEvent of the source. Returns an unsubscriber."""
        self._event_subscribers.append(callback)
        return lambda: self._event_subscribers.remove(callback)

    def poll(self) -> int:
        """Hand every waiting message (up to ``max_per_poll``), then every waiting event,
        to the subscribers. A subscriber that raises is logged and the others still get
        the message. Returns how many messages were handled."""
        handled = 0
        while handled < self.max_per_poll:
            message = self.source.receive_data()
            if message is None:
                break
            handled += 1
            for callback, types in list(self._subscribers):
                if types is None or message.msg_type in types:
                    _call(callback, message)
        else:
            return handled  # more is waiting: events must not overtake it
        poll_events = getattr(self.source, "poll_events", None)
        if poll_events is not None:
            for event in poll_events():
                for callback in list(self._event_subscribers):
                    _call(callback, event)
        return handled

    def attach(self, timer: _Timer, interval_ms: int = DEFAULT_INTERVAL_MS) -> None:
        """Poll on every tick of ``timer`` (a QTimer) and start it."""
        timer.timeout.connect(self.poll)
        timer.start(interval_ms)


def _call(callback, item) -> None:
    try:
        callback(item)
    except Exception:
        log.exception("a subscriber failed on %r", item)
