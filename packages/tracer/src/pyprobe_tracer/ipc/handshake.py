"""The tracer's side of the version handshake: the first exchange on every connection.

The tracer speaks first. It sends HANDSHAKE with its protocol version, its own
version, Python's, the platform, its pid, what it can do, and the session token
the GUI gave it (through an inherited pipe, ``--token-fd N``; a tracer run by hand
may take it from the environment variable ``PYPROBE_SESSION_TOKEN``). The GUI answers
HANDSHAKE_ACK: accepted, or refused with a message saying what to do about it.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from typing import Any

from pyprobe_tracer import __version__
from pyprobe_transport import ConnectionClosed, SocketTransport, TransportError, TransportTimeout
from pyprobe_wire import (
    HANDSHAKE_MAX_BYTES,
    HANDSHAKE_TIMEOUT,
    PROTOCOL_VERSION,
    TOKEN_ENV_VAR,
    Message,
    MessageType,
    ProtocolError,
    decode_message,
    encode_message_parts,
)

from .exceptions import HandshakeError, HandshakeRejected

# TOKEN_ENV_VAR (where a tracer run by hand may take the session token from; the GUI
# passes it through a pipe instead: --token-fd, token_from_fd) and the handshake's
# timeout and size limit are shared protocol facts, defined once in pyprobe_wire.

MAX_TOKEN_BYTES = 4096
"""The longest session token read from ``--token-fd`` (the GUI's are 43 characters)."""

DEFAULT_TIMEOUT = HANDSHAKE_TIMEOUT


def token_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The session token from ``environ`` (default ``os.environ``); None if unset or empty."""
    value = (os.environ if environ is None else environ).get(TOKEN_ENV_VAR)
    return value or None


def token_from_fd(fd: int) -> str | None:
    """The session token written to the pipe ``fd`` (read to its end, then closed, even
    on failure); None if it holds nothing. Raises OSError if ``fd`` cannot be read and
    ValueError if what it holds is not a token of at most MAX_TOKEN_BYTES UTF-8 bytes."""
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= MAX_TOKEN_BYTES:
            chunk = os.read(fd, MAX_TOKEN_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_TOKEN_BYTES:
        raise ValueError(
            f"the session token in file descriptor {fd} is longer than {MAX_TOKEN_BYTES} bytes"
        )
    try:
        token = b"".join(chunks).decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"the session token in file descriptor {fd} is not UTF-8 text") from None
    return token or None


def capabilities() -> list[str]:
    """What this tracer can do, announced in the handshake: the tracing backend this
    Python offers ("monitoring", PEP 669, from 3.12 on; "settrace" before), and the
    capture modes ("sample", "all") and recording ("record")."""
    backend = "monitoring" if sys.version_info >= (3, 12) else "settrace"
    return [backend, "sample", "all", "record"]


def handshake_payload(
    *, token: str | None, protocol_version: str = PROTOCOL_VERSION
) -> dict[str, Any]:
    """The HANDSHAKE payload this tracer sends."""
    return {
        "protocol_version": protocol_version,
        "tracer_version": __version__,
        "python_version": platform.python_version(),
        "platform": sys.platform,
        "pid": os.getpid(),
        "capabilities": capabilities(),
        "token": token,
    }


def perform_handshake(
    transport: SocketTransport,
    *,
    token: str | None,
    protocol_version: str = PROTOCOL_VERSION,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Send HANDSHAKE as the first frame on ``transport`` and wait for HANDSHAKE_ACK.

    Returns the ACK payload (``{"protocol_version", "accepted": True, "message"}``).
    Raises HandshakeRejected with the GUI's message if the GUI refused, and
    HandshakeError if no valid HANDSHAKE_ACK arrives within ``timeout`` seconds or
    the connection closes first. The transport is left open either way.
    """
    hello = Message(
        MessageType.HANDSHAKE, handshake_payload(token=token, protocol_version=protocol_version)
    )
    try:
        transport.send_frame(encode_message_parts(hello), timeout=timeout)
        frame = transport.recv_frame(timeout, max_bytes=HANDSHAKE_MAX_BYTES)
    except TransportTimeout as exc:
        if transport.closed:  # the send timed out: the GUI is not reading
            raise HandshakeError(f"the GUI did not take this tracer's HANDSHAKE: {exc}") from None
        raise HandshakeError(
            f"the GUI sent no HANDSHAKE_ACK within {timeout:g} s of this tracer's HANDSHAKE"
        ) from None
    except ConnectionClosed as exc:
        raise HandshakeError(f"the GUI closed the connection during the handshake ({exc})") from exc
    except TransportError as exc:  # FrameTooLarge: the transport closed the connection
        raise HandshakeError(f"the GUI's reply to HANDSHAKE was refused: {exc}") from exc
    try:
        reply = decode_message(frame)
    except ProtocolError as exc:
        raise HandshakeError(f"the GUI's reply to HANDSHAKE is not a valid message: {exc}") from exc
    if reply.msg_type is not MessageType.HANDSHAKE_ACK:
        raise HandshakeError(
            f"the GUI replied {reply.msg_type.name} to HANDSHAKE, not HANDSHAKE_ACK"
        )
    ack = _checked_ack(reply.payload)
    if not ack["accepted"]:
        raise HandshakeRejected(ack.get("message") or "the GUI refused this tracer", ack)
    return ack


def _checked_ack(payload: Any) -> dict[str, Any]:
    if type(payload) is not dict:
        raise HandshakeError(
            f"HANDSHAKE_ACK payload must be an object, got {type(payload).__name__}"
        )
    if type(payload.get("accepted")) is not bool:
        raise HandshakeError(
            f"HANDSHAKE_ACK field 'accepted' must be true or false, got {payload.get('accepted')!r}"
        )
    message = payload.get("message")
    if message is not None and type(message) is not str:
        raise HandshakeError(
            f"HANDSHAKE_ACK field 'message' must be a string, got {type(message).__name__}"
        )
    return payload
