"""pyprobe_wire: a pickle-free frame format for messages carrying numpy arrays.

Frames go between the PyProbe GUI and its tracer subprocess. See README.md for the
byte layout.
"""

from .anchor import ProbeAnchor
from .codec import decode_message, encode_message, encode_message_parts
from .constants import (
    ALIGNMENT,
    DEFAULT_MAX_FRAME_BYTES,
    FORMAT_VERSION,
    HANDSHAKE_MAX_BYTES,
    HANDSHAKE_TIMEOUT,
    MAGIC,
    MAX_DEPTH,
    MAX_NDIM,
    PROTOCOL_VERSION,
    TOKEN_ENV_VAR,
    TOKEN_FD_OPTION,
)
from .exceptions import DecodeError, EncodeError, ProtocolError
from .message import Message
from .message_type import MessageType
from .stream import FrameReader

__version__ = "0.1.0"

__all__ = [
    "ALIGNMENT",
    "DEFAULT_MAX_FRAME_BYTES",
    "FORMAT_VERSION",
    "HANDSHAKE_MAX_BYTES",
    "HANDSHAKE_TIMEOUT",
    "MAGIC",
    "MAX_DEPTH",
    "MAX_NDIM",
    "PROTOCOL_VERSION",
    "TOKEN_ENV_VAR",
    "TOKEN_FD_OPTION",
    "DecodeError",
    "EncodeError",
    "FrameReader",
    "Message",
    "MessageType",
    "ProbeAnchor",
    "ProtocolError",
    "__version__",
    "decode_message",
    "encode_message",
    "encode_message_parts",
]
