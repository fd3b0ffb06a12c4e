"""Fail-fast detection (AC-2): time until CI's run exits failing, per fail-fast mode.

A seeded synthetic suite (tpr.failfast_scenario: 40 tests doing 50-350 ms of pure-Python
work, exactly one injected failure; scenario i has seed+i and its failure in the i-th of
--scenarios equal slices of the suite) runs in off, soft and hard mode, interleaved.
Detection time is the wall time from launching ``tpr run --coverage`` (CI's measured
run) until it exits with status 1; off runs everything, so off, the baseline measured in
the same run, is the full run. Targets: soft at least 40 % faster than off on average,
hard at least 60 % (TPR_MAX_FAIL_FAST_IMPROVEMENT_TARGET,
TPR_HARD_FAIL_FAST_IMPROVEMENT_TARGET).
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from tpr.config import load_config
from tpr.failfast_scenario import measure

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    config = load_config(ROOT)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seed",
        type=int,
        default=config.seed if config.seed is not None else 12345,
        help="scenario seed (default: TPR_SEED, else 12345)",
    )
    parser.add_argument(
        "--repeats", "--repeat", type=int, default=3, help="runs per mode and scenario"
    )
    parser.add_argument("--scenarios", type=int, default=8, help="seeded failure positions")
    parser.add_argument("--tests", type=int, default=40, help="tests per scenario")
    parser.add_argument("--quiet", action="store_true", help="no per-run progress on stderr")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    def progress(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    results = measure(
        args.seed,
        repeats=args.repeats,
        scenarios=args.scenarios,
        tests=args.tests,
        config=config,
        echo=progress,
    )
    modes = results["modes"]
    off = modes["off"]
    runs = len(off["samples_s"])
    print(
        f"# fail-fast scenario: seed {args.seed}, {args.scenarios} scenarios x {args.repeats} "
        f"repeats ({runs} runs per mode), {args.tests} tests each, Python "
        f"{platform.python_version()}; tests skipped after the failure: "
        f"{results['test_time_skipped_pct']:.0f}% of the suite's test time"
    )
    print(f"failfast off: mean {off['mean_s']:.2f} s (median {off['median_s']:.2f} s; full run)")
    missed = []
    for mode in ("soft", "hard"):
        entry = modes[mode]
        print(
            f"failfast {mode}: mean {entry['mean_s']:.2f} s (ratio {entry['ratio_vs_off']:.2f} "
            f"vs off {off['mean_s']:.2f} s, improvement {entry['improvement_pct']:.0f}%, "
            f"target {entry['target_pct']:.0f}%); median {entry['median_s']:.2f} s (ratio "
            f"{entry['median_s'] / off['median_s']:.2f} vs off {off['median_s']:.2f} s, "
            f"improvement {entry['improvement_pct_median']:.0f}%)"
        )
        if not entry["met"]:
            missed.append(mode)
    verdict = ", ".join(
        f"{mode} target {'MISSED' if mode in missed else 'met'}" for mode in ("soft", "hard")
    )
    print(f"verdict: {verdict} (means of {runs} runs per mode)")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
