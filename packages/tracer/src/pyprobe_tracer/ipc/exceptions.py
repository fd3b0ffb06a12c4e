"""The errors of the tracer's connection to the GUI."""

from __future__ import annotations

from typing import Any

from pyprobe_wire import MessageType, ProtocolError


class UnexpectedMessage(ProtocolError):
    """A valid message of a type the tracer does not accept there, such as a DATA_*
    message where a command was expected. ``msg_type`` is what arrived."""

    def __init__(self, msg_type: MessageType, expected: str) -> None:
        super().__init__(f"unexpected {msg_type.name} message from the GUI (expected {expected})")
        self.msg_type = msg_type


class HandshakeError(Exception):
    """The handshake with the GUI did not complete: no reply in time, the connection
    closed, or a reply that is not a valid HANDSHAKE_ACK."""


class HandshakeRejected(HandshakeError):
    """The GUI refused this tracer. ``message`` is the GUI's own explanation (what to
    upgrade, or that the session token is wrong); ``ack`` the whole HANDSHAKE_ACK payload."""

    def __init__(self, message: str, ack: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.ack = ack
