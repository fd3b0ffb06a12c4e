"""``tddprose check``: drift, integrity and CI thresholds, with the reports it writes."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from tddprose.behavior_diff import behavior_diff, write_behavior_diff
from tddprose.compiler import Plan
from tddprose.config import REPORTS_DIR, SNAPSHOT_PATH, Config
from tddprose.files import write_json_if_changed
from tddprose.ir import Diagnostic
from tddprose.model import NEEDS_REVIEW, ORPHANED


@dataclass
class CheckResult:
    failures: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    diff: dict = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def snapshot_integrity(plan: Plan) -> list[Diagnostic]:
    known = set(plan.graph.tests)
    found = []
    for behavior in sorted(plan.previous_snapshot.behaviors.values(), key=lambda b: b.behavior_id):
        missing = [t for t in behavior.evidence if t not in known]
        if missing:
            found.append(
                Diagnostic(
                    "error",
                    "snapshot_missing_test",
                    f"{SNAPSHOT_PATH}: behavior {behavior.behavior_id} references "
                    f"missing test {missing[0]}"
                    + (f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""),
                    SNAPSHOT_PATH,
                    0,
                    "run `tddprose sync --apply` (the behavior becomes orphaned), "
                    "or add an alias to the renamed test",
                )
            )
    for old, new in sorted(plan.previous_snapshot.aliases.items()):
        if new not in known:
            found.append(
                Diagnostic(
                    "warn",
                    "alias_to_missing_test",
                    f"alias {old} -> {new}: no such test",
                    SNAPSHOT_PATH,
                    0,
                    "fix or remove the alias",
                )
            )
    return found


def unified_diffs(plan: Plan) -> list[str]:
    """What a sync would change, one unified diff per file."""
    diffs = []
    for path in plan.changes:
        if path in plan.deletes:
            diffs.append(f"--- {path}\n+++ /dev/null (no longer generated)\n")
            continue
        before = (plan.current.get(path) or "").splitlines(keepends=True)
        after = plan.outputs[path].splitlines(keepends=True)
        diffs.append("".join(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}", n=2)))
    return diffs


def run_check(root: Path, config: Config, plan: Plan) -> CheckResult:
    result = CheckResult()
    graph = plan.graph
    result.diagnostics = sorted(
        plan.diagnostics + snapshot_integrity(plan), key=Diagnostic.sort_key
    )
    result.diffs = unified_diffs(plan)
    if plan.changes:
        result.failures.append(
            f"the ledger is stale: {len(plan.changes)} file(s) differ from what the tests "
            "produce; run `tddprose sync --apply` and commit the result"
        )
    result.stale = sorted(
        b.behavior_id
        for b in graph.behaviors
        if b.behavior_id in plan.previous_snapshot.behaviors
        and plan.previous_snapshot.behaviors[b.behavior_id].fingerprint != b.fingerprint
        and b.evidence
    )
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        result.failures.append(f"{len(errors)} error diagnostic(s)")
    needs_review = sum(b.status == NEEDS_REVIEW for b in graph.behaviors)
    if needs_review > config.needs_review_max:
        result.failures.append(
            f"{needs_review} behavior(s) need review (ci.needs_review_max is "
            f"{config.needs_review_max}); `tddprose behaviors --json --filter needs-review`"
        )
    orphaned = sum(b.status == ORPHANED for b in graph.behaviors)
    if orphaned > config.orphaned_max:
        result.failures.append(
            f"{orphaned} orphaned behavior(s) (ci.orphaned_max is {config.orphaned_max}); "
            "`tddprose behaviors --json --filter orphaned`"
        )
    result.diff = behavior_diff(plan.previous_snapshot, plan.snapshot, graph)
    write_reports(root, result)
    return result


def write_reports(root: Path, result: CheckResult) -> None:
    reports = root / REPORTS_DIR
    diagnostics = {
        "diagnostics": [d.to_json() for d in result.diagnostics],
        "counts": {
            s: sum(d.severity == s for d in result.diagnostics) for s in ("error", "warn", "info")
        },
        "stale_behaviors": result.stale,
        "failures": result.failures,
    }
    write_json_if_changed(reports / "diagnostics.json", diagnostics)
    write_behavior_diff(reports, result.diff)
