"""Flake detection: outcome histories -> per-test flake rate and failure clusters.

A test is flaky when it both passed and failed on the same source tree. Failures are
clustered by signature: exception type, normalised message and top frame.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .artifacts import ArtifactError, embedded_hash_ok, read_json, write_hashed_json
from .config import TprConfig
from .errors import TprError
from .events import EventLog
from .pytest_process import INCOMPLETE_EXIT_CODES, run_pytest
from .risk import emit_trigger

HISTORY_DIR = "history"
FLAKE_REPORT_NAME = "flake.report.json"
HISTORY_FIX = "delete it (every pytest run writes a new one)"
# pytest exit codes after which a rerun has nothing to compare
OUTPUT_TAIL_LINES = 20

_TMP_DIRS = sorted({"/tmp", "/private/var", tempfile.gettempdir()}, key=len, reverse=True)
_NORMALISERS = (
    (re.compile(r"0x[0-9a-fA-F]+"), "<hex>"),
    (re.compile("(?:" + "|".join(map(re.escape, _TMP_DIRS)) + r")/[^\s'\":]+"), "<tmp>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"), "<uuid>"),
    (
        re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"),
        "<time>",
    ),
    # A number not inside a name ("py311" stays), units may follow ("12ms" -> "<n>ms").
    (re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
)


class FlakeError(TprError, ValueError):
    """Flake reruns cannot go on; the message says why and shows pytest's output."""


def normalise_message(text: str) -> str:
    """The message with addresses, temporary paths, ids, times and numbers replaced, so
    the same failure with different values falls in one cluster."""
    for pattern, replacement in _NORMALISERS:
        text = pattern.sub(replacement, text)
    return text.strip()[:300]


def signature_of_report(report: Any, root: Path) -> dict[str, str]:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None:
        message = crash.message or ""
        path = Path(crash.path)
        if path.is_relative_to(root):
            path = path.relative_to(root)
        frame = f"{path.as_posix()}:{crash.lineno}"
    else:
        message = str(getattr(report, "longrepr", "") or "").strip().splitlines()
        message = message[-1] if message else ""
        frame = ""
    first_line = message.splitlines()[0] if message else ""
    head, _, rest = first_line.partition(":")
    if re.fullmatch(r"[A-Za-z_][\w.]*", head.strip()):
        exception, detail = head.strip(), rest.strip()  # "KeyError" alone has no detail
    else:
        exception, detail = "Error", first_line
    normalised = normalise_message(detail)
    return {
        "exception": exception,
        "message": normalised,
        "frame": frame,
        "key": f"{exception}|{normalised}|{frame}",
    }


def _history_problem(history: Any) -> str | None:
    """What makes ``history`` unusable, or None."""
    if not isinstance(history, dict):
        return "not a JSON object"
    if not isinstance(history.get("run_id"), str):
        return "no 'run_id'"
    if not (history.get("tree") is None or isinstance(history["tree"], str)):
        return "'tree' is not a string"
    outcomes = history.get("outcomes")
    if not isinstance(outcomes, dict):
        return "no 'outcomes' object"
    for nodeid, entry in outcomes.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("outcome"), str)
            and (entry.get("signature") is None or isinstance(entry["signature"], dict))
        ):
            return f"the entry of {nodeid!r} is not {{outcome, signature}}"
    return None


def load_histories(
    artifacts: Path, run_ids: set[str] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """(histories in time order, warnings). An unreadable history is skipped with a
    warning naming the file; ``run_ids`` keeps only those runs."""
    histories, warnings = [], []
    # The outcomes plugin names each file after the UTC time to the microsecond first,
    # so name order is time order (the "timestamp" field only has seconds).
    for path in sorted((artifacts / HISTORY_DIR).glob("*.json")):
        try:
            history = read_json(path, what="outcome history", fix=HISTORY_FIX)
        except ArtifactError as exc:
            warnings.append(f"skipped {exc}")
            continue
        problem = _history_problem(history)
        if problem is not None:
            warnings.append(f"skipped {path}: outcome history has {problem}; {HISTORY_FIX}")
        elif run_ids is None or history["run_id"] in run_ids:
            histories.append(history)
    return histories, warnings


# outcome -> the count it adds to; any other outcome (skipped, xfailed, xpassed) was
# decided by a mark, says nothing about flakiness and counts as "skipped"
_COUNTED = {"passed": "passed", "failed": "failed", "error": "failed"}


def _signature(entry: dict[str, Any]) -> dict[str, str]:
    sig = entry.get("signature") or {}
    exception, message, frame = (str(sig.get(k, "")) for k in ("exception", "message", "frame"))
    exception = exception or "Error"
    key = str(sig.get("key") or f"{exception}|{message}|{frame}")
    return {"exception": exception, "message": message, "frame": frame, "key": key}


def classify(histories: Iterable[dict[str, Any]], *, threshold: float) -> dict[str, Any]:
    """Per-test counts and flakiness, the flake rate and the failure clusters."""
    histories = list(histories)
    counts: dict[str, dict[str, int]] = {}
    seen: dict[tuple[str, str | None], set[str]] = {}  # (test, tree) -> passed/failed
    clusters: dict[str, dict[str, Any]] = {}
    for history in histories:
        tree = history.get("tree")  # None outside git: all such runs count as one tree
        for nodeid, entry in history["outcomes"].items():
            test = counts.setdefault(nodeid, {"runs": 0, "passed": 0, "failed": 0, "skipped": 0})
            kind = _COUNTED.get(entry["outcome"], "skipped")
            test["runs"] += 1
            test[kind] += 1
            if kind == "skipped":
                continue
            seen.setdefault((nodeid, tree), set()).add(kind)
            if kind == "failed":
                sig = _signature(entry)
                cluster = clusters.setdefault(sig["key"], {**sig, "count": 0, "tests": set()})
                cluster["count"] += 1
                cluster["tests"].add(nodeid)

    flaky = {nodeid for (nodeid, _), kinds in seen.items() if len(kinds) == 2}
    tests = {}
    for nodeid in sorted(counts):
        test = counts[nodeid]
        decided = test["passed"] + test["failed"]
        rate = test["failed"] / decided if decided else None
        tests[nodeid] = {**test, "rate": rate, "flaky": nodeid in flaky}
    decided_tests = sum(1 for test in tests.values() if test["rate"] is not None)
    flake_rate = len(flaky) / decided_tests if decided_tests else 0.0
    trees = {history.get("tree") for history in histories}
    return {
        "runs": len(histories),
        "trees": sorted(trees, key=lambda tree: (tree is not None, tree or "")),
        "threshold": threshold,
        "flake_rate": flake_rate,
        "spike": flake_rate > threshold,
        "tests": tests,
        "flaky_tests": sorted(flaky),
        "failure_clusters": [
            {
                "key": key,
                "exception": c["exception"],
                "message": c["message"],
                "frame": c["frame"],
                "count": c["count"],
                "tests": sorted(c["tests"]),
            }
            for key, c in sorted(clusters.items(), key=lambda kc: (-kc[1]["count"], kc[0]))
        ],
    }


def write_flake_report(
    root: Path,
    config: TprConfig,
    log: EventLog,
    histories: Iterable[dict[str, Any]],
    *,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """Classify, write ``flake.report.json`` (hash embedded), log the scan and a spike."""
    histories = list(histories)
    report = classify(histories, threshold=config.flake_rate_threshold)
    report["run_ids"] = sorted({h["run_id"] for h in histories})
    report["warnings"] = list(warnings)
    digest = write_hashed_json(config.artifacts(root) / FLAKE_REPORT_NAME, report)
    report["sha256"] = digest
    log.emit(
        "flake_scan_complete",
        runs=report["runs"],
        tests=len(report["tests"]),
        flaky_tests=len(report["flaky_tests"]),
        flake_rate=report["flake_rate"],
        clusters=len(report["failure_clusters"]),
        report=FLAKE_REPORT_NAME,
    )
    if report["spike"]:
        emit_trigger(
            log,
            "flake_rate_spike",
            rate=report["flake_rate"],
            threshold=report["threshold"],
            flaky_tests=report["flaky_tests"],
            artifact=FLAKE_REPORT_NAME,
        )
    return report


def latest_flake_rate(root: Path, config: TprConfig) -> dict[str, Any] | None:
    """The last flake report's rate; None when there is none or it is unusable."""
    path = config.artifacts(root) / FLAKE_REPORT_NAME
    try:
        report = read_json(path, what="flake report", fix="run `tpr flake`")
        if not embedded_hash_ok(report):
            return None
        return {
            "rate": float(report["flake_rate"]),
            "threshold": float(report["threshold"]),
            "flaky_tests": list(report["flaky_tests"]),
        }
    except (ArtifactError, AttributeError, KeyError, TypeError, ValueError):
        return None


def _run_counts(paths: Sequence[Path], run_id: str) -> str | None:
    """'12 passed, 1 failed' from the history a rerun wrote; None without one."""
    histories = [read_json(p, what="outcome history", fix=HISTORY_FIX) for p in paths]
    mine = [h for h in histories if _history_problem(h) is None and h["run_id"] == run_id]
    if not mine:
        return None
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for entry in mine[-1]["outcomes"].values():
        totals[_COUNTED.get(entry["outcome"], "skipped")] += 1
    text = f"{totals['passed']} passed, {totals['failed']} failed"
    return text + (f", {totals['skipped']} skipped" if totals["skipped"] else "")


def run_flake(
    root: Path,
    config: TprConfig,
    log: EventLog,
    *,
    runs: int,
    tests: Sequence[str],
    pytest_args: Sequence[str] = (),
    echo: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Rerun ``tests`` ``runs`` times (fail-fast off), then classify the runs and write
    ``flake.report.json``."""
    if runs < 1:
        raise FlakeError(f"--runs {runs}: need at least 1 run (2 or more to see a flake)")
    artifacts = config.artifacts(root)
    history_dir = artifacts / HISTORY_DIR
    args = [*tests, "-p", "no:cacheprovider", "-q", f"--tpr-dir={artifacts}", *pytest_args]
    env = {
        "TPR_FAILFAST_MODE": "off",
        # Each pytest run prunes the history to history_runs files: keep all the reruns.
        "TPR_HISTORY_RUNS": str(max(config.history_runs, runs)),
    }
    for number in range(1, runs + 1):
        before = set(history_dir.glob("*.json"))
        result = run_pytest(args, root=root, log=log, env=env, capture=True)
        if result.exit_code in INCOMPLETE_EXIT_CODES:
            raise FlakeError(
                f"pytest run {number}/{runs} ended with exit code {result.exit_code} "
                f"({INCOMPLETE_EXIT_CODES[result.exit_code]}); check the test paths and options. "
                f"pytest said:\n{result.tail(OUTPUT_TAIL_LINES)}"
            )
        try:
            summary = _run_counts(sorted(set(history_dir.glob("*.json")) - before), log.run_id)
        except ArtifactError:
            summary = None
        summary = summary or f"no outcomes recorded, exit code {result.exit_code}"
        echo(f"run {number}/{runs}: {summary} ({result.wall_s:.1f} s)")

    histories, warnings = load_histories(artifacts, {log.run_id})
    if not histories:
        raise FlakeError(
            f"no outcome history of run {log.run_id} in {history_dir}; is the outcomes "
            "plugin switched off (-p no:tpr_outcomes)?"
        )
    if len(histories) < runs:
        warnings.append(f"{runs} runs requested, {len(histories)} recorded outcomes")
    return write_flake_report(root, config, log, histories, warnings=warnings)


def format_flake(report: dict[str, Any], *, clusters: int = 5) -> str:
    """A short summary: the rate, the flaky tests with their failure rates, the top
    failure clusters."""
    verdict = "SPIKE" if report["spike"] else "ok"
    lines = [
        f"flake scan: {report['runs']} runs, {len(report['tests'])} tests, "
        f"{len(report['flaky_tests'])} flaky; flake rate {report['flake_rate']:.1%} "
        f"(threshold {report['threshold']:.1%}): {verdict}"
    ]
    if report["flaky_tests"]:
        lines.append("flaky tests:")
        for nodeid in report["flaky_tests"]:
            test = report["tests"][nodeid]
            decided = test["passed"] + test["failed"]
            lines.append(f"  {nodeid}: failed {test['failed']}/{decided} ({test['rate']:.1%})")
    if report["failure_clusters"]:
        lines.append("failure clusters:")
        for cluster in report["failure_clusters"][:clusters]:
            where = f" at {cluster['frame']}" if cluster["frame"] else ""
            message = f": {cluster['message']}" if cluster["message"] else ""
            count = len(cluster["tests"])
            lines.append(
                f"  {cluster['count']}x {cluster['exception']}{message}{where} "
                f"({count} test{'s' if count != 1 else ''})"
            )
        if len(report["failure_clusters"]) > clusters:
            lines.append(f"  ... {len(report['failure_clusters']) - clusters} more")
    lines.extend(f"warning: {warning}" for warning in report.get("warnings", ()))
    return "\n".join(lines)
