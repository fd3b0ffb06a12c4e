"""Constants of the frame format."""

from __future__ import annotations

MAGIC = b"PPR*"
"""First four bytes of every frame (0x50 0x50 0x52 0x2A)."""

PROTOCOL_VERSION = "1.0"
"""Version of the message protocol, exchanged in the HANDSHAKE payload."""

FORMAT_VERSION = 1
"""Value of the header field ``v``; frames with another value are refused."""

DEFAULT_MAX_FRAME_BYTES = 1 << 30
"""Default limit (1 GiB) on a frame's length field, i.e. the bytes after the prefix."""

ALIGNMENT = 64
"""Every array's data starts at a multiple of this offset from the frame start."""

MAX_DEPTH = 100
"""Deepest nesting of lists, tuples and dicts a payload may have."""

MAX_NDIM = 32
"""Most dimensions an array may have (numpy 1.x's limit)."""
