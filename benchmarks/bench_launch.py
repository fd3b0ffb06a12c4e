"""Launch latency: ``ScriptRunner.start()`` until the first probed value arrives.

A one-line script (``x = 1``) runs with one probe on ``x``: the time is from
``start()`` (listen, spawn ``python -m pyprobe_tracer``, accept, handshake,
CMD_START) to that value coming out of ``receive_data()``. The baseline,
measured in the same run, is one bare ``python -c pass`` spawn, waited for.
Target: at most 250 ms.

Most of the time is the tracer importing numpy. Installers byte-compile it (pip
does by default, ``nox -s bench`` asks uv to); without its ``.pyc`` files and
with PYTHONDONTWRITEBYTECODE set, every start compiles numpy again and the
figure doubles, which the benchmark then says.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pyprobe.gui.script_runner import ScriptRunner
from pyprobe_wire import MessageType, ProbeAnchor

TARGET_MS = 250.0
VALUE_TYPES = (MessageType.DATA_PROBE_VALUE, MessageType.DATA_PROBE_VALUE_BATCH)


def start_to_first_value(script: Path, anchor: ProbeAnchor) -> float:
    runner = ScriptRunner(script, probes=[anchor], legacy_ipc=False)
    started = time.perf_counter()
    runner.start()
    deadline = started + 30
    try:
        while time.perf_counter() < deadline:
            message = runner.receive_data()
            if message is None:
                time.sleep(0.0005)
            elif message.msg_type in VALUE_TYPES:
                return time.perf_counter() - started
        raise SystemExit(f"no value within 30 s; events: {runner.poll_events()}")
    finally:
        runner.stop()


def bare_spawn() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def numpy_is_compiled() -> bool:
    import numpy

    return Path(importlib.util.cache_from_source(numpy.__file__)).is_file()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="launches per case (median)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET_MS} ms")
    args = parser.parse_args()
    launches, bare = [], []
    with tempfile.TemporaryDirectory(prefix="pyprobe-bench-launch-") as tmp:
        script = Path(tmp) / "one_line.py"
        script.write_text("x = 1\n")
        anchor = ProbeAnchor(
            file=str(script.resolve()), line=1, col=0, symbol="x", is_assignment=True
        )
        start_to_first_value(script, anchor)  # warm the disk cache and .pyc files
        for _ in range(args.repeat):
            bare.append(bare_spawn())
            launches.append(start_to_first_value(script, anchor))
    ms, base = statistics.median(launches) * 1e3, statistics.median(bare) * 1e3
    print(
        f"gui.launch_to_first_value: {ms:.1f} ms ({ms / base:.2f}x bare python -c pass "
        f"{base:.1f} ms; target <= {TARGET_MS:.0f} ms)"
    )
    if not numpy_is_compiled():
        print(
            "  note: numpy has no .pyc files here, so each tracer start compiles it; "
            "install with byte-compilation (pip's default, uv --compile-bytecode)"
        )
    return 1 if (args.check and ms > TARGET_MS) else 0


if __name__ == "__main__":
    sys.exit(main())
