"""A pytest plugin (``-p pipelines_report``) that writes what pytest collected and how each test
ended to the JSON file named by ``PIPELINES_PYTEST_REPORT``. Without that variable it does
nothing. Read by ``pipelines.pytest_run``; standalone, it must not import ``pipelines``.

The report: ``{"collected": [node ids], "collection_errors": [{file, kind, message}],
"phases": [{nodeid, when, outcome, duration, wasxfail, message}], "exitstatus": int}``.
Combining the phases of a test into one outcome is left to the reader.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

import pytest

REPORT_ENV = "PIPELINES_PYTEST_REPORT"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _describe(exc: BaseException) -> str:
    # The type's own name: "MaskedError: ...", not "sitecustomize.MaskedError: ...".
    line = _first_line(str(exc))
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def _longrepr_line(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return _first_line(crash.message)
    lines = [line.strip() for line in report.longreprtext.splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1][1:].strip() if lines[-1].startswith("E ") else lines[-1]


def _same_file(filename: str | None, path) -> bool:
    if not filename or path is None:
        return False
    try:
        return Path(filename).resolve() == Path(path).resolve()
    except OSError:
        return False


def classify(exc: BaseException, path) -> tuple[str, str]:
    """(kind, message) of what collecting the file at ``path`` raised."""
    # pytest wraps a test module's SyntaxError and ImportError in a CollectError.
    while isinstance(exc, pytest.Collector.CollectError) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, SyntaxError):
        # A SyntaxError in a module the test file imports: importing that module failed.
        return ("syntax" if _same_file(exc.filename, path) else "import"), _describe(exc)
    if isinstance(exc, ImportError) or _missing_from_module(exc):
        return "import", _describe(exc)
    return "other", _describe(exc)


def _missing_from_module(exc: BaseException) -> bool:
    """`module.name` failing at import time: `from module import name` would be an ImportError."""
    return isinstance(exc, AttributeError) and isinstance(getattr(exc, "obj", None), ModuleType)


def _classify_text(report) -> tuple[str, str]:
    """For a collection error whose exception we did not see."""
    text = report.longreprtext
    if "ImportError while importing test module" in text or "AttributeError: module '" in text:
        return "import", _longrepr_line(report)
    if "SyntaxError" in text or "IndentationError" in text:
        return "syntax", _longrepr_line(report)
    return "other", _longrepr_line(report)


class Recorder:
    def __init__(self, target: Path) -> None:
        self.target = target
        self.collected: list[str] = []
        self.collection_errors: list[dict] = []
        self.phases: list[dict] = []
        self.messages: dict[tuple[str, str], str] = {}  # (nodeid, when) -> "Type: first line"
        self.collect_errors: dict[str, tuple[str, str]] = {}  # nodeid -> (kind, message)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if call.excinfo is not None and report.outcome == "failed":
            message = _describe(call.excinfo.value)
            # A missing fixture's exception holds the request, its report says what is wrong.
            explained = getattr(report.longrepr, "errorstring", None)
            if isinstance(explained, str) and explained.strip():
                message = f"{call.excinfo.typename}: {_first_line(explained)}"
            self.messages[item.nodeid, call.when] = message
        return report

    def pytest_runtest_logreport(self, report) -> None:
        message = ""
        if report.outcome == "failed":
            message = self.messages.pop((report.nodeid, report.when), "")
            message = message or _longrepr_line(report)
        elif report.outcome == "skipped" and isinstance(report.longrepr, tuple):
            message = report.longrepr[2]
        self.phases.append(
            {
                "nodeid": report.nodeid,
                "when": report.when,
                "outcome": report.outcome,
                "duration": report.duration,
                "wasxfail": hasattr(report, "wasxfail"),
                "message": _first_line(message),
            }
        )

    def pytest_exception_interact(self, node, call, report) -> None:
        # Called for a collection error before pytest_collectreport, with the exception.
        if isinstance(report, pytest.CollectReport) and call.excinfo is not None:
            path = getattr(node, "path", None)
            self.collect_errors[report.nodeid] = classify(call.excinfo.value, path)

    def pytest_collectreport(self, report) -> None:
        if not report.failed:
            return
        kind, message = self.collect_errors.pop(report.nodeid, None) or _classify_text(report)
        file = report.nodeid.partition("::")[0] or "."
        self.collection_errors.append({"file": file, "kind": kind, "message": message})

    def pytest_collection_finish(self, session) -> None:
        self.collected.extend(item.nodeid for item in session.items)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        report = {
            "collected": self.collected,
            "collection_errors": self.collection_errors,
            "phases": self.phases,
            "exitstatus": int(exitstatus),
        }
        self.target.write_text(json.dumps(report), encoding="utf-8")


def pytest_configure(config) -> None:
    target = os.environ.get(REPORT_ENV)
    if target:
        config.pluginmanager.register(Recorder(Path(target)), "pipelines_report_recorder")
