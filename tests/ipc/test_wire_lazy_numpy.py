"""Messages without arrays never import numpy: the tracer shakes hands before paying for it."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_isolated(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_plain_messages_round_trip_without_numpy():
    result = run_isolated(
        """\
        import sys
        from pyprobe_wire import FrameReader, Message, MessageType, ProbeAnchor
        from pyprobe_wire import decode_message, encode_message, encode_message_parts
        anchor = ProbeAnchor("s.py", 3, 4, "x")
        msg = Message(MessageType.HANDSHAKE, {"v": "1.0", "a": anchor, "c": 1j, "t": (1, 2.5)})
        frame = encode_message(msg)
        assert b"".join(encode_message_parts(msg)) == frame
        assert decode_message(frame).payload == msg.payload
        reader = FrameReader()
        reader.feed(frame)
        assert reader.messages()[0].payload["a"] == anchor
        print("numpy" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_frame_with_arrays_loads_numpy_when_decoded():
    encoded = run_isolated(
        """\
        import sys
        import numpy as np
        from pyprobe_wire import Message, MessageType, encode_message
        frame = encode_message(Message(MessageType.DATA_PROBE_VALUE, {"v": np.arange(3)}))
        sys.stdout.write(bytes(frame).hex())
        """
    )
    assert encoded.returncode == 0, encoded.stderr
    decoded = run_isolated(
        f"""\
        import sys
        from pyprobe_wire import decode_message
        value = decode_message(bytes.fromhex("{encoded.stdout}")).payload["v"]
        print("numpy" in sys.modules, value.tolist())
        """
    )
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout.split(maxsplit=1) == ["True", "[0, 1, 2]\n"]


def test_the_tracer_handshake_path_does_not_import_numpy():
    result = run_isolated(
        """\
        import sys
        import pyprobe_tracer.cli, pyprobe_tracer.launch, pyprobe_tracer.ipc
        from pyprobe_tracer.engine.anchor import resolve_probes
        print(sorted(m for m in ("numpy",) if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
