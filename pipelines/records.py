"""Results docs (markdown + JSON sidecar) and the JSONL event log of gate runs.

The markdown follows the execution guide's template. Its "Lessons learned"
section is written by people: a rerun keeps it byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipelines.ledger import MilestoneStatus
from pipelines.plan import Plan
from pipelines.report import GateReport

LESSONS_HEADING = "## Lessons learned"
LESSONS_PLACEHOLDER = (
    f"{LESSONS_HEADING}\n\n"
    "<!-- Written by hand. The gate keeps everything from the heading above to the\n"
    "     end of the file exactly as it is. -->\n"
)
STEP_ICONS = {"complete": "✅ Complete", "failed": "❌ Failed", "pending": "⏳ Pending"}
STATE_ICONS = {
    "done": "✅ Complete",
    "failed": "❌ Failed",
    "in_progress": "🚧 In progress",
    "pending": "⏳ Pending",
}


def sidecar_path(doc: Path) -> Path:
    return doc.with_suffix(".json")


def events_path(doc: Path) -> Path:
    return doc.with_name(doc.name.replace("-results.md", "-events.jsonl"))


def lessons_section(previous_doc: str | None) -> str:
    """The hand-written tail of a previous results doc, unchanged, or a fresh one."""
    if previous_doc and LESSONS_HEADING in previous_doc:
        return previous_doc[previous_doc.index(LESSONS_HEADING) :]
    return LESSONS_PLACEHOLDER


def previous_started(sidecar_text: str | None) -> str | None:
    return _previous(sidecar_text, "started")


def previous_completed(sidecar_text: str | None) -> str | None:
    """When the milestone was first proven DONE, per the previous sidecar."""
    return _previous(sidecar_text, "completed")


def _previous(sidecar_text: str | None, key: str) -> str | None:
    if not sidecar_text:
        return None
    try:
        value = json.loads(sidecar_text).get(key)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip() or "—"


def render_results_doc(
    plan: Plan,
    report: GateReport,
    status: MilestoneStatus,
    *,
    started: str,
    completed: str | None,
    previous_doc: str | None,
) -> str:
    out: list[str] = [f"# {plan.id}: {plan.title} — Results", ""]
    out += [
        f"**Status**: {STATE_ICONS[status.state]}",
        f"**Started**: {started}",
        f"**Completed**: {completed or '—'}",
        f"**Last gate run**: {report.started} → {report.finished}"
        f" ({'passed' if report.passed else 'failed'})",
        *(
            [f"**Last verified**: {report.finished} (a re-proof of the DONE milestone)"]
            if completed is not None and completed != report.finished and report.passed
            else []
        ),
        f"**RED mode**: {plan.red.describe()}",
        f"**Plan**: `{plan.source}`",
        "",
        "## Summary",
        "",
    ]
    failed = report.failed_stage
    if failed is None:
        steps = ", ".join(str(n) for n in report.steps_run)
        out.append(
            f"The gate passed for step(s) {steps}: every named test failed with its "
            "implementation masked (RED), passed with it (GREEN), and the regression "
            "scope still passes."
        )
    else:
        out.append(f"The gate failed at the **{failed.name}** stage: {failed.summary}")
    out += ["", "## Goal", "", plan.goal, "", "## Success Criteria", ""]
    tick = "x" if status.state == "done" else " "
    out += [f"- [{tick}] {criterion}" for criterion in plan.success_criteria]
    out += ["", "## Implementation Progress", ""]
    for step in plan.steps:
        state = status.steps.get(str(step.number), "pending")
        out += [f"### Step {step.number}: {step.title} — {STEP_ICONS[state]}", ""]
        modules = ", ".join(f"`{m}`" for m in step.implementation) or "—"
        out += [f"Implementation: {modules}", ""]
        rows = [t for t in report.tests if t.step == step.number]
        if not rows:
            out += ["Not run in the last gate run.", ""]
            continue
        out += ["| Test | File | Items | RED | GREEN | Duration |", "|---|---|---|---|---|---|"]
        out += [
            f"| `{t.name}` | `{t.file}` | {t.items} | {t.red} | {t.green} | {t.duration:.3f} s |"
            for t in rows
        ]
        out.append("")
    out += ["## RED evidence", ""]
    evidence = [t for t in report.tests if t.red_evidence]
    if evidence:
        out += ["| Test | How it failed without its implementation |", "|---|---|"]
        out += [f"| `{t.name}` | {_cell(t.red_evidence)} |" for t in evidence]
    else:
        out.append("No RED evidence in the last gate run.")
    passed, total = report.green_counts
    regression = ", ".join(f"{n} {k}" for k, n in sorted(report.regression_counts.items()))
    out += [
        "",
        "## GREEN and regression",
        "",
        f"- GREEN: {passed} of {total} test items passed.",
        f"- Regression (scope: {', '.join(plan.regression_scope)}): {regression or 'not run'}.",
        "",
        "## Gate stages",
        "",
        "| Stage | Result | Time | Detail |",
        "|---|---|---|---|",
    ]
    for stage in report.stages:
        result = "skipped" if stage.skipped else ("✅ passed" if stage.ok else "❌ failed")
        out.append(f"| {stage.name} | {result} | {stage.duration:.2f} s | {_cell(stage.summary)} |")
    out += ["", lessons_section(previous_doc)]
    text = "\n".join(out)
    return text if text.endswith("\n") else text + "\n"


def render_sidecar(
    plan: Plan, report: GateReport, status: MilestoneStatus, *, started: str, completed: str | None
) -> str:
    data = {
        "milestone": plan.id,
        "title": plan.title,
        "state": status.state,
        "started": started,
        "completed": completed,
        "steps": dict(status.steps),
        "last_run": asdict(report) | {"passed": report.passed},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def gate_events(report: GateReport, run_id: str) -> list[str]:
    events = [{"event": "gate_started", "time": report.started, "steps": list(report.steps_run)}]
    events += [
        {
            "event": "stage_finished",
            "stage": s.name,
            "ok": s.ok,
            "skipped": s.skipped,
            "seconds": round(s.duration, 3),
            "summary": s.summary,
        }
        for s in report.stages
    ]
    events.append({"event": "gate_finished", "time": report.finished, "passed": report.passed})
    return [
        json.dumps({"run_id": run_id, "milestone": report.plan_id, **e}, ensure_ascii=False)
        for e in events
    ]
