"""The whole test suite, `nox -s tests-3.12`, before and after issue 16, in one run.

Issue 16 asked to cut `nox -s tests-3.12` to half the time it took when it was filed.
Each way runs the real nox session in its own fresh clone (fresh venv, warm uv cache),
one after the other, on this machine:

* before: the suite at ``--before`` (default: the last commit before issue 16's work),
  as its noxfile ran it then: every test, serially, in one pytest process.
* now: the suite at HEAD as nox runs it now (``pipelines.suite_passes``): everything
  but the wall-clock tests in parallel with pytest-xdist, then those alone.
* now, serial (``--serial``): today's tests in one pytest process, which separates what
  the parallel passes gained from what making the tests cheaper gained.

Figures are the nox session's wall time (installs included) and pytest's own time;
the ratio is now / before. Target: at most 0.5x. Only committed code is measured.
Slow: about 8 minutes a repeat on 2 cores (13 with ``--serial``); ``--repeat 3`` for medians.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.5
BEFORE = "1f9a429"  # the last commit before issue 16's work: the suite the issue timed
PYTHON = "3.12"
SUMMARY = re.compile(r"\d+ (?:passed|failed)[^\n]* in (\d+(?:\.\d+)?)s\b")


@dataclass
class Timing:
    wall_s: float
    pytest_s: float
    summary: str


def nox_command() -> list[str]:
    """nox from PATH, else this interpreter's; an error says how to get it."""
    found = shutil.which("nox")
    if found:
        return [found]
    try:
        import nox  # noqa: F401
    except ImportError:
        raise SystemExit("bench_suite: needs nox on PATH (pip install nox)") from None
    return [sys.executable, "-m", "nox"]


def clone_at(revision: str, into: Path) -> Path:
    """A fresh clone of this repository with ``revision`` checked out."""
    subprocess.run(["git", "clone", "-q", str(ROOT), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "-q", "--detach", revision], check=True)
    return into


def run_suite(label: str, checkout: Path, *pytest_args: str) -> Timing:
    """One `nox -s tests-3.12 [-- pytest_args]` in ``checkout``; a failing run is an error."""
    command = [*nox_command(), "-s", f"tests-{PYTHON}"]
    if pytest_args:
        command += ["--", *pytest_args]
    log = checkout / "bench_suite.log"
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(command, cwd=checkout, stdout=out, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - started
    text = log.read_text(errors="replace")
    if done.returncode != 0:
        tail = "\n".join(text.splitlines()[-20:])
        raise SystemExit(f"bench_suite: {label} failed (exit {done.returncode}):\n{tail}")
    passes = list(SUMMARY.finditer(text))
    if not passes:
        raise SystemExit(f"bench_suite: {label}: no pytest summary in {log}")
    timing = Timing(
        wall_s=wall,
        pytest_s=sum(float(match.group(1)) for match in passes),
        summary=" + ".join(match.group(0) for match in passes),
    )
    print(f"#   {label}: {wall:.1f} s ({timing.pytest_s:.1f} s in pytest: {timing.summary})")
    return timing


def median_of(timings: list[Timing], field: str) -> float:
    return statistics.median(getattr(timing, field) for timing in timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way (median)")
    parser.add_argument("--before", default=BEFORE, help=f"the baseline commit ({BEFORE})")
    parser.add_argument("--serial", action="store_true", help="also today's tests serially")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    ways = {"before": [], "now": [], "now, serial": []}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        before = clone_at(args.before, Path(scratch) / "before")
        now = clone_at("HEAD", Path(scratch) / "now")
        print(f"# before = {args.before}, now = HEAD, {os.cpu_count()} cores", flush=True)
        for _ in range(args.repeat):
            ways["before"].append(run_suite(f"before ({args.before}), serial", before))
            ways["now"].append(run_suite("now, two passes", now))
            if args.serial:
                ways["now, serial"].append(run_suite("now, serial", now, "-q"))
    base = median_of(ways["before"], "wall_s")
    measured = median_of(ways["now"], "wall_s")
    ratio = measured / base
    pytest_ratio = median_of(ways["now"], "pytest_s") / median_of(ways["before"], "pytest_s")
    print(
        f"suite.nox_tests: {measured:.1f} s ({ratio:.2f}x the suite before issue 16, "
        f"{base:.1f} s; pytest alone {pytest_ratio:.2f}x; target <= {TARGET:g}x)"
    )
    if ways["now, serial"]:
        serial = median_of(ways["now, serial"], "wall_s")
        print(
            f"suite.passes_vs_serial: {measured / serial:.2f}x today's tests run serially "
            f"({serial:.1f} s)"
        )
    return 1 if (args.check and ratio > TARGET) else 0


if __name__ == "__main__":
    sys.exit(main())
