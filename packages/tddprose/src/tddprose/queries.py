"""Agent-facing JSON views of the graph (``behaviors``, ``ready``) and coverage."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timezone

from tddprose.config import Config
from tddprose.model import BEHAVIOR, INTERNAL, NEEDS_REVIEW, ORPHANED, BehaviorGraph

FILTERS = ("orphaned", "needs-review", "weak-evidence")


def _stats(behaviors) -> dict:
    return {
        "total": len(behaviors),
        "orphaned": sum(b.status == ORPHANED for b in behaviors),
        "needs_review": sum(b.status == NEEDS_REVIEW for b in behaviors),
        "weak_evidence": sum(b.weak_evidence for b in behaviors),
    }


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def ready_view(graph: BehaviorGraph) -> dict:
    """Actionable gaps: behaviors that need a test, a decision or stronger evidence.

    Behavior dependencies come in phase 3; until then every gap is ready.
    """
    ready = []
    for b in graph.behaviors:
        if b.status == ORPHANED:
            action = "write or restore a test that evidences it, or remove it from the snapshot"
        elif b.status == NEEDS_REVIEW:
            action = "resolve: " + "; ".join(b.reasons)
        elif b.weak_evidence and b.eligibility == BEHAVIOR:
            action = "strengthen the evidence: an active test with explicit assertions"
        else:
            continue
        ready.append({**b.to_json(), "action": action, "depends_on": []})
    return {"behaviors": ready, "stats": _stats(graph.behaviors), "generated_at": _now()}


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
