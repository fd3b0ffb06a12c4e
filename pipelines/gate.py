"""The milestone gate: is milestone <ID> done, honestly?

The gate is a tuple of small stage functions run in order, like nox's own
workflow: each takes the shared ``GateRun`` and returns a StageResult, and the
first failing stage stops the run (the record stage still writes it down once
the tests were collected).

    load -> dependencies -> collect -> red -> green -> regression -> record
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from pipelines.atomic import gate_lock, recover, remove_stale_temps, write_files_atomically
from pipelines.errors import UsageError
from pipelines.git_checkout import GitRefError, code_at, source_path_env
from pipelines.ledger import Ledger, MilestoneStatus, load_ledger, render_ledger
from pipelines.mask import mask_environment
from pipelines.plan import Plan, Step, load_plans
from pipelines.pytest_run import PytestRun, run_pytest, split_node_id
from pipelines.records import (
    events_path,
    gate_events,
    previous_completed,
    previous_started,
    render_results_doc,
    render_sidecar,
    sidecar_path,
)
from pipelines.report import GateReport, StageResult, TestResult

LEDGER_FILE = "plans/status.json"
LOCK_FILE = ".milestone-gate.lock"
JOURNAL_FILE = ".milestone-gate.journal"  # a record write committed but not finished
RESULTS_DIR = "docs/results"
FAILFAST_MODES = ("off", "soft", "hard")
RED_OK = ("failed", "error")


@dataclass(frozen=True)
class GateOptions:
    step: str | None = None  # None: every step; "next"; or a step number as text
    force: bool = False
    failfast: str = "off"


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class GateRun:
    """The state one gate run builds up as its stages run."""

    root: Path
    milestone: str
    options: GateOptions
    progress: Callable[[str], None] = print
    plans: dict[str, Plan] = field(default_factory=dict)
    plan: Plan | None = None
    ledger: Ledger | None = None
    steps: tuple[Step, ...] = ()
    node_ids: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    tests: dict[tuple[str, str], TestResult] = field(default_factory=dict)
    pytest_runs: list[PytestRun] = field(default_factory=list)
    stages: list[StageResult] = field(default_factory=list)
    regression_counts: dict[str, int] = field(default_factory=dict)
    started: str = field(default_factory=now_iso)

    def pytest(self, targets: Sequence[str], **kwargs) -> PytestRun:
        kwargs.setdefault("progress", lambda text: self.progress(f"      ... {text}"))
        run = run_pytest(targets, root=self.root, **kwargs)
        self.pytest_runs.append(run)
        return run

    def base_ids(self, steps: Sequence[Step]) -> list[str]:
        """``file::name`` for every named test of ``steps`` (all its parametrizations)."""
        ids: list[str] = []
        for step in steps:
            for file, name in step.named_tests():
                for node in self.node_ids.get((file, name), []):
                    base = node.split("[", 1)[0]
                    if base not in ids:
                        ids.append(base)
        return ids


# --- stages ----------------------------------------------------------------------


def load(run: GateRun) -> StageResult:
    run.plans = load_plans(run.root)  # a PlanError ends the run with exit code 2
    if run.milestone not in run.plans:
        known = ", ".join(run.plans)
        raise UsageError(f"unknown milestone {run.milestone!r}; plans exist for {known}")
    run.plan = run.plans[run.milestone]
    run.ledger = load_ledger(run.root / LEDGER_FILE)
    run.steps = select_steps(run.plan, run.ledger, run.options.step)
    chosen = ", ".join(str(s.number) for s in run.steps)
    return StageResult("load", True, f"{run.plan.source} is valid; step(s) {chosen}", 0.0)


def select_steps(plan: Plan, ledger: Ledger, step: str | None) -> tuple[Step, ...]:
    if step is None:
        return plan.steps
    if step == "next":
        done = ledger.status(plan.id).steps
        for candidate in plan.steps:
            if done.get(str(candidate.number)) != "complete":
                return (candidate,)
        raise UsageError(
            f"every step of {plan.id} is complete; run without --step to prove it again"
        )
    if not step.isdigit() or not 1 <= int(step) <= len(plan.steps):
        raise UsageError(
            f"--step {step!r}: {plan.id} has steps 1 to {len(plan.steps)} (or use --step next)"
        )
    return (plan.step(int(step)),)


def dependencies(run: GateRun) -> StageResult:
    unmet = [
        f"{dep} ({run.ledger.status(dep).state})"
        for dep in run.plan.depends_on
        if not run.ledger.done(dep)
    ]
    if not unmet:
        deps = ", ".join(run.plan.depends_on) or "none"
        return StageResult("dependencies", True, f"done: {deps}", 0.0)
    if run.options.force:
        return StageResult("dependencies", True, f"not done, forced: {', '.join(unmet)}", 0.0)
    summary = f"{run.plan.id} depends on {', '.join(unmet)}: prove them first, or pass --force"
    if not run.plan.implemented:
        missing, total = statically_missing(run.plan, run.root)
        summary += (
            f"; {run.plan.id} itself is not implemented yet: {missing} of {total} tests missing"
        )
    return StageResult("dependencies", False, summary, 0.0)


def statically_missing(plan: Plan, root: Path) -> tuple[int, int]:
    """(named tests with no ``def`` in their file, named tests): a quick look, no pytest."""
    named = plan.named_tests()
    missing = 0
    for file, name in named:
        path = root / file
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        missing += f"def {name}(" not in text
    return missing, len(named)


def collect(run: GateRun) -> StageResult:
    named = [test for step in run.steps for test in step.named_tests()]
    files = sorted({file for file, _ in named if (run.root / file).is_file()})
    result = run.pytest(files, collect_only=True) if files else None
    errors = (
        [f"{e.file}: {e.kind} error: {e.message}" for e in result.collection_errors]
        if result
        else []
    )
    for node in result.collected if result else ():
        file, name = split_node_id(node)
        run.node_ids.setdefault((file, name), []).append(node)
    missing = [f"{file}::{name}" for file, name in named if (file, name) not in run.node_ids]
    for step in run.steps:
        for file, name in step.named_tests():
            items = len(run.node_ids.get((file, name), []))
            run.tests[file, name] = TestResult(step.number, file, name, items=items)
    if errors:
        return StageResult("collect", False, "test files do not collect", 0.0, tuple(errors))
    if missing and not run.plan.implemented:
        summary = f"not implemented yet: {len(missing)} of {len(named)} tests missing"
        return StageResult("collect", False, summary, 0.0, tuple(missing))
    if missing:
        return StageResult("collect", False, f"missing tests: {', '.join(missing)}", 0.0)
    items = sum(len(ids) for ids in run.node_ids.values())
    return StageResult("collect", True, f"{len(named)} named tests, {items} items", 0.0)


def red(run: GateRun) -> StageResult:
    mode = run.plan.red
    if mode.mode == "none":
        for key, test in run.tests.items():
            run.tests[key] = replace(test, red="skipped (mode none)")
        return StageResult("red", True, f"skipped: {mode.reason}", 0.0, skipped=True)
    problems: list[str] = []
    if mode.mode == "git":
        try:
            with code_at(mode.ref, repo=run.root) as worktree:
                result = run.pytest(run.base_ids(run.steps), env=source_path_env(worktree))
        except GitRefError as exc:  # recorded as the failed stage, with what to fix
            return StageResult("red", False, f"git ref {mode.ref!r} not found", 0.0, (str(exc),))
        for step in run.steps:
            problems += judge_red(run, step, result, import_errors_are_red=True)
    else:
        for step in run.steps:
            label = f"RED stage of {run.plan.id} step {step.number}"
            env = mask_environment(step.implementation, label=label)
            result = run.pytest(run.base_ids([step]), env=env)
            problems += judge_red(run, step, result, import_errors_are_red=False)
    if problems:
        return StageResult("red", False, f"{len(problems)} test(s) not RED", 0.0, tuple(problems))
    return StageResult(
        "red", True, f"all {len(run.tests)} named tests fail without their code", 0.0
    )


def judge_red(run: GateRun, step: Step, result: PytestRun, *, import_errors_are_red: bool):
    outcomes = result.by_name()
    errors = {e.file: e for e in result.collection_errors}
    problems = []
    for file, name in step.named_tests():
        test = run.tests[file, name]
        got = outcomes.get((file, name), [])
        error = errors.get(file)
        if not got and error is not None and error.kind == "import" and import_errors_are_red:
            run.tests[file, name] = replace(test, red="failed", red_evidence=error.message)
            continue
        if not got:
            why = f"{error.kind} error at collection: {error.message}" if error else "not run"
            run.tests[file, name] = replace(test, red="not RED", red_evidence=why)
            problems.append(f"{file}::{name}: {why} (a collection error is not RED)")
        elif any(o.outcome in ("passed", "xpassed") for o in got):
            run.tests[file, name] = replace(test, red="vacuous")
            problems.append(
                f"{file}::{name} is vacuous: it passes with {describe_mask(run, step)} masked"
            )
        elif all(o.outcome in RED_OK for o in got):
            run.tests[file, name] = replace(test, red="failed", red_evidence=got[0].message)
        else:
            kinds = ", ".join(sorted({o.outcome for o in got}))
            run.tests[file, name] = replace(test, red="not RED", red_evidence=kinds)
            problems.append(f"{file}::{name}: {kinds} without its implementation, not failed")
    return problems


def describe_mask(run: GateRun, step: Step) -> str:
    if run.plan.red.mode == "git":
        return f"the code of {run.plan.red.ref}"
    return ", ".join(step.implementation)


def green(run: GateRun) -> StageResult:
    result = run.pytest(run.base_ids(run.steps), failfast=run.options.failfast)
    outcomes = result.by_name()
    failures = []
    for key, test in run.tests.items():
        got = outcomes.get(key, [])
        ok = bool(got) and all(o.outcome == "passed" for o in got)
        duration = sum(o.duration for o in got)
        run.tests[key] = replace(test, green="passed" if ok else "failed", duration=duration)
        if not ok:
            why = next((o.message for o in got if o.outcome != "passed"), "not run")
            failures.append(f"{key[0]}::{key[1]}: {why}")
    if failures:
        return StageResult(
            "green", False, f"{len(failures)} named test(s) fail", 0.0, tuple(failures)
        )
    return StageResult("green", True, f"all {len(run.tests)} named tests pass", 0.0)


def regression(run: GateRun) -> StageResult:
    scope = list(run.plan.regression_scope)
    result = run.pytest(scope, failfast=run.options.failfast)
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    run.regression_counts = counts
    bad = [f"{o.nodeid}: {o.message}" for o in result.outcomes if o.outcome in ("failed", "error")]
    bad += [f"{e.file}: {e.kind} error: {e.message}" for e in result.collection_errors]
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no tests"
    if result.exit_code == 5 or not result.outcomes:
        return StageResult("regression", False, f"scope {scope} collected no tests", 0.0)
    if bad or result.exit_code != 0:
        return StageResult("regression", False, summary, 0.0, tuple(bad[:20]))
    return StageResult("regression", True, summary, 0.0)


WORKFLOW: tuple[Callable[[GateRun], StageResult], ...] = (
    load,
    dependencies,
    collect,
    red,
    green,
    regression,
)


# --- running and recording ------------------------------------------------------


def execute(run: GateRun, workflow=WORKFLOW) -> GateReport:
    wall_start = time.perf_counter()
    for index, stage in enumerate(workflow, start=1):
        name = stage.__name__
        run.progress(f"[{index}/{len(workflow) + 1}] {name} ...")
        began = time.perf_counter()
        result = replace(stage(run), duration=time.perf_counter() - began)
        run.stages.append(result)
        mark = "skipped" if result.skipped else ("ok" if result.ok else "FAILED")
        run.progress(f"      {name}: {mark} ({result.duration:.2f} s) {result.summary}")
        for detail in result.details[:20]:
            run.progress(f"        - {detail}")
        if not result.ok:
            break
    items = list(run.tests.values())
    return GateReport(
        plan_id=run.milestone,
        steps_run=tuple(s.number for s in run.steps),
        started=run.started,
        finished=now_iso(),
        stages=tuple(run.stages),
        tests=tuple(sorted(items, key=lambda t: (t.step, t.file))),
        green_counts=(
            sum(t.items for t in items if t.green == "passed"),
            sum(t.items for t in items),
        ),
        regression_counts=dict(run.regression_counts),
        pytest_seconds=sum(r.wall_time for r in run.pytest_runs),
        wall_seconds=time.perf_counter() - wall_start,
    )


def next_status(previous: MilestoneStatus, plan: Plan, report: GateReport) -> MilestoneStatus:
    steps = dict(previous.steps)
    for number in report.steps_run:
        steps[str(number)] = "complete" if report.passed else "failed"
    if not report.passed:
        state = "failed"
    elif all(steps.get(str(s.number)) == "complete" for s in plan.steps):
        state = "done"
    else:
        state = "in_progress"
    return MilestoneStatus(state, report.finished, steps)


def record(run: GateRun, report: GateReport) -> None:
    """Write the results doc, its sidecar, the events and the ledger as one unit."""
    plan = run.plan
    status = next_status(run.ledger.status(plan.id), plan, report)
    ledger = run.ledger.with_status(plan.id, status)
    doc = run.root / plan.results_doc
    remove_stale_temps(doc.parent)
    previous_doc = doc.read_text(encoding="utf-8") if doc.exists() else None
    sidecar = sidecar_path(doc)
    old_sidecar = sidecar.read_text(encoding="utf-8") if sidecar.exists() else None
    events = events_path(doc)
    old_events = events.read_text(encoding="utf-8") if events.exists() else ""
    if old_events and not old_events.endswith("\n"):
        old_events += "\n"
    new_events = "".join(line + "\n" for line in gate_events(report, uuid.uuid4().hex))
    started = previous_started(old_sidecar) or report.started
    # a re-proof keeps the first proof's Completed time and adds "Last verified"
    first_done = previous_completed(old_sidecar)
    completed = (first_done or report.finished) if status.state == "done" else None
    write_files_atomically(
        {
            doc: render_results_doc(
                plan,
                report,
                status,
                started=started,
                completed=completed,
                previous_doc=previous_doc,
            ),
            sidecar: render_sidecar(plan, report, status, started=started, completed=completed),
            events: old_events + new_events,
            run.root / LEDGER_FILE: render_ledger(ledger, run.plans),
        },
        journal=run.root / JOURNAL_FILE,
    )
    run.ledger = ledger


def recover_records(root: Path) -> None:
    """Finish a record write a killed gate committed, and drop the temporaries of one
    it did not (call with the gate lock held, before reading any record)."""
    finished = recover(root / JOURNAL_FILE)
    directories = [root, (root / LEDGER_FILE).parent, root / RESULTS_DIR]
    for directory in dict.fromkeys(directories + [path.parent for path in finished]):
        remove_stale_temps(directory)


def summary_table(report: GateReport) -> str:
    lines = ["", f"{'stage':<14}{'result':<10}{'time':>9}  detail"]
    for stage in report.stages:
        result = "skipped" if stage.skipped else ("passed" if stage.ok else "FAILED")
        lines.append(f"{stage.name:<14}{result:<10}{stage.duration:>8.2f}s  {stage.summary}")
    overhead = report.wall_seconds / report.pytest_seconds if report.pytest_seconds else 0.0
    lines.append(
        f"\ngate {report.wall_seconds:.1f} s, of which pytest {report.pytest_seconds:.1f} s"
        + (f" ({overhead:.2f}x)" if overhead else "")
    )
    verdict = "PASSED" if report.passed else f"FAILED at {report.failed_stage.name}"
    lines.append(f"{report.plan_id}: {verdict}")
    return "\n".join(lines)


def run_gate(
    root: Path, milestone: str, options: GateOptions = GateOptions(), progress=print
) -> tuple[int, GateReport]:
    """Run the gate; (exit code, report). PlanError / UsageError / GateBusy propagate."""
    if options.failfast not in FAILFAST_MODES:
        raise UsageError(f"--failfast-mode {options.failfast!r}: use one of off, soft, hard")
    run = GateRun(root=root, milestone=milestone, options=options, progress=progress)
    with gate_lock(root / LOCK_FILE):
        recover_records(root)
        report = execute(run)
        collected = any(s.name == "collect" and s.ok for s in report.stages)
        if collected:
            record(run, report)
    progress(summary_table(report))
    return (0 if report.passed else 1), report
