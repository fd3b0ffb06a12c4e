"""`tpr gate` (seed section 10 and the quality gates): the validator and the coverage
ladder are hard gates; a coverage drop past the tolerance or a flake-rate spike past
the threshold logs ``risk_trigger`` with the rollback actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .artifacts import ArtifactError
from .config import TprConfig
from .events import EventLog
from .ladder import COVERAGE_XML, LADDER_NAME, compare_to_ladder, read_coverage_xml, read_ladder
from .rollback import evaluate_rollback
from .validate import ValidationResult


@dataclass(frozen=True)
class GateResult:
    passed: bool
    failures: list[str] = field(default_factory=list)
    coverage: dict[str, Any] | None = None
    rollback: dict[str, Any] | None = None


def run_gate(
    root: Path,
    config: TprConfig,
    log: EventLog,
    validation: ValidationResult,
    *,
    coverage_xml: Path | None = None,
) -> GateResult:
    artifacts = config.artifacts(root)
    failures = []
    if not validation.ok:
        failures.append(
            "environment validation failed: " + ", ".join(r.code for r in validation.reasons)
        )
    comparison = None
    try:
        counts = read_coverage_xml(coverage_xml or artifacts / COVERAGE_XML)
        comparison = compare_to_ladder(counts, read_ladder(artifacts / LADDER_NAME))
    except ArtifactError as exc:
        failures.append(str(exc))
    else:
        if comparison["exceeds_tolerance"]:
            failures.append(
                f"coverage regression: {comparison['current_line_pct']:.2f}% lines, "
                f"{comparison['drop_pct']:.2f} points under the ladder baseline "
                f"{comparison['baseline_line_pct']:.2f}% (tolerance "
                f"{comparison['tolerance_drop_pct']})"
            )
    rollback = evaluate_rollback(root, config, log, coverage=comparison)
    log.emit("gate_evaluated", passed=not failures, failures=failures, coverage=comparison)
    return GateResult(not failures, failures, comparison, rollback)
