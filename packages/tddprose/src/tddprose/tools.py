"""The functions the CLI and the MCP server share: compile, query, shape the JSON.

Every ``*_payload`` function is pure (a graph in, plain data out). ``query`` does
the I/O around them (config, lock, compile) for callers that are not the CLI, such
as the MCP server, and returns exactly what ``tddprose COMMAND --json`` prints.

The JSON shape of every command (``--json``)::

    {"command": "behaviors", "ok": true, "exit_code": 0, ...the command's keys}

and of every error (same exit code as without ``--json``)::

    {"command": "sync", "ok": false, "exit_code": 2, "error": "...", "fix": "..."}
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tddprose.config import REPORTS_DIR, SNAPSHOT_PATH, Config, find_root, load_config
from tddprose.errors import (
    ConfigError,
    ExitCode,
    LockBusy,
    RunnerError,
    SnapshotError,
    SpecError,
    TddProseError,
)
from tddprose.model import BehaviorGraph
from tddprose.queries import FILTERS

ENVELOPE_KEYS = ("command", "ok", "exit_code")
QUERIES = ("behaviors", "ready", "coverage")
OVERLAY_REPORT = "tdd-prose.report.json"  # what ``tddprose report`` writes into REPORTS_DIR

_FIXES: tuple[tuple[type[TddProseError], str], ...] = (
    (LockBusy, "wait for the other tddprose run to finish, or pass a longer --lock-timeout"),
    (
        RunnerError,
        "fix the collection error the message shows, or pass --no-runner to read the tests "
        "statically",
    ),
    (ConfigError, "fix .tdd-prose/config.yml as the message says, or run `tddprose init`"),
    (
        SnapshotError,
        f"fix {SNAPSHOT_PATH} as the message says, or restore it from git and run "
        "`tddprose sync --apply`",
    ),
    (SpecError, "repair the tdd-prose markers of the spec file at the line the message names"),
)


class ToolInputError(TddProseError):
    """A query's argument is wrong (exit 2). ``fix`` says what to pass instead."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


def error_text(exc: BaseException) -> str:
    """The problem, without the fix when the error keeps them apart."""
    problem = getattr(exc, "problem", None)
    return problem if isinstance(problem, str) and problem else str(exc)


def fix_for(exc: BaseException) -> str:
    """What the user should do about ``exc`` (its own ``fix`` when it carries one)."""
    fix = getattr(exc, "fix", None)
    if isinstance(fix, str) and fix:
        return fix
    for kind, text in _FIXES:
        if isinstance(exc, kind):
            return text
    if type(exc).__name__ == "ResultsError":
        return "pass a JUnit XML, pytest-json-report or CTRF file (see `tddprose report --help`)"
    return "see the error message"


def envelope(command: str | None, payload: dict[str, Any], exit_code: int = 0) -> dict[str, Any]:
    """A command's JSON output: its payload plus ``command``, ``ok`` and ``exit_code``."""
    return {**payload, "command": command, "ok": int(exit_code) == 0, "exit_code": int(exit_code)}


def error_envelope(command: str | None, error: str, fix: str, exit_code: int) -> dict[str, Any]:
    return envelope(command, {"error": error, "fix": fix}, exit_code)


def dumps(data: Any) -> str:
    """The CLI's JSON text: sorted keys, two-space indent (one trailing newline added
    by the caller)."""
    return json.dumps(data, indent=2, sort_keys=True)


def print_json(data: Any) -> None:
    """The CLI's JSON text, on stdout."""
    print(dumps(data))


# --- compiling ------------------------------------------------------------------------


def compile_plan(root: Path, config: Config, *, runner: bool, early_exit: bool = False):
    """Compile, and keep what the run cached (parses, block bodies, the manifest)."""
    from tddprose.compiler import compile_repo, state_for

    state = state_for(root, config)
    plan = compile_repo(root, config, runner=runner, state=state, allow_early_exit=early_exit)
    state.save()
    return plan, state


# --- payloads (pure) ------------------------------------------------------------------


def behaviors_payload(graph: BehaviorGraph, filter_name: str | None = None) -> dict[str, Any]:
    from tddprose.queries import behaviors_view

    if filter_name is not None and filter_name not in FILTERS:
        raise ToolInputError(
            f"unknown filter {filter_name!r}", f"use one of {', '.join(FILTERS)}, or no filter"
        )
    return behaviors_view(graph, filter_name)


def ready_payload(
    graph: BehaviorGraph, overlay: dict[str, str] | None = None, overlay_path: str | None = None
) -> dict[str, Any]:
    from tddprose.queries import ready_view

    return ready_view(graph, overlay, overlay_path)


def coverage_payload(graph: BehaviorGraph, config: Config) -> dict[str, Any]:
    from tddprose.queries import coverage_view

    return coverage_view(graph, config)


def with_content_hashes(entries: list[dict[str, Any]], graph: BehaviorGraph) -> list[dict]:
    """``entries`` (dicts with a ``behavior_id``) with the behavior's ``content_hash``
    (None for one the graph no longer has)."""
    hashes = {b.behavior_id: b.content_hash for b in graph.behaviors}
    return [{**e, "content_hash": hashes.get(e["behavior_id"])} for e in entries]


def diff_payload(diff: dict[str, Any], graph: BehaviorGraph) -> dict[str, Any]:
    """The behavior diff, each added, changed or orphaned entry with its content hash."""
    return {
        **diff,
        **{k: with_content_hashes(diff[k], graph) for k in ("added", "changed", "orphaned")},
    }


# --- the run overlay ------------------------------------------------------------------


def overlay_location(root: Path) -> Path:
    return root / REPORTS_DIR / OVERLAY_REPORT


def load_overlay(root: Path) -> tuple[str | None, dict[str, str] | None]:
    """The last run overlay ``tddprose report`` wrote: (its path, behavior id -> state),
    or (None, None) when there is none."""
    path = overlay_location(root)
    shown = f"{REPORTS_DIR}/{OVERLAY_REPORT}"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TddProseError(
            f"{shown}: unreadable run overlay ({exc}); delete it, or write it again with "
            "`tddprose report --from FILE`, or pass --no-overlay"
        ) from None
    rows = data.get("behaviors") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and isinstance(r.get("behavior_id"), str) for r in rows
    ):
        raise TddProseError(
            f"{shown}: not a tddprose run overlay; delete it, or write it again with "
            "`tddprose report --from FILE`, or pass --no-overlay"
        )
    return shown, {r["behavior_id"]: str(r.get("state", "")) for r in rows}


# --- dependencies ---------------------------------------------------------------------


def import_dependencies(
    root: Path, intent: Path, *, where: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Record an intent file's ``depends_on``/``related_to`` in the snapshot.
    ``where`` names the file in messages (default: its path)."""
    from tddprose.dependencies import import_links, read_intent
    from tddprose.files import write_if_changed
    from tddprose.snapshot import load_snapshot

    where = where or intent.as_posix()
    declared = read_intent(intent, where)
    snapshot = load_snapshot(root / SNAPSHOT_PATH, SNAPSHOT_PATH)
    updated, changes = import_links(snapshot, declared, where)
    written = False
    if changes and not dry_run:
        written = write_if_changed(root / SNAPSHOT_PATH, updated.to_text())
    return {
        "intent": where,
        "declared": len(declared),
        "changed": changes,
        "written": written,
        "dry_run": dry_run,
        "snapshot": SNAPSHOT_PATH,
    }


# --- queries for callers other than the CLI -------------------------------------------


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Nothing a query prints may reach stdout (the MCP stdio transport owns it)."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def query(
    root: Path | None,
    command: str,
    *,
    runner: bool = True,
    lock_timeout: float = 30.0,
    filter_name: str | None = None,
    use_overlay: bool = True,
) -> dict[str, Any]:
    """Load the config, take the run lock, compile and answer one query: the same
    object ``tddprose COMMAND --json`` prints. Raises ``TddProseError``."""
    from tddprose.state import run_lock

    if command not in QUERIES:
        raise ToolInputError(f"unknown query {command!r}", f"use one of {', '.join(QUERIES)}")
    root = (root or find_root(Path.cwd())).resolve()
    with stdout_to_stderr():
        config = load_config(root)
        with run_lock(root / ".tdd-prose", lock_timeout):
            plan, _ = compile_plan(root, config, runner=runner)
            if command == "behaviors":
                payload = behaviors_payload(plan.graph, filter_name)
            elif command == "ready":
                overlay_path, overlay = load_overlay(root) if use_overlay else (None, None)
                payload = ready_payload(plan.graph, overlay, overlay_path)
            else:
                payload = coverage_payload(plan.graph, config)
    return envelope(command, payload, ExitCode.OK)


# --- the authoring commands, for callers other than the CLI ---------------------------
