"""Plugin: the property pilot (AC-3).

Seeds Hypothesis from TPR_SEED (unless ``--hypothesis-seed`` is given or the seed is
``none``). With ``--tpr-property-report FILE`` (what `tpr property` passes), tests
carrying the property marker also have their examples counted and their falsifying
examples kept, and FILE gets them per test. (Hypothesis's observability callbacks
would give the same, but made each property test about twice as slow.)
"""

from __future__ import annotations

import functools
import json
import re
import sys
import time
from pathlib import Path

import pytest

from ..artifacts import write_json
from .context import RunContext, context

USER_PROPERTY = "tpr_property"
# Hypothesis's pytest plugin: its entry point's name, or its module's when a conftest
# loads it by pytest_plugins; and the key its reports carry a failing example under.
HYPOTHESIS_PLUGINS = ("hypothesispytest", "_hypothesis_pytestplugin")
HYPOTHESIS_EXAMPLES_KEY = "_hypothesis_failing_examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpr")
    group.addoption(
        "--tpr-property-report",
        default=None,
        metavar="FILE",
        help="write the property tests' outcomes, examples and runtimes to FILE (JSON)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    run = context(config)
    marker = run.config.property_marker
    config.addinivalue_line(
        "markers", f"{marker}: a Hypothesis property test of the tpr property pilot"
    )
    if run.controller and config.getoption("tpr_property_report"):
        config.pluginmanager.register(PropertyReport(run, config), "tpr_property_report")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Seed Hypothesis from TPR_SEED, once collection shows a Hypothesis test to seed.

    Not through ``--hypothesis-seed`` at configure time: any Hypothesis option makes its
    plugin import Hypothesis (over half a second) in every run, property tests or not."""
    seed = context(config).config.seed
    if seed is None or getattr(config.option, "hypothesis_seed", None) is not None:
        return  # unseeded, or the user's --hypothesis-seed wins
    if any(getattr(getattr(item, "obj", None), "hypothesis", None) for item in items):
        from hypothesis import core

        core.global_force_seed = seed


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Set Hypothesis's plugin aside when it has nothing to report.

    Its terminal summary imports Hypothesis (0.2-0.7 s; the suite here starts hundreds
    of pytest runs) to list the files its observability wrote and the patches for failing
    examples. Where Hypothesis never ran in this process (not imported) and no report
    carries a failing example (an xdist worker's), there are none, so the summary would
    only pay for the import. The terminal reporter calls the summary after this hook."""
    if "hypothesis" in sys.modules:
        return
    manager = session.config.pluginmanager
    reporter = manager.get_plugin("terminalreporter")
    groups = reporter.stats.values() if reporter is not None else ()
    reports = (report for group in groups for report in group)
    if any(HYPOTHESIS_EXAMPLES_KEY in getattr(report, "__dict__", ()) for report in reports):
        return
    for name in HYPOTHESIS_PLUGINS:
        plugin = manager.get_plugin(name)
        if plugin is not None:
            manager.unregister(plugin)


_EXAMPLE = re.compile(r"^(E?\s*)(?:Falsifying example|Failing test case): (.*)$")


def falsifying_examples(text: str) -> list[str]:
    """The failing calls Hypothesis notes on a failure ("Failing test case: f(...)",
    "Falsifying example: f(...)" before Hypothesis 6.1xx), as multi-line text."""
    lines = text.splitlines()
    examples = []
    for number, line in enumerate(lines):
        match = _EXAMPLE.match(line)
        if match is None:
            continue
        indent, example = len(match.group(1)), match.group(2)
        depth = example.count("(") - example.count(")")
        while depth > 0 and number + 1 < len(lines):
            number += 1
            more = lines[number][indent:]
            example += "\n" + more
            depth += more.count("(") - more.count(")")
        examples.append(example)
    return examples


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Counts the examples of a property test by wrapping its ``inner_test``, the hook
    Hypothesis offers plugins for wrapping the test body."""
    run = context(item.config)
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if (
        handle is None
        or not item.config.getoption("tpr_property_report")
        or item.get_closest_marker(run.config.property_marker) is None
    ):
        return (yield)
    inner = handle.inner_test
    examples = 0

    @functools.wraps(inner)
    def counted(*args, **kwargs):
        nonlocal examples
        examples += 1
        return inner(*args, **kwargs)

    handle.inner_test = counted
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        handle.inner_test = inner
        entry = {
            "examples": examples,
            "runtime_ms": round((time.perf_counter() - start) * 1000, 3),
            "seed": run.config.seed,
        }
        item.user_properties.append((USER_PROPERTY, json.dumps(entry)))


class PropertyReport:
    def __init__(self, run: RunContext, config: pytest.Config) -> None:
        self.run = run
        self.path = Path(config.getoption("tpr_property_report"))
        self.tests: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            for name, value in report.user_properties:
                if name == USER_PROPERTY:
                    entry = json.loads(value)
                    entry["outcome"] = report.outcome
                    entry["falsifying_examples"] = (
                        falsifying_examples(report.longreprtext) if report.failed else []
                    )
                    self.tests[report.nodeid] = entry
        elif report.failed and report.nodeid in self.tests:
            self.tests[report.nodeid]["outcome"] = "failed"  # a failing teardown

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        write_json(self.path, {"seed": self.run.config.seed, "tests": self.tests})
