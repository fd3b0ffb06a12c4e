"""Coverage from ``coverage.xml`` (raw counts) and the coverage ladder (AC-6):
``coverage-ladder.yaml`` holds the baseline, the target and the tolerance, computed
from the counts, never from rounded percentages."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from .artifacts import ArtifactError, write_text
from .config import TprConfig

COVERAGE_XML = "coverage.xml"
LADDER_NAME = "coverage-ladder.yaml"
LADDER_FIX = "run `tpr baseline` to record it"


@dataclass(frozen=True)
class CoverageCounts:
    lines_valid: int
    lines_covered: int
    branches_valid: int
    branches_covered: int

    @property
    def line_fraction(self) -> Fraction | None:
        return Fraction(self.lines_covered, self.lines_valid) if self.lines_valid else None

    @property
    def branch_fraction(self) -> Fraction | None:
        if not self.branches_valid:
            return None
        return Fraction(self.branches_covered, self.branches_valid)

    @property
    def line_pct(self) -> float | None:
        fraction = self.line_fraction
        return None if fraction is None else float(fraction * 100)

    @property
    def branch_pct(self) -> float | None:
        fraction = self.branch_fraction
        return None if fraction is None else float(fraction * 100)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "line_pct": self.line_pct, "branch_pct": self.branch_pct}


def read_coverage_xml(path: Path) -> CoverageCounts:
    """The raw line and branch counts of a Cobertura report written by coverage.py."""
    if not path.is_file():
        raise ArtifactError(
            f"{path}: coverage data not found; run the suite under coverage first "
            "(`tpr baseline` does), or pass the file written by `coverage xml`"
        )
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ArtifactError(f"{path}: not a coverage XML report ({exc}); regenerate it") from None
    try:
        return CoverageCounts(
            *(
                int(root.attrib[key])
                for key in ("lines-valid", "lines-covered", "branches-valid", "branches-covered")
            )
        )
    except (KeyError, ValueError) as exc:
        raise ArtifactError(
            f"{path}: the <coverage> element lacks a valid {exc} count; regenerate the report "
            "with `coverage xml`"
        ) from None


def build_ladder(counts: CoverageCounts, config: TprConfig) -> dict[str, Any]:
    baseline = config.coverage_baseline if config.coverage_baseline is not None else counts.line_pct
    if baseline is None:
        raise ArtifactError("coverage.xml measured no lines; the ladder needs a line count")
    target = config.coverage_target
    if target is None:
        target = min(100.0, baseline + config.coverage_target_delta)
    return {
        "metric": "line",
        "baseline": {
            "line_pct": round(baseline, 4),
            "branch_pct": None if counts.branch_pct is None else round(counts.branch_pct, 4),
            "lines_covered": counts.lines_covered,
            "lines_valid": counts.lines_valid,
            "branches_covered": counts.branches_covered,
            "branches_valid": counts.branches_valid,
            "source": "configured" if config.coverage_baseline is not None else "coverage.xml",
        },
        "target": {"line_pct": round(target, 4)},
        "tolerance_drop_pct": config.coverage_tolerance_drop,
        "gate": {"fails_below_line_pct": round(baseline - config.coverage_tolerance_drop, 4)},
        "recorded": dt.date.today().isoformat(),
    }


def write_ladder(path: Path, ladder: dict[str, Any]) -> None:
    header = (
        "# Coverage ladder (tpr): the baseline measured by `tpr baseline`, the next target,\n"
        "# and the regression `tpr gate` tolerates. Percentages come from raw counts.\n"
    )
    write_text(path, header + yaml.safe_dump(ladder, sort_keys=True))


def read_ladder(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ArtifactError(f"{path}: coverage ladder not found; {LADDER_FIX}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ArtifactError(f"{path}: not valid YAML ({exc}); {LADDER_FIX}") from None
    try:
        float(data["baseline"]["line_pct"]), float(data["tolerance_drop_pct"])
    except (TypeError, KeyError, ValueError):
        raise ArtifactError(
            f"{path}: needs baseline.line_pct and tolerance_drop_pct numbers; {LADDER_FIX}"
        ) from None
    return data


def compare_to_ladder(counts: CoverageCounts, ladder: dict[str, Any]) -> dict[str, Any]:
    baseline = float(ladder["baseline"]["line_pct"])
    tolerance = float(ladder["tolerance_drop_pct"])
    current = counts.line_pct or 0.0
    drop = baseline - current
    return {
        "baseline_line_pct": baseline,
        "current_line_pct": round(current, 4),
        "drop_pct": round(drop, 4),
        "tolerance_drop_pct": tolerance,
        "exceeds_tolerance": drop > tolerance,
        "target_line_pct": ladder.get("target", {}).get("line_pct"),
    }


def coverage_drop(root: Path, config: TprConfig) -> dict[str, Any] | None:
    """The latest coverage against the ladder, or None when either is missing."""
    artifacts = config.artifacts(root)
    try:
        return compare_to_ladder(
            read_coverage_xml(artifacts / COVERAGE_XML), read_ladder(artifacts / LADDER_NAME)
        )
    except ArtifactError:
        return None
