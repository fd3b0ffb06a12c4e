"""A plan rendered as a readable document, in the planning pattern's shape."""

from __future__ import annotations

from pipelines.plan import Plan


def render_plan(plan: Plan) -> str:
    out = [f"# {plan.id}: {plan.title} — TDD Implementation Plan", ""]
    out += [f"**Goal**: {plan.goal}", ""]
    deps = ", ".join(plan.depends_on) or "none"
    out += [f"**Depends on**: {deps}  ", f"**Packages**: {', '.join(plan.packages)}  "]
    out += [f"**RED mode**: {plan.red.describe()}  ", f"**Results doc**: `{plan.results_doc}`", ""]
    if not plan.implemented:
        out += ["> Planned: the tests of this milestone have not landed yet.", ""]
    if plan.reconciliation:
        out += ["## Seed vs actual names", "", "| Seed says | Actual | Action |", "|---|---|---|"]
        out += [f"| {seed} | {actual} | {action} |" for seed, actual, action in plan.reconciliation]
        out.append("")
    out += ["## Implementation Order (Red/Green TDD)", ""]
    for step in plan.steps:
        out += [f"### Step {step.number}: {step.title}", ""]
        for ref in step.tests:
            out.append(f"- Tests: `{ref.file}`")
            out += [f"  - `{name}`" for name in ref.names]
        modules = ", ".join(f"`{m}`" for m in step.implementation) or "none (RED mode none)"
        out += [f"- Implementation: {modules}", ""]
    out += ["## Success Criteria", ""] + [f"- {c}" for c in plan.success_criteria] + [""]
    if plan.critical_files:
        out += ["## Critical Files", "", "| File | Why |", "|---|---|"]
        out += [f"| `{path}` | {why} |" for path, why in plan.critical_files]
        out.append("")
    out += ["## Verification Checklist", ""]
    out += [f"- [ ] {item}" for item in plan.verification] or [
        "- [ ] `invoke milestone " + plan.id + "`"
    ]
    out.append(f"- [ ] Regression scope passes: {', '.join(plan.regression_scope)}")
    if plan.notes:
        out += ["", "## Implementation Notes", "", plan.notes]
    return "\n".join(out) + "\n"
