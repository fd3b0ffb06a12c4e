"""Tracer overhead: a DSP-style hot loop, plain and under the tracer, in the same run.

Cases (each against the plain script measured in the same process, medians):

- cold:   the probe sits in a function the hot loop never calls.
          Target <= 1.05x on 3.12+ (sys.monitoring), <= 5x with settrace (3.10/3.11).
- sample: the probe is on the hot line in sample mode (60 Hz), the sender
          thread running. Target <= 1.2x.
- all:    the probe is on the hot line in all mode; the time added per hit,
          including draining, batching and wire-encoding every value. Target <= 1 us.

Run it with each interpreter you care about, e.g. ``python benchmarks/bench_tracer.py``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pyprobe_tracer.engine import (
    MODE_ALL,
    MODE_SAMPLE,
    CaptureManager,
    VariableTracer,
    available_backends,
    resolve_probes,
)
from pyprobe_tracer.runner import run_script
from pyprobe_tracer.streaming import Streamer
from pyprobe_wire import Message, encode_message

SCRIPT = """\
import sys


def cold(v):
    z = v * 2
    return z


def hot(n):
    y = 0.0
    for i in range(n):
        y = 0.9 * y + 0.1 * (i % 7)
    return y


hot(int(sys.argv[1]))
"""
COLD_PROBE = "5:z"
HOT_PROBE = "12:y"  # the assignment target on the hot line
TARGETS = {"cold": 1.05, "cold-settrace": 5.0, "sample": 1.2, "all_us": 1.0}


def encode_only(msg_type, payload) -> None:
    encode_message(Message(msg_type, payload))


def timed_run(script: Path, n: int, probe: str | None, mode: str, backend: str) -> float:
    if probe is None:
        start = time.perf_counter()
        run_script(script, [str(n)])
        return time.perf_counter() - start
    manager = CaptureManager()
    tracer = VariableTracer(manager, backend)
    for anchor in resolve_probes(script, [probe]):
        tracer.add_probe(anchor, mode)
    streamer = Streamer(
        manager,
        encode_only,
        rearm=tracer.rearm,
        sample_hz=(lambda: 60.0) if mode == MODE_SAMPLE else None,
    )
    start = time.perf_counter()
    streamer.start()
    with tracer:
        run_script(script, [str(n)])
    streamer.stop()
    return time.perf_counter() - start


def measure(script, n, repeat, probe, mode, backend) -> tuple[float, float]:
    """Medians of (plain, traced), interleaved so drift hits both alike."""
    plain, traced = [], []
    for _ in range(repeat):
        plain.append(timed_run(script, n, None, mode, backend))
        traced.append(timed_run(script, n, probe, mode, backend))
    return statistics.median(plain), statistics.median(traced)


def report(name: str, traced: float, plain: float, target: float) -> bool:
    """Print one ratio line; True when within ``target``."""
    ratio = traced / plain
    print(
        f"{name}: {traced * 1e3:.1f} ms ({ratio:.3f}x plain {plain * 1e3:.1f} ms; "
        f"target <= {target}x)"
    )
    return ratio <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="hot loop iterations")
    parser.add_argument("--repeat", type=int, default=7, help="runs per case (median)")
    parser.add_argument("--backend", choices=available_backends(), default=available_backends()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, backend {args.backend}, n={args.n}")
    missed = []
    with tempfile.TemporaryDirectory(prefix="pyprobe-bench-tracer-") as tmp:
        script = Path(tmp) / "dsp.py"
        script.write_text(SCRIPT)
        timed_run(script, 1000, HOT_PROBE, MODE_ALL, args.backend)  # warm imports and caches

        plain, traced = measure(script, args.n, args.repeat, COLD_PROBE, MODE_ALL, args.backend)
        target = TARGETS["cold" if args.backend == "monitoring" else "cold-settrace"]
        if not report("tracer.cold_probe", traced, plain, target):
            missed.append("cold")

        plain, traced = measure(script, args.n, args.repeat, HOT_PROBE, MODE_SAMPLE, args.backend)
        if not report("tracer.sample_hot", traced, plain, TARGETS["sample"]):
            missed.append("sample")

        plain, traced = measure(script, args.n, args.repeat, HOT_PROBE, MODE_ALL, args.backend)
        per_hit_us = (traced - plain) / args.n * 1e6
        print(
            f"tracer.all_hot: {per_hit_us:.3f} us added per hit ({traced / plain:.2f}x plain "
            f"{plain * 1e3:.1f} ms, {args.n} hits; target <= {TARGETS['all_us']} us)"
        )
        if per_hit_us > TARGETS["all_us"]:
            missed.append("all")
    if missed:
        print("missed targets: " + ", ".join(missed))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
