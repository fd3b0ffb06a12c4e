"""The status ledger: each milestone's state, its last gate time and step statuses.

Kept in ``plans/status.json`` by the engine (never edited by hand). Its header
line is the seed plan's ``DONE M5. Next M6.``, computed from the graph.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipelines.errors import PlanError
from pipelines.plan import Plan, topological_order

STATES = ("pending", "in_progress", "done", "failed")
STEP_STATES = ("pending", "complete", "failed")


@dataclass(frozen=True)
class MilestoneStatus:
    state: str = "pending"
    last_gate: str | None = None  # ISO 8601 time of the last gate run
    steps: Mapping[str, str] = field(default_factory=dict)  # step number -> STEP_STATES


@dataclass(frozen=True)
class Ledger:
    milestones: Mapping[str, MilestoneStatus]

    def status(self, milestone: str) -> MilestoneStatus:
        return self.milestones.get(milestone, MilestoneStatus())

    def with_status(self, milestone: str, status: MilestoneStatus) -> Ledger:
        return replace(self, milestones={**self.milestones, milestone: status})

    def done(self, milestone: str) -> bool:
        return self.status(milestone).state == "done"


def load_ledger(path: Path) -> Ledger:
    if not path.exists():
        return Ledger({})
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        milestones = {}
        for milestone, raw in data["milestones"].items():
            status = MilestoneStatus(raw["state"], raw.get("last_gate"), dict(raw.get("steps", {})))
            if status.state not in STATES:
                raise PlanError(source, f"milestones.{milestone}.state", f"{status.state!r}")
            milestones[milestone] = status
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PlanError(
            source, "", f"the status ledger is unreadable ({exc!r}); restore it from git"
        ) from exc
    return Ledger(milestones)


def header_line(ledger: Ledger, plans: Mapping[str, Plan]) -> str:
    """``DONE M1, M2, M3. Next M4.``: done milestones, then those now unblocked."""
    order = topological_order(plans)
    done = [m for m in order if ledger.done(m)]
    ready = [
        m for m in order if not ledger.done(m) and all(ledger.done(d) for d in plans[m].depends_on)
    ]
    parts = [f"DONE {', '.join(done)}." if done else "DONE nothing yet."]
    parts.append(f"Next {', '.join(ready)}." if ready else "All milestones done.")
    return " ".join(parts)


def render_ledger(ledger: Ledger, plans: Mapping[str, Plan]) -> str:
    data = {
        "header": header_line(ledger, plans),
        "milestones": {
            m: {
                "state": ledger.status(m).state,
                "last_gate": ledger.status(m).last_gate,
                "steps": dict(sorted(ledger.status(m).steps.items(), key=lambda kv: int(kv[0]))),
            }
            for m in topological_order(plans)
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


STATE_STYLE = {
    "done": "fill:#2d5016,color:#fff",
    "in_progress": "fill:#1a3a5c,color:#fff",
    "failed": "fill:#5c1a1a,color:#fff",
    "pending": "fill:#444,color:#fff",
}


def mermaid_graph(ledger: Ledger, plans: Mapping[str, Plan]) -> str:
    """The dependency graph as mermaid, each milestone coloured by its state."""
    lines = ["graph TD"]
    for m in topological_order(plans):
        label = f'{m}["{m}: {plans[m].title}"]'
        lines.append(f"    {label}")
        for dep in plans[m].depends_on:
            lines.append(f"    {dep} --> {m}")
    lines.append("")
    for m in topological_order(plans):
        lines.append(f"    style {m} {STATE_STYLE[ledger.status(m).state]}")
    return "\n".join(lines)


def format_status(ledger: Ledger, plans: Mapping[str, Plan]) -> str:
    rows = [header_line(ledger, plans), ""]
    rows.append(f"{'milestone':<10} {'state':<12} {'steps':<10} {'last gate':<26} title")
    for m in topological_order(plans):
        status = ledger.status(m)
        complete = sum(1 for s in status.steps.values() if s == "complete")
        steps = f"{complete}/{len(plans[m].steps)}"
        rows.append(
            f"{m:<10} {status.state:<12} {steps:<10} {status.last_gate or '-':<26} {plans[m].title}"
        )
    rows += ["", "```mermaid", mermaid_graph(ledger, plans), "```"]
    return "\n".join(rows)
