"""The ``tddprose`` command.

Exit codes: 0 ok; 1 a check failed (drift, error diagnostics, CI thresholds);
2 bad input (config, snapshot, spec regions, results file, usage);
3 another run holds the lock; 4 the runner collection failed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from tddprose import __version__
from tddprose.config import REPORTS_DIR, SNAPSHOT_PATH, find_root, load_config, write_starter
from tddprose.errors import ExitCode, SnapshotError, TddProseError

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
    behaviors.add_argument("--filter", choices=("orphaned", "needs-review", "weak-evidence"))
    ready = graph_command("ready", "actionable gaps as JSON (orphaned, needs review, weak)")
    ready.add_argument("--json", action="store_true", help="JSON output (the only format)")
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
    return parser


def _root(args) -> Path:
    if args.root is not None:
        return args.root.resolve()
    return find_root(Path.cwd())


def _compile(root: Path, config, args, *, early_exit: bool = False):
    """Compile, and keep what the run cached (parses, block bodies, the manifest)."""
    from tddprose.compiler import compile_repo, state_for

    state = state_for(root, config)
    plan = compile_repo(
        root, config, runner=not args.no_runner, state=state, allow_early_exit=early_exit
    )
    state.save()
    return plan, state


def _wants_annotations(args) -> bool:
    return args.github or os.environ.get("GITHUB_ACTIONS") == "true"


def _sync(root, config, args) -> int:
    from tddprose.compiler import apply_plan

    plan, state = _compile(root, config, args, early_exit=not args.diff)
    if plan.up_to_date:
        print("tddprose: up to date (no test, snapshot or spec file changed since the last sync)")
        return EXIT_OK
    changes = plan.changes
    if args.diff:
        from tddprose.checks import unified_diffs

        sys.stdout.writelines(unified_diffs(plan))
    for diagnostic in plan.diagnostics:
        if diagnostic.severity == "error":
            print(diagnostic.describe(), file=sys.stderr)
    if args.apply:
        written = apply_plan(root, plan, state)
        state.save()
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


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _coverage(root, config, args) -> int:
    from tddprose.queries import coverage_text, coverage_view

    plan, _ = _compile(root, config, args)
    view = coverage_view(plan.graph, config)
    if args.json:
        _print_json(view)
    else:
        sys.stdout.write(coverage_text(view))
    return EXIT_OK


def _behaviors(root, config, args) -> int:
    from tddprose.queries import behaviors_view

    plan, _ = _compile(root, config, args)
    _print_json(behaviors_view(plan.graph, args.filter))
    return EXIT_OK


def _ready(root, config, args) -> int:
    from tddprose.queries import ready_view

    plan, _ = _compile(root, config, args)
    _print_json(ready_view(plan.graph))
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
    print(f"tddprose report: {len(matched)} results matched, {len(unmatched)} unmatched")
    print(json.dumps(summary, sort_keys=True))
    for path in written:
        print(f"  {path.relative_to(root).as_posix() if path.is_relative_to(root) else path}")
    return EXIT_OK


def _forget(root, config, args) -> int:
    from dataclasses import replace

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
    kept = {k: v for k, v in plan.previous_snapshot.behaviors.items() if k not in wanted}
    snapshot = replace(plan.previous_snapshot, behaviors=kept)
    write_if_changed(root / SNAPSHOT_PATH, snapshot.to_text())
    for behavior_id in sorted(wanted):
        print(f"forgot {behavior_id}")
    print("next: tddprose sync --apply")
    return EXIT_OK


_COMMANDS = {
    "forget": _forget,
    "sync": _sync,
    "check": _check,
    "coverage": _coverage,
    "behaviors": _behaviors,
    "ready": _ready,
    "diff": _diff,
    "report": _report,
}


def main(argv: list[str] | None = None) -> int:
    # A short-lived process that allocates tens of thousands of small acyclic objects:
    # the cyclic collector only costs time here (about 10 % of an incremental sync).
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            root = (args.root or Path.cwd()).resolve()
            for path in write_starter(root, force=args.force):
                print(f"wrote {path.relative_to(root).as_posix()}")
            print("next: tddprose sync --apply")
            return EXIT_OK
        root = _root(args)
        config = load_config(root)
        from tddprose.state import run_lock

        with run_lock(root / ".tdd-prose", args.lock_timeout):
            return _COMMANDS[args.command](root, config, args)
    except TddProseError as exc:
        print(f"tddprose: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "tddprose: interrupted; nothing was half-written (writes are atomic)", file=sys.stderr
        )
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
