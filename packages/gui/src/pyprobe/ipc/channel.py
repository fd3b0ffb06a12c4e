"""The API both of the GUI's channels to a tracer offer (the socket one and the legacy one).

A channel carries wire messages: commands (CMD_*) from the GUI to the tracer, and
what the script does (DATA_*) back. The GUI's polling code (``MessageHandler``)
only uses this API, so it works the same whichever channel the runner made.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pyprobe_wire import Message, MessageType

#: What the GUI may send a tracer.
COMMAND_TYPES = frozenset(t for t in MessageType if t.name.startswith("CMD_"))
#: What a tracer may send the GUI once the handshake is over.
DATA_TYPES = frozenset(t for t in MessageType if t.name.startswith("DATA_"))


def check_command(message: Message) -> None:
    """Raise ValueError unless ``message`` is a command the GUI may send."""
    if message.msg_type not in COMMAND_TYPES:
        raise ValueError(
            f"a channel sends only CMD_* commands to the tracer, not {message.msg_type.name}"
        )


@runtime_checkable
class Channel(Protocol):
    """One GUI-side connection to one tracer."""

    def send_command(self, message: Message) -> None:
        """Send a CMD_* message to the tracer (ValueError for any other type)."""

    def receive_data(self, timeout: float = 0.0) -> Message | None:
        """The next message from the tracer, or None when there is none within ``timeout``
        seconds (0: never wait, what the GUI's timer uses)."""

    def cleanup(self) -> None:
        """Close everything the channel holds. Idempotent."""

    @property
    def closed(self) -> bool:
        """Whether cleanup() has run."""
