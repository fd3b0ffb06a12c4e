"""Plugin: fail-fast modes (AC-2). ``--failfast-mode`` (wins) or TPR_FAILFAST_MODE.

off   run everything.
soft  stop at the first failure; durations, outcomes and markers are still written
      (partial metrics) and ``failfast.summary.json`` says what failed and when.
hard  stop at the first failure (pytest's -x) and skip the remaining profiling
      (durations, markers); the summary is an emergency summary with a rollback
      evaluation.
"""

from __future__ import annotations

import time

import pytest

from .. import FAILFAST_MODES
from ..artifacts import write_hashed_json
from .context import RunContext, context

SUMMARY_NAME = "failfast.summary.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpr")
    group.addoption(
        "--failfast-mode",
        choices=FAILFAST_MODES,
        default=None,
        help="off: run everything; soft: stop at the first failure, keep partial metrics; "
        "hard: -x and skip profiling (default: TPR_FAILFAST_MODE, else off)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    run = context(config)
    mode = run.config.failfast_mode
    if mode != "off":
        config.option.maxfail = 1  # xdist's controller honours maxfail as well
    if run.controller:
        if mode != "off":  # off writes no summary: nothing to record
            config.pluginmanager.register(FailFastRecorder(run), "tpr_failfast_recorder")
        run.log.emit(
            "failfast_mode_applied",
            mode=mode,
            source=run.config.origin("failfast_mode"),
            maxfail=config.option.maxfail,
            profiling=run.profiling,
        )


class FailFastRecorder:
    """Notes the first failure (a test phase or a collection error) and writes the summary."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.first: dict | None = None
        self.tests_run = 0

    def _failed(self, nodeid: str, phase: str) -> None:
        if self.first is not None:
            return
        elapsed = round(time.perf_counter() - self.run.started, 6)
        self.first = {"test_id": nodeid, "phase": phase, "elapsed_s": elapsed}
        self.run.log.emit(
            "early_exit_detected",
            mode=self.run.config.failfast_mode,
            test_id=nodeid,
            phase=phase,
            elapsed_s=elapsed,
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.tests_run += 1
        if report.failed:
            self._failed(report.nodeid, report.when)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._failed(report.nodeid or "<collection>", "collect")

    @pytest.hookimpl(trylast=True)  # after the metric plugins wrote their partial files
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        mode = self.run.config.failfast_mode
        if self.first is None:
            return
        summary = {
            "mode": mode,
            "first_failure": self.first["test_id"],
            "first_failure_phase": self.first["phase"],
            "time_to_detection_s": self.first["elapsed_s"],
            "session_elapsed_s": round(time.perf_counter() - self.run.started, 6),
            "tests_run": self.tests_run,
            "tests_collected": session.testscollected,
            "run_id": self.run.log.run_id,
        }
        if mode == "soft":
            summary["partial_metrics"] = sorted(self.run.written)
        else:
            summary["emergency"] = True
            summary["profiling_skipped"] = ["durations", "markers"]
            from ..rollback import evaluate_rollback  # only an emergency needs it

            summary["rollback"] = evaluate_rollback(self.run.root, self.run.config, self.run.log)
        path = self.run.artifacts / SUMMARY_NAME
        write_hashed_json(path, summary)
        self.run.written.append(SUMMARY_NAME)
