"""Every error this package raises on purpose derives from :class:`TransportError`.

Each one also derives from the builtin a caller would naturally catch, so code
that knows nothing about this package still does the right thing:
``except ConnectionError``, ``except TimeoutError`` and ``except ValueError``
all work.
"""

from __future__ import annotations


class TransportError(Exception):
    """Base class of the errors raised by pyprobe_transport."""


class ConnectionClosed(TransportError, ConnectionError):
    """The connection is gone: the peer closed it (between frames or mid-frame),
    it was reset, or this transport was closed. The transport is closed afterwards."""


class FrameTooLarge(TransportError):
    """A frame is longer than allowed.

    Raised by ``recv_frame`` when the peer announces more than ``max_frame_bytes``
    (the transport then closes the connection, having allocated nothing), and by
    ``send_frame`` when a frame is too long for the 4-byte length prefix (nothing
    is sent and the transport stays usable).
    """

    def __init__(self, message: str, *, length: int | None = None, limit: int | None = None):
        super().__init__(message)
        self.length = length
        self.limit = limit


class TransportTimeout(TransportError, TimeoutError):
    """Nothing happened within the timeout: no client connected, no frame started,
    or the connection could not be made. The stream is still in sync afterwards."""


class AddressError(TransportError, ValueError):
    """A malformed address, such as ``'foo'`` where ``HOST:PORT`` or ``unix:PATH``
    was expected, a port out of range, or a Unix socket path that is too long."""
