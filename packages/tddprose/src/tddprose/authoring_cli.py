"""The authoring commands (seed section 14.8): ``intent validate``, ``interview``,
``plan``, ``write`` and ``validate``. ``cli.py`` registers them with
``add_authoring_commands`` and dispatches to ``AUTHORING_COMMANDS``; the work is done
in ``intent``, ``interview``, ``authoring`` and ``gates``. Nothing here calls a
language model: every output follows from the files and the ledger.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from tddprose.config import find_root, load_config
from tddprose.errors import ExitCode
from tddprose.tools import (
    ToolInputError,
    compile_plan,
    envelope,
    print_json,
    stdout_to_stderr,
)

# Commands that need no run lock: they read no cache and write no ledger file
# (validate runs the project's lint and tests, which can take long).
UNLOCKED = frozenset({"validate"})


def add_authoring_commands(commands, graph_command) -> None:
    intent = commands.add_parser(
        "intent",
        help="Behavior Intent files: `intent validate FILE` (schema and conflicts)",
        description="Behavior Intent files: check them against the schema and the ledger.",
    )
    actions = intent.add_subparsers(dest="intent_action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "validate",
        help="check an intent file: schema (exit 2), conflicts with the ledger (exit 1)",
        description="check an intent file: schema (exit 2), conflicts with the ledger (exit 1)",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the intent JSON file")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument(
        "--no-runner",
        action="store_true",
        help="read the tests statically only; run no test code (untrusted repositories)",
    )
    interview = commands.add_parser(
        "interview",
        help="guided intake: asks for the behaviors, writes an intent file (answers on stdin)",
        description="guided intake: asks for the domain, the behaviors (given/when/then) and "
        "the constraints, one answer per line on stdin; questions go to stderr",
    )
    interview.add_argument("--out", type=Path, help="write the intent here (default: stdout)")
    plan = graph_command(
        "plan", "classify an intent's behaviors against the ledger; plan tests for the gaps"
    )
    plan.add_argument("intent", type=Path, metavar="INTENT", help="the intent JSON file")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    write = graph_command(
        "write", "write anchored failing tests for the uncovered intents (preview; --apply)"
    )
    write.add_argument("intent", type=Path, metavar="INTENT", help="the intent JSON file")
    write.add_argument("--apply", action="store_true", help="write the tests (default: preview)")
    write.add_argument("--json", action="store_true", help="machine-readable output")
    validate = commands.add_parser(
        "validate",
        help="gates: the project's lint and the tests of PATHS (default: the last write)",
        description="run the lint and test gates on test files; exit 1 when one fails",
    )
    validate.add_argument("paths", nargs="*", metavar="PATH", help="test files or directories")
    validate.add_argument("--json", action="store_true", help="machine-readable output")


def _located(path: Path) -> Path:
    return path if path.is_absolute() else Path.cwd() / path


def _display(path: Path, root: Path) -> str:
    """The path relative to the root when inside it (no machine paths in outputs)."""
    try:
        return _located(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _graph(root, config, args):
    plan, _ = compile_plan(root, config, runner=not args.no_runner)
    return plan.graph


def _read(root: Path, path: Path):
    from tddprose.intent import read_intent

    return read_intent(_located(path))


def _report_problems(display: str, problems, as_json: bool) -> None:
    from tddprose.intent import CONFLICT, ERROR, counts, validation_text, validation_view

    view = validation_view(display, problems)
    tally = counts(problems)
    if tally[ERROR]:
        view["error"] = f"{display}: {tally[ERROR]} schema problem(s)"
        view["fix"] = "fix each problem at its JSON path (problems[].fix says how)"
    elif tally[CONFLICT]:
        view["error"] = f"{display}: {tally[CONFLICT]} conflict(s) with the ledger"
        view["fix"] = "decide each conflict (problems[].fix says how)"
    if as_json:
        print_json(view)
    else:
        sys.stdout.write(validation_text(view))


def intent_command(root, config, args) -> int:
    from tddprose.intent import CONFLICT, ERROR, check_intent

    display = _display(args.file, root)
    intent, problems = _read(root, args.file)
    if intent is not None:
        problems = check_intent(intent, _graph(root, config, args))
    _report_problems(display, problems, args.json)
    if any(p.severity == ERROR for p in problems):
        return ExitCode.BAD_INPUT
    if any(p.severity == CONFLICT for p in problems):
        return ExitCode.FAILED
    return ExitCode.OK


def _plan(root, config, args):
    """``(display name, plan)`` for the intent file ``args.intent``; the plan is None once
    the file's problems are reported."""
    from tddprose.authoring import build_plan

    display = _display(args.intent, root)
    intent, problems = _read(root, args.intent)
    if intent is None:
        _report_problems(display, problems, args.json)
        return display, None
    return display, build_plan(intent, _graph(root, config, args), config, root)


def plan_command(root, config, args) -> int:
    from tddprose.authoring import plan_text

    display, plan = _plan(root, config, args)
    if plan is None:
        return ExitCode.BAD_INPUT
    view = plan.to_json(display)
    if args.json:
        print_json(view)
    else:
        sys.stdout.write(plan_text(view))
    return ExitCode.OK


def write_command(root, config, args) -> int:
    from tddprose.authoring import preview, render_writes
    from tddprose.files import read_text_or_none, write_atomic, write_json_if_changed
    from tddprose.gates import LAST_WRITE

    display, plan = _plan(root, config, args)
    if plan is None:
        return ExitCode.BAD_INPUT
    writes, skips = render_writes(plan, root)
    failed = False
    messages = []
    for skip in skips:
        if skip.failure:
            failed = True
            print(f"tddprose write: skipped {skip.behavior_id} ({skip.why})", file=sys.stderr)
        else:
            messages.append(f"kept {skip.behavior_id} ({skip.why})")
    written = []
    if args.apply:
        for write in writes:
            if read_text_or_none(root / write.path) != write.before:
                failed = True
                print(
                    f"tddprose write: skipped {write.path}: it changed while this ran; "
                    "run the command again",
                    file=sys.stderr,
                )
                continue
            write_atomic(root / write.path, write.after)
            written.append(write)
        if written:
            write_json_if_changed(
                root / LAST_WRITE,
                {
                    "intent": display,
                    "files": [w.path for w in written],
                    "tests": [n for w in written for n in w.nodeids],
                },
            )
    if args.json:
        extra = {"error": "some intents were skipped", "fix": "see skipped[].why"} if failed else {}
        print_json(
            {
                **extra,
                "intent": display,
                "applied": bool(args.apply),
                "files": [
                    {"path": w.path, "new": w.before is None, "tests": w.nodeids}
                    for w in (written if args.apply else writes)
                ],
                "skipped": [
                    {"behavior_id": s.behavior_id, "why": s.why, "failure": s.failure}
                    for s in skips
                ],
                "diff": "" if args.apply else preview(writes),
            }
        )
        return ExitCode.FAILED if failed else ExitCode.OK
    for message in messages:
        print(message)
    if not writes:
        print("tddprose write: nothing to write")
    elif args.apply:
        for write in written:
            count = len(write.tests)
            print(f"wrote {write.path} ({count} test{'' if count == 1 else 's'})")
        if written:
            print(
                "next: tddprose sync --apply (the ledger), make the tests pass, tddprose validate"
            )
    else:
        sys.stdout.write(preview(writes))
        tests = sum(len(w.tests) for w in writes)
        print(
            f"tddprose write: {tests} test(s) in {len(writes)} file(s) would be written "
            "(run with --apply to write them)"
        )
    return ExitCode.FAILED if failed else ExitCode.OK


def interview_command(args) -> int:
    from tddprose.files import write_atomic
    from tddprose.interview import interview

    intent = interview(sys.stdin, sys.stderr)
    text = intent.to_text()
    if args.out is None:
        sys.stdout.write(text)
        return ExitCode.OK
    write_atomic(_located(args.out), text)
    print(f"wrote {args.out}")
    print(f"next: tddprose intent validate {args.out}, then tddprose plan {args.out}")
    return ExitCode.OK


def validate_command(root, config, args) -> int:
    from tddprose.gates import gates_text, resolve_paths, run_gates

    paths = resolve_paths(root, args.paths, Path.cwd())
    result = run_gates(root, paths)
    if not result["ok"]:
        failed = [gate for gate in ("lint", "tests") if not result[gate]["ok"]]
        result["error"] = "failed gate(s): " + ", ".join(failed)
        result["fix"] = "fix what the lint output and the test failures name, then run it again"
    if args.json:
        print_json(result)
    else:
        sys.stdout.write(gates_text(result))
    return ExitCode.OK if result["ok"] else ExitCode.FAILED


AUTHORING_COMMANDS = {
    "intent": intent_command,
    "plan": plan_command,
    "write": write_command,
    "validate": validate_command,
}


AUTHORING_QUERIES = ("plan", "intent")


def authoring_query(
    root: Path | None,
    command: str,
    intent: str,
    *,
    runner: bool = True,
    lock_timeout: float = 30.0,
) -> dict[str, Any]:
    """``tddprose plan INTENT --json`` or ``tddprose intent validate INTENT --json``, run
    through the CLI's own handlers: the same object the CLI prints, whatever the exit
    code (a plan or a validation with problems is an answer, not a failure). A relative
    ``intent`` path is taken from ``root``. Raises ``TddProseError``."""
    from argparse import Namespace

    from tddprose.state import run_lock

    if command not in AUTHORING_QUERIES:
        raise ToolInputError(
            f"unknown authoring query {command!r}", f"use one of {', '.join(AUTHORING_QUERIES)}"
        )
    root = (root or find_root(Path.cwd())).resolve()
    path = Path(intent)
    path = path if path.is_absolute() else root / path
    args = Namespace(command=command, intent=path, file=path, json=True, no_runner=not runner)
    args.intent_action = "validate"
    handler = plan_command if command == "plan" else intent_command
    printed = io.StringIO()
    with stdout_to_stderr():
        config = load_config(root)
        with run_lock(root / ".tdd-prose", lock_timeout), contextlib.redirect_stdout(printed):
            code = handler(root, config, args)
    return envelope(command, json.loads(printed.getvalue()), code)
