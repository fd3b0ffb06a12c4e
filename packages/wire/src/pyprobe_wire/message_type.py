"""The kinds of message exchanged between the GUI and the tracer subprocess."""

from __future__ import annotations

import enum


class MessageType(enum.Enum):
    """What a message means. Frames carry the member *name*.

    The payload shapes below are the conventions of the two ends; the wire format
    itself accepts any encodable payload with any type.
    """

    CMD_ADD_PROBE = "CMD_ADD_PROBE"
    """GUI -> tracer: start capturing a variable. Payload: ``{"anchor": ProbeAnchor}``."""

    CMD_REMOVE_PROBE = "CMD_REMOVE_PROBE"
    """GUI -> tracer: stop capturing a variable. Payload: ``{"anchor": ProbeAnchor}``."""

    CMD_SET_THROTTLE = "CMD_SET_THROTTLE"
    """GUI -> tracer: limit how often values are sent. Payload: ``{"max_hz": float}``."""

    CMD_START = "CMD_START"
    """GUI -> tracer: run the script. Payload: None or a dict of run options."""

    CMD_PAUSE = "CMD_PAUSE"
    """GUI -> tracer: suspend the script at the next trace event. Payload: None."""

    CMD_RESUME = "CMD_RESUME"
    """GUI -> tracer: continue a paused script. Payload: None."""

    CMD_STOP = "CMD_STOP"
    """GUI -> tracer: end the run. Payload: None."""

    DATA_SCRIPT_START = "DATA_SCRIPT_START"
    """Tracer -> GUI: the script began running. Payload: ``{"script": str, "pid": int}``."""

    DATA_PROBE_VALUE = "DATA_PROBE_VALUE"
    """Tracer -> GUI: one captured value. Payload: ``{"anchor": ProbeAnchor, "value": ...,
    "dtype": str | None, "shape": list[int] | None, "seq": int | None,
    "timestamp_ns": int | None, "logical_order": int | None}``; every key is present.
    ``dtype`` is the tracer's classification of the value (e.g. "scalar",
    "array_complex") and ``shape`` its array shape (None for a scalar); ``seq``
    orders every capture of a run; ``timestamp_ns`` is when it was captured
    (``time.time_ns()``); captures sharing a ``logical_order`` were taken at the same
    trace event. None means the sender did not say."""

    DATA_PROBE_VALUE_BATCH = "DATA_PROBE_VALUE_BATCH"
    """Tracer -> GUI: several captured values. Payload: ``{"values": [<DATA_PROBE_VALUE
    payload>, ...], "series": [...]}``. Each optional ``series`` entry holds one
    anchor's run of scalar captures as columns: ``{"anchor", "dtype": "scalar",
    "values": ndarray, "seq": int64 ndarray, "timestamp_ns": int64 ndarray}``
    (each such capture is its own trace event: its logical_order is its seq)."""

    DATA_STDOUT = "DATA_STDOUT"
    """Tracer -> GUI: text the script wrote to stdout. Payload: ``{"text": str}``."""

    DATA_STDERR = "DATA_STDERR"
    """Tracer -> GUI: text the script wrote to stderr. Payload: ``{"text": str}``."""

    DATA_EXCEPTION = "DATA_EXCEPTION"
    """Tracer -> GUI: the script raised. Payload: ``{"type": str, "message": str,
    "traceback": str}``."""

    DATA_SCRIPT_END = "DATA_SCRIPT_END"
    """Tracer -> GUI: the script finished. Payload: ``{"exit_code": int}``."""

    DATA_DROPPED = "DATA_DROPPED"
    """Tracer -> GUI: captures were dropped (throttling, back-pressure).
    Payload: ``{"count": int, "anchor": ProbeAnchor | None}``: the probe they were
    dropped from, or None for captures of any probe."""

    HANDSHAKE = "HANDSHAKE"
    """Tracer -> GUI, always the first message on a connection. Payload:
    ``{"protocol_version": PROTOCOL_VERSION, "tracer_version": str, "python_version":
    str, "platform": str (sys.platform), "pid": int, "capabilities": list[str],
    "token": str | None}``. ``token`` is the session token the GUI gave the tracer
    (environment variable ``PYPROBE_SESSION_TOKEN``)."""

    HANDSHAKE_ACK = "HANDSHAKE_ACK"
    """GUI -> tracer, reply to HANDSHAKE. Payload: ``{"protocol_version": str,
    "accepted": bool, "message": str}``; ``message`` says why the tracer was refused
    (what to upgrade, or a bad token), and is empty when accepted. A refused tracer
    gets nothing more on the connection."""
