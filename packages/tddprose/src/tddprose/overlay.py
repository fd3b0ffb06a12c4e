"""The run overlay: the ledger's behaviors with the outcome of a test run laid over them.

A behavior's state comes from its active evidence (inactive evidence, statically
skipped or xfail, never decides it):

- ``failed``: some active evidence failed;
- ``other``: none failed, but some had an outcome outside passed/skipped/pending;
- ``passed``: none failed, at least one passed (evidence that was skipped or
  absent from the run does not stop this; the per-behavior counts show it);
- ``skipped``: every result is skipped or pending, or only inactive evidence ran;
- ``not_run``: no evidence has a result.

``write_overlay`` writes three files, and only these, into the reports directory:
the report in tddprose's own JSON, the same as a CTRF document (one CTRF test per
behavior), and a self-contained HTML page.
"""

from __future__ import annotations

import html
import uuid
from pathlib import Path
from typing import Any

from tddprose import __version__
from tddprose.files import write_if_changed, write_json_if_changed
from tddprose.model import ELIGIBILITIES, Behavior, BehaviorGraph
from tddprose.results import FAILED, OTHER, PASSED, PENDING, SKIPPED, STATUSES, TestResult

NOT_RUN = "not_run"
STATES = (FAILED, OTHER, PASSED, SKIPPED, NOT_RUN)
STATE_LABELS = {
    PASSED: "PASSED",
    FAILED: "FAILED",
    SKIPPED: "SKIPPED",
    NOT_RUN: "NOT RUN",
    OTHER: "UNKNOWN",
}
# CTRF has no "not run": it is "other", with the state kept as the rawStatus.
CTRF_STATUS = {PASSED: PASSED, FAILED: FAILED, SKIPPED: SKIPPED, NOT_RUN: OTHER, OTHER: OTHER}
# The result statuses whose messages explain a state.
EXPLAINED_BY = {FAILED: {FAILED}, OTHER: {OTHER}, SKIPPED: {SKIPPED, PENDING}}

REPORT_JSON = "tdd-prose.report.json"
CTRF_JSON = "tdd-prose.ctrf.json"
REPORT_HTML = "tdd-prose.report.html"
CTRF_SPEC_VERSION = "0.0.0"
TOOL = "tddprose"
# CTRF test ids are UUIDv5 of the behavior id in this namespace: stable across runs.
BEHAVIOR_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "tddprose:behavior")


def evidence_nodeids(graph: BehaviorGraph) -> list[str]:
    """Every node id the ledger's evidence names: what ``match_results`` resolves to."""
    return sorted({e.nodeid for b in graph.behaviors for e in b.evidence})


def behavior_state(behavior: Behavior, matched: dict[str, TestResult]) -> str:
    ran = [e for e in behavior.evidence if e.nodeid in matched]
    statuses = {matched[e.nodeid].status for e in ran if e.active}
    if not statuses:
        return SKIPPED if ran else NOT_RUN
    for state in (FAILED, OTHER, PASSED):
        if state in statuses:
            return state
    return SKIPPED


def build_overlay(
    graph: BehaviorGraph, matched: dict[str, TestResult], unmatched: list[TestResult]
) -> dict[str, Any]:
    behaviors = sorted(
        (b for b in graph.behaviors if b.eligibility in ELIGIBILITIES),
        key=lambda b: (b.block_id, b.behavior_id),
    )
    rows = [_behavior_row(b, matched) for b in behaviors]
    return {
        "behaviors": rows,
        "summary": {
            "behaviors": len(rows),
            "states": _state_counts(rows),
            "by_eligibility": {
                e: _state_counts([r for r in rows if r["eligibility"] == e]) for e in ELIGIBILITIES
            },
            "results": {"matched": len(matched), "unmatched": len(unmatched)},
        },
        "unmatched": [_result_json(r) for r in sorted(unmatched, key=_result_order)],
    }


def _behavior_row(behavior: Behavior, matched: dict[str, TestResult]) -> dict[str, Any]:
    evidence = [
        {
            "test_id": e.test_id,
            "case": e.case,
            "nodeid": e.nodeid,
            "weight": e.weight,
            "active": e.active,
            "result": _result_json(matched[e.nodeid]) if e.nodeid in matched else None,
        }
        for e in behavior.evidence
    ]
    counts = dict.fromkeys((*STATUSES, NOT_RUN), 0)
    for e in behavior.evidence:
        if e.active:
            counts[matched[e.nodeid].status if e.nodeid in matched else NOT_RUN] += 1
    counts["inactive"] = sum(not e.active for e in behavior.evidence)
    return {
        "behavior_id": behavior.behavior_id,
        "block_id": behavior.block_id,
        "title": behavior.title,
        "eligibility": behavior.eligibility,
        "ledger_status": behavior.status,
        "state": behavior_state(behavior, matched),
        "counts": counts,
        "evidence": evidence,
    }


def _result_json(result: TestResult) -> dict[str, Any]:
    return {
        "nodeid": result.nodeid,
        "status": result.status,
        "duration_ms": round(result.duration_ms, 3),
        "message": result.message,
    }


def _result_order(result: TestResult) -> tuple:
    return (result.nodeid, result.status, result.duration_ms, result.message)


def _state_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {state: sum(r["state"] == state for r in rows) for state in STATES}


def _ran(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's active evidence that has a result."""
    return [e for e in row["evidence"] if e["active"] and e["result"] is not None]


def _duration_ms(row: dict[str, Any]) -> float:
    return sum(e["result"]["duration_ms"] for e in row["evidence"] if e["result"] is not None)


def _explanation(row: dict[str, Any]) -> str:
    """``nodeid: message`` for the evidence that explains the row's state."""
    wanted = EXPLAINED_BY.get(row["state"], set())
    return "\n".join(
        f"{e['nodeid']}: {e['result']['message']}"
        for e in _ran(row)
        if e["result"]["status"] in wanted and e["result"]["message"]
    )


# --- writing -------------------------------------------------------------------------


def write_overlay(
    graph: BehaviorGraph,
    matched: dict[str, TestResult],
    unmatched: list[TestResult],
    reports_dir: Path,
    source_name: str,
) -> list[Path]:
    """Write the JSON report, the CTRF document and the HTML page into ``reports_dir``.

    ``source_name`` is only shown (it names the results file); nothing is written
    outside ``reports_dir``, and each file is replaced atomically.
    """
    return write_report(build_overlay(graph, matched, unmatched), reports_dir, source_name)


def write_report(report: dict[str, Any], reports_dir: Path, source_name: str) -> list[Path]:
    """Write an overlay ``build_overlay`` made (each file replaced atomically)."""
    report = {**report, "source": source_name}
    paths = [reports_dir / REPORT_JSON, reports_dir / CTRF_JSON, reports_dir / REPORT_HTML]
    write_json_if_changed(paths[0], report)
    write_json_if_changed(paths[1], ctrf_document(report))
    write_if_changed(paths[2], render_html(report))
    return paths


# --- CTRF ----------------------------------------------------------------------------


def ctrf_document(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` (from ``build_overlay`` plus ``source``) as a CTRF document.

    There is no wall clock in it, so the bytes depend on the inputs only: the summary's
    ``start`` is 0 and its ``stop`` the summed duration of the tests.
    """
    tests = [_ctrf_test(row) for row in report["behaviors"]]
    duration = sum(t["duration"] for t in tests)
    summary = {"tests": len(tests)}
    summary.update({status: sum(t["status"] == status for t in tests) for status in STATUSES})
    summary.update(
        {
            "start": 0,
            "stop": duration,
            "duration": duration,
            "extra": {
                "behavior_states": report["summary"]["states"],
                "results": report["summary"]["results"],
                "timing": "start is 0 and stop the summed duration: no wall clock recorded",
            },
        }
    )
    return {
        "reportFormat": "CTRF",
        "specVersion": CTRF_SPEC_VERSION,
        "generatedBy": TOOL,
        "results": {
            "tool": {"name": TOOL, "version": __version__},
            "summary": summary,
            "tests": tests,
            "extra": {
                "source": report.get("source", ""),
                "unmatched": [r["nodeid"] for r in report["unmatched"]],
            },
        },
    }


def _ctrf_test(row: dict[str, Any]) -> dict[str, Any]:
    test: dict[str, Any] = {
        "id": str(uuid.uuid5(BEHAVIOR_NAMESPACE, row["behavior_id"])),
        "name": row["title"] or row["behavior_id"] or "(untitled behavior)",
        "status": CTRF_STATUS[row["state"]],
        "rawStatus": row["state"],
        "duration": round(_duration_ms(row)),
        "suite": [row["block_id"]],
        "tags": [row["eligibility"]],
        "extra": {
            "behavior_id": row["behavior_id"],
            "block_id": row["block_id"],
            "eligibility": row["eligibility"],
            "ledger_status": row["ledger_status"],
            "evidence": [
                {
                    "nodeid": e["nodeid"],
                    "active": e["active"],
                    "status": e["result"]["status"] if e["result"] else NOT_RUN,
                }
                for e in row["evidence"]
            ],
        },
    }
    message = _explanation(row)
    if message:
        test["message"] = message
    return test


# --- HTML ----------------------------------------------------------------------------

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
code { font: .85em ui-monospace, SFMono-Regular, Menlo, monospace; color: #444; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .75rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
ul { padding-left: 1.25rem; }
li.behavior { list-style: none; margin: .6rem 0 .6rem -1.25rem; }
ul.evidence { margin: .2rem 0 0 6.5rem; font-size: .9em; }
pre { white-space: pre-wrap; margin: .2rem 0; background: #f6f6f6; padding: .3rem .5rem; }
.state { display: inline-block; min-width: 5.5rem; text-align: center; font-weight: 700;
         font-size: .8rem; border-radius: 3px; padding: 0 .4rem; margin-right: .5rem; }
.tag { font-size: .75rem; color: #555; border: 1px solid #bbb; border-radius: 3px;
       padding: 0 .3rem; }
.passed { background: #d3f2da; color: #0b5d1e; }
.failed { background: #ffd7d2; color: #8c1000; }
.skipped { background: #fff0bf; color: #6b4d00; }
.pending { background: #fff0bf; color: #6b4d00; }
.not_run { background: #e6e6e6; color: #3f3f3f; }
.other { background: #e7ddff; color: #3e2b82; }
.inactive { color: #777; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _badge(state: str) -> str:
    return f'<span class="state {_e(state)}">{_e(STATE_LABELS.get(state, state))}</span>'


def render_html(report: dict[str, Any]) -> str:
    """One self-contained page: inline CSS, no scripts, every text escaped."""
    blocks: dict[str, list[dict[str, Any]]] = {}
    for row in report["behaviors"]:
        blocks.setdefault(row["block_id"], []).append(row)
    anchors = {block: f"block-{index}" for index, block in enumerate(blocks, start=1)}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Behavior run report</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<h1>Behavior run report</h1>",
        *_html_summary(report),
        "<h2>Blocks</h2>",
        "<ul>",
        *(
            f'<li><a href="#{anchors[block]}">{_e(block or "(no block)")}</a> '
            f"{_e(_block_counts(rows))}</li>"
            for block, rows in blocks.items()
        ),
        "</ul>",
    ]
    for block, rows in blocks.items():
        parts += _html_block(anchors[block], block, rows)
    parts += _html_unmatched(report["unmatched"])
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_summary(report: dict[str, Any]) -> list[str]:
    summary = report["summary"]
    results = summary["results"]
    header = "".join(f"<th>{_e(e)}</th>" for e in ELIGIBILITIES)
    rows = [
        f"<tr><td>{_badge(state)}</td><td>{summary['states'][state]}</td>"
        + "".join(f"<td>{summary['by_eligibility'][e][state]}</td>" for e in ELIGIBILITIES)
        + "</tr>"
        for state in (PASSED, FAILED, SKIPPED, NOT_RUN, OTHER)
    ]
    return [
        f"<p>Results from <code>{_e(report.get('source', ''))}</code>: "
        f"{summary['behaviors']} behaviors; {results['matched']} tests matched to evidence, "
        f"{results['unmatched']} results matched no evidence.</p>",
        f"<table><tr><th>State</th><th>all</th>{header}</tr>",
        *rows,
        f"<tr><th>total</th><th>{summary['behaviors']}</th>"
        + "".join(f"<th>{sum(summary['by_eligibility'][e].values())}</th>" for e in ELIGIBILITIES)
        + "</tr>",
        "</table>",
    ]


def _block_counts(rows: list[dict[str, Any]]) -> str:
    counts = [
        f"{n} {STATE_LABELS[state].lower()}"
        for state in (PASSED, FAILED, SKIPPED, NOT_RUN, OTHER)
        if (n := sum(r["state"] == state for r in rows))
    ]
    return "(" + ", ".join(counts) + ")"


def _html_block(anchor: str, block: str, rows: list[dict[str, Any]]) -> list[str]:
    parts = [f'<section id="{anchor}">', f"<h2>{_e(block or '(no block)')}</h2>", "<ul>"]
    for row in rows:
        parts.append(
            f'<li class="behavior">{_badge(row["state"])}'
            f"<strong>{_e(row['title'])}</strong> <code>{_e(row['behavior_id'])}</code> "
            f'<span class="tag">{_e(row["eligibility"])}</span>'
        )
        parts.append('<ul class="evidence">')
        parts += [_html_evidence(e) for e in row["evidence"]]
        parts += ["</ul>", "</li>"]
    parts += ["</ul>", "</section>"]
    return parts


def _html_evidence(evidence: dict[str, Any]) -> str:
    result = evidence["result"]
    status = result["status"] if result else NOT_RUN
    label = status.replace("_", " ")
    inactive = "" if evidence["active"] else ' <span class="inactive">(inactive)</span>'
    line = (
        f'<li><span class="tag {_e(status)}">{_e(label)}</span> '
        f"<code>{_e(evidence['nodeid'])}</code>{inactive}"
    )
    if result and result["message"]:
        line += f"<pre>{_e(result['message'])}</pre>"
    return line + "</li>"


def _html_unmatched(unmatched: list[dict[str, Any]]) -> list[str]:
    if not unmatched:
        return []
    return [
        "<h2>Results that match no evidence</h2>",
        "<ul>",
        *(
            f'<li><span class="tag {_e(r["status"])}">{_e(r["status"])}</span> '
            f"<code>{_e(r['nodeid'])}</code></li>"
            for r in unmatched
        ),
        "</ul>",
    ]
