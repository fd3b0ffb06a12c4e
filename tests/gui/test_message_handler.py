"""MessageHandler: drains a source without an event loop and hands messages to subscribers."""

from __future__ import annotations

import logging
from collections import deque

from pyprobe.gui.message_handler import MessageHandler
from pyprobe_wire import Message, MessageType


class FakeSource:
    """A channel-like source: queued messages, and runner-like events."""

    def __init__(self, messages=(), events=()):
        self.messages = deque(messages)
        self.events = list(events)

    def receive_data(self, timeout=0.0):
        return self.messages.popleft() if self.messages else None

    def poll_events(self):
        events, self.events = self.events, []
        return events


def text(value: str) -> Message:
    return Message(MessageType.DATA_STDOUT, {"text": value})


def test_every_subscriber_gets_the_messages_of_its_types_in_order():
    source = FakeSource([text("a"), Message(MessageType.DATA_SCRIPT_END, {}), text("b")])
    handler = MessageHandler(source)
    everything, stdout = [], []
    handler.subscribe(everything.append)
    handler.subscribe(stdout.append, MessageType.DATA_STDOUT)
    assert handler.poll() == 3
    assert [m.msg_type for m in everything] == [
        MessageType.DATA_STDOUT,
        MessageType.DATA_SCRIPT_END,
        MessageType.DATA_STDOUT,
    ]
    assert [m.payload["text"] for m in stdout] == ["a", "b"]
    assert handler.poll() == 0


def test_unsubscribing_stops_delivery():
    source = FakeSource([text("a")])
    handler = MessageHandler(source)
    got = []
    unsubscribe = handler.subscribe(got.append)
    unsubscribe()
    handler.poll()
    assert got == []


def test_a_failing_subscriber_does_not_starve_the_others(caplog):
    source = FakeSource([text("a"), text("b")])
    handler = MessageHandler(source)
    got = []

    def broken(message):
        raise RuntimeError("panel bug")

    handler.subscribe(broken)
    handler.subscribe(got.append)
    with caplog.at_level(logging.ERROR):
        assert handler.poll() == 2
    assert len(got) == 2
    assert "a subscriber failed" in caplog.text


def test_events_wait_until_the_messages_before_them_are_handled():
    source = FakeSource([text(str(n)) for n in range(5)], events=["ended"])
    handler = MessageHandler(source, max_per_poll=3)
    order = []
    handler.subscribe(lambda m: order.append(m.payload["text"]))
    handler.on_event(order.append)
    assert handler.poll() == 3
    assert order == ["0", "1", "2"]  # more data waits: the event is held back
    assert handler.poll() == 2
    assert order == ["0", "1", "2", "3", "4", "ended"]


def test_a_bare_channel_without_events_is_fine():
    class Channel:
        def receive_data(self, timeout=0.0):
            return None

    assert MessageHandler(Channel()).poll() == 0


def test_attach_polls_on_every_timer_tick():
    class FakeSignal:
        def __init__(self):
            self.slots = []

        def connect(self, slot):
            self.slots.append(slot)

    class FakeTimer:
        def __init__(self):
            self.timeout = FakeSignal()
            self.interval = None

        def start(self, msec):
            self.interval = msec

        def tick(self):
            for slot in self.timeout.slots:
                slot()

    source = FakeSource([text("a")])
    handler = MessageHandler(source)
    got = []
    handler.subscribe(got.append)
    timer = FakeTimer()
    handler.attach(timer, interval_ms=20)
    assert timer.interval == 20
    timer.tick()
    assert len(got) == 1
