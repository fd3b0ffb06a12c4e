"""`tpr property --runs 30` (Step 3, AC-3): run the property pilot N times under the
fixed seed and aggregate ``property.results.json``: examples run, falsifying examples,
runtime statistics and the seed, per property test. A test whose outcome or example
count differs between runs is a flake."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .artifacts import ArtifactError, read_json, write_hashed_json
from .config import TprConfig
from .errors import TprError
from .events import EventLog
from .pytest_process import run_pytest
from .stats import runtime_stats

RESULTS_NAME = "property.results.json"


class PropertyError(TprError, RuntimeError):
    """The property runs could not be made; names the cause and the fix."""


def _one_run(
    root: Path, config: TprConfig, log: EventLog, tests: Sequence[str], report: Path
) -> dict[str, Any]:
    env = {
        "TPR_ENV_VALIDATE": "skip",
        "TPR_FAILFAST_MODE": "off",
    }
    if config.seed is not None:
        env["TPR_SEED"] = str(config.seed)
    result = run_pytest(
        [
            *tests,
            "-m",
            config.property_marker,
            "-p",
            "no:cacheprovider",
            "-q",
            f"--tpr-dir={report.parent}",  # one argument: pytest must not take it for a path
            f"--tpr-property-report={report}",
        ],
        root=root,
        log=log,
        env=env,
    )
    if result.exit_code not in (0, 1):
        raise PropertyError(
            f"pytest exited with code {result.exit_code} running the property tests "
            f"(5 means none carry the {config.property_marker!r} marker):\n{result.tail(15)}"
        )
    try:
        data = read_json(report, what="the property report", fix="check the pytest output")
    except ArtifactError as exc:
        raise PropertyError(str(exc)) from None
    return data["tests"]


def aggregate(runs: list[dict[str, dict]], config: TprConfig) -> dict[str, Any]:
    """The per-test summary over ``runs`` (each {test id: one run's entry})."""
    names = sorted({name for run in runs for name in run})
    tests = {}
    for name in names:
        entries = [run[name] for run in runs if name in run]
        outcomes = sorted({entry["outcome"] for entry in entries})
        examples = [entry["examples"] for entry in entries]
        runtimes = [entry["runtime_ms"] for entry in entries]
        falsifying = sorted({x for entry in entries for x in entry["falsifying_examples"]})
        stats = runtime_stats(runtimes)
        tests[name] = {
            "runs": len(entries),
            "missing_runs": len(runs) - len(entries),
            "outcomes": outcomes,
            "passed_all": outcomes == ["passed"] and len(entries) == len(runs),
            "examples_run": {
                "per_run": examples[0] if len(set(examples)) == 1 else None,
                "total": sum(examples),
                "min": min(examples),
                "max": max(examples),
            },
            "falsifying_examples": falsifying,
            "runtime": stats,
            "within_threshold": stats["mean_ms"] is not None
            and stats["mean_ms"] < config.property_runtime_threshold_ms,
            "flaky": len(outcomes) > 1 or len(set(examples)) > 1,
        }
    return {
        "seed": config.seed,
        "runs": len(runs),
        "runtime_threshold_ms": config.property_runtime_threshold_ms,
        "tests": tests,
        "all_passed": bool(tests) and all(t["passed_all"] for t in tests.values()),
        "falsifying_examples": sum(len(t["falsifying_examples"]) for t in tests.values()),
        "flakes": sorted(name for name, t in tests.items() if t["flaky"]),
        "within_threshold": bool(tests) and all(t["within_threshold"] for t in tests.values()),
    }


def run_property_pilot(
    root: Path,
    config: TprConfig,
    log: EventLog,
    *,
    runs: int,
    tests: Sequence[str] = (),
    warmup: int = 1,
    echo: Callable = print,
) -> dict[str, Any]:
    """``warmup`` uncounted runs first: Hypothesis builds caches on a machine's first
    run (the character tables of text strategies take seconds), which says nothing
    about the properties' own speed."""
    if runs < 1:
        raise PropertyError(f"--runs {runs}: at least one run")
    log.emit("property_test_start", runs=runs, seed=config.seed, marker=config.property_marker)
    collected: list[dict[str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="tpr-property-") as scratch:
        for number in range(1, warmup + 1):
            _one_run(root, config, log, tests, Path(scratch) / f"warmup-{number}.json")
            echo(f"property warm-up run {number}/{warmup} (not counted)")
        for number in range(1, runs + 1):
            report = Path(scratch) / f"run-{number}.json"
            entries = _one_run(root, config, log, tests, report)
            collected.append(entries)
            failed = sorted(name for name, e in entries.items() if e["outcome"] != "passed")
            mean = sum(e["runtime_ms"] for e in entries.values()) / max(len(entries), 1)
            echo(
                f"property run {number}/{runs}: {len(entries)} tests, "
                f"{len(failed)} failed, mean {mean:.0f} ms per test"
                + (f" ({', '.join(failed)})" if failed else "")
            )
    results = {**aggregate(collected, config), "warmup_runs": warmup}
    write_hashed_json(config.artifacts(root) / RESULTS_NAME, results)
    log.emit(
        "property_test_complete",
        runs=runs,
        seed=config.seed,
        tests=len(results["tests"]),
        all_passed=results["all_passed"],
        falsifying_examples=results["falsifying_examples"],
        flakes=results["flakes"],
        mean_runtime_ms={k: t["runtime"]["mean_ms"] for k, t in results["tests"].items()},
    )
    return results


def format_property(results: dict[str, Any]) -> str:
    lines = [f"property pilot: {results['runs']} runs, seed {results['seed']}"]
    for name, test in results["tests"].items():
        runtime = test["runtime"]
        lines.append(
            f"  {name}: {'/'.join(test['outcomes'])}, {test['examples_run']['per_run']} examples "
            f"per run, mean {runtime['mean_ms']} ms (median {runtime['median_ms']}, max "
            f"{runtime['max_ms']}), falsifying {len(test['falsifying_examples'])}, "
            f"{'FLAKY' if test['flaky'] else 'stable'}"
        )
    return "\n".join(lines)
