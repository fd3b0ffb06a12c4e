"""Gate overhead: a milestone gate's wall time against the pytest runs it performs.

The gate runs pytest several times (collect, RED per step, GREEN, regression);
everything else it does (plan loading, masking, judging, records) is overhead.
The baseline, the sum of those pytest runs' wall times, is measured in the
same run. Target: gate wall time at most 1.15x that sum.

Runs on a copy of this repository, so its results docs and ledger are untouched.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.gate import GateOptions, run_gate  # noqa: E402

TARGET = 1.15
IGNORED = shutil.ignore_patterns(
    ".git", ".nox", ".venv", "dist", "__pycache__", ".hypothesis", ".pytest_cache", "results"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestone", default="M1", help="milestone to gate (default: M1)")
    parser.add_argument("--repeat", type=int, default=3, help="gate runs (default: 3)")
    parser.add_argument(
        "--scope",
        default="tests/ipc",
        help="regression scope for the run (default: tests/ipc, so three runs take a minute; "
        "'plan' keeps the plan's own scope, the whole suite)",
    )
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET}x")
    args = parser.parse_args()

    walls, pytests = [], []
    with tempfile.TemporaryDirectory(prefix="pyprobe-bench-gate-") as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=IGNORED)
        if args.scope != "plan":
            plan = copy / "plans" / f"{args.milestone}.yaml"
            plan.write_text(plan.read_text() + f"regression:\n  scope: [{args.scope}]\n")
        for _ in range(args.repeat):
            code, report = run_gate(
                copy, args.milestone, GateOptions(force=True), progress=lambda line: None
            )
            if code != 0:
                print(f"gate failed at {report.failed_stage.name}: {report.failed_stage.summary}")
                return 1
            walls.append(report.wall_seconds)
            pytests.append(report.pytest_seconds)
    wall, baseline = statistics.median(walls), statistics.median(pytests)
    ratio = wall / baseline
    print(f"pytest.sum_of_runs_{args.milestone}: {baseline:.2f} s (1.00x sum of pytest runs)")
    print(f"gate.wall_{args.milestone}: {wall:.2f} s ({ratio:.3f}x sum of pytest runs)")
    met = ratio <= TARGET
    print(f"verdict: target <= {TARGET}x {'met' if met else 'MISSED'} (median of {args.repeat})")
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
