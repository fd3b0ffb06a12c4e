"""Agent-facing JSON views of the graph (``behaviors``, ``ready``) and coverage.

``generated_at`` is the wall clock unless ``SOURCE_DATE_EPOCH`` is set (the
reproducible-builds convention): then it is that time, and the views are
byte-for-byte reproducible.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import datetime, timezone

from tddprose.config import Config
from tddprose.model import (
    BEHAVIOR,
    INTERNAL,
    NEEDS_REVIEW,
    OK,
    ORPHANED,
    Behavior,
    BehaviorGraph,
)

FILTERS = ("orphaned", "needs-review", "weak-evidence")


def _stats(behaviors) -> dict:
    return {
        "total": len(behaviors),
        "orphaned": sum(b.status == ORPHANED for b in behaviors),
        "needs_review": sum(b.status == NEEDS_REVIEW for b in behaviors),
        "weak_evidence": sum(b.weak_evidence for b in behaviors),
    }


def _now() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        moment = datetime.fromtimestamp(int(epoch), timezone.utc)
    else:
        moment = datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def behaviors_view(graph: BehaviorGraph, filter_name: str | None = None) -> dict:
    selected = list(graph.behaviors)
    if filter_name == "orphaned":
        selected = [b for b in selected if b.status == ORPHANED]
    elif filter_name == "needs-review":
        selected = [b for b in selected if b.status == NEEDS_REVIEW]
    elif filter_name == "weak-evidence":
        selected = [b for b in selected if b.weak_evidence]
    return {
        "behaviors": [b.to_json() for b in selected],
        "stats": _stats(graph.behaviors),
        "generated_at": _now(),
    }


# The overlay state (``tddprose report``) that makes evidence count as failing.
FAILED_STATE = "failed"


def unsatisfied(prerequisite: Behavior | None, overlay: dict[str, str] | None) -> str | None:
    """Why a prerequisite is not satisfied, or None when it is.

    Satisfied: the behavior is in the ledger, its status is ``ok``, at least one
    active (not skipped, not xfail) test evidences it, and, when a run overlay is
    known, its evidence did not fail in that run. Weak evidence does not block.
    """
    if prerequisite is None:
        return "not in the ledger"
    if prerequisite.status != OK:
        return f"its status is {prerequisite.status}"
    if not any(e.active for e in prerequisite.evidence):
        return "no active test evidences it"
    if overlay is not None and overlay.get(prerequisite.behavior_id) == FAILED_STATE:
        return "its evidence failed in the last run"
    return None


def _action(b: Behavior, overlay: dict[str, str] | None) -> str | None:
    if b.status == ORPHANED:
        return "write or restore a test that evidences it, or remove it from the snapshot"
    if b.status == NEEDS_REVIEW:
        return "resolve: " + "; ".join(b.reasons)
    if overlay is not None and overlay.get(b.behavior_id) == FAILED_STATE:
        return "make its failing tests pass (they failed in the last run)"
    if b.weak_evidence and b.eligibility == BEHAVIOR:
        return "strengthen the evidence: an active test with explicit assertions"
    return None


def ready_view(
    graph: BehaviorGraph, overlay: dict[str, str] | None = None, overlay_path: str | None = None
) -> dict:
    """Actionable gaps whose prerequisites are all satisfied (see ``unsatisfied``).

    A gap is a behavior that needs a test (orphaned), a decision (needs review), a
    fix (its evidence failed in the run overlay, when one is given) or stronger
    evidence. Gaps waiting on a prerequisite are listed under ``blocked`` with what
    each waits on. ``overlay`` maps behavior ids to their state in the last run.
    """
    by_id = graph.by_id()
    ready, blocked = [], []
    for b in graph.behaviors:
        action = _action(b, overlay)
        if action is None:
            continue
        waiting = []
        for prerequisite in b.depends_on:
            reason = unsatisfied(by_id.get(prerequisite), overlay)
            if reason is not None:
                waiting.append({"behavior_id": prerequisite, "reason": reason})
        entry = {**b.to_json(), "action": action, "waiting_on": waiting}
        (blocked if waiting else ready).append(entry)
    return {
        "behaviors": ready,
        "blocked": blocked,
        "overlay": overlay_path,
        "stats": _stats(graph.behaviors),
        "generated_at": _now(),
    }


def coverage_view(graph: BehaviorGraph, config: Config) -> dict:
    behaviors = graph.behaviors
    tiers = {
        tier: dict(sorted(Counter(b.status for b in behaviors if b.eligibility == tier).items()))
        for tier in (BEHAVIOR, INTERNAL)
    }
    surfaced = {e.test_id for b in behaviors if b.eligibility == BEHAVIOR for e in b.evidence}
    orphan_tests = sorted(t.nodeid for test_id, t in graph.tests.items() if test_id not in surfaced)
    inactive = sorted(
        f"{t.nodeid} ({t.status})" for t in graph.tests.values() if t.status != "active"
    )
    per_domain: dict[str, int] = defaultdict(int)
    for b in behaviors:
        domain = b.block_id.split(".")[0]
        per_domain[domain] += b.eligibility == BEHAVIOR
    sparse = {d: n for d, n in sorted(per_domain.items()) if n < config.min_domain_behaviors}
    return {
        "tiers": tiers,
        "behaviors": len(behaviors),
        "tests": len(graph.tests),
        "orphan_tests": orphan_tests,
        "weak_evidence": sorted(
            b.behavior_id for b in behaviors if b.weak_evidence and b.eligibility == BEHAVIOR
        ),
        "inactive_tests": inactive,
        "sparse_domains": sparse,
        "min_domain_behaviors": config.min_domain_behaviors,
    }


def coverage_text(view: dict) -> str:
    lines = [f"{view['behaviors']} behaviors from {view['tests']} tests"]
    for tier, counts in view["tiers"].items():
        detail = ", ".join(f"{n} {s}" for s, n in counts.items()) or "none"
        lines.append(f"  {tier}: {detail}")
    lines.append(f"orphan tests (not surfaced in the ledger): {len(view['orphan_tests'])}")
    lines.append(f"weak evidence: {len(view['weak_evidence'])}")
    lines += [f"  {b}" for b in view["weak_evidence"][:20]]
    if len(view["weak_evidence"]) > 20:
        lines.append(f"  ... and {len(view['weak_evidence']) - 20} more (--json lists all)")
    lines.append(f"inactive tests (skip/xfail): {len(view['inactive_tests'])}")
    lines.append(
        f"domains with fewer than {view['min_domain_behaviors']} behaviors: "
        + (", ".join(f"{d} ({n})" for d, n in view["sparse_domains"].items()) or "none")
    )
    return "\n".join(lines) + "\n"
