"""The ``tpr`` command. ``tpr --help`` lists the commands; each has its own --help.

Exit codes: 0 success; 1 a check failed (tests failed, gate failed, checkpoint
refused, events missing, property or fail-fast targets missed); 2 bad input (usage,
configuration, a corrupt or missing file); 3 the environment does not match the
recorded signature.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import FAILFAST_MODES, __version__
from .artifacts import canonical_json, write_json
from .config import ConfigError, TprConfig, load_config
from .errors import ExitCode, TprError
from .events import (
    LOG_NAME,
    RUN_ID_ENV,
    EventLog,
    Redactor,
    audit,
    new_run_id,
    read_events,
)
from .signature import SIGNATURE_NAME, current_signature
from .validate import ValidationResult, explain, run_validation

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_ENV_MISMATCH = (
    ExitCode.OK,
    ExitCode.FAILED,
    ExitCode.BAD_INPUT,
    ExitCode.ENV_MISMATCH,
)


class CommandError(TprError):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = self.exit_code = ExitCode(code)


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1 (a usage error, exit 2, otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1; pass 1 or more")
    return value


def find_root(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / "pyproject.toml").is_file() or (directory / ".git").exists():
            return directory
    return start


def _config(args: argparse.Namespace, environ=None) -> TprConfig:
    return load_config(args.root, environ, failfast_mode=getattr(args, "failfast_mode", None))


def _log(args: argparse.Namespace, config: TprConfig) -> EventLog:
    return EventLog(config.artifacts(args.root) / LOG_NAME, redact=Redactor(config.secret_patterns))


def _validation_config(args: argparse.Namespace) -> TprConfig:
    """The configuration for validating: a malformed TPR_SEED is a validation finding
    (SEED_NOT_NUMERIC), not a reason to stop before validating."""
    try:
        return _config(args)
    except ConfigError as exc:
        if exc.source != "TPR_SEED":
            raise
        return _config(args, {k: v for k, v in os.environ.items() if k != "TPR_SEED"})


def _validate(args: argparse.Namespace, config: TprConfig, log: EventLog) -> ValidationResult:
    result = run_validation(args.root, config, log, signature_path=getattr(args, "signature", None))
    print(explain(result), file=sys.stderr if not result.ok else sys.stdout)
    return result


def cmd_validate(args: argparse.Namespace) -> int:
    config = _validation_config(args)
    result = _validate(args, config, _log(args, config))
    return EXIT_OK if result.ok else EXIT_ENV_MISMATCH


def cmd_signature(args: argparse.Namespace) -> int:
    config = _config(args)
    signature = current_signature(args.root, config)
    if args.record:
        path = config.artifacts(args.root) / SIGNATURE_NAME
        write_json(path, signature)
        _log(args, config).emit("environment_signature_recorded", file=str(path))
        print(f"tpr: recorded the environment signature in {path}")
    else:
        print(canonical_json(signature), end="")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from .measured_run import CoverageRunError, run_measured

    config = _config(args)
    log = _log(args, config)
    try:
        return run_measured(
            args.root, config, log, args.pytest_args, coverage=args.coverage, stream=True
        ).exit_code
    except CoverageRunError as exc:
        raise CommandError(f"tpr run: {exc}", EXIT_FAILED) from None


def cmd_baseline(args: argparse.Namespace) -> int:
    from .baseline import BaselineError, run_baseline

    config = _validation_config(args)
    log = _log(args, config)
    recorded = (config.artifacts(args.root) / SIGNATURE_NAME).exists()
    if recorded and not _validate(args, config, log).ok:
        return EXIT_ENV_MISMATCH
    try:
        metrics = run_baseline(args.root, config, log, args.pytest_args)
    except BaselineError as exc:
        raise CommandError(f"tpr baseline: {exc}", EXIT_FAILED) from None
    coverage = metrics["coverage"]
    print(
        f"tpr baseline: coverage {coverage['line_pct']:.2f}% lines, "
        f"{(coverage['branch_pct'] or 0):.2f}% branches; metrics population "
        f"{metrics['population_pct']}%; sha256 {metrics['sha256']}"
    )
    print(f"tpr baseline: artifacts in {config.artifacts(args.root)}")
    return EXIT_OK


def cmd_failfast(args: argparse.Namespace) -> int:
    from .failfast_scenario import format_failfast, measure, write_failfast_results

    config = _config(args)
    log = _log(args, config)
    results = measure(
        config.seed if config.seed is not None else 12345,
        repeats=args.repeats,
        scenarios=args.scenarios,
        config=config,
        log=log,
    )
    results = write_failfast_results(args.root, config, log, results)
    print(format_failfast(results))
    met = all(results["modes"][mode]["met"] for mode in ("soft", "hard"))
    return EXIT_OK if met else EXIT_FAILED


def cmd_property(args: argparse.Namespace) -> int:
    from .property import PropertyError, format_property, run_property_pilot

    config = _config(args)
    try:
        results = run_property_pilot(
            args.root,
            config,
            _log(args, config),
            runs=args.runs,
            tests=args.tests,
            warmup=args.warmup,
        )
    except PropertyError as exc:
        raise CommandError(f"tpr property: {exc}") from None
    print(format_property(results))
    ok = results["all_passed"] and not results["flakes"] and results["within_threshold"]
    return EXIT_OK if ok else EXIT_FAILED


def cmd_flake(args: argparse.Namespace) -> int:
    from .flake import FlakeError, format_flake, run_flake

    config = _config(args)
    try:
        report = run_flake(args.root, config, _log(args, config), runs=args.runs, tests=args.tests)
    except FlakeError as exc:
        raise CommandError(f"tpr flake: {exc}") from None
    print(format_flake(report))
    return EXIT_FAILED if report["spike"] else EXIT_OK


def cmd_gate(args: argparse.Namespace) -> int:
    from .gate import run_gate

    config = _validation_config(args)
    log = _log(args, config)
    result = run_gate(
        args.root, config, log, _validate(args, config, log), coverage_xml=args.coverage_xml
    )
    for failure in result.failures:
        print(f"tpr gate: FAIL {failure}", file=sys.stderr)
    for trigger in result.rollback["triggers"]:
        print(f"tpr gate: risk_trigger {trigger['trigger']}: {json.dumps(trigger)}")
    if result.passed and result.coverage:
        print(
            f"tpr gate: passed (coverage {result.coverage['current_line_pct']:.2f}% vs "
            f"baseline {result.coverage['baseline_line_pct']:.2f}%)"
        )
    return EXIT_OK if result.passed else EXIT_FAILED


def cmd_checkpoint(args: argparse.Namespace) -> int:
    from .checkpoint import CHECKPOINT_MD, CheckpointRefused, emit_checkpoint

    config = _validation_config(args)
    log = _log(args, config)
    validation = _validate(args, config, log)
    try:
        data = emit_checkpoint(args.root, config, log, validation)
    except CheckpointRefused as exc:
        print("tpr checkpoint: refused; unmet criteria:", file=sys.stderr)
        for criterion in exc.unmet:
            print(f"  {criterion.id} {criterion.title}: {criterion.evidence}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"tpr checkpoint: emitted {config.artifacts(args.root) / CHECKPOINT_MD} ({data['sha256']})"
    )
    return EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    config = _config(args)
    path = config.artifacts(args.root) / LOG_NAME
    events = read_events(path)
    if args.run:
        events = [e for e in events if e["run_id"] == args.run]
    if not args.audit:
        for event in events[-args.tail :] if args.tail else events:
            print(json.dumps(event, sort_keys=True))
        return EXIT_OK
    result = audit(events)
    print(json.dumps(result.as_dict(), indent=2, sort_keys=True))
    if result.missing:
        _log(args, config).emit("logging_deficit", missing=list(result.missing), log=str(path))
        print(f"tpr events: logging_deficit: missing {', '.join(result.missing)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_foundation(args: argparse.Namespace) -> int:
    """validate (or record) -> baseline -> fail-fast scenario -> property pilot -> gate ->
    checkpoint, stopping at the first step that fails."""
    steps = [
        ("baseline", cmd_baseline),
        ("failfast", cmd_failfast),
        ("property", cmd_property),
        ("gate", cmd_gate),
        ("checkpoint", cmd_checkpoint),
    ]
    os.environ.setdefault(RUN_ID_ENV, new_run_id())  # one correlation id for the cycle
    for name, step in steps:
        print(f"== tpr {name}", flush=True)
        code = step(args)
        if code != EXIT_OK:
            print(f"tpr foundation: stopped at `tpr {name}` (exit {code})", file=sys.stderr)
            return code
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tpr",
        description="Test platform: environment validation, baseline metrics, fail-fast, "
        "property pilot, flakes, coverage ladder, checkpoint and event log. Artifacts go "
        "to .tpr/ (configure with [tool.tpr] in pyproject.toml or TPR_* variables).",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tpr {__version__}")
    parser.add_argument(
        "--root", type=Path, default=None, help="the repository (default: found from the cwd)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help):
        command = sub.add_parser(name, help=help, description=help)
        command.set_defaults(func=func)
        return command

    validate = add("validate", cmd_validate, "check the environment against env.signature.json")
    validate.add_argument("--signature", type=Path, help="a signature file other than .tpr/'s")
    signature = add(
        "signature", cmd_signature, "print the environment signature (--record: save it)"
    )
    signature.add_argument("--record", action="store_true", help="write .tpr/env.signature.json")
    run = add(
        "run",
        cmd_run,
        "validate, then run pytest with the tpr plugins (args go to pytest); --coverage: "
        "CI's measured run (coverage.xml; hard fail-fast mode skips the measuring)",
    )
    run.add_argument("--failfast-mode", choices=FAILFAST_MODES, default=None)
    run.add_argument("--coverage", action="store_true", help="measure line + branch coverage")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest")
    baseline = add(
        "baseline", cmd_baseline, "run the suite once under coverage; write the baseline"
    )
    baseline.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest")
    failfast = add("failfast", cmd_failfast, "measure detection time per fail-fast mode (AC-2)")
    failfast.add_argument(
        "--repeats", type=positive_int, default=1, help="runs per mode and scenario"
    )
    failfast.add_argument(
        "--scenarios",
        type=positive_int,
        default=8,
        help="seeded failure positions, one per slice of the suite (default 8)",
    )
    prop = add("property", cmd_property, "run the property pilot N times; property.results.json")
    prop.add_argument("--runs", type=int, default=30, help="counted runs (default 30)")
    prop.add_argument("--warmup", type=int, default=1, help="uncounted runs first (default 1)")
    prop.add_argument("tests", nargs="*", help="test paths (default: pytest's testpaths)")
    flake = add("flake", cmd_flake, "rerun tests N times; classify flaky ones; flake.report.json")
    flake.add_argument("--runs", type=int, default=5)
    flake.add_argument("tests", nargs="*", help="test paths or node ids")
    gate = add("gate", cmd_gate, "validator + coverage ladder gate; risk_trigger on regressions")
    gate.add_argument("--coverage-xml", type=Path, default=None, help="default: .tpr/coverage.xml")
    gate.add_argument("--signature", type=Path, help=argparse.SUPPRESS)
    add("checkpoint", cmd_checkpoint, "emit foundation.checkpoint.md/.json if AC-1..AC-7 hold")
    events = add("events", cmd_events, "print the event log; --audit checks the taxonomy")
    events.add_argument(
        "--audit", action="store_true", help="report missing events (logging_deficit)"
    )
    events.add_argument("--run", default=None, help="only this run id")
    events.add_argument("--tail", type=int, default=0, help="only the last N events")
    foundation = add("foundation", cmd_foundation, "baseline, failfast, property, gate, checkpoint")
    foundation.add_argument("--repeats", type=positive_int, default=1)
    foundation.add_argument("--scenarios", type=positive_int, default=8)
    foundation.add_argument("--runs", type=int, default=30)
    foundation.add_argument("--warmup", type=int, default=1)
    foundation.set_defaults(pytest_args=[], tests=[], coverage_xml=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.root = (args.root or find_root(Path.cwd())).resolve()
    if getattr(args, "pytest_args", None) and args.pytest_args[0] == "--":
        args.pytest_args = args.pytest_args[1:]
    try:
        return args.func(args)
    except TprError as exc:
        message = str(exc)
        prefix = f"tpr {args.command}: "
        print(message if message.startswith("tpr ") else prefix + message, file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
