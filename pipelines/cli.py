"""``python -m pipelines``: the milestone engine's command line.

    python -m pipelines milestone M6 [--step next|N] [--force] [--failfast-mode off|soft|hard]
    python -m pipelines status
    python -m pipelines plan M6
    python -m pipelines validate
    python -m pipelines release tracer-v0.2.0 [--dry-run] [--out-dir dist]

Exit codes (``pipelines.errors.ExitCode``): 0 passed, 1 a gate stage or a release check
failed (or another gate holds the lock), 2 a broken plan or bad usage (a malformed release
tag too), 130 interrupted. Every error the engine
reports is a ``PipelineError``; it is printed as ``error: <message>`` (the message names
the file or ref and the fix), never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.errors import ExitCode, PipelineError, UsageError
from pipelines.gate import FAILFAST_MODES, LEDGER_FILE, GateOptions, run_gate
from pipelines.ledger import format_status, load_ledger
from pipelines.plan import load_plans
from pipelines.plan_doc import render_plan
from pipelines.release import DEFAULT_OUT_DIR, TAG_FORM, run_release

EXIT_FAILED, EXIT_USAGE = ExitCode.GATE_FAILED, ExitCode.USAGE  # kept for callers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Prove milestones of the PyProbe rearchitecture plan honestly: "
        "RED with the implementation masked, GREEN with it, and no regression.",
    )
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="repository root (default: here)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    gate = commands.add_parser("milestone", help="run the gate of one milestone")
    gate.add_argument("milestone", help="milestone id, e.g. M6")
    gate.add_argument(
        "--step", help="run one step only: 'next' (the first not complete) or its number"
    )
    gate.add_argument(
        "--force", action="store_true", help="run even if a dependency is not DONE yet"
    )
    gate.add_argument(
        "--failfast-mode",
        choices=FAILFAST_MODES,
        default="off",
        help="stop the GREEN and regression runs early (default: off)",
    )
    commands.add_parser("status", help="print the status ledger and the dependency graph")
    show = commands.add_parser("plan", help="render one plan as a readable document")
    show.add_argument("milestone")
    commands.add_parser("validate", help="validate every plan in plans/")
    release = commands.add_parser(
        "release",
        help="check, build and smoke-test the tracer's release (never uploads)",
        description="Check the tag against the versions of wire, transport and tracer, "
        "build their sdists and wheels once, refuse direct references, run twine check "
        "--strict and install the wheels into a fresh venv. Nothing is uploaded: the "
        "publish-tracer workflow publishes the verified artifacts.",
    )
    release.add_argument("tag", help=f"the release tag: {TAG_FORM}")
    release.add_argument(
        "--dry-run",
        action="store_true",
        help="rehearse on the current tree: the tag need not exist, sources may be edited",
    )
    release.add_argument(
        "--out-dir",
        type=Path,
        help=f"where <distribution>/ folders of artifacts go (default: {DEFAULT_OUT_DIR}/)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "milestone":
            options = GateOptions(args.step, args.force, args.failfast_mode)
            code, _ = run_gate(root, args.milestone.upper(), options)
            return ExitCode(code)
        if args.command == "release":
            run_release(root, args.tag, out_dir=args.out_dir, dry_run=args.dry_run)
            return ExitCode.OK
        plans = load_plans(root)
        if args.command == "status":
            print(format_status(load_ledger(root / LEDGER_FILE), plans))
        elif args.command == "plan":
            milestone = args.milestone.upper()
            if milestone not in plans:
                raise UsageError(
                    f"unknown milestone {milestone!r}; plans exist for {', '.join(plans)}"
                )
            print(render_plan(plans[milestone]), end="")
        else:
            print(f"{len(plans)} plans are valid: {', '.join(plans)}")
        return ExitCode.OK
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)  # tests/pipelines/test_plan.py expects "error: "
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was recorded", file=sys.stderr)
        return ExitCode.INTERRUPTED
