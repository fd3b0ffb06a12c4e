"""`tpr baseline` (Step 1, AC-1 and AC-6): run the whole suite once under coverage
(line + branch, no fail-fast) and consolidate what the run produced into
``baseline.metrics.json``, its hash, and the coverage ladder."""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .artifacts import ArtifactError, read_json, sha256_file, write_hashed_json, write_json
from .config import TprConfig
from .errors import ExitCode, TprError
from .events import EventLog
from .flake import load_histories, write_flake_report
from .ladder import COVERAGE_XML, LADDER_NAME, build_ladder, read_coverage_xml, write_ladder
from .measured_run import CoverageRunError, run_under_coverage
from .plugins.durations import DURATIONS_NAME
from .plugins.markers import MARKERS_NAME
from .pytest_process import INCOMPLETE_EXIT_CODES
from .signature import SIGNATURE_NAME, current_signature

METRICS_NAME = "baseline.metrics.json"
METRICS_HASH_NAME = "baseline.metrics.hash"  # the sidecar write_hashed_json writes


class BaselineError(TprError, RuntimeError):
    """The baseline run could not produce its metrics; names the step and the fix."""

    exit_code = ExitCode.FAILED


def run_suite_under_coverage(
    root: Path, config: TprConfig, log: EventLog, pytest_args: Sequence[str], *, echo: Callable
) -> tuple[int, float]:
    echo(f"tpr baseline: running the suite under coverage: pytest {' '.join(pytest_args)}")
    try:
        result = run_under_coverage(
            root,
            config,
            log,
            ["-p", "no:cacheprovider", *pytest_args],
            env={"TPR_FAILFAST_MODE": "off", "TPR_ENV_VALIDATE": "skip"},
        )
    except CoverageRunError as exc:
        raise BaselineError(str(exc)) from None
    if result.exit_code in INCOMPLETE_EXIT_CODES:
        raise BaselineError(
            f"pytest ended with exit code {result.exit_code} "
            f"({INCOMPLETE_EXIT_CODES[result.exit_code]}): the baseline needs a complete run; "
            "fix the run above"
        )
    return result.exit_code, result.wall_s


def _artifact(path: Path, what: str) -> dict[str, Any] | None:
    try:
        return read_json(path, what=what, fix="re-run `tpr baseline`")
    except ArtifactError:
        return None


def consolidate(
    root: Path,
    config: TprConfig,
    log: EventLog,
    *,
    exit_code: int,
    wall_s: float,
    signature: dict[str, Any],
) -> dict[str, Any]:
    """``baseline.metrics.json`` from the run's artifacts; a section is null only when its
    data is really absent (and ``missing`` says which)."""
    artifacts = config.artifacts(root)
    counts = read_coverage_xml(artifacts / COVERAGE_XML)
    durations = _artifact(artifacts / DURATIONS_NAME, "durations")
    markers = _artifact(artifacts / MARKERS_NAME, "marker usage")
    histories, _ = load_histories(artifacts)
    flake = write_flake_report(root, config, log, histories)
    run_history = [h for h in histories if h["run_id"] == log.run_id]
    outcomes: dict[str, int] = {}
    for history in run_history[-1:]:
        for entry in history["outcomes"].values():
            outcomes[entry["outcome"]] = outcomes.get(entry["outcome"], 0) + 1
    if durations is not None:
        durations = {k: v for k, v in durations.items() if k != "per_test_s"}
    metrics = {
        "tpr_version": __version__,
        "run_id": log.run_id,
        "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "pytest_exit_code": exit_code,
        "wall_s": round(wall_s, 3),
        "outcomes": dict(sorted(outcomes.items())) or None,
        "coverage": counts.as_dict(),
        "durations": durations,
        "flake": {
            "runs": flake["runs"],
            "flake_rate": flake["flake_rate"],
            "flaky_tests": flake["flaky_tests"],
            "failure_clusters": len(flake["failure_clusters"]),
        },
        "markers": None
        if markers is None
        else {
            "items_collected": markers["items_collected"],
            "usage": markers["usage"],
            "registered_unused": markers["registered_unused"],
        },
        "env_signature": {
            "file": SIGNATURE_NAME,
            "sha256": sha256_file(artifacts / SIGNATURE_NAME),
        },
        "lock_hash": signature["lock"]["hash"],
        "seed": config.seed,
    }
    metrics["missing"] = sorted(key for key, value in metrics.items() if value is None)
    fields = [value for key, value in metrics.items() if key != "missing"]
    metrics["population_pct"] = round(100 * sum(v is not None for v in fields) / len(fields), 1)
    return metrics


def run_baseline(
    root: Path,
    config: TprConfig,
    log: EventLog,
    pytest_args: Sequence[str] = (),
    *,
    echo: Callable = print,
) -> dict[str, Any]:
    artifacts = config.artifacts(root)
    artifacts.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    log.emit("metrics_capture_start", pytest_args=list(pytest_args))
    signature_path = artifacts / SIGNATURE_NAME
    signature = current_signature(root, config)
    if not signature_path.exists():
        write_json(signature_path, signature)
        echo(f"tpr baseline: recorded the environment signature in {signature_path}")
    exit_code, wall_s = run_suite_under_coverage(root, config, log, pytest_args, echo=echo)
    metrics = consolidate(
        root, config, log, exit_code=exit_code, wall_s=wall_s, signature=signature
    )
    digest = write_hashed_json(artifacts / METRICS_NAME, metrics, sidecar=True)
    ladder = build_ladder(read_coverage_xml(artifacts / COVERAGE_XML), config)
    write_ladder(artifacts / LADDER_NAME, ladder)
    log.emit(
        "coverage_ladder_recorded",
        baseline_line_pct=ladder["baseline"]["line_pct"],
        target_line_pct=ladder["target"]["line_pct"],
        tolerance_drop_pct=ladder["tolerance_drop_pct"],
    )
    log.emit(
        "metrics_capture_complete",
        sha256=digest,
        population_pct=metrics["population_pct"],
        missing=metrics["missing"],
        elapsed_s=round(time.perf_counter() - start, 3),
    )
    return {**metrics, "sha256": digest}
