"""Reconciling the runner's manifest with the static tests: what the runner leaves out
on purpose (deselected items, modules skipped at collection) is not a mismatch."""

from __future__ import annotations

import textwrap

from tddprose.adapters.pytest_static import parse_test_file
from tddprose.ir import SKIPPED_BY_RUNNER
from tddprose.runner import reconcile

SOURCE = """
import pytest

@pytest.mark.parametrize("x", ["", "a"])
def test_cases(x):
    assert x == x.strip()

def test_plain():
    assert True
"""


def static(path: str):
    return list(parse_test_file(path, textwrap.dedent(SOURCE).encode(), "tests").tests)


def item(path: str, function: str, case: str | None = None) -> dict:
    return {
        "path": path,
        "classes": [],
        "function": function,
        "case": case or "",
        "parametrized": case is not None,
        "unittest": False,
        "markers": [],
        "anchors": [],
        "status": "active",
        "line": 1,
    }


def test_tests_of_a_module_the_runner_skipped_keep_their_static_facts():
    tests = static("tests/test_optional.py") + static("tests/test_gone.py")
    manifest = {
        "items": [],
        "skipped": [
            {"nodeid": "tests/test_optional.py", "path": "tests/test_optional.py", "reason": "x"}
        ],
    }
    merged, diagnostics = reconcile(tests, manifest, {})
    sources = {(t.locator.path, t.name): t.source for t in merged}
    assert sources == {
        ("tests/test_optional.py", "test_cases"): SKIPPED_BY_RUNNER,
        ("tests/test_optional.py", "test_plain"): SKIPPED_BY_RUNNER,
        ("tests/test_gone.py", "test_cases"): "static",
        ("tests/test_gone.py", "test_plain"): "static",
    }
    assert [(d.severity, d.code) for d in diagnostics] == [("info", "runner_skipped_module")]


def test_deselected_items_count_as_collected_with_their_cases():
    path = "tests/test_marked.py"
    manifest = {
        "items": [item(path, "test_plain")],
        "deselected": [item(path, "test_cases", ""), item(path, "test_cases", "a")],
    }
    merged, _ = reconcile(static(path), manifest, {})
    by_name = {t.name: t for t in merged}
    assert {t.source for t in merged} == {"both"}
    assert [p.name for p in by_name["test_cases"].parameters] == ["", "a"]
