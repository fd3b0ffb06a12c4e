"""The GUI's side of the version handshake: accept a tracer, or refuse it and say why.

The tracer speaks first (pyprobe_tracer.ipc.handshake). The GUI reads that first
frame with a timeout, checks the session token it gave the tracer, then the
protocol versions, and replies HANDSHAKE_ACK ``{"protocol_version", "accepted",
"message"}``. The compatibility rule is the pure function ``check_compatibility``.
"""

from __future__ import annotations

import enum
import hmac
import logging
import re
import secrets
import threading
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pyprobe_transport import ConnectionClosed, FrameTooLarge, SocketTransport, TransportTimeout
from pyprobe_wire import (
    HANDSHAKE_MAX_BYTES,
    HANDSHAKE_TIMEOUT,
    PROTOCOL_VERSION,
    TOKEN_ENV_VAR,
    Message,
    MessageType,
    ProtocolError,
    decode_message,
    encode_message,
)

log = logging.getLogger(__name__)

# HANDSHAKE_TIMEOUT (seconds the GUI waits for a new connection's HANDSHAKE),
# HANDSHAKE_MAX_BYTES (the longest first frame it reads, checked from the length prefix
# before the body: the peer is not yet known to hold the token) and TOKEN_ENV_VAR (where
# a tracer run by hand takes its token; the GUI hands it through --token-fd) are shared
# protocol facts, defined once in pyprobe_wire.constants.

UPGRADE_TRACER = "pip install --upgrade pyprobe-tracer"
UPGRADE_GUI = "pip install --upgrade pyprobe-gui"

_VERSION = re.compile(r"([0-9]{1,9})\.([0-9]{1,9})")
_SHOWN_CHARS = 40
# The most of a refusal message sent back in HANDSHAKE_ACK (and logged): what it
# quotes of the peer's own bytes is cut short by the decoder, this bounds the rest.
_MAX_MESSAGE_CHARS = 1000


class HandshakeResult(enum.Enum):
    """How a handshake ended."""

    OK = "ok"
    """The tracer is compatible and presented the right token."""

    INCOMPATIBLE = "incompatible"
    """Different major protocol versions, a malformed version, or a peer that does not
    start with a HANDSHAKE (such as a tracer older than the handshake)."""

    TIMEOUT = "timeout"
    """No complete HANDSHAKE arrived in time."""

    UNAUTHORIZED = "unauthorized"
    """The tracer presented no session token, or the wrong one."""


@dataclass(frozen=True)
class HandshakeOutcome:
    """The result of a handshake, the readable reason for a refusal (empty when OK),
    and what the tracer said about itself (its HANDSHAKE payload without the token;
    empty unless the token was right)."""

    result: HandshakeResult
    message: str = ""
    peer: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}), hash=False)

    @property
    def ok(self) -> bool:
        return self.result is HandshakeResult.OK


def new_session_token() -> str:
    """A fresh random token (256 bits, URL-safe text) for one tracer session."""
    return secrets.token_urlsafe(32)


# --------------------------------------------------------------- versions


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _parse(version: Any) -> tuple[int, int] | None:
    if type(version) is not str:
        return None
    match = _VERSION.fullmatch(version)
    return None if match is None else (int(match[1]), int(match[2]))


def _incompatible(message: str) -> HandshakeOutcome:
    return HandshakeOutcome(HandshakeResult.INCOMPATIBLE, message)


def check_compatibility(gui_version: Any, tracer_version: Any) -> HandshakeOutcome:
    """Whether a GUI and a tracer speaking these protocol versions understand each other.

    Versions are ``MAJOR.MINOR`` strings compared as integers. The same major version
    is compatible whichever side is newer; a different major is INCOMPATIBLE, with a
    message saying which side to upgrade. A malformed version is INCOMPATIBLE, with
    a message showing what was received.
    """
    gui = _parse(gui_version)
    if gui is None:
        return _incompatible(
            f"This GUI's protocol version {_show(gui_version)} is malformed "
            "(expected MAJOR.MINOR, such as '1.0'); reinstall the GUI: " + UPGRADE_GUI
        )
    tracer = _parse(tracer_version)
    if tracer is None:
        return _incompatible(
            f"The tracer sent protocol version {_show(tracer_version)}, which is not "
            f"MAJOR.MINOR (such as '1.0'). Install a tracer that matches this GUI "
            f"(protocol {gui[0]}.x) in the script's Python environment: {UPGRADE_TRACER}"
        )
    if tracer[0] < gui[0]:
        return _incompatible(
            f"The tracer in the script's Python environment speaks protocol "
            f"{tracer_version}, but this GUI needs protocol {gui[0]}.x. Upgrade the "
            f"tracer in that environment: {UPGRADE_TRACER}"
        )
    if tracer[0] > gui[0]:
        return _incompatible(
            f"The tracer in the script's Python environment speaks protocol "
            f"{tracer_version}, newer than this GUI's {gui_version}. Upgrade the PyProbe "
            f"GUI: {UPGRADE_GUI}"
        )
    return HandshakeOutcome(HandshakeResult.OK)


# --------------------------------------------------------------- the exchange


def accept_handshake(
    transport: SocketTransport,
    *,
    token: str,
    protocol_version: str = PROTOCOL_VERSION,
    timeout: float = HANDSHAKE_TIMEOUT,
) -> HandshakeOutcome:
    """Read a new connection's first frame, decide, and reply HANDSHAKE_ACK.

    The first frame must start within ``timeout`` seconds and be complete within
    twice that (a peer that stalls mid-frame is cut off and the transport closed);
    otherwise TIMEOUT. A first frame longer than ``HANDSHAKE_MAX_BYTES`` is refused
    from its length prefix, unread. Anything but a HANDSHAKE is INCOMPATIBLE. The token is
    checked first, in constant time: missing or wrong is UNAUTHORIZED. Then the
    protocol versions (``check_compatibility``).

    Exactly one frame is read. On any result but OK a refusing ACK carrying the
    message is sent (best effort: the peer may be gone or not reading, so the send
    gives up after ``timeout`` seconds), and the caller must close
    the transport without reading from it. Never raises for what the peer does;
    raises ValueError for an empty ``token``.
    """
    if type(token) is not str or not token:
        raise ValueError("accept_handshake needs the session token given to the tracer")
    outcome = _decide(transport, token, protocol_version, timeout)
    if len(outcome.message) > _MAX_MESSAGE_CHARS:
        outcome = replace(outcome, message=outcome.message[: _MAX_MESSAGE_CHARS - 3] + "...")
    if outcome.ok:
        log.info("tracer accepted: %s", dict(outcome.peer))
    else:
        log.info("tracer refused (%s): %s", outcome.result.name, outcome.message)
    ack = {"protocol_version": protocol_version, "accepted": outcome.ok, "message": outcome.message}
    try:
        transport.send_frame(
            encode_message(Message(MessageType.HANDSHAKE_ACK, ack)), timeout=timeout
        )
    except (ConnectionClosed, TransportTimeout) as exc:
        log.info("could not send HANDSHAKE_ACK: %s", exc)
    return outcome


def _decide(transport, token: str, protocol_version: str, timeout: float) -> HandshakeOutcome:
    try:
        frame = _first_frame(transport, timeout)
    except (TransportTimeout, _CutOff):
        return HandshakeOutcome(
            HandshakeResult.TIMEOUT, f"The tracer sent no handshake within {timeout:g} s."
        )
    except ConnectionClosed as exc:
        return _incompatible(
            f"The tracer closed the connection without a handshake ({exc}). A tracer older "
            f"than the handshake sends none: {UPGRADE_TRACER}"
        )
    except FrameTooLarge as exc:
        return _incompatible(
            f"The tracer's first frame is not a PyProbe HANDSHAKE ({exc}; a handshake is at "
            f"most HANDSHAKE_MAX_BYTES, {HANDSHAKE_MAX_BYTES} bytes): {UPGRADE_TRACER}"
        )
    try:
        hello = decode_message(frame)
    except ProtocolError as exc:
        return _incompatible(f"The tracer's first frame is not a PyProbe message: {exc}")
    if hello.msg_type is not MessageType.HANDSHAKE:
        return _incompatible(
            f"The tracer sent {hello.msg_type.name} before any HANDSHAKE; it is probably "
            f"older than this GUI: {UPGRADE_TRACER}"
        )
    payload = hello.payload
    if type(payload) is not dict:
        return _incompatible(
            f"The tracer's HANDSHAKE payload must be an object, got {type(payload).__name__}; "
            f"{UPGRADE_TRACER}"
        )
    refused = _check_token(payload.get("token"), token)
    if refused is not None:
        return refused
    peer = types.MappingProxyType({k: v for k, v in payload.items() if k != "token"})
    if "protocol_version" not in payload:
        return HandshakeOutcome(
            HandshakeResult.INCOMPATIBLE,
            f"The tracer's HANDSHAKE has no protocol_version; {UPGRADE_TRACER}",
            peer,
        )
    return replace(check_compatibility(protocol_version, payload["protocol_version"]), peer=peer)


def _check_token(presented: Any, expected: str) -> HandshakeOutcome | None:
    if type(presented) is not str or not presented:
        return HandshakeOutcome(
            HandshakeResult.UNAUTHORIZED,
            "The tracer presented no session token. Only tracers started by this GUI "
            "may connect (it hands them the token through --token-fd; run by hand, set "
            f"{TOKEN_ENV_VAR}).",
        )
    # surrogatepass: a str from JSON may hold lone surrogates, which strict UTF-8 refuses.
    presented_bytes = presented.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(presented_bytes, expected.encode("utf-8", "surrogatepass")):
        return HandshakeOutcome(
            HandshakeResult.UNAUTHORIZED,
            "The tracer presented the wrong session token: only tracers started by this "
            "GUI may connect (it hands them the token through --token-fd; run by hand, set "
            f"{TOKEN_ENV_VAR}).",
        )
    return None


class _CutOff(Exception):
    """The first frame started but was not complete in time."""


def _first_frame(transport: SocketTransport, timeout: float | None) -> bytearray:
    """One frame that starts within ``timeout`` and ends within twice that.

    recv_frame's timeout covers only the start of a frame; a watchdog closes the
    transport if the rest does not follow, which wakes the blocked read.
    """
    if timeout is None:
        return transport.recv_frame(None, max_bytes=HANDSHAKE_MAX_BYTES)
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def cut_off() -> None:
        with lock:
            if state["done"]:
                return
            state["fired"] = True
        transport.close()

    watchdog = threading.Timer(2 * timeout, cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        try:
            frame = transport.recv_frame(timeout, max_bytes=HANDSHAKE_MAX_BYTES)
        finally:
            watchdog.cancel()
            watchdog.join()  # ended now, not whenever the cancelled timer is next scheduled
            with lock:
                state["done"] = True
    except ConnectionClosed:
        if state["fired"]:
            raise _CutOff from None
        raise
    if state["fired"]:
        raise _CutOff
    return frame
