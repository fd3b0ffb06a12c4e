"""Behavior-level changes between two snapshots: JSON, markdown, annotations."""

from __future__ import annotations

from pathlib import Path

from tddprose.files import write_if_changed, write_json_if_changed
from tddprose.model import BehaviorGraph
from tddprose.snapshot import Snapshot

_FIELDS = ("title", "block_id", "eligibility")


def behavior_diff(base: Snapshot, head: Snapshot, graph: BehaviorGraph) -> dict:
    statuses = {b.behavior_id: b.status for b in graph.behaviors}
    added, changed, orphaned = [], [], []
    for behavior_id in sorted(head.behaviors):
        new = head.behaviors[behavior_id]
        old = base.behaviors.get(behavior_id)
        entry = {"behavior_id": behavior_id, "title": new.title, "block_id": new.block_id}
        if old is None:
            added.append({**entry, "eligibility": new.eligibility})
            continue
        fields = {f: [getattr(old, f), getattr(new, f)] for f in _FIELDS}
        fields = {f: v for f, v in fields.items() if v[0] != v[1]}
        if set(old.evidence) != set(new.evidence):
            fields["evidence"] = {
                "added": sorted(set(new.evidence) - set(old.evidence)),
                "removed": sorted(set(old.evidence) - set(new.evidence)),
            }
        elif old.fingerprint != new.fingerprint:
            fields["tests_changed"] = True
        if old.evidence and not new.evidence:
            orphaned.append(entry)
        elif fields:
            changed.append({**entry, "changes": fields})
    for behavior_id in sorted(set(base.behaviors) - set(head.behaviors)):
        old = base.behaviors[behavior_id]
        changed.append(
            {
                "behavior_id": behavior_id,
                "title": old.title,
                "block_id": old.block_id,
                "changes": {"removed_from_snapshot": True},
            }
        )
    needs_review = sorted(b for b, s in statuses.items() if s == "needs_review")
    return {
        "added": added,
        "changed": changed,
        "orphaned": orphaned,
        "needs_review": needs_review,
        "summary": {
            "added": len(added),
            "changed": len(changed),
            "orphaned": len(orphaned),
            "needs_review": len(needs_review),
        },
    }


def diff_markdown(diff: dict) -> str:
    summary = diff["summary"]
    lines = [
        "## Behavior changes",
        "",
        f"{summary['added']} added, {summary['changed']} changed, "
        f"{summary['orphaned']} orphaned, {summary['needs_review']} need review.",
    ]
    sections = (
        ("Added", diff["added"]),
        ("Changed", diff["changed"]),
        ("Orphaned", diff["orphaned"]),
    )
    for heading, entries in sections:
        if not entries:
            continue
        lines += ["", f"### {heading}", ""]
        for entry in entries:
            line = f"- **{entry['title']}** (`{entry['behavior_id']}`, block `{entry['block_id']}`)"
            changes = entry.get("changes", {})
            if changes:
                line += ": " + ", ".join(sorted(changes))
            lines.append(line)
    return "\n".join(lines) + "\n"


def write_behavior_diff(reports_dir: Path, diff: dict) -> None:
    write_json_if_changed(reports_dir / "behavior-diff.json", diff)
    write_if_changed(reports_dir / "behavior-diff.md", diff_markdown(diff))


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_annotations(diagnostics, diff: dict | None) -> list[str]:
    """GitHub Actions workflow commands: one per diagnostic, one summary notice."""
    lines = []
    for d in diagnostics:
        level = {"error": "error", "warn": "warning"}.get(d.severity, "notice")
        location = f" file={d.path}" + (f",line={d.line}" if d.line else "") if d.path else ""
        message = d.message + (f" ({d.fix})" if d.fix else "")
        lines.append(f"::{level}{location}::{_escape(message)}")
    if diff is not None:
        s = diff["summary"]
        lines.append(
            f"::notice title=tddprose behavior diff::{s['added']} added, {s['changed']} changed, "
            f"{s['orphaned']} orphaned, {s['needs_review']} need review"
        )
    return lines
