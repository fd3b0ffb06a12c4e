"""The tracer's connection to the GUI: TracerIPCClient and the version handshake.

The wire format is pyprobe_wire and the sockets are pyprobe_transport; nothing of
either is copied here.
"""

from .client import TracerIPCClient
from .exceptions import HandshakeError, HandshakeRejected, UnexpectedMessage
from .handshake import (
    TOKEN_ENV_VAR,
    capabilities,
    handshake_payload,
    perform_handshake,
    token_from_environment,
)
from .payloads import PROBE_VALUE_KEYS, probe_value_payload

__all__ = [
    "PROBE_VALUE_KEYS",
    "TOKEN_ENV_VAR",
    "HandshakeError",
    "HandshakeRejected",
    "TracerIPCClient",
    "UnexpectedMessage",
    "capabilities",
    "handshake_payload",
    "perform_handshake",
    "probe_value_payload",
    "token_from_environment",
]
