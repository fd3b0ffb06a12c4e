"""The whole test suite: one serial pytest run against the two passes nox runs now.

The baseline is the suite as it ran before: ``python -m pytest`` in one process. The
measured figure is ``pipelines.suite_passes``: everything but the wall-clock tests in
parallel (pytest-xdist), then those alone. Both run here, alternating, on this
interpreter's installed packages. Target: the passes take at most half the baseline.

Slow (minutes per run): `nox -s bench` runs it once; ``--repeat 3`` for a median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.suite_passes import PASSES  # noqa: E402

TARGET = 0.5
ENV = {"QT_QPA_PLATFORM": "offscreen", "TPR_ENV_VALIDATE": "skip", "TPR_SEED": "12345"}


def pytest_seconds(*args: str) -> float:
    """Wall time of one pytest run over the suite; a failing run is an error."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **ENV}, capture_output=True, text=True
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise SystemExit(f"bench_suite: {' '.join(command[3:])} failed:\n{tail}")
    summary = done.stdout.strip().splitlines()[-1]
    print(f"#   {' '.join(args) or '(serial)'}: {took:.1f} s  {summary}", flush=True)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way (median)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    serial, passes = [], []
    for _ in range(args.repeat):
        serial.append(pytest_seconds())
        passes.append(sum(pytest_seconds(*extra) for extra in PASSES))
    base, now = statistics.median(serial), statistics.median(passes)
    ratio = now / base
    print(
        f"suite.passes: {now:.1f} s ({ratio:.2f}x the serial run {base:.1f} s, "
        f"{os.cpu_count()} cores; target <= {TARGET:g}x)"
    )
    return 1 if (args.check and ratio > TARGET) else 0


if __name__ == "__main__":
    sys.exit(main())
