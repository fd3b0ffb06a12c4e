"""pyprobe_transport: framed bytes over TCP and Unix domain sockets.

Each frame on the socket is a 4-byte big-endian unsigned length followed by that
many bytes of payload. The GUI listens with SocketServer; the tracer connects
with SocketClient or connect(); both ends then send_frame() and recv_frame()
on a SocketTransport. Standard library only. See README.md.
"""

from pyprobe_transport._framing import DEFAULT_MAX_FRAME_BYTES, MAX_FRAME_LENGTH
from pyprobe_transport.address import TcpAddress, UnixAddress, parse_address
from pyprobe_transport.client import SocketClient, connect
from pyprobe_transport.exceptions import (
    AddressError,
    ConnectionClosed,
    FrameTooLarge,
    TransportError,
    TransportTimeout,
)
from pyprobe_transport.server import SocketServer
from pyprobe_transport.transport import SocketTransport

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_FRAME_BYTES",
    "MAX_FRAME_LENGTH",
    "AddressError",
    "ConnectionClosed",
    "FrameTooLarge",
    "SocketClient",
    "SocketServer",
    "SocketTransport",
    "TcpAddress",
    "TransportError",
    "TransportTimeout",
    "UnixAddress",
    "__version__",
    "connect",
    "parse_address",
]
