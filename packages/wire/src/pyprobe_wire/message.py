"""Message: one unit of communication between the GUI and the tracer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .message_type import MessageType


@dataclass
class Message:
    """A typed payload with the time it was created (seconds since the epoch).

    ``==`` compares fields; with arrays in the payload that comparison is ambiguous,
    so compare such payloads with numpy's helpers instead.
    """

    msg_type: MessageType
    payload: Any = None
    timestamp: float = field(default_factory=time.time)
