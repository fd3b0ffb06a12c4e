"""Plugin: marker usage -> ``markers.usage.json`` (how many collected tests carry each
marker, registered markers never used, markers used without registration). xdist
workers collect; each sends its counts to the controller through ``workeroutput``."""

from __future__ import annotations

import json

import pytest

from ..artifacts import write_json
from .context import RunContext, context

MARKERS_NAME = "markers.usage.json"
BUILTIN = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}


def count_markers(items: list[pytest.Item]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        for name in {mark.name for mark in item.iter_markers()}:
            counts[name] = counts.get(name, 0) + 1
    return counts


def registered_markers(config: pytest.Config) -> list[str]:
    names = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    return sorted(name for name in names if name)


class MarkerRecorder:
    def __init__(self, run: RunContext, config: pytest.Config) -> None:
        self.run, self.config = run, config
        self.counts: dict[str, int] | None = None
        self.items = 0

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.counts, self.items = count_markers(items), len(items)
        if self.run.worker:
            self.config.workeroutput["tpr_markers"] = json.dumps([self.items, self.counts])

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        # Every worker collects the whole suite; the counts of the first that reports do.
        data = getattr(node, "workeroutput", {}).get("tpr_markers")
        if data and self.counts is None:
            self.items, self.counts = json.loads(data)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.run.worker or self.counts is None:
            return
        registered = registered_markers(self.config)
        used = self.counts
        write_json(
            self.run.artifacts / MARKERS_NAME,
            {
                "items_collected": self.items,
                "usage": dict(sorted(used.items())),
                "registered": registered,
                "registered_unused": [m for m in registered if m not in used and m not in BUILTIN],
                "used_unregistered": sorted(
                    m for m in used if m not in registered and m not in BUILTIN
                ),
                "run_id": self.run.log.run_id,
            },
        )
        self.run.written.append(MARKERS_NAME)


def pytest_configure(config: pytest.Config) -> None:
    run = context(config)
    if run.profiling:  # hard fail-fast mode skips the profiling
        config.pluginmanager.register(MarkerRecorder(run, config), "tpr_marker_recorder")
