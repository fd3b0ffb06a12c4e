"""`tpr checkpoint` (Step 4, AC-4): the foundation checkpoint, emitted only when
AC-1, AC-2, AC-3, AC-5, AC-6 and AC-7 hold. It refuses and names each unmet criterion."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .artifacts import (
    ArtifactError,
    embedded_hash_ok,
    read_json,
    sha256_file,
    write_hashed_json,
    write_text,
)
from .baseline import METRICS_HASH_NAME, METRICS_NAME
from .config import TprConfig
from .errors import ExitCode, TprError
from .events import LOG_NAME, EventLog, audit, read_events
from .failfast_scenario import BENCHMARK_NAME
from .flake import FLAKE_REPORT_NAME
from .ladder import COVERAGE_XML, LADDER_NAME, read_ladder
from .plugins.durations import DURATIONS_NAME
from .plugins.markers import MARKERS_NAME
from .property import RESULTS_NAME
from .signature import SIGNATURE_NAME
from .validate import ValidationResult

CHECKPOINT_JSON = "foundation.checkpoint.json"
CHECKPOINT_MD = "foundation.checkpoint.md"
HASHED_ARTIFACTS = (
    COVERAGE_XML,
    DURATIONS_NAME,
    FLAKE_REPORT_NAME,
    SIGNATURE_NAME,
    METRICS_NAME,
    METRICS_HASH_NAME,
    BENCHMARK_NAME,
    RESULTS_NAME,
    LADDER_NAME,
    MARKERS_NAME,
)
RISKS = (
    ("Flaky property tests", "Medium", "Low", "Deterministic seed; nightly unseeded fuzz"),
    ("Fail-fast hides systemic failures", "Medium", "Medium", "Soft mode keeps partial metrics"),
    ("Coverage regression", "Medium", "Medium", "Ladder gate (`tpr gate`)"),
    ("Environment drift", "High", "Medium", "Validator aborts before tests; hashed signature"),
    ("Overhead from metrics collection", "Low", "Medium", "Measured by benchmarks/bench_tpr.py"),
    ("Parallelization induced race", "High", "Low", "xdist results merged on the controller"),
)


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    met: bool
    evidence: str


class CheckpointRefused(TprError, RuntimeError):
    exit_code = ExitCode.FAILED

    def __init__(self, unmet: list[Criterion]) -> None:
        self.unmet = unmet
        super().__init__(
            "foundation checkpoint refused; unmet: "
            + "; ".join(f"{c.id} ({c.title}): {c.evidence}" for c in unmet)
        )


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return read_json(path, what=path.name, fix="produce it first")
    except ArtifactError:
        return None


def evaluate(
    root: Path, config: TprConfig, validation: ValidationResult
) -> tuple[list[Criterion], dict]:
    artifacts = config.artifacts(root)
    events = read_events(artifacts / LOG_NAME)
    names = {e["event"] for e in events}
    criteria = []

    metrics = _load(artifacts / METRICS_NAME)
    hash_file = artifacts / METRICS_HASH_NAME
    sidecar = hash_file.read_text().strip() if hash_file.is_file() else None
    ac1 = (
        metrics is not None
        and embedded_hash_ok(metrics)
        and sidecar == metrics.get("sha256")
        and "metrics_capture_complete" in names
    )
    criteria.append(
        Criterion(
            "AC-1",
            "baseline metrics produced and hashed",
            ac1,
            "baseline.metrics.json hash verified, metrics_capture_complete logged"
            if ac1
            else "run `tpr baseline` (metrics missing, hash mismatch or event not logged)",
        )
    )

    bench = _load(artifacts / BENCHMARK_NAME)
    if bench is None:
        criteria.append(Criterion("AC-2", "fail-fast detection", False, "run `tpr failfast`"))
    else:
        soft, hard = bench["modes"]["soft"], bench["modes"]["hard"]
        ok = bool(soft["met"] and hard["met"]) and embedded_hash_ok(bench)
        criteria.append(
            Criterion(
                "AC-2",
                "fail-fast detection",
                ok,
                f"soft {soft['improvement_pct']:.1f}% (target {soft['target_pct']}%), "
                f"hard {hard['improvement_pct']:.1f}% (target {hard['target_pct']}%)",
            )
        )

    prop = _load(artifacts / RESULTS_NAME)
    if prop is None:
        criteria.append(Criterion("AC-3", "property pilot", False, "run `tpr property --runs 30`"))
    else:
        ok = (
            prop["runs"] >= 30
            and len(prop["tests"]) >= 3
            and prop["all_passed"]
            and prop["falsifying_examples"] == 0
            and not prop["flakes"]
            and prop["within_threshold"]
        )
        criteria.append(
            Criterion(
                "AC-3",
                "property pilot",
                ok,
                f"{len(prop['tests'])} tests x {prop['runs']} runs, all passed: "
                f"{prop['all_passed']}, flakes: {len(prop['flakes'])}, "
                f"within {prop['runtime_threshold_ms']} ms: {prop['within_threshold']}",
            )
        )

    criteria.append(
        Criterion(
            "AC-5",
            "environment validator passes",
            validation.status == "ok",
            f"validation {validation.status}" + "".join(f"; {r.code}" for r in validation.reasons),
        )
    )

    try:
        ladder = read_ladder(artifacts / LADDER_NAME)
        ac6 = "coverage_ladder_recorded" in names
        evidence = (
            f"baseline {ladder['baseline']['line_pct']}%, target {ladder['target']['line_pct']}%"
        )
    except ArtifactError as exc:
        ac6, evidence = False, str(exc)
    criteria.append(Criterion("AC-6", "coverage ladder recorded", ac6, evidence))

    # The checkpoint's own event comes with the checkpoint.
    result = audit(events, ignore=("foundation_checkpoint_emitted",))
    criteria.append(
        Criterion(
            "AC-7",
            "event taxonomy complete",
            result.ok,
            "all lifecycle events seen" if result.ok else "missing " + ", ".join(result.missing),
        )
    )
    return criteria, {"metrics": metrics, "failfast": bench, "property": prop, "audit": result}


def render_markdown(data: dict[str, Any]) -> str:
    m = data["metrics"]
    lines = [
        "# Foundation checkpoint (tpr, Testing Platform Refactor phase 1)",
        "",
        f"Run `{data['run_id']}` at {data['emitted_at']}; tpr {data['tpr_version']}.",
        "",
        "## Acceptance criteria",
        "",
        "| id | criterion | met | evidence |",
        "|---|---|---|---|",
        *(
            f"| {c['id']} | {c['title']} | {'yes' if c['met'] else 'NO'} | {c['evidence']} |"
            for c in data["criteria"]
        ),
        "",
        "## Baseline metrics",
        "",
        f"- coverage: {m['coverage']['line_pct']:.2f}% lines "
        f"({m['coverage']['lines_covered']}/{m['coverage']['lines_valid']}), "
        f"{(m['coverage']['branch_pct'] or 0):.2f}% branches "
        f"({m['coverage']['branches_covered']}/{m['coverage']['branches_valid']})",
        f"- outcomes: {m['outcomes']}",
        f"- durations: {m['durations']['percentiles_s'] if m['durations'] else None}",
        f"- flake rate: {m['flake']['flake_rate']:.2%} over {m['flake']['runs']} runs "
        f"(flaky: {', '.join(m['flake']['flaky_tests']) or 'none'})",
        f"- field population: {m['population_pct']}%",
        "",
        "## Fail-fast delta",
        "",
        *(
            f"- {mode}: mean {v['mean_s']:.3f} s, improvement {v['improvement_pct']:.1f}% "
            f"(target {v['target_pct']}%)"
            for mode, v in data["failfast"]["modes"].items()
            if mode != "off"
        ),
        f"- off: mean {data['failfast']['modes']['off']['mean_s']:.3f} s",
        "",
        "## Property pilot",
        "",
        *(
            f"- {name}: {t['runs']} runs, mean {t['runtime']['mean_ms']} ms, "
            f"{t['examples_run']['per_run']} examples per run, "
            f"{len(t['falsifying_examples'])} falsifying"
            for name, t in data["property"]["tests"].items()
        ),
        "",
        "## Event coverage",
        "",
        f"- lifecycle events seen: {data['event_coverage']['coverage'] * 100:.0f}%",
        *(f"- {name}: {count}" for name, count in data["event_coverage"]["seen"].items()),
        "",
        "## Risk matrix",
        "",
        "| risk | impact | likelihood | mitigation |",
        "|---|---|---|---|",
        *(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in RISKS),
        "",
        "## Artifact hashes (SHA-256)",
        "",
        *(f"- `{name}`: `{digest}`" for name, digest in data["artifact_hashes"].items()),
        "",
    ]
    return "\n".join(lines)


def emit_checkpoint(
    root: Path, config: TprConfig, log: EventLog, validation: ValidationResult
) -> dict[str, Any]:
    criteria, found = evaluate(root, config, validation)
    unmet = [c for c in criteria if not c.met]
    if unmet:
        raise CheckpointRefused(unmet)
    artifacts = config.artifacts(root)
    hashes = {
        name: sha256_file(artifacts / name)
        for name in HASHED_ARTIFACTS
        if (artifacts / name).is_file()
    }
    data = {
        "tpr_version": __version__,
        "run_id": log.run_id,
        "emitted_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "criteria": [c.__dict__ for c in criteria],
        "metrics": found["metrics"],
        "failfast": found["failfast"],
        "property": found["property"],
        "event_coverage": found["audit"].as_dict(),
        "risks": [
            dict(zip(("risk", "impact", "likelihood", "mitigation"), r, strict=True)) for r in RISKS
        ],
        "artifact_hashes": hashes,
    }
    digest = write_hashed_json(artifacts / CHECKPOINT_JSON, data)
    write_text(artifacts / CHECKPOINT_MD, render_markdown(data))
    log.emit("foundation_checkpoint_emitted", sha256=digest, criteria=[c.id for c in criteria])
    return {**data, "sha256": digest}
