"""TracerIPCClient: the tracer's end of the connection to the GUI.

Wire messages (pyprobe_wire) over one framed socket (pyprobe_transport). The GUI
sends commands (CMD_*); the tracer sends what the script does (DATA_*). The
payload of each message type is documented on ``pyprobe_wire.MessageType``.

Threading: any number of threads may send at once (the transport keeps frames
whole). Only one thread reads: either callers of ``recv_command()`` or, once
``start_command_thread()`` is called, that thread alone.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pyprobe_transport import (
    ConnectionClosed,
    SocketClient,
    SocketTransport,
    TransportError,
)
from pyprobe_transport import connect as transport_connect
from pyprobe_transport.address import Address
from pyprobe_wire import (
    HANDSHAKE_TIMEOUT,
    Message,
    MessageType,
    ProbeAnchor,
    ProtocolError,
    decode_message,
    encode_message_parts,
)

from . import payloads
from .exceptions import UnexpectedMessage
from .handshake import perform_handshake

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = HANDSHAKE_TIMEOUT  # connecting, and the handshake

#: What the GUI may send the tracer.
COMMAND_TYPES = frozenset(
    [t for t in MessageType if t.name.startswith("CMD_")] + [MessageType.HANDSHAKE_ACK]
)
#: What the tracer may send the GUI.
TRACER_TYPES = frozenset(
    [t for t in MessageType if t.name.startswith("DATA_")] + [MessageType.HANDSHAKE]
)

_COMMANDS_EXPECTED = "a CMD_* command or HANDSHAKE_ACK"


class TracerIPCClient:
    """The tracer's connection to the GUI.

    Make one with ``open()`` (connect, then the handshake: what the command line
    uses), ``connect()`` / ``connect_address()`` (no handshake), or wrap a connected
    ``SocketTransport``, which the client then owns. Closing the client (``close()``
    or the ``with`` block) closes the connection and joins the command thread.
    """

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._closing = False
        self._pid = os.getpid()  # a forked child must leave the parent's connection alone
        #: The GUI's HANDSHAKE_ACK payload once ``open()`` performed the handshake.
        self.handshake_ack: dict[str, Any] | None = None

    # --- making a connection --------------------------------------------------------

    @classmethod
    def connect(
        cls, host: str, port: int, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> TracerIPCClient:
        """Connect over TCP, without a handshake.

        Raises ConnectionRefusedError when nothing listens there, TransportTimeout
        (a TimeoutError) after ``timeout`` seconds, other OSErrors e.g. for an
        unknown host.
        """
        return cls(SocketClient.connect(host, port, timeout))

    @classmethod
    def connect_address(
        cls, address: str | Address, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> TracerIPCClient:
        """Connect to ``HOST:PORT``, ``[IPV6]:PORT`` or ``unix:PATH``, without a handshake.

        Raises AddressError (a ValueError) for a malformed address, and the errors
        of ``connect()``.
        """
        return cls(transport_connect(address, timeout))

    @classmethod
    def open(
        cls, address: str | Address, *, token: str | None, timeout: float = DEFAULT_TIMEOUT
    ) -> TracerIPCClient:
        """Connect to the GUI at ``address`` and perform the handshake.

        The HANDSHAKE is the first frame on the connection; the GUI's reply is kept
        in ``handshake_ack``. Raises the errors of ``connect_address()``,
        HandshakeRejected (with the GUI's message) when the GUI refuses this tracer,
        and HandshakeError when it does not answer properly within ``timeout``.
        The connection is closed on any failure.
        """
        client = cls.connect_address(address, timeout=timeout)
        try:
            client.handshake_ack = perform_handshake(client.transport, token=token, timeout=timeout)
        except BaseException:
            client.close()
            raise
        return client

    # --- receiving ----------------------------------------------------------------

    def recv_command(self, timeout: float | None = None) -> Message:
        """The next command from the GUI (a CMD_* message or HANDSHAKE_ACK).

        ``timeout`` (seconds, None for ever) limits the wait for a frame to start:
        TransportTimeout then leaves the stream in sync. Raises ConnectionClosed when
        the connection ends, ProtocolError for a frame that is not a valid message,
        UnexpectedMessage (a ProtocolError) for a valid message of another type, and
        RuntimeError while the command thread is reading.
        """
        reader = self._reader
        if reader is not None and threading.current_thread() is not reader:
            raise RuntimeError(
                "the command thread reads this connection: recv_command() cannot be "
                "called once start_command_thread() has been"
            )
        return self._receive(timeout)

    def _receive(self, timeout: float | None) -> Message:
        msg = decode_message(self._transport.recv_frame(timeout))
        if msg.msg_type not in COMMAND_TYPES:
            raise UnexpectedMessage(msg.msg_type, _COMMANDS_EXPECTED)
        return msg

    def start_command_thread(
        self,
        on_command: Callable[[Message], object],
        on_disconnect: Callable[[BaseException | None], object],
    ) -> threading.Thread:
        """Read commands on a daemon thread until the connection ends.

        ``on_command(message)`` is called on that thread for each command, in the
        order they arrive; an exception it raises is logged and reading goes on.
        ``on_disconnect(error)`` is called once, last: with None if this client was
        closed, else with what ended the connection (ConnectionClosed when the GUI
        closed it or it was reset, ProtocolError for a malformed or unexpected
        message, which is logged and closes the connection). From then on only this
        thread reads. Returns the started thread; a client has at most one.
        """
        with self._lock:
            if self._reader is not None:
                raise RuntimeError("the command thread was already started: a client has one")
            if self._closing or self._transport.closed:
                raise ConnectionClosed("the client is closed")
            thread = threading.Thread(
                target=self._read_commands,
                args=(on_command, on_disconnect),
                name="pyprobe-tracer-commands",
                daemon=True,
            )
            self._reader = thread
            thread.start()
        return thread

    def _read_commands(self, on_command, on_disconnect) -> None:
        ended: BaseException | None = None
        try:
            while True:
                msg = self._receive(None)
                try:
                    on_command(msg)
                except Exception:
                    log.exception("handling %s from the GUI failed", msg.msg_type.name)
        except ConnectionClosed as exc:
            if not self._closing:
                log.info("the connection to the GUI ended: %s", exc)
                ended = exc
        except (ProtocolError, TransportError) as exc:
            log.error("closing the connection to the GUI: %s", exc)
            ended = exc
        except Exception as exc:
            log.exception("the command thread failed; closing the connection to the GUI")
            ended = exc
        finally:
            self._transport.close()
        try:
            on_disconnect(ended)
        except Exception:
            log.exception("the disconnect callback failed")

    # --- sending ------------------------------------------------------------------

    def send(self, msg_type: MessageType, payload: Any = None) -> None:
        """Send one tracer-to-GUI message (a DATA_* type or HANDSHAKE).

        Arrays in ``payload`` are sent from their own memory, not joined into one
        buffer. Raises ValueError for a GUI-to-tracer type, EncodeError (a
        ProtocolError) for a payload the wire cannot carry, and ConnectionClosed
        when the connection is gone.
        """
        if os.getpid() != self._pid:
            raise ConnectionClosed("a forked child cannot send on its parent's connection")
        if msg_type not in TRACER_TYPES:
            name = msg_type.name if isinstance(msg_type, MessageType) else repr(msg_type)
            raise ValueError(f"the tracer does not send {name}: only DATA_* and HANDSHAKE")
        self._transport.send_frame(encode_message_parts(Message(msg_type, payload)))

    def send_script_start(self, script: str, pid: int) -> None:
        """DATA_SCRIPT_START: the script began running in process ``pid``."""
        self.send(MessageType.DATA_SCRIPT_START, payloads.script_start(script, pid))

    def send_probe_value(self, anchor: ProbeAnchor, value: Any, **fields: Any) -> None:
        """DATA_PROBE_VALUE: one captured value; ``fields`` are the optional keyword
        arguments of ``payloads.probe_value_payload`` (dtype, shape, seq, timestamp_ns,
        logical_order)."""
        payload = payloads.probe_value_payload(anchor, value, **fields)
        self.send(MessageType.DATA_PROBE_VALUE, payload)

    def send_probe_batch(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """DATA_PROBE_VALUE_BATCH: several captured values in one frame.

        Each entry is a DATA_PROBE_VALUE payload: "anchor" and "value" are required,
        the other keys of ``PROBE_VALUE_KEYS`` default to None, any other key is a
        ValueError. Nothing is sent for an empty batch.
        """
        values = [payloads.batch_entry(index, entry) for index, entry in enumerate(entries)]
        if values:
            self.send(MessageType.DATA_PROBE_VALUE_BATCH, {"values": values})

    def send_stdout(self, text: str) -> None:
        """DATA_STDOUT: text the script wrote to stdout."""
        self.send(MessageType.DATA_STDOUT, payloads.text(text))

    def send_stderr(self, text: str) -> None:
        """DATA_STDERR: text the script wrote to stderr."""
        self.send(MessageType.DATA_STDERR, payloads.text(text))

    def send_exception(self, exc_type: str, message: str, traceback: str) -> None:
        """DATA_EXCEPTION: the script raised ``exc_type`` (its name) with ``message``;
        ``traceback`` is the formatted traceback text."""
        self.send(MessageType.DATA_EXCEPTION, payloads.exception(exc_type, message, traceback))

    def send_script_end(self, exit_code: int) -> None:
        """DATA_SCRIPT_END: the script finished with ``exit_code``."""
        self.send(MessageType.DATA_SCRIPT_END, payloads.script_end(exit_code))

    def send_dropped(self, count: int, anchor: ProbeAnchor | None = None) -> None:
        """DATA_DROPPED: ``count`` captures were dropped, of ``anchor`` or (None) overall."""
        self.send(MessageType.DATA_DROPPED, payloads.dropped(count, anchor))

    # --- lifetime -------------------------------------------------------------------

    @property
    def transport(self) -> SocketTransport:
        """The underlying connection. Send and receive through the client, not this."""
        return self._transport

    @property
    def closed(self) -> bool:
        return self._transport.closed

    def close(self, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        """Close the connection and join the command thread (waiting at most
        ``timeout`` seconds for its callbacks to return). Idempotent; callable from
        any thread, including from the callbacks."""
        if os.getpid() != self._pid:
            # A forked child: shutting the socket down would end the parent's
            # connection too. The descriptor closes with the child.
            self._closing = True
            return
        with self._lock:
            self._closing = True
            reader = self._reader
        self._transport.close()
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout)

    def __enter__(self) -> TracerIPCClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TracerIPCClient {self._transport!r}>"
