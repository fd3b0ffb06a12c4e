"""The GUI's side of the connection to a tracer.

The version handshake lives in ``pyprobe.ipc.handshake``; the wire format is
pyprobe_wire and the sockets are pyprobe_transport.
"""

from .handshake import (
    HANDSHAKE_TIMEOUT,
    TOKEN_ENV_VAR,
    HandshakeOutcome,
    HandshakeResult,
    accept_handshake,
    check_compatibility,
    new_session_token,
)

__all__ = [
    "HANDSHAKE_TIMEOUT",
    "TOKEN_ENV_VAR",
    "HandshakeOutcome",
    "HandshakeResult",
    "accept_handshake",
    "check_compatibility",
    "new_session_token",
]
