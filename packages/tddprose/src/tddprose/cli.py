"""The ``tddprose`` command.

Exit codes: 0 ok; 1 a check failed (drift, error diagnostics, CI thresholds);
2 bad input (config, snapshot, spec regions, results file, usage);
3 another run holds the lock; 4 the runner collection failed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import sys
from pathlib import Path

from tddprose import __version__
from tddprose.authoring_cli import (
    AUTHORING_COMMANDS,
    UNLOCKED,
    add_authoring_commands,
    interview_command,
)
from tddprose.config import REPORTS_DIR, SNAPSHOT_PATH, find_root, load_config, write_starter
from tddprose.errors import ExitCode, SnapshotError, TddProseError
from tddprose.queries import FILTERS
from tddprose.tools import print_json

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_LOCKED, EXIT_RUNNER = (
    ExitCode.OK,
    ExitCode.FAILED,
    ExitCode.BAD_INPUT,
    ExitCode.LOCKED,
    ExitCode.RUNNER_FAILED,
)

EPILOG = """\
exit codes: 0 ok, 1 check failed, 2 bad input, 3 lock busy, 4 runner collection failed

typical use:
  tddprose init                  write .tdd-prose/config.yml
  tddprose sync --apply          regenerate spec/ and the mapping snapshot
  tddprose check                 in CI: fail when spec/ drifts from the tests
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tddprose",
        description="Compile this repository's tests into a plain-English behavior ledger.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tddprose {__version__}")
    parser.add_argument("--root", type=Path, help="repository root (default: search upwards)")
    parser.add_argument(
        "--lock-timeout", type=float, default=30.0, help="seconds to wait for another run"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def graph_command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--no-runner",
            action="store_true",
            help="read the tests statically only; run no test code (untrusted repositories)",
        )
        return sub

    init = commands.add_parser("init", help="write a starter .tdd-prose/config.yml")
    init.add_argument("--force", action="store_true", help="replace an existing config")
    sync = graph_command("sync", "compile the tests; show (--diff) or write (--apply) changes")
    sync.add_argument("--diff", action="store_true", help="print a unified diff of the changes")
    sync.add_argument("--apply", action="store_true", help="write the spec and the snapshot")
    check = graph_command("check", "fail when the spec drifts from the tests or CI limits break")
    check.add_argument(
        "--github", action="store_true", help="print GitHub annotations (default on Actions)"
    )
    check.add_argument("--quiet", action="store_true", help="print failures only, no diffs")
    coverage = graph_command("coverage", "behaviors per tier, orphan tests, weak evidence")
    coverage.add_argument("--json", action="store_true", help="machine-readable output")
    behaviors = graph_command("behaviors", "the behavior graph as JSON (for agents)")
    behaviors.add_argument("--json", action="store_true", help="JSON output (the only format)")
    behaviors.add_argument("--filter", choices=FILTERS)
    ready = graph_command("ready", "actionable gaps as JSON (orphaned, needs review, weak)")
    ready.add_argument("--json", action="store_true", help="JSON output (the only format)")
    ready.add_argument(
        "--no-overlay",
        action="store_true",
        help="ignore the last run overlay (tddprose report): failing evidence then counts",
    )
    diff = graph_command("diff", "behavior changes against a git ref's snapshot (for PRs)")
    diff.add_argument("--base", help="git ref whose snapshot is the base (default: the file)")
    diff.add_argument("--github", action="store_true", help="also print GitHub annotations")
    forget = graph_command(
        "forget", "remove orphaned behaviors from the snapshot (the only way one is removed)"
    )
    forget.add_argument("behavior_ids", nargs="*", metavar="BEHAVIOR_ID")
    forget.add_argument("--all-orphaned", action="store_true", help="every orphaned behavior")
    report = graph_command("report", "overlay test results on the behaviors (never touches spec/)")
    report.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        help="JUnit XML (pytest --junitxml), pytest-json-report JSON or CTRF JSON",
    )
    add_authoring_commands(commands, graph_command)
    deps = commands.add_parser(
        "deps", help="behavior dependencies (depends_on, related_to) kept in the snapshot"
    )
    deps_actions = deps.add_subparsers(dest="deps_action", required=True, metavar="ACTION")
    deps_import = deps_actions.add_parser(
        "import",
        help="record the depends_on/related_to of an intent file's behaviors in the snapshot",
    )
    deps_import.add_argument("intent", type=Path, metavar="INTENT", help="Behavior Intent JSON")
    deps_import.add_argument("--dry-run", action="store_true", help="check, write nothing")
    deps_import.add_argument("--json", action="store_true", help="machine-readable output")
    graph_command("mcp", "serve behaviors, ready and coverage as MCP tools (stdio)")
    for sub in commands.choices.values():
        with contextlib.suppress(argparse.ArgumentError):  # a command that has it already
            sub.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _root(args) -> Path:
    if args.root is not None:
        return args.root.resolve()
    return find_root(Path.cwd())


def _compile(root: Path, config, args, *, early_exit: bool = False):
    """Compile, and keep what the run cached (parses, block bodies, the manifest)."""
    from tddprose.tools import compile_plan

    return compile_plan(root, config, runner=not args.no_runner, early_exit=early_exit)


# --json: what the running command reports; ``_main_json`` prints it (see tools.py).
_json_result: dict = {}


def _record(payload: dict) -> None:
    _json_result.clear()
    _json_result.update(payload)


def _wants_annotations(args) -> bool:
    return args.github or os.environ.get("GITHUB_ACTIONS") == "true"


def _sync(root, config, args) -> int:
    from tddprose.compiler import apply_plan

    plan, state = _compile(root, config, args, early_exit=not args.diff)
    applied = bool(args.apply)
    if plan.up_to_date:
        _record({"up_to_date": True, "applied": applied, "changes": [], "written": []})
        print("tddprose: up to date (no test, snapshot or spec file changed since the last sync)")
        return EXIT_OK
    changes = plan.changes
    errors = [d.to_json() for d in plan.diagnostics if d.severity == "error"]
    _record({"up_to_date": False, "applied": applied, "changes": changes, "written": []})
    _json_result["errors"] = errors
    if args.diff:
        from tddprose.checks import unified_diffs

        diffs = unified_diffs(plan)
        _json_result["diff"] = "".join(diffs)
        sys.stdout.writelines(diffs)
    for diagnostic in plan.diagnostics:
        if diagnostic.severity == "error":
            print(diagnostic.describe(), file=sys.stderr)
    if args.apply:
        written = apply_plan(root, plan, state)
        state.save()
        _json_result["written"] = written
        verb = "wrote" if written else "no changes;"
        print(f"tddprose: {verb} {len(written)} file(s)" + "".join(f"\n  {p}" for p in written))
        return EXIT_OK
    if changes:
        print(f"tddprose: {len(changes)} file(s) would change (run with --apply to write):")
        for path in changes:
            print(f"  {path}")
    else:
        print("tddprose: no changes")
    return EXIT_OK


def _check(root, config, args) -> int:
    from tddprose.behavior_diff import github_annotations
    from tddprose.checks import run_check

    plan, _ = _compile(root, config, args)
    result = run_check(root, config, plan)
    _record(
        {
            "behaviors": len(plan.graph.behaviors),
            "tests": len(plan.graph.tests),
            "failures": result.failures,
            "drift": plan.changes,
            "stale": result.stale,
            "diagnostics": [d.to_json() for d in result.diagnostics],
            "behavior_diff": result.diff["summary"],
            "reports": REPORTS_DIR,
        }
    )
    if not result.ok:
        _json_result["error"] = "; ".join(result.failures)
        _json_result["fix"] = (
            "run `tddprose sync --apply` and commit the result"
            if plan.changes
            else "fix what the diagnostics name (each carries its fix)"
        )
    if not args.quiet:
        sys.stdout.writelines(result.diffs)
    for d in result.diagnostics:
        print(f"{d.severity}: {d.describe()}")
    if _wants_annotations(args):
        print("\n".join(github_annotations(result.diagnostics, result.diff)))
    behaviors = plan.graph.behaviors
    print(
        f"tddprose check: {len(behaviors)} behaviors from {len(plan.graph.tests)} tests; "
        f"reports in {REPORTS_DIR}/"
    )
    if result.ok:
        print("tddprose check: ok")
        return EXIT_OK
    for failure in result.failures:
        print(f"FAILED: {failure}")
    return EXIT_FAILED


def _coverage(root, config, args) -> int:
    from tddprose.queries import coverage_text
    from tddprose.tools import coverage_payload

    plan, _ = _compile(root, config, args)
    view = coverage_payload(plan.graph, config)
    _record(view)
    if args.json:
        print_json(view)
    else:
        sys.stdout.write(coverage_text(view))
    return EXIT_OK


def _behaviors(root, config, args) -> int:
    from tddprose.tools import behaviors_payload

    plan, _ = _compile(root, config, args)
    view = behaviors_payload(plan.graph, args.filter)
    _record(view)
    print_json(view)
    return EXIT_OK


def _ready(root, config, args) -> int:
    from tddprose.tools import load_overlay, ready_payload

    plan, _ = _compile(root, config, args)
    overlay_path, overlay = (None, None) if args.no_overlay else load_overlay(root)
    view = ready_payload(plan.graph, overlay, overlay_path)
    _record(view)
    print_json(view)
    return EXIT_OK


def _base_snapshot(root: Path, ref: str):
    import subprocess

    from tddprose.snapshot import Snapshot, parse_snapshot

    try:
        completed = subprocess.run(
            ["git", "show", f"{ref}:{SNAPSHOT_PATH}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise SnapshotError("--base needs git, which is not installed") from None
    if completed.returncode != 0:
        if "does not exist" in completed.stderr or "exists on disk" in completed.stderr:
            return Snapshot()
        raise SnapshotError(f"--base {ref}: {completed.stderr.strip()}; pass a valid git ref")
    return parse_snapshot(completed.stdout, f"{ref}:{SNAPSHOT_PATH}")


def _diff(root, config, args) -> int:
    from tddprose.behavior_diff import (
        behavior_diff,
        diff_markdown,
        github_annotations,
        write_behavior_diff,
    )

    plan, _ = _compile(root, config, args)
    base = _base_snapshot(root, args.base) if args.base else plan.previous_snapshot
    diff = behavior_diff(base, plan.snapshot, plan.graph)
    write_behavior_diff(root / REPORTS_DIR, diff)
    from tddprose.tools import diff_payload

    _record({**diff_payload(diff, plan.graph), "base": args.base})
    sys.stdout.write(diff_markdown(diff))
    if _wants_annotations(args):
        print("\n".join(github_annotations([], diff)))
    return EXIT_OK


def _report(root, config, args) -> int:
    from tddprose.overlay import build_overlay, evidence_nodeids, write_report
    from tddprose.results import match_results, read_results

    source = args.source if args.source.is_absolute() else Path.cwd() / args.source
    results = read_results(source)
    plan, _ = _compile(root, config, args)
    matched, unmatched = match_results(results, evidence_nodeids(plan.graph))
    report = build_overlay(plan.graph, matched, unmatched)
    written = write_report(report, root / REPORTS_DIR, args.source.name)
    summary = report["summary"]
    shown = [p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p) for p in written]
    _record({"summary": summary, "written": shown, "source": args.source.name})
    print(f"tddprose report: {len(matched)} results matched, {len(unmatched)} unmatched")
    print(json.dumps(summary, sort_keys=True))
    for path in written:
        print(f"  {path.relative_to(root).as_posix() if path.is_relative_to(root) else path}")
    return EXIT_OK


def _forget(root, config, args) -> int:
    from tddprose.files import write_if_changed
    from tddprose.model import ORPHANED

    plan, _ = _compile(root, config, args)
    statuses = {b.behavior_id: b.status for b in plan.graph.behaviors}
    wanted = set(args.behavior_ids)
    if args.all_orphaned:
        wanted |= {b for b, s in statuses.items() if s == ORPHANED}
    if not wanted:
        print("tddprose: name behavior ids to forget, or pass --all-orphaned", file=sys.stderr)
        return EXIT_INPUT
    for behavior_id in sorted(wanted):
        if behavior_id not in plan.previous_snapshot.behaviors:
            print(f"tddprose: {behavior_id}: not in {SNAPSHOT_PATH}", file=sys.stderr)
            return EXIT_INPUT
        if statuses.get(behavior_id) != ORPHANED:
            print(
                f"tddprose: {behavior_id} still has tests ({statuses.get(behavior_id)}); "
                "only orphaned behaviors can be forgotten",
                file=sys.stderr,
            )
            return EXIT_INPUT
    snapshot = plan.previous_snapshot.without(wanted)  # and the dependencies on them
    write_if_changed(root / SNAPSHOT_PATH, snapshot.to_text())
    _record({"forgotten": sorted(wanted), "next": "tddprose sync --apply"})
    for behavior_id in sorted(wanted):
        print(f"forgot {behavior_id}")
    print("next: tddprose sync --apply")
    return EXIT_OK


def _deps(root, config, args) -> int:
    from tddprose.tools import import_dependencies

    intent = args.intent if args.intent.is_absolute() else Path.cwd() / args.intent
    result = import_dependencies(root, intent, where=args.intent.as_posix(), dry_run=args.dry_run)
    _record(result)
    verb = "would record" if args.dry_run else "recorded"
    print(f"tddprose: {verb} the links of {len(result['changed'])} behavior(s) in {SNAPSHOT_PATH}")
    for change in result["changed"]:
        depends = ", ".join(change["depends_on"]) or "nothing"
        related = ", ".join(change["related_to"]) or "nothing"
        print(f"  {change['behavior_id']}: depends on {depends}; related to {related}")
    return EXIT_OK


def _mcp(root, config, args) -> int:
    """Serve until the client leaves; outside the run lock (each tool call takes it)."""
    from tddprose.mcp_server import serve

    gc.enable()  # a long-lived process: cycles must be collected
    serve(root, runner=not args.no_runner, lock_timeout=args.lock_timeout)
    return EXIT_OK


_COMMANDS = {
    "deps": _deps,
    "forget": _forget,
    "sync": _sync,
    "check": _check,
    "coverage": _coverage,
    "behaviors": _behaviors,
    "ready": _ready,
    "diff": _diff,
    "report": _report,
}


_COMMANDS.update(AUTHORING_COMMANDS)


def main(argv: list[str] | None = None) -> int:
    # A short-lived process that allocates tens of thousands of small acyclic objects:
    # the cyclic collector only costs time here (about 10 % of an incremental sync).
    gc.disable()
    try:
        return _main_json(argv) if _wants_json(argv) else _main(argv)
    finally:
        gc.enable()


def _wants_json(argv: list[str] | None) -> bool:
    return "--json" in (sys.argv[1:] if argv is None else argv)


def _command_in(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (for errors argparse raised before naming it)."""
    (subcommands,) = [a for a in _parser()._actions if a.dest == "command"]
    choices = set(subcommands.choices)
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in ("--root", "--lock-timeout"):
            skip = True
        elif not token.startswith("-"):
            return token if token in choices else None
    return None


def _main_json(argv: list[str] | None) -> int:
    """``--json``: run the command with its text output held back, then print one JSON
    object: the command's own result, or its error with the fix (tools.py documents the
    shape). The exit code is the command's."""
    from tddprose.tools import dumps, envelope, error_envelope

    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(argv)
    _json_result.clear()
    if command == "mcp":  # stdout belongs to the protocol: only a startup error is printed
        code = _main(argv)
        if code != EXIT_OK and "error" in _json_result:
            failure = error_envelope(command, _json_result["error"], _json_result["fix"], code)
            print(dumps(failure))
        return code
    out, err = io.StringIO(), io.StringIO()
    usage = False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = _main(argv)
        except SystemExit as exc:  # argparse: a usage error (2), or --help / --version (0)
            code = exc.code if isinstance(exc.code, int) else EXIT_INPUT
            usage = code != EXIT_OK
    sys.stderr.write(err.getvalue())
    result = dict(_json_result)
    if usage:
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        error = lines[-1] if lines else "usage error"
        fix = f"see `tddprose {command} --help`" if command else "see `tddprose --help`"
        result = {"error": error.split(": error: ", 1)[-1], "fix": fix}
    elif not result:  # a command without its own JSON result: its text, or its JSON
        text = out.getvalue()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        result = parsed if isinstance(parsed, dict) else {"text": text}
        if code != EXIT_OK and "error" not in result:
            lines = [line for line in err.getvalue().splitlines() if line.strip()]
            result["error"] = lines[-1].removeprefix("tddprose: ") if lines else "failed"
            result["fix"] = "see the error message"
    if "error" in result and code != EXIT_OK and set(result) <= {"error", "fix"}:
        data = error_envelope(command, result["error"], result.get("fix", ""), code)
    else:
        data = envelope(command, result, code)
    print(dumps(data))
    return code


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            root = (args.root or Path.cwd()).resolve()
            written = write_starter(root, force=args.force)
            _record({"written": [p.relative_to(root).as_posix() for p in written]})
            for path in written:
                print(f"wrote {path.relative_to(root).as_posix()}")
            print("next: tddprose sync --apply")
            return EXIT_OK
        if args.command == "interview":
            return interview_command(args)
        root = _root(args)
        config = load_config(root)
        if args.command in UNLOCKED:
            return _COMMANDS[args.command](root, config, args)
        if args.command == "mcp":
            return _mcp(root, config, args)
        from tddprose.state import run_lock

        with run_lock(root / ".tdd-prose", args.lock_timeout):
            return _COMMANDS[args.command](root, config, args)
    except TddProseError as exc:
        print(f"tddprose: error: {exc}", file=sys.stderr)
        from tddprose.tools import error_text, fix_for

        _record({"error": error_text(exc), "fix": fix_for(exc)})
        return exc.exit_code
    except KeyboardInterrupt:
        _record({"error": "interrupted", "fix": "run the command again"})
        print(
            "tddprose: interrupted; nothing was half-written (writes are atomic)", file=sys.stderr
        )
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
