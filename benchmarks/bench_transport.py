"""pyprobe_transport against plain sockets, from one process to another.

    python benchmarks/bench_transport.py [--size 16MiB] [--repeat 30] [--pings 5000] [--check]

For each of Unix and TCP sockets this starts two child processes (this file,
run with --child): one speaks through pyprobe_transport, the other through a
plain socket (``sendall`` of a prebuilt prefix+payload; the reader ``recv_into``s
the 4-byte prefix, then the payload into a preallocated buffer). The parent
asks each child in turn for one big frame and times it until the last byte has
arrived, alternating which goes first, so both see the same machine. Then it
times ping-pongs of small frames the same way.

Output lines are ``name: value (ratio vs baseline)``; the baseline is the plain
socket measured in the same run. Throughput is the median, in MB/s (10**6
bytes per second). The verdict checks the target: big-frame throughput of at
least 0.8x the plain socket. The exit status is 1 only with --check and a miss.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

MiB = 1024 * 1024
THROUGHPUT_TARGET = 0.8
BULK_WARMUP = 3
PING_WARMUP = 300
PREFIX = struct.Struct(">I")
CHILD_TIMEOUT = 60.0


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(KiB|MiB|GiB|B)?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size like 16MiB or 65536, got {text!r}")
    scale = {None: 1, "B": 1, "KiB": 1024, "MiB": MiB, "GiB": 1024 * MiB}[match.group(2)]
    return int(match.group(1)) * scale


def size_label(size: int) -> str:
    for unit, scale in (("GiB", 1024 * MiB), ("MiB", MiB), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size}B"


def make_payload(size: int) -> bytes:
    pattern = bytes(range(256))
    return pattern * (size // 256) + pattern[: size % 256]


# --- plain-socket helpers, used by both the parent and the raw child --------------------


def recv_exactly_into(sock: socket.socket, view: memoryview) -> None:
    received = 0
    while received < len(view):
        count = sock.recv_into(view[received:])
        if count == 0:
            raise ConnectionError("peer closed the connection")
        received += count


def raw_connect(address: str) -> socket.socket:
    if address.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address[len("unix:") :])
    else:
        host, _, port = address.rpartition(":")
        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)
    return sock


class RawReader:
    """Reads frames the way a minimal hand-written receiver would: prefix, then payload
    into one preallocated buffer."""

    def __init__(self, sock: socket.socket, capacity: int):
        self.sock = sock
        self.prefix = memoryview(bytearray(PREFIX.size))
        self.buffer = memoryview(bytearray(capacity))

    def read(self) -> memoryview:
        recv_exactly_into(self.sock, self.prefix)
        (length,) = PREFIX.unpack(self.prefix)
        frame = self.buffer[:length]
        recv_exactly_into(self.sock, frame)
        return frame


# --- children -----------------------------------------------------------------------


def run_child(kind: str, address: str, args: argparse.Namespace) -> int:
    payload = make_payload(args.size)
    ping = make_payload(args.ping_size)
    rounds = BULK_WARMUP + args.repeat
    pings = PING_WARMUP + args.pings
    if kind == "transport":
        from pyprobe_transport import connect

        with connect(address, timeout=CHILD_TIMEOUT) as transport:
            for _ in range(rounds):
                transport.recv_frame()
                transport.send_frame(payload)
            for _ in range(pings):
                transport.send_frame(transport.recv_frame())
        return 0

    sock = raw_connect(address)
    with sock:
        bulk_wire = PREFIX.pack(len(payload)) + payload
        reader = RawReader(sock, max(1, args.ping_size))
        for _ in range(rounds):
            reader.read()
            sock.sendall(bulk_wire)
        ping_wire = bytearray(PREFIX.pack(len(ping)) + ping)
        for _ in range(pings):
            ping_wire[PREFIX.size :] = reader.read()
            sock.sendall(ping_wire)
    return 0


# --- the parent -----------------------------------------------------------------------


class RawSide:
    """The parent's end of the plain-socket connection."""

    def __init__(self, sock: socket.socket, size: int):
        self.sock = sock
        self.reader = RawReader(sock, size)
        self.go = PREFIX.pack(1) + b"g"

    def bulk(self) -> tuple[float, memoryview]:
        started = time.perf_counter()
        self.sock.sendall(self.go)
        frame = self.reader.read()
        return time.perf_counter() - started, frame

    def ping(self, wire: bytes) -> float:
        started = time.perf_counter()
        self.sock.sendall(wire)
        self.reader.read()
        return time.perf_counter() - started

    def close(self) -> None:
        self.sock.close()


class TransportSide:
    """The parent's end of the pyprobe_transport connection."""

    def __init__(self, transport):
        self.transport = transport

    def bulk(self) -> tuple[float, bytearray]:
        started = time.perf_counter()
        self.transport.send_frame(b"g")
        frame = self.transport.recv_frame()
        return time.perf_counter() - started, frame

    def ping(self, payload: bytes) -> float:
        started = time.perf_counter()
        self.transport.send_frame(payload)
        self.transport.recv_frame()
        return time.perf_counter() - started

    def close(self) -> None:
        self.transport.close()


def raw_listener(family: str, workdir: str) -> tuple[socket.socket, str]:
    if family == "unix":
        path = os.path.join(workdir, "raw.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        address = f"unix:{path}"
    else:
        listener = socket.create_server(("127.0.0.1", 0))
        address = f"127.0.0.1:{listener.getsockname()[1]}"
    listener.listen(1)
    listener.settimeout(CHILD_TIMEOUT)
    return listener, address


def spawn_child(kind: str, address: str, args: argparse.Namespace) -> subprocess.Popen:
    command = [sys.executable, os.path.abspath(__file__), "--child", kind, address]
    command += ["--size", str(args.size), "--repeat", str(args.repeat)]
    command += ["--pings", str(args.pings), "--ping-size", str(args.ping_size)]
    return subprocess.Popen(command)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure_family(family: str, args: argparse.Namespace) -> dict[str, float]:
    from pyprobe_transport import SocketServer

    workdir = tempfile.mkdtemp(prefix="pyprobe-bench-")
    children = []
    sides: dict[str, RawSide | TransportSide] = {}
    try:
        server = SocketServer.unix() if family == "unix" else SocketServer()
        listener, raw_address = raw_listener(family, workdir)
        with server, listener:
            children.append(spawn_child("raw", raw_address, args))
            children.append(spawn_child("transport", server.address_string, args))
            raw_sock, _ = listener.accept()
            raw_sock.settimeout(None)
            if family == "tcp":
                raw_sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sides["raw"] = RawSide(raw_sock, args.size)
            sides["transport"] = TransportSide(server.accept(timeout=CHILD_TIMEOUT))

        payload = make_payload(args.size)
        bulk: dict[str, list[float]] = {"raw": [], "transport": []}
        for round_ in range(BULK_WARMUP + args.repeat):
            order = ("raw", "transport") if round_ % 2 else ("transport", "raw")
            for kind in order:
                seconds, frame = sides[kind].bulk()
                if round_ == 0 and frame != payload:
                    raise AssertionError(f"{kind} over {family}: the frame arrived corrupted")
                del frame  # the transport's frame is freed before the next one arrives
                if round_ >= BULK_WARMUP:
                    bulk[kind].append(seconds)

        ping_payload = make_payload(args.ping_size)
        ping_messages = {"raw": PREFIX.pack(len(ping_payload)) + ping_payload}
        ping_messages["transport"] = ping_payload
        pings: dict[str, list[float]] = {"raw": [], "transport": []}
        for round_ in range(PING_WARMUP + args.pings):
            order = ("raw", "transport") if round_ % 2 else ("transport", "raw")
            for kind in order:
                seconds = sides[kind].ping(ping_messages[kind])
                if round_ >= PING_WARMUP:
                    pings[kind].append(seconds)

        for child in children:
            if child.wait(timeout=CHILD_TIMEOUT) != 0:
                raise RuntimeError(f"a benchmark child exited with status {child.returncode}")
    finally:
        for side in sides.values():
            side.close()
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    results = {}
    for kind in ("raw", "transport"):
        results[f"{kind}.bulk"] = args.size / statistics.median(bulk[kind]) / 1e6
        results[f"{kind}.p50"] = percentile(pings[kind], 50) * 1e6
        results[f"{kind}.p99"] = percentile(pings[kind], 99) * 1e6
    return results


def report(family: str, results: dict[str, float], args: argparse.Namespace) -> float:
    bulk_name = f"{family}_{size_label(args.size)}"
    ping_name = f"{family}_ping{args.ping_size}"
    raw_bulk, bulk = results["raw.bulk"], results["transport.bulk"]
    ratio = bulk / raw_bulk
    print(f"raw_socket.{bulk_name}: {raw_bulk:.0f} MB/s (1.00x raw socket)")
    print(f"transport.{bulk_name}: {bulk:.0f} MB/s ({ratio:.2f}x raw socket)")
    for p in ("p50", "p99"):
        raw, ours = results[f"raw.{p}"], results[f"transport.{p}"]
        print(f"raw_socket.{ping_name}_{p}: {raw:.1f} us (1.00x raw socket)")
        print(f"transport.{ping_name}_{p}: {ours:.1f} us ({ours / raw:.2f}x raw socket)")
    return ratio


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0].strip(),
        epilog="Each figure is printed as `name: value (ratio vs raw socket)`.",
    )
    parser.add_argument(
        "--size",
        type=parse_size,
        default=16 * MiB,
        help="big frame size, e.g. 16MiB, 64KiB or 65536 (default: 16MiB)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=30,
        help=f"timed big frames per socket kind, after {BULK_WARMUP} warm-up ones "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--pings",
        type=int,
        default=5000,
        help=f"timed ping-pongs per socket kind, after {PING_WARMUP} warm-up ones "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--ping-size", type=int, default=64, help="ping frame size in bytes (default: 64)"
    )
    parser.add_argument(
        "--families",
        default="unix,tcp",
        help="comma-separated socket kinds to measure: unix, tcp (default: %(default)s)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 if big-frame throughput is below {THROUGHPUT_TARGET}x the raw socket",
    )
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ADDRESS"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.pings < 1 or args.ping_size < 0 or args.size < 1:
        parser.error("--repeat, --pings and --size must be positive")
    if args.child:
        return run_child(*args.child, args)

    families = [name.strip() for name in args.families.split(",") if name.strip()]
    if not hasattr(socket, "AF_UNIX") and "unix" in families:
        print("Unix domain sockets are not available here: measuring TCP only")
        families.remove("unix")
    if not families or set(families) - {"unix", "tcp"}:
        parser.error(f"--families takes unix and/or tcp, got {args.families!r}")

    print(
        f"# pyprobe_transport vs raw socket: {size_label(args.size)} frames x {args.repeat}, "
        f"{args.pings} x {args.ping_size}-byte ping-pongs, process to process, "
        f"Python {platform.python_version()} on {platform.system()}"
    )
    started = time.perf_counter()
    ratios = {}
    for family in families:
        ratios[family] = report(family, measure_family(family, args), args)

    missed = [family for family, ratio in ratios.items() if ratio < THROUGHPUT_TARGET]
    figures = ", ".join(f"{family} {ratio:.2f}x" for family, ratio in ratios.items())
    if missed:
        verdict = f"MISS: {size_label(args.size)} throughput below {THROUGHPUT_TARGET}x raw socket"
    else:
        verdict = f"PASS: {size_label(args.size)} throughput at least {THROUGHPUT_TARGET}x raw"
    elapsed = time.perf_counter() - started
    print(f"verdict: {verdict} ({figures}; {elapsed:.1f} s)")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
