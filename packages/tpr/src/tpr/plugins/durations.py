"""Plugin: per-test durations (setup + call + teardown) -> ``durations.json`` with
p50/p90/p95/p99 and the top-N slow tests. Under xdist the controller receives every
worker's reports, so the file covers the whole run. Off in hard fail-fast mode."""

from __future__ import annotations

import pytest

from ..artifacts import write_json
from ..stats import duration_summary
from .context import RunContext, context

DURATIONS_NAME = "durations.json"


class DurationRecorder:
    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.per_test: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.per_test[report.nodeid] = self.per_test.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        summary = duration_summary(self.per_test, self.run.config.top_n_slow)
        summary["partial"] = bool(session.shouldstop or session.shouldfail)
        summary["per_test_s"] = {k: round(v, 6) for k, v in sorted(self.per_test.items())}
        summary["run_id"] = self.run.log.run_id
        write_json(self.run.artifacts / DURATIONS_NAME, summary)
        self.run.written.append(DURATIONS_NAME)


def pytest_configure(config: pytest.Config) -> None:
    run = context(config)
    if run.controller and run.profiling:  # hard fail-fast mode skips the profiling
        config.pluginmanager.register(DurationRecorder(run), "tpr_duration_recorder")
