"""The 8-byte frame prefix (magic + big-endian u32 length) and layout arithmetic."""

from __future__ import annotations

from .constants import ALIGNMENT, MAGIC
from .exceptions import DecodeError

PREFIX_SIZE = 8
MAX_LENGTH_FIELD = 0xFFFF_FFFF


def check_max_frame_bytes(value: int) -> int:
    if type(value) is not int:
        raise TypeError(f"max_frame_bytes must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"max_frame_bytes must be positive, got {value}")
    return value


def parse_prefix(prefix, max_frame_bytes: int) -> int:
    """The length field of an 8-byte prefix, after checking the magic and the limit."""
    magic = bytes(prefix[:4])
    if magic != MAGIC:
        raise DecodeError(f"bad magic {magic!r} (expected {MAGIC!r})")
    length = int.from_bytes(prefix[4:PREFIX_SIZE], "big")
    if length > max_frame_bytes:
        raise DecodeError(f"frame length {length} exceeds max_frame_bytes {max_frame_bytes}")
    return length


def align(offset: int) -> int:
    return offset + -offset % ALIGNMENT
