"""SocketIPCChannel: the GUI's connection to one tracer subprocess, over a socket.

The channel listens first (a Unix socket in a private 0700 directory, or TCP on
loopback), the runner starts ``python -m pyprobe_tracer --socket ADDR`` with the
channel's session token, and ``accept()`` takes the tracer's connection and runs
the version handshake. A connection without the right token is refused and the
channel keeps listening for the real tracer; once the tracer is in, the channel
stops listening.

A receiver thread decodes every frame (pyprobe_wire; no pickle anywhere) into a
bounded queue. ``receive_data()`` only takes from that queue, so it never blocks
the GUI. When the queue is full the receiver waits, the socket's buffers fill and
the tracer's own back-pressure (dropping, counted in DATA_DROPPED) takes over:
nothing is lost silently on the GUI side.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
import types
from collections.abc import Callable, Mapping
from typing import Any

from pyprobe_transport import (
    DEFAULT_MAX_FRAME_BYTES,
    ConnectionClosed,
    SocketServer,
    SocketTransport,
    TransportError,
    TransportTimeout,
)
from pyprobe_wire import Message, ProtocolError, decode_message, encode_message

from .channel import DATA_TYPES, check_command
from .handshake import (
    HANDSHAKE_TIMEOUT,
    HandshakeOutcome,
    HandshakeResult,
    accept_handshake,
    new_session_token,
)

log = logging.getLogger(__name__)

#: Messages the receiver may queue before it waits for the GUI to take some.
DEFAULT_MAX_QUEUE = 4096

_ACCEPT_SLICE = 0.05  # seconds between checks of keep_waiting() while listening
_JOIN_TIMEOUT = 2.0


class SocketIPCChannel:
    """One tracer's connection: listen, ``accept()``, then commands out and data in.

    ``unix=True`` (the default where Unix sockets exist) listens on a socket file in
    a private directory that cleanup() removes; ``unix=False`` on 127.0.0.1.
    ``token`` is the session token the tracer must present (a fresh random one by
    default; give it to the tracer in ``PYPROBE_SESSION_TOKEN``).
    """

    def __init__(
        self,
        *,
        unix: bool | None = None,
        token: str | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        if unix is None:
            unix = hasattr(socket, "AF_UNIX")
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        self.token = token or new_session_token()
        self._server = (
            SocketServer.unix(max_frame_bytes=max_frame_bytes)
            if unix
            else SocketServer(max_frame_bytes=max_frame_bytes)
        )
        self._queue: queue.Queue[Message] = queue.Queue(max_queue)
        self._lock = threading.Lock()
        self._transport: SocketTransport | None = None
        self._handshaking: SocketTransport | None = None
        self._pending: list[bytes] = []  # commands sent before the tracer connected
        self._receiver: threading.Thread | None = None
        self._disconnected = threading.Event()
        self._closing = False
        self._error: str | None = None
        self._peer: Mapping[str, Any] = types.MappingProxyType({})

    # --- connecting -----------------------------------------------------------------

    @property
    def address(self) -> str:
        """Where the channel listens, as the tracer's ``--socket`` takes it."""
        return self._server.address_string

    def accept(
        self,
        timeout: float = HANDSHAKE_TIMEOUT,
        *,
        keep_waiting: Callable[[], bool] | None = None,
    ) -> HandshakeOutcome:
        """Wait for the tracer, shake hands, and start receiving.

        Connections that present no token or the wrong one are refused and listening
        goes on. Returns the handshake's outcome: OK (the channel is connected), a
        refusal of the real tracer (INCOMPATIBLE: its message says what to upgrade),
        or TIMEOUT when no tracer got in within ``timeout`` seconds, when
        ``keep_waiting()`` turns false (the runner's child died), or when the channel
        was cleaned up meanwhile. Never raises for what a peer does.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self._closing:
                return _timed_out("The channel was closed before the tracer connected.")
            if keep_waiting is not None and not keep_waiting():
                return _timed_out("Stopped waiting for the tracer to connect.")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _timed_out(f"No tracer connected within {timeout:g} s.")
            try:
                transport = self._server.accept(min(_ACCEPT_SLICE, remaining))
            except TransportTimeout:
                continue
            except (TransportError, OSError):
                continue  # closed meanwhile: the checks above say so
            outcome = self._shake_hands(transport, min(HANDSHAKE_TIMEOUT, remaining))
            if outcome.result is HandshakeResult.UNAUTHORIZED:
                log.warning("refused a connection without the session token: %s", outcome.message)
                continue
            if outcome.result is HandshakeResult.TIMEOUT:
                continue  # a peer that said nothing; the real tracer may still come
            if outcome.ok and self._connect(transport, outcome):
                return outcome
            self._server.close()
            return outcome

    def _shake_hands(self, transport: SocketTransport, timeout: float) -> HandshakeOutcome:
        with self._lock:
            if self._closing:
                transport.close()
                return _timed_out("The channel was closed before the tracer connected.")
            self._handshaking = transport
        try:
            outcome = accept_handshake(transport, token=self.token, timeout=timeout)
        finally:
            with self._lock:
                self._handshaking = None
        if not outcome.ok:
            transport.close()
        return outcome

    def _connect(self, transport: SocketTransport, outcome: HandshakeOutcome) -> bool:
        self._server.close()  # one tracer per channel: stop listening
        with self._lock:
            if self._closing:
                transport.close()
                return False
            try:
                for frame in self._pending:
                    transport.send_frame(frame)
            except ConnectionClosed as exc:
                self._error = f"the tracer went away during start-up: {exc}"
            self._pending.clear()
            self._transport = transport
            self._peer = outcome.peer
            self._receiver = threading.Thread(
                target=self._receive_loop, args=(transport,), name="pyprobe-receiver", daemon=True
            )
            self._receiver.start()
        return True

    @property
    def connected(self) -> bool:
        """Whether a tracer is connected and its connection still open."""
        return self._transport is not None and not self._disconnected.is_set()

    @property
    def peer(self) -> Mapping[str, Any]:
        """What the tracer said about itself in its handshake (pid, versions, ...)."""
        return self._peer

    @property
    def error(self) -> str | None:
        """Why the connection ended, when it was not the tracer closing it normally."""
        return self._error

    def wait_disconnected(self, timeout: float | None = None) -> bool:
        """Wait until the connection has ended and every frame it carried is queued."""
        return self._disconnected.wait(timeout)

    # --- commands out, data in ------------------------------------------------------

    def send_command(self, message: Message) -> None:
        """Send a CMD_* message; before the tracer is connected it is kept and sent first
        thing after the handshake, in order. Raises ValueError for any other type and
        ConnectionClosed once the connection or the channel is closed."""
        check_command(message)
        frame = encode_message(message)
        with self._lock:
            if self._closing:
                raise ConnectionClosed("the channel is closed")
            if self._transport is None:
                self._pending.append(frame)
                return
            transport = self._transport
        transport.send_frame(frame)

    def receive_data(self, timeout: float = 0.0) -> Message | None:
        """The next message from the tracer, or None if none arrives within ``timeout``
        seconds (0, the default, never waits)."""
        try:
            if timeout <= 0:
                return self._queue.get_nowait()
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _receive_loop(self, transport: SocketTransport) -> None:
        try:
            while True:
                message = decode_message(transport.recv_frame(None))
                if message.msg_type not in DATA_TYPES:
                    raise ProtocolError(
                        f"the tracer sent {message.msg_type.name}; after the handshake a "
                        "tracer sends only DATA_* messages"
                    )
                if not self._enqueue(message):
                    return
        except ConnectionClosed as exc:
            if not self._closing:
                log.info("the tracer closed the connection: %s", exc)
        except (ProtocolError, TransportError) as exc:
            if not self._closing:
                self._error = f"bad frame from the tracer, connection closed: {exc}"
                log.error("%s", self._error)
        finally:
            transport.close()
            self._disconnected.set()

    def _enqueue(self, message: Message) -> bool:
        while not self._closing:
            try:
                self._queue.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    # --- lifetime -------------------------------------------------------------------

    def cleanup(self) -> None:
        """Stop listening, close the connection, join the receiver and drop unread data.

        Removes the Unix socket file and its private directory. Idempotent.
        """
        with self._lock:
            self._closing = True
            transport, handshaking = self._transport, self._handshaking
            receiver = self._receiver
            self._pending.clear()
        self._server.close()
        for open_transport in (handshaking, transport):
            if open_transport is not None:
                open_transport.close()
        if receiver is not None and receiver is not threading.current_thread():
            receiver.join(_JOIN_TIMEOUT)
        self._disconnected.set()
        while self.receive_data() is not None:
            pass

    @property
    def closed(self) -> bool:
        """Whether cleanup() has run."""
        return self._closing

    def __enter__(self) -> SocketIPCChannel:
        return self

    def __exit__(self, *exc_info) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        state = "closed" if self._closing else "connected" if self.connected else "listening"
        return f"<SocketIPCChannel {self.address} {state}>"


def _timed_out(message: str) -> HandshakeOutcome:
    return HandshakeOutcome(HandshakeResult.TIMEOUT, message)
