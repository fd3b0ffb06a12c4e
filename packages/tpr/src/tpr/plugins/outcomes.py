"""Plugin: each test's outcome and failure signature -> one history file per run under
``history/`` (the last ``history_runs`` are kept). Flake detection reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from ..artifacts import write_json
from ..flake import HISTORY_DIR, signature_of_report
from ..tree import tree_id
from .context import RunContext, context


class OutcomeRecorder:
    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.outcomes: dict[str, dict] = {}

    def _record(self, nodeid: str, outcome: str, report) -> None:
        current = self.outcomes.get(nodeid)
        if current is not None and current["outcome"] in ("failed", "error"):
            return  # a failing call then a failing teardown: the first failure is the one
        signature = (
            signature_of_report(report, self.run.root) if outcome in ("failed", "error") else None
        )
        self.outcomes[nodeid] = {"outcome": outcome, "signature": signature}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            outcome = report.outcome
            if report.when == "setup" and report.failed:
                outcome = "error"
            if hasattr(report, "wasxfail"):
                outcome = "xfailed" if report.skipped else "xpassed"
            self._record(report.nodeid, outcome, report)
        elif report.when == "teardown" and report.failed:
            self._record(report.nodeid, "error", report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._record(report.nodeid or "<collection>", "error", report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.outcomes:
            return
        now = dt.datetime.now(dt.timezone.utc)
        history = self.run.artifacts / HISTORY_DIR
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{self.run.log.run_id}.json"
        write_json(
            history / name,
            {
                "run_id": self.run.log.run_id,
                "timestamp": now.isoformat(timespec="seconds"),
                "tree": tree_id(self.run.root, exclude=self.run.artifacts),
                "partial": bool(session.shouldstop or session.shouldfail),
                "outcomes": dict(sorted(self.outcomes.items())),
            },
        )
        self.run.written.append(f"{HISTORY_DIR}/{name}")
        for old in sorted(history.glob("*.json"))[: -self.run.config.history_runs]:
            old.unlink(missing_ok=True)


def pytest_configure(config: pytest.Config) -> None:
    run = context(config)
    if run.controller:
        config.pluginmanager.register(OutcomeRecorder(run), "tpr_outcome_recorder")
