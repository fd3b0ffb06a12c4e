"""The seeded fail-fast scenario of AC-2: soft mode cuts the time to detect a failure by
at least ``soft_target_pct`` (40 %) against off, hard mode by ``hard_target_pct`` (60 %).

``write_scenario`` generates a synthetic suite, its own pytest rootdir, whose tests do
seeded-random amounts of pure-Python work and exactly one of which fails, at a seeded
position. ``measure`` runs such suites in every mode, interleaved, the way CI runs them:
``tpr run --coverage --failfast-mode MODE``, the validated run under coverage that ends
in ``coverage.xml``.

Detection time is the wall time from launching that command until it exits with the
failing status: that is when CI learns about the failure. Off runs the whole suite under
coverage and reports it; soft stops after the failing test and keeps the partial
coverage data and durations without the combine and report steps (the plan's "minimal
metrics"); hard stops there too and, as the plan's fast exit, measures nothing (no
coverage, no durations). With the failure placed uniformly about half of the suite's
work is skipped on average (``test_time_skipped_pct``); start-up is paid by every mode,
so the savings grow with the suite. The default suite does about 8 s of work (before
coverage's slowdown); this repository's own suite does about 240 s against the same
start-up, so the scenario understates what the modes save on it.
"""

from __future__ import annotations

import platform
import random
import statistics
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import FAILFAST_MODES
from .artifacts import ArtifactError, canonical_json, read_json, write_hashed_json, write_text
from .config import TprConfig
from .errors import ExitCode, TprError, UsageError
from .events import LOG_NAME, EventLog
from .ladder import COVERAGE_XML
from .plugins.durations import DURATIONS_NAME
from .plugins.failfast import SUMMARY_NAME
from .pytest_process import PytestResult, run_pytest

BENCHMARK_NAME = "failfast.benchmark.json"
MANIFEST_NAME = "scenario.json"
TESTS_FAILED = 1  # pytest.ExitCode.TESTS_FAILED: the status CI acts on
# The environment of every scenario run: no environment validation (the scenario is not
# the repository), and nothing from the caller's PYTEST_ADDOPTS (-x, -n, ...).
CHILD_ENV = {"TPR_ENV_VALIDATE": "skip", "PYTEST_ADDOPTS": ""}
ITERATIONS_PER_MS = 12_000  # of the work loop: about a millisecond of CPython 3.11 here
METHOD = (
    "detection time = wall time from launching `python -m tpr run --coverage --failfast-mode "
    "MODE` until it exits with the failing status (1); modes interleaved per scenario and "
    "repeat; scenario i has seed seed+i and its failure drawn uniformly in the i-th of "
    "`scenarios` equal slices of the suite (stratified, so the mean over scenarios "
    "estimates the mean over a uniformly placed failure); improvement = 1 - mode / off, "
    "from means (and from medians)"
)


class ScenarioError(TprError, RuntimeError):
    """A scenario run did not behave as its mode promises; the message names the run."""

    exit_code = ExitCode.FAILED


@dataclass(frozen=True)
class ScenarioPlan:
    """One seeded scenario: per-test work (nominal ms) in execution order, and the
    failing test."""

    seed: int
    durations_ms: tuple[int, ...]
    failure_at: int  # 0-based index in execution order
    files: int
    stratum: tuple[int, int] | None = None

    @property
    def tests(self) -> int:
        return len(self.durations_ms)

    def file_bounds(self, part: int) -> tuple[int, int]:
        return part * self.tests // self.files, (part + 1) * self.tests // self.files

    def file_name(self, part: int) -> str:
        return f"test_part_{part + 1:02d}.py"

    def node_id(self, index: int) -> str:
        part = next(p for p in range(self.files) if index < self.file_bounds(p)[1])
        return f"tests/{self.file_name(part)}::{_test_name(index)}"

    @property
    def failure_id(self) -> str:
        return self.node_id(self.failure_at)

    @property
    def suite_work_s(self) -> float:
        return sum(self.durations_ms) / 1000

    @property
    def work_to_failure_s(self) -> float:
        """Work up to and including the failing test: what soft and hard still run."""
        return sum(self.durations_ms[: self.failure_at + 1]) / 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "tests": self.tests,
            "files": self.files,
            "stratum": list(self.stratum) if self.stratum else None,
            "failure_at": self.failure_at,
            "failure_position": f"{self.failure_at + 1} of {self.tests}",
            "failure_id": self.failure_id,
            "suite_work_s": round(self.suite_work_s, 3),
            "work_to_failure_s": round(self.work_to_failure_s, 3),
            "durations_ms": list(self.durations_ms),
        }


def _test_name(index: int) -> str:
    return f"test_case_{index + 1:03d}"


def plan_scenario(
    seed: int,
    *,
    tests: int = 40,
    files: int = 4,
    min_ms: int = 50,
    max_ms: int = 350,
    stratum: tuple[int, int] | None = None,
) -> ScenarioPlan:
    """The scenario of ``seed``. ``stratum=(i, k)`` draws the failure uniformly in the
    i-th of k equal slices of the suite, else anywhere. Only ``Random.random`` is used,
    whose sequence Python keeps stable across versions."""
    if tests < 1 or files < 1:
        raise ValueError(f"tests={tests}, files={files}: a scenario needs at least one of each")
    if not 0 <= min_ms <= max_ms:
        raise ValueError(f"min_ms={min_ms}, max_ms={max_ms}: need 0 <= min_ms <= max_ms")
    rng = random.Random(seed)
    durations = tuple(round(min_ms + rng.random() * (max_ms - min_ms)) for _ in range(tests))
    draw = rng.random()
    if stratum is None:
        failure_at = int(draw * tests)
    else:
        index, count = stratum
        if not 0 <= index < count <= tests:
            raise ValueError(f"stratum={stratum}: need 0 <= i < k <= tests ({tests})")
        low, high = index * tests // count, (index + 1) * tests // count
        failure_at = low + int(draw * (high - low))
    return ScenarioPlan(seed, durations, failure_at, min(files, tests), stratum)


def _test_source(plan: ScenarioPlan, index: int) -> str:
    iterations = plan.durations_ms[index] * ITERATIONS_PER_MS
    lines = [f"def {_test_name(index)}():", f"    work({iterations})"]
    if index == plan.failure_at:
        lines += [
            "    total = sum(range(4))",
            f'    assert total == 7, "injected failure: scenario seed {plan.seed}, '
            f'test {index + 1} of {plan.tests}"',
        ]
    return "\n".join(lines) + "\n"


WORK = """def work(iterations):
    \"\"\"A first-order filter over a sawtooth: pure Python, as coverage sees DSP code.\"\"\"
    level = 0.0
    for i in range(iterations):
        level = 0.9 * level + 0.1 * (i % 7)
    return level
"""


def scenario_files(plan: ScenarioPlan) -> dict[str, str]:
    """Relative path -> text of every file of the scenario."""
    header = f"Fail-fast scenario, seed {plan.seed} (generated by tpr.failfast_scenario)"
    out = {
        "pyproject.toml": (
            f"# {header}: {plan.tests} tests, one injected failure\n"
            f"# (test {plan.failure_at + 1}, {plan.failure_id}). Its own pytest rootdir.\n"
            "[tool.pytest.ini_options]\n"
            'testpaths = ["tests"]\n'
        ),
        MANIFEST_NAME: canonical_json(plan.as_dict()),
    }
    for part in range(plan.files):
        low, high = plan.file_bounds(part)
        body = "\n\n".join(_test_source(plan, index) for index in range(low, high))
        out[f"tests/{plan.file_name(part)}"] = (
            f'"""{header}: part {part + 1} of {plan.files}."""\n\n\n{WORK}\n\n{body}'
        )
    return out


def write_scenario(directory: Path, seed: int, **plan_options: Any) -> Path:
    """Write the scenario of ``seed`` (``plan_options`` as for ``plan_scenario``) into
    ``directory``, removing test files of an earlier scenario there; the same arguments
    give byte-identical files."""
    plan = plan_scenario(seed, **plan_options)
    directory = Path(directory)
    for stale in (directory / "tests").glob("test_part_*.py"):
        stale.unlink()
    for relative, text in scenario_files(plan).items():
        write_text(directory / relative, text)
    return directory


def _relay_events(source: Path, log: EventLog | None) -> None:
    """Append a run's events (already carrying the shared run id) to the real log."""
    if log is not None and source.is_file():
        text = source.read_text(encoding="utf-8")
        log.append([line for line in text.splitlines() if line.strip()])


def _check_run(
    plan: ScenarioPlan, mode: str, result: PytestResult, artifacts: Path, what: str
) -> dict[str, Any]:
    """What the run did, after checking it did what its mode promises."""

    def fail(problem: str) -> ScenarioError:
        return ScenarioError(f"{what}: {problem}\n{result.tail(25)}")

    if result.exit_code != TESTS_FAILED:
        raise fail(f"pytest exited with {result.exit_code}, expected {TESTS_FAILED}")
    reported = (artifacts / COVERAGE_XML).is_file()
    measured = any(artifacts.glob(".coverage*"))
    if reported != (mode == "off") or measured != (mode != "hard"):
        raise fail(
            f"{mode} mode: coverage data {'kept' if measured else 'absent'}, "
            f"{COVERAGE_XML} {'written' if reported else 'not written'}; expected off to "
            "report, soft to keep the data unreported and hard to measure nothing"
        )
    summary_path = artifacts / SUMMARY_NAME
    fix = "the tpr fail-fast plugin did not write it"
    if mode == "off":
        if summary_path.exists():
            raise fail(f"off mode wrote {SUMMARY_NAME}")
        try:
            durations = read_json(artifacts / DURATIONS_NAME, what="durations", fix=fix)
        except ArtifactError as exc:
            raise fail(str(exc)) from None
        if durations["tests"] != plan.tests:
            raise fail(f"off mode ran {durations['tests']} of {plan.tests} tests")
        return {"tests_run": durations["tests"], "time_to_detection_s": None}
    try:
        summary = read_json(summary_path, what="the fail-fast summary", fix=fix)
    except ArtifactError as exc:
        raise fail(str(exc)) from None
    if summary.get("mode") != mode or summary.get("first_failure") != plan.failure_id:
        raise fail(
            f"summary says mode {summary.get('mode')!r}, first failure "
            f"{summary.get('first_failure')!r}; expected {mode!r}, {plan.failure_id!r}"
        )
    if summary.get("tests_run") != plan.failure_at + 1:
        raise fail(f"{mode} mode ran {summary.get('tests_run')} tests, not {plan.failure_at + 1}")
    return {
        "tests_run": summary["tests_run"],
        "time_to_detection_s": summary["time_to_detection_s"],
    }


def _stats(values: Sequence[float]) -> dict[str, Any]:
    return {
        "mean_s": round(statistics.fmean(values), 6),
        "median_s": round(statistics.median(values), 6),
        "min_s": round(min(values), 6),
        "max_s": round(max(values), 6),
        "samples_s": [round(v, 6) for v in values],
    }


def _improvement(value: float, baseline: float) -> float:
    return round(100 * (1 - value / baseline), 2)


def measure(
    seed: int,
    *,
    repeats: int = 3,
    scenarios: int = 5,
    tests: int = 40,
    files: int = 4,
    min_ms: int = 50,
    max_ms: int = 350,
    config: TprConfig | None = None,
    log: EventLog | None = None,
    workdir: Path | None = None,
    echo: Callable[[str], Any] | None = print,
) -> dict[str, Any]:
    """Detection time per mode over ``scenarios`` seeded failure positions, each mode run
    ``repeats`` times per scenario, the modes interleaved (off, soft, hard, off, ...).

    Each run is ``python -m tpr run --coverage --failfast-mode MODE -- -q`` with a fresh
    artifact directory (TPR_ARTIFACT_DIR) under ``workdir`` (a temporary directory when
    None), so the scenario's durations and histories never mix with the caller's artifacts. With
    ``log`` the runs share its run id (TPR_RUN_ID) and their events (failfast_mode_applied,
    early_exit_detected, ...) are appended to it after each run. Raises ScenarioError
    when a run does not behave as its mode promises."""
    modes = FAILFAST_MODES
    if repeats < 1 or scenarios < 1:
        raise UsageError(
            f"--repeats {repeats}, --scenarios {scenarios}: each must be at least 1; "
            "pass --repeats 1 (or more) and --scenarios 1 (or more)"
        )
    if scenarios > tests:
        raise ValueError(f"scenarios={scenarios} > tests={tests}: one failure slice per test")
    config = config or TprConfig()
    say = echo or (lambda line: None)
    plans = [
        plan_scenario(
            seed + i,
            tests=tests,
            files=files,
            min_ms=min_ms,
            max_ms=max_ms,
            stratum=(i, scenarios),
        )
        for i in range(scenarios)
    ]
    samples: dict[str, list[float]] = {mode: [] for mode in modes}
    in_process: dict[str, list[float]] = {mode: [] for mode in modes}
    per_scenario: list[dict[str, list[float]]] = [{mode: [] for mode in modes} for _ in plans]
    runs: list[dict[str, Any]] = []
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tpr-ff-")))
        workdir = Path(workdir)
        runner = log or EventLog(workdir / LOG_NAME, enabled=False)  # its run id only
        directories = []
        for i, plan in enumerate(plans):
            directory = write_scenario(
                workdir / f"scenario-{i + 1}",
                plan.seed,
                tests=tests,
                files=files,
                min_ms=min_ms,
                max_ms=max_ms,
                stratum=plan.stratum,
            )
            directories.append(directory)
            # Warm-up, not counted: compiles the test files and warms the disk cache.
            warmup = workdir / "warmup"
            run_pytest(
                ["-q", "-p", "no:cacheprovider", "--collect-only", f"--tpr-dir={warmup}"],
                root=directory,
                log=EventLog(warmup / LOG_NAME, enabled=False),
                env=CHILD_ENV,
            )
        total = repeats * len(plans) * len(modes)
        number = 0
        for repeat in range(repeats):
            for i, (plan, directory) in enumerate(zip(plans, directories, strict=True)):
                for mode in modes:
                    number += 1
                    artifacts = workdir / "runs" / f"{number:03d}-scenario{i + 1}-{mode}"
                    command = ["-m", "tpr", "--root", str(directory), "run", "--coverage"]
                    command += ["--failfast-mode", mode, "--", "-q", "-p", "no:cacheprovider"]
                    result = run_pytest(
                        [],
                        root=directory,
                        log=runner,
                        env={**CHILD_ENV, "TPR_ARTIFACT_DIR": str(artifacts)},
                        prefix=command,
                    )
                    what = f"scenario {i + 1} (seed {plan.seed}), {mode} mode, run {number}"
                    checked = _check_run(plan, mode, result, artifacts, what)
                    _relay_events(artifacts / LOG_NAME, log)
                    samples[mode].append(result.wall_s)
                    per_scenario[i][mode].append(result.wall_s)
                    if checked["time_to_detection_s"] is not None:
                        in_process[mode].append(checked["time_to_detection_s"])
                    runs.append(
                        {
                            "run": number,
                            "repeat": repeat + 1,
                            "scenario": i + 1,
                            "mode": mode,
                            "wall_s": round(result.wall_s, 6),
                            "exit_code": result.exit_code,
                            **checked,
                        }
                    )
                    detected = checked["time_to_detection_s"]
                    say(
                        f"[{number}/{total}] scenario {i + 1} (fails at test "
                        f"{plan.failure_at + 1}/{plan.tests}) {mode:>4}: "
                        f"{result.wall_s:.3f} s to exit {result.exit_code}, "
                        f"{checked['tests_run']} tests run"
                        + (
                            f", in-process detection {detected:.3f} s"
                            if detected is not None
                            else ""
                        )
                    )
    off = _stats(samples["off"])
    targets = {"soft": config.soft_target_pct, "hard": config.hard_target_pct}
    by_mode: dict[str, dict[str, Any]] = {}
    for mode in modes:
        entry = _stats(samples[mode])
        if in_process[mode]:
            entry["in_process_detection"] = _stats(in_process[mode])
        if mode != "off":
            entry["ratio_vs_off"] = round(entry["mean_s"] / off["mean_s"], 4)
            entry["improvement_pct"] = _improvement(entry["mean_s"], off["mean_s"])
            entry["improvement_pct_median"] = _improvement(entry["median_s"], off["median_s"])
            entry["target_pct"] = targets[mode]
            entry["met"] = entry["improvement_pct"] >= targets[mode]
        by_mode[mode] = entry
    skipped = [1 - plan.work_to_failure_s / plan.suite_work_s for plan in plans]
    return {
        "seed": seed,
        "tests": tests,
        "repeats": repeats,
        "method": METHOD,
        "python": platform.python_version(),
        "scenarios": [
            {
                **plan.as_dict(),
                "mean_s": {m: round(statistics.fmean(v), 6) for m, v in per.items()},
            }
            for plan, per in zip(plans, per_scenario, strict=True)
        ],
        "test_time_skipped_pct": round(100 * statistics.fmean(skipped), 2),
        "modes": by_mode,
        "ok": all(entry.get("met", True) for entry in by_mode.values()),
        "runs": runs,
    }


def write_failfast_results(
    root: Path, config: TprConfig, log: EventLog, results: dict[str, Any]
) -> dict[str, Any]:
    """``<artifacts>/failfast.benchmark.json`` with its SHA-256 embedded; returns the
    document as written."""
    document = {**results, "run_id": log.run_id}
    digest = write_hashed_json(config.artifacts(root) / BENCHMARK_NAME, document)
    return {**document, "sha256": digest}


def format_failfast(results: dict[str, Any]) -> str:
    """A short table: mean and median detection time per mode against off, and targets."""
    modes = results["modes"]
    lines = [
        f"fail-fast detection time: seed {results['seed']}, {len(results['scenarios'])} "
        f"scenarios x {results['repeats']} repeats, {results['tests']} tests each "
        f"(tests skipped after the failure: {results['test_time_skipped_pct']:.0f}% of "
        "test time)",
        f"{'mode':<5} {'mean s':>7} {'median s':>9} {'improvement':>12} {'(median)':>9} "
        f"{'target':>7}  met",
    ]
    for mode, entry in modes.items():
        if mode == "off":
            extra = f"{'-':>12} {'-':>9} {'-':>7}  -"
        else:
            extra = (
                f"{entry['improvement_pct']:>11.1f}% {entry['improvement_pct_median']:>8.1f}% "
                f"{entry['target_pct']:>6.0f}%  {'yes' if entry['met'] else 'NO'}"
            )
        lines.append(f"{mode:<5} {entry['mean_s']:>7.3f} {entry['median_s']:>9.3f} {extra}")
    verdict = "all targets met" if results["ok"] else "target missed"
    lines.append(f"AC-2: {verdict}")
    return "\n".join(lines)
