"""Plugin: the run's place in the event log (``test_run_start`` / ``test_run_complete``)
and the artifact directory option."""

from __future__ import annotations

import time

import pytest

from .context import context


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpr", "tpr test platform")
    group.addoption(
        "--tpr-dir",
        default=None,
        metavar="DIR",
        help="where tpr writes its artifacts and events.log.jsonl (default: .tpr/ in rootdir)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    run = context(config)
    if run.controller:
        run.log.emit("test_run_start", args=list(config.invocation_params.args))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = context(session.config)
    if run.controller:
        run.log.emit(
            "test_run_complete",
            exit_status=int(exitstatus),
            tests_collected=session.testscollected,
            tests_failed=session.testsfailed,
            elapsed_s=round(time.perf_counter() - run.started, 3),
            artifacts=sorted(run.written),
        )


def pytest_report_header(config: pytest.Config) -> str:
    run = context(config)
    return f"tpr: artifacts in {run.artifacts}, run id {run.log.run_id}"
