"""Plugin: the property pilot (AC-3).

Seeds Hypothesis from TPR_SEED (unless ``--hypothesis-seed`` is given or the seed is
``none``), and for tests carrying the property marker counts the examples Hypothesis
ran and keeps falsifying examples, through Hypothesis's observability callbacks.
``--tpr-property-report FILE`` writes them, per test, for `tpr property`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ..artifacts import write_json
from .context import RunContext, context

USER_PROPERTY = "tpr_property"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpr")
    group.addoption(
        "--tpr-property-report",
        default=None,
        metavar="FILE",
        help="write the property tests' outcomes, examples and runtimes to FILE (JSON)",
    )


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin reads its seed option
def pytest_configure(config: pytest.Config) -> None:
    run = context(config)
    marker = run.config.property_marker
    config.addinivalue_line(
        "markers", f"{marker}: a Hypothesis property test of the tpr property pilot"
    )
    seedable = hasattr(config.option, "hypothesis_seed")  # Hypothesis's plugin is loaded
    if run.config.seed is not None and seedable and config.option.hypothesis_seed is None:
        config.option.hypothesis_seed = run.config.seed
    if run.controller and config.getoption("tpr_property_report"):
        config.pluginmanager.register(PropertyReport(run, config), "tpr_property_report")


def _observer():
    try:
        from hypothesis.internal.observability import with_observability_callback
    except ImportError:  # Hypothesis without observability callbacks: no example counts
        return None
    return with_observability_callback


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    run = context(item.config)
    observe = _observer()
    if item.get_closest_marker(run.config.property_marker) is None or observe is None:
        return (yield)
    counts = {"passed": 0, "failed": 0, "gave_up": 0}
    falsifying: list[str] = []

    def seen(observation) -> None:
        if getattr(observation, "type", None) == "test_case":
            counts[observation.status] = counts.get(observation.status, 0) + 1
            if observation.status == "failed":
                falsifying.append(observation.representation)

    start = time.perf_counter()
    try:
        with observe(seen):
            return (yield)
    finally:
        item.user_properties.append(
            (
                USER_PROPERTY,
                json.dumps(
                    {
                        "examples": sum(counts.values()),
                        "statuses": counts,
                        "falsifying_examples": falsifying,
                        "runtime_ms": round((time.perf_counter() - start) * 1000, 3),
                        "seed": run.config.seed,
                    }
                ),
            )
        )


class PropertyReport:
    def __init__(self, run: RunContext, config: pytest.Config) -> None:
        self.run = run
        self.path = Path(config.getoption("tpr_property_report"))
        self.tests: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == USER_PROPERTY:
                entry = json.loads(value)
                entry["outcome"] = report.outcome
                self.tests[report.nodeid] = entry
        if report.failed and report.nodeid in self.tests:
            self.tests[report.nodeid]["outcome"] = "failed"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        write_json(self.path, {"seed": self.run.config.seed, "tests": self.tests})
