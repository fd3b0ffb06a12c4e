"""Constants of the frame format."""

from __future__ import annotations

MAGIC = b"PPR*"
"""First four bytes of every frame (0x50 0x50 0x52 0x2A)."""

PROTOCOL_VERSION = "1.0"
"""Version of the message protocol, exchanged in the HANDSHAKE payload."""

FORMAT_VERSION = 1
"""Value of the header field ``v``; frames with another value are refused."""

DEFAULT_MAX_FRAME_BYTES = 1 << 28
"""Default limit (256 MiB) on a frame's length field, i.e. the bytes after the prefix.
The same as pyprobe_transport's (which may not import this package; a test keeps the two
equal), so what the tracer may encode is what the GUI's socket accepts."""

ALIGNMENT = 64
"""Every array's data starts at a multiple of this offset from the frame start."""

MAX_DEPTH = 100
"""Deepest nesting of lists, tuples and dicts a payload may have."""

MAX_NDIM = 32
"""Most dimensions an array may have (numpy 1.x's limit)."""

# --- the handshake: what both ends of a connection agree on -------------------------

HANDSHAKE_TIMEOUT = 5.0
"""Seconds each side waits for the other's handshake frame (HANDSHAKE, HANDSHAKE_ACK)."""

HANDSHAKE_MAX_BYTES = 64 * 1024
"""Largest HANDSHAKE or HANDSHAKE_ACK frame; read before the peer is trusted."""

TOKEN_ENV_VAR = "PYPROBE_SESSION_TOKEN"
"""Where a tracer started by hand finds its session token (the GUI uses a pipe:
``--token-fd``)."""

TOKEN_FD_OPTION = "--token-fd"
"""The tracer's option naming the inherited file descriptor the token is read from."""
