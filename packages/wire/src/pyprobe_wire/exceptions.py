"""The one exception hierarchy of pyprobe_wire."""

from __future__ import annotations


class ProtocolError(ValueError):
    """Something does not follow the PyProbe wire format.

    Decoding untrusted bytes raises nothing else (a ``TypeError`` only means the
    argument was not bytes-like at all).
    """


class EncodeError(ProtocolError):
    """A message cannot be encoded: an unsupported value, or the frame is too large."""


class DecodeError(ProtocolError):
    """Bytes are not a valid frame: truncated, malformed, inconsistent or too large."""
