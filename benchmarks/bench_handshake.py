"""Tracer start-up: spawning ``python -m pyprobe_tracer`` until its handshake is accepted.

The baseline, measured in the same run, is the same interpreter spawned to open
a bare TCP connection to the same server (``python -c`` with only ``socket``).
Target: at most 150 ms from spawn to a completed handshake.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pyprobe.ipc.handshake import HandshakeResult, accept_handshake, new_session_token
from pyprobe_transport import SocketServer
from pyprobe_wire import Message, MessageType, encode_message

TARGET_MS = 150.0
BARE_CONNECT = (
    "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2]))).recv(1)"
)


def spawn_to_handshake(server: SocketServer, script: Path, token: str) -> float:
    env = {**os.environ, "PYPROBE_SESSION_TOKEN": token}
    address = server.address_string
    command = [sys.executable, "-m", "pyprobe_tracer", "--socket", address, str(script)]
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    with server.accept(timeout=10) as transport:
        outcome = accept_handshake(transport, token=token)
        elapsed = time.perf_counter() - start
        if outcome.result is not HandshakeResult.OK:
            raise SystemExit(f"handshake failed: {outcome.result.name}: {outcome.message}")
        transport.send_frame(encode_message(Message(MessageType.CMD_STOP, None)))
    child.wait(10)
    return elapsed


def spawn_to_connect(server: SocketServer) -> float:
    host, port = server.address
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", BARE_CONNECT, host, str(port)])
    with server.accept(timeout=10):
        elapsed = time.perf_counter() - start
    child.wait(10)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="spawns per case (median)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET_MS} ms")
    args = parser.parse_args()
    token = new_session_token()
    tracer, bare = [], []
    workdir = tempfile.TemporaryDirectory(prefix="pyprobe-bench-handshake-")
    with workdir as tmp, SocketServer() as server:
        script = Path(tmp) / "noop.py"
        script.write_text("pass\n")
        spawn_to_handshake(server, script, token)  # warm the disk cache and .pyc files
        for _ in range(args.repeat):
            bare.append(spawn_to_connect(server))
            tracer.append(spawn_to_handshake(server, script, token))
    ms, base = statistics.median(tracer) * 1e3, statistics.median(bare) * 1e3
    print(
        f"tracer.spawn_to_handshake: {ms:.1f} ms ({ms / base:.2f}x bare python connect "
        f"{base:.1f} ms; target <= {TARGET_MS:.0f} ms)"
    )
    return 1 if (args.check and ms > TARGET_MS) else 0


if __name__ == "__main__":
    sys.exit(main())
