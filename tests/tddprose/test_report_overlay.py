"""The run overlay: test results (JUnit XML, pytest-json-report, CTRF) read, matched to
the ledger's evidence, and written as a JSON report, a CTRF document and an HTML page."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from tddprose.model import Behavior, BehaviorGraph, Evidence
from tddprose.overlay import build_overlay, evidence_nodeids, write_overlay
from tddprose.results import ResultsError, TestResult, match_results, read_results
from tests._support.tddprose_project import pytest_junit

TINY_SUITE = """
    import pytest

    def test_adds():
        assert 1 + 1 == 2

    def test_subtracts():
        assert 3 - 1 == 1, "subtraction is broken"

    @pytest.mark.skip(reason="not today")
    def test_divides():
        pass

    class TestGroup:
        @pytest.mark.parametrize("n", [1, 2], ids=["one", "two"])
        def test_small(self, n):
            assert n < 2
    """
TINY = "tests/test_tiny.py"
OUTPUT_NAMES = ["tdd-prose.ctrf.json", "tdd-prose.report.html", "tdd-prose.report.json"]
CTRF_STATUSES = {"passed", "failed", "skipped", "pending", "other"}


def behavior(
    behavior_id: str,
    block_id: str,
    title: str,
    *nodeids: str,
    eligibility: str = "behavior",
    inactive: tuple[str, ...] = (),
) -> Behavior:
    evidence = tuple(Evidence(f"t-{n}", n, 1.0, n not in inactive) for n in nodeids)
    return Behavior(
        behavior_id=behavior_id,
        block_id=block_id,
        title=title,
        evidence=evidence,
        fingerprint=f"fp-{behavior_id}",
        eligibility=eligibility,
        confidence=1.0,
        status="ok",
    )


def tiny_graph() -> BehaviorGraph:
    """Behaviors over the tiny suite, deliberately out of (block, id) order."""
    return BehaviorGraph(
        behaviors=(
            behavior("b-fail", "arithmetic", "Subtraction works", f"{TINY}::test_subtracts"),
            behavior("b-pass", "arithmetic", "Addition works", f"{TINY}::test_adds"),
            behavior("b-skip", "arithmetic", "Division works", f"{TINY}::test_divides"),
            behavior(
                "b-case",
                "groups",
                "Small numbers are small",
                f"{TINY}::TestGroup::test_small[one]",
            ),
            behavior(
                "b-func",
                "groups",
                "Every case is small",
                f"{TINY}::TestGroup::test_small",
                eligibility="internal",
            ),
            behavior("b-gone", "groups", "A deleted test", f"{TINY}::test_gone"),
            behavior(
                "b-mixed",
                "arithmetic",
                "Arithmetic, some of it",
                f"{TINY}::test_adds",
                f"{TINY}::test_divides",
            ),
        )
    )


@pytest.fixture(scope="module")
def junit_file(tmp_path_factory) -> Path:
    """pytest's own --junitxml output for the tiny suite, run in a subprocess."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "tests").mkdir()
    (root / TINY).write_text(textwrap.dedent(TINY_SUITE))
    xml = root / "results.xml"
    done = pytest_junit(root, xml, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert done.returncode == 1, done.stdout + done.stderr
    return xml


def by_nodeid(results: list[TestResult]) -> dict[str, TestResult]:
    return {r.nodeid: r for r in results}


def write(tmp_path: Path, name: str, content: str | dict) -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


# --- reading results ---------------------------------------------------------------


def test_pytest_junitxml_is_read_with_its_dotted_classnames(junit_file):
    results = by_nodeid(read_results(junit_file))

    assert set(results) == {
        "tests.test_tiny::test_adds",
        "tests.test_tiny::test_subtracts",
        "tests.test_tiny::test_divides",
        "tests.test_tiny.TestGroup::test_small[one]",
        "tests.test_tiny.TestGroup::test_small[two]",
    }
    assert results["tests.test_tiny::test_adds"].status == "passed"
    failed = results["tests.test_tiny::test_subtracts"]
    assert failed.status == "failed"
    assert "subtraction is broken" in failed.message
    skipped = results["tests.test_tiny::test_divides"]
    assert (skipped.status, skipped.message) == ("skipped", "not today")
    assert results["tests.test_tiny.TestGroup::test_small[two]"].status == "failed"
    assert all(r.duration_ms >= 0 for r in results.values())


def test_junit_error_is_failed_and_xfail_is_skipped(tmp_path):
    path = write(
        tmp_path,
        "handmade.xml",
        """<?xml version="1.0" encoding="utf-8"?>
        <testsuite name="pytest" tests="4">
          <testcase classname="tests.test_a" name="test_setup_breaks" time="0.5">
            <error message="failed on setup with &quot;KeyError&quot;">trace</error>
          </testcase>
          <testcase classname="tests.test_a" name="test_known_bug" time="0.25">
            <skipped type="pytest.xfail" message="bug 12" />
          </testcase>
          <testcase classname="tests.test_a" name="test_no_message" time="abc">
            <failure>first line
second line</failure>
          </testcase>
          <testcase classname="" name="tests.test_broken" time="0">
            <error message="collection failure" />
          </testcase>
        </testsuite>
        """,
    )

    results = by_nodeid(read_results(path))

    assert results["tests.test_a::test_setup_breaks"] == TestResult(
        "tests.test_a::test_setup_breaks", "failed", 500.0, 'failed on setup with "KeyError"'
    )
    assert results["tests.test_a::test_known_bug"].status == "skipped"
    assert results["tests.test_a::test_known_bug"].message == "bug 12"
    assert results["tests.test_a::test_no_message"] == TestResult(
        "tests.test_a::test_no_message", "failed", 0.0, "first line"
    )
    assert results["tests.test_broken"].status == "failed"


PYTEST_JSON_REPORT = {
    "created": 1700000000.0,
    "duration": 1.5,
    "exitcode": 1,
    "root": "/repo",
    "environment": {},
    "summary": {"passed": 2, "failed": 1, "error": 1, "skipped": 1, "total": 6},
    "collectors": [],
    "tests": [
        {
            "nodeid": "tests/test_a.py::test_ok",
            "lineno": 1,
            "outcome": "passed",
            "keywords": ["test_ok"],
            "setup": {"duration": 0.001, "outcome": "passed"},
            "call": {"duration": 0.002, "outcome": "passed"},
            "teardown": {"duration": 0.003, "outcome": "passed"},
        },
        {
            "nodeid": "tests/test_a.py::test_bad[x]",
            "lineno": 5,
            "outcome": "failed",
            "keywords": [],
            "setup": {"duration": 0.0, "outcome": "passed"},
            "call": {
                "duration": 0.01,
                "outcome": "failed",
                "crash": {"path": "/repo/tests/test_a.py", "lineno": 6, "message": "assert 1 == 2"},
                "longrepr": "def test_bad():\n>       assert 1 == 2\nE       assert 1 == 2",
            },
            "teardown": {"duration": 0.0, "outcome": "passed"},
        },
        {
            "nodeid": "tests/test_a.py::test_fixture_breaks",
            "outcome": "error",
            "setup": {
                "duration": 0.004,
                "outcome": "failed",
                "longrepr": "fixture 'db' not found\n\nE   RuntimeError: no db",
            },
            "teardown": {"duration": 0.0, "outcome": "passed"},
        },
        {
            "nodeid": "tests/test_a.py::test_later",
            "outcome": "skipped",
            "setup": {
                "duration": 0.0,
                "outcome": "skipped",
                "longrepr": "('/repo/tests/test_a.py', 9, 'Skipped: later')",
            },
            "teardown": {"duration": 0.0, "outcome": "passed"},
        },
        {
            "nodeid": "tests/test_a.py::test_known_bug",
            "outcome": "xfailed",
            "setup": {"duration": 0.0, "outcome": "passed"},
            "call": {"duration": 0.001, "outcome": "skipped", "longrepr": "bug 12"},
            "teardown": {"duration": 0.0, "outcome": "passed"},
        },
        {
            "nodeid": "tests/test_a.py::test_fixed_bug",
            "outcome": "xpassed",
            "setup": {"duration": 0.0, "outcome": "passed"},
            "call": {"duration": 0.001, "outcome": "passed"},
            "teardown": {"duration": 0.0, "outcome": "passed"},
        },
    ],
    "warnings": [],
}


def test_pytest_json_report_outcomes_map_to_ctrf_statuses(tmp_path):
    results = by_nodeid(read_results(write(tmp_path, "report.json", PYTEST_JSON_REPORT)))

    assert {nodeid: r.status for nodeid, r in results.items()} == {
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::test_bad[x]": "failed",
        "tests/test_a.py::test_fixture_breaks": "failed",
        "tests/test_a.py::test_later": "skipped",
        "tests/test_a.py::test_known_bug": "skipped",
        "tests/test_a.py::test_fixed_bug": "passed",
    }
    assert results["tests/test_a.py::test_ok"].duration_ms == pytest.approx(6.0)
    assert results["tests/test_a.py::test_bad[x]"].message == "assert 1 == 2"
    assert results["tests/test_a.py::test_fixture_breaks"].message == "E   RuntimeError: no db"
    assert "later" in results["tests/test_a.py::test_later"].message


CTRF_INPUT = {
    "reportFormat": "CTRF",
    "specVersion": "0.0.0",
    "results": {
        "tool": {"name": "pytest"},
        "summary": {
            "tests": 5,
            "passed": 1,
            "failed": 1,
            "skipped": 1,
            "pending": 1,
            "other": 1,
            "start": 1700000000000,
            "stop": 1700000001000,
        },
        "tests": [
            {"name": "tests/test_a.py::test_ok", "status": "passed", "duration": 12},
            {
                "name": "test_bad",
                "filePath": "tests/test_a.py",
                "status": "failed",
                "duration": 3,
                "message": "assert 1 == 2",
            },
            {"name": "tests/test_a.py::test_later", "status": "skipped", "duration": 0},
            {"name": "tests/test_a.py::test_todo", "status": "pending", "duration": 0},
            {"name": "tests/test_a.py::test_odd", "status": "blocked", "duration": 1},
        ],
    },
}


def test_ctrf_input_is_read_and_unknown_statuses_become_other(tmp_path):
    results = by_nodeid(read_results(write(tmp_path, "ctrf.json", CTRF_INPUT)))

    assert results["tests/test_a.py::test_ok"] == TestResult(
        "tests/test_a.py::test_ok", "passed", 12.0, ""
    )
    assert results["tests/test_a.py::test_bad"] == TestResult(
        "tests/test_a.py::test_bad", "failed", 3.0, "assert 1 == 2"
    )
    assert results["tests/test_a.py::test_later"].status == "skipped"
    assert results["tests/test_a.py::test_todo"].status == "pending"
    assert results["tests/test_a.py::test_odd"].status == "other"


def test_ctrf_without_report_format_is_still_recognised(tmp_path):
    legacy = {"results": {**CTRF_INPUT["results"], "tests": CTRF_INPUT["results"]["tests"][:1]}}

    assert [r.status for r in read_results(write(tmp_path, "old.json", legacy))] == ["passed"]


BAD_INPUTS = {
    "empty": ("results.xml", "", "is empty"),
    "blank": ("results.xml", "  \n\n", "is empty"),
    "truncated-xml": (
        "results.xml",
        '<?xml version="1.0"?><testsuites><testsuite><testcase classname="a" name="b"',
        "truncated or malformed XML",
    ),
    "doctype": (
        "results.xml",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        "<testsuites><testsuite><testcase classname='a' name='&lol;'/></testsuite></testsuites>",
        "DOCTYPE",
    ),
    "wrong-root": ("results.xml", "<html><body>hello</body></html>", "root element <html>"),
    "testcase-without-name": (
        "results.xml",
        "<testsuite><testcase classname='a'/></testsuite>",
        "no name attribute",
    ),
    "invalid-json": ("results.json", '{"tests": [}', "not valid JSON (line 1"),
    "wrong-json-shape": ("results.json", '{"foo": 1}', "keys ['foo']"),
    "json-list": ("results.json", "[1, 2, 3]", "top level has list"),
    "json-report-test-without-nodeid": (
        "results.json",
        '{"tests": [{"outcome": "passed"}]}',
        "tests[0] has no string 'nodeid'",
    ),
    "ctrf-tests-not-a-list": (
        "results.json",
        '{"results": {"tool": {}, "tests": 3}}',
        "'results.tests' is not a list",
    ),
    "ctrf-test-without-status": (
        "results.json",
        '{"results": {"tests": [{"name": "t", "duration": 1}]}}',
        "results.tests[0] has no string 'status'",
    ),
    "plain-text": ("results.txt", "all tests passed\n", "not JUnit XML"),
    "json-nested-too-deeply": ("results.json", "[" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("name, content, what", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_results_error_naming_the_file(tmp_path, name, content, what):
    path = write(tmp_path, name, content)

    with pytest.raises(ResultsError) as caught:
        read_results(path)

    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    # "<file>: <what is wrong>; <the fix>"
    assert re.fullmatch(rf"{re.escape(str(path))}: .+; .+", message, re.DOTALL), message
    assert what in message


def test_missing_file_raises_results_error_naming_the_file(tmp_path):
    path = tmp_path / "nowhere.xml"

    with pytest.raises(ResultsError, match=r"nowhere\.xml: .*not found"):
        read_results(path)


def test_doctype_is_rejected_before_parsing(tmp_path):
    path = write(tmp_path, "bomb.xml", BAD_INPUTS["doctype"][1])

    with pytest.raises(ResultsError, match="DOCTYPE"):
        read_results(path)


def test_json_that_is_not_utf8_raises_results_error(tmp_path):
    path = tmp_path / "results.json"
    path.write_bytes(b'{"tests": ["\xff"]}')

    with pytest.raises(ResultsError, match=r"results\.json: is not UTF-8 JSON"):
        read_results(path)


def test_unusable_durations_become_zero(tmp_path):
    ctrf = {
        "results": {
            "tool": {"name": "x"},
            "tests": [
                {"name": "a::inf", "status": "passed", "duration": float("inf")},
                {"name": "a::neg", "status": "passed", "duration": -5},
                {"name": "a::text", "status": "passed", "duration": "12"},
            ],
        }
    }
    path = write(tmp_path, "ctrf.json", ctrf)  # json.dumps writes Infinity

    assert [r.duration_ms for r in read_results(path)] == [0.0, 0.0, 0.0]


def test_xml_with_a_byte_order_mark_and_leading_blank_lines_is_read(tmp_path):
    path = tmp_path / "bom.xml"
    xml = '\n  <testsuite><testcase classname="tests.test_a" name="test_f" time="1"/></testsuite>'
    path.write_bytes(b"\xef\xbb\xbf" + xml.encode())

    assert read_results(path) == [TestResult("tests.test_a::test_f", "passed", 1000.0, "")]


def test_binary_file_raises_results_error(tmp_path):
    path = tmp_path / "results.bin"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")

    with pytest.raises(ResultsError, match=r"results\.bin: is not JUnit XML"):
        read_results(path)


# --- matching results to known nodeids -------------------------------------------


def test_match_results_resolves_exact_junit_and_per_function_ids():
    known = [
        "tests/a/test_x.py::TestC::test_f[case1]",
        "tests/a/test_x.py::test_g",
        "tests/a/test_x.py::test_h",
        "tests/a/test_x.py::test_p",
    ]
    results = [
        TestResult("tests.a.test_x.TestC::test_f[case1]", "passed", 1.0, ""),
        TestResult("tests/a/test_x.py::test_g", "failed", 2.0, "boom"),
        TestResult("tests.a.test_x::test_h", "skipped", 0.0, "later"),
        TestResult("tests/a/test_x.py::test_p[1]", "passed", 1.0, ""),
        TestResult("tests/a/test_x.py::test_p[2]", "failed", 2.0, "p2 broke"),
        TestResult("tests.a.test_x::test_p[3]", "passed", 3.0, ""),
        TestResult("tests/a/test_x.py::test_unknown", "passed", 1.0, ""),
    ]

    matched, unmatched = match_results(results, known)

    assert matched == {
        "tests/a/test_x.py::TestC::test_f[case1]": TestResult(
            "tests/a/test_x.py::TestC::test_f[case1]", "passed", 1.0, ""
        ),
        "tests/a/test_x.py::test_g": TestResult("tests/a/test_x.py::test_g", "failed", 2.0, "boom"),
        "tests/a/test_x.py::test_h": TestResult(
            "tests/a/test_x.py::test_h", "skipped", 0.0, "later"
        ),
        "tests/a/test_x.py::test_p": TestResult(
            "tests/a/test_x.py::test_p", "failed", 6.0, "p2 broke"
        ),
    }
    assert unmatched == [TestResult("tests/a/test_x.py::test_unknown", "passed", 1.0, "")]


def test_match_results_prefers_the_case_when_both_case_and_function_are_known():
    known = ["tests/test_x.py::test_p", "tests/test_x.py::test_p[1]"]
    results = [
        TestResult("tests/test_x.py::test_p[1]", "failed", 1.0, "one"),
        TestResult("tests/test_x.py::test_p[2]", "passed", 1.0, ""),
    ]

    matched, unmatched = match_results(results, known)

    assert matched["tests/test_x.py::test_p[1]"].status == "failed"
    assert matched["tests/test_x.py::test_p"].status == "passed"
    assert unmatched == []


def test_a_junit_id_fitting_two_known_nodeids_is_left_unmatched():
    known = ["tests/a/b.py::f", "tests/a.py::b::f"]  # both read tests.a.b.f in JUnit XML
    result = TestResult("tests.a.b::f", "passed", 1.0, "")

    assert match_results([result], known) == ({}, [result])


def test_duplicate_results_for_one_test_keep_the_worst_status():
    known = ["tests/test_x.py::test_f"]
    results = [
        TestResult("tests/test_x.py::test_f", "passed", 1.0, ""),
        TestResult("tests.test_x::test_f", "failed", 0.5, "teardown broke"),
    ]

    matched, _ = match_results(results, known)

    assert matched["tests/test_x.py::test_f"] == TestResult(
        "tests/test_x.py::test_f", "failed", 1.5, "teardown broke"
    )


def test_real_junit_file_maps_onto_behaviors(junit_file):
    graph = tiny_graph()
    matched, unmatched = match_results(read_results(junit_file), evidence_nodeids(graph))

    overlay = build_overlay(graph, matched, unmatched)

    states = {b["behavior_id"]: b["state"] for b in overlay["behaviors"]}
    assert states == {
        "b-pass": "passed",
        "b-fail": "failed",
        "b-skip": "skipped",
        "b-case": "passed",
        "b-func": "failed",
        "b-gone": "not_run",
        "b-mixed": "passed",
    }
    assert unmatched == []
    assert set(matched) == {
        f"{TINY}::test_adds",
        f"{TINY}::test_subtracts",
        f"{TINY}::test_divides",
        f"{TINY}::TestGroup::test_small[one]",
        f"{TINY}::TestGroup::test_small",
    }


# --- the overlay ---------------------------------------------------------------------


def test_behavior_states_follow_active_evidence_only():
    graph = BehaviorGraph(
        behaviors=(
            behavior("a", "blk", "Fails", "t::a1", "t::a2"),
            behavior(
                "b", "blk", "Inactive failure does not count", "t::b1", "t::b2", inactive=("t::b2",)
            ),
            behavior("c", "blk", "All skipped or pending", "t::c1", "t::c2"),
            behavior("d", "blk", "Only inactive evidence ran", "t::d1", inactive=("t::d1",)),
            behavior("e", "blk", "Unknown outcome", "t::e1", "t::e2"),
            behavior("f", "blk", "Partly run", "t::f1", "t::f2"),
        )
    )
    results = {
        "t::a1": TestResult("t::a1", "passed", 1.0, ""),
        "t::a2": TestResult("t::a2", "failed", 1.0, "no"),
        "t::b1": TestResult("t::b1", "passed", 1.0, ""),
        "t::b2": TestResult("t::b2", "failed", 1.0, "expected"),
        "t::c1": TestResult("t::c1", "skipped", 0.0, ""),
        "t::c2": TestResult("t::c2", "pending", 0.0, ""),
        "t::d1": TestResult("t::d1", "skipped", 0.0, ""),
        "t::e1": TestResult("t::e1", "passed", 0.0, ""),
        "t::e2": TestResult("t::e2", "other", 0.0, ""),
        "t::f1": TestResult("t::f1", "passed", 0.0, ""),
    }

    overlay = build_overlay(graph, results, [])

    states = {b["behavior_id"]: b["state"] for b in overlay["behaviors"]}
    assert states == {
        "a": "failed",
        "b": "passed",
        "c": "skipped",
        "d": "skipped",
        "e": "other",
        "f": "passed",
    }
    partly = next(b for b in overlay["behaviors"] if b["behavior_id"] == "f")
    assert partly["counts"] == {
        "failed": 0,
        "inactive": 0,
        "not_run": 1,
        "other": 0,
        "passed": 1,
        "pending": 0,
        "skipped": 0,
    }


def test_overlay_shows_both_eligibilities_and_counts(junit_file):
    graph = tiny_graph()
    matched, unmatched = match_results(read_results(junit_file), evidence_nodeids(graph))
    unmatched = [*unmatched, TestResult("tests/test_other.py::test_x", "passed", 1.0, "")]

    overlay = build_overlay(graph, matched, unmatched)

    eligibility = {b["behavior_id"]: b["eligibility"] for b in overlay["behaviors"]}
    assert eligibility["b-func"] == "internal"
    assert eligibility["b-pass"] == "behavior"
    summary = overlay["summary"]
    assert summary["behaviors"] == 7
    assert summary["states"] == {"failed": 2, "not_run": 1, "other": 0, "passed": 3, "skipped": 1}
    assert summary["by_eligibility"]["internal"]["failed"] == 1
    assert summary["by_eligibility"]["behavior"]["passed"] == 3
    assert summary["results"] == {"matched": 5, "unmatched": 1}
    assert [r["nodeid"] for r in overlay["unmatched"]] == ["tests/test_other.py::test_x"]
    assert [(b["block_id"], b["behavior_id"]) for b in overlay["behaviors"]] == sorted(
        (b["block_id"], b["behavior_id"]) for b in overlay["behaviors"]
    )


def test_evidence_carries_its_result_in_the_overlay(junit_file):
    graph = tiny_graph()
    matched, unmatched = match_results(read_results(junit_file), evidence_nodeids(graph))

    overlay = build_overlay(graph, matched, unmatched)

    fail = next(b for b in overlay["behaviors"] if b["behavior_id"] == "b-fail")
    (evidence,) = fail["evidence"]
    assert evidence["nodeid"] == f"{TINY}::test_subtracts"
    assert evidence["result"]["status"] == "failed"
    assert "subtraction is broken" in evidence["result"]["message"]
    gone = next(b for b in overlay["behaviors"] if b["behavior_id"] == "b-gone")
    assert gone["evidence"][0]["result"] is None


# --- writing the reports -------------------------------------------------------------


@pytest.fixture()
def written(tmp_path, junit_file) -> tuple[Path, list[Path]]:
    graph = tiny_graph()
    matched, unmatched = match_results(read_results(junit_file), evidence_nodeids(graph))
    reports = tmp_path / "out" / "reports"
    return reports, write_overlay(graph, matched, unmatched, reports, "results.xml")


def test_write_overlay_writes_three_files_only_into_reports_dir(tmp_path, written):
    reports, paths = written

    assert sorted(p.name for p in paths) == OUTPUT_NAMES
    assert all(p.parent == reports for p in paths)
    assert sorted(p.name for p in reports.iterdir()) == OUTPUT_NAMES
    everything = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert everything == ["out", "out/reports", *(f"out/reports/{n}" for n in OUTPUT_NAMES)]


def test_source_name_never_becomes_a_path(tmp_path):
    graph = tiny_graph()
    reports = tmp_path / "reports"

    write_overlay(graph, {}, [], reports, "../../escape.xml")

    assert sorted(p.name for p in tmp_path.rglob("*")) == ["reports", *OUTPUT_NAMES]


def test_report_json_is_canonical(written):
    reports, _ = written
    text = (reports / "tdd-prose.report.json").read_text(encoding="utf-8")
    data = json.loads(text)

    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert data["source"] == "results.xml"
    order = [(b["block_id"], b["behavior_id"]) for b in data["behaviors"]]
    assert order == sorted(order)
    assert order[0] == ("arithmetic", "b-fail")


TOP_KEYS = {"reportFormat", "specVersion", "reportId", "timestamp", "generatedBy", "extra"}
TOP_KEYS |= {"results", "insights", "baseline"}
RESULTS_KEYS = {"tool", "summary", "tests", "environment", "extra"}
TOOL_KEYS = {"name", "version", "extra"}
SUMMARY_REQUIRED = {"tests", "passed", "failed", "skipped", "pending", "other", "start", "stop"}
SUMMARY_KEYS = SUMMARY_REQUIRED | {"flaky", "suites", "duration", "extra"}
TEST_KEYS = {
    "id", "name", "status", "duration", "start", "stop", "suite", "message", "trace",
    "snippet", "ai", "line", "rawStatus", "tags", "type", "filePath", "retries",
    "retryAttempts", "flaky", "stdout", "stderr", "threadId", "browser", "device",
    "screenshot", "attachments", "parameters", "steps", "insights", "extra",
}  # fmt: skip


def assert_valid_ctrf(doc: dict) -> None:
    """The CTRF 0.0.0 schema's structural rules that matter here (no extra keys)."""
    assert doc["reportFormat"] == "CTRF"
    assert [part.isdigit() for part in doc["specVersion"].split(".")] == [True] * 3
    assert set(doc) <= TOP_KEYS
    results = doc["results"]
    assert {"tool", "summary", "tests"} <= set(results) <= RESULTS_KEYS
    assert set(results["tool"]) <= TOOL_KEYS
    assert isinstance(results["tool"]["name"], str) and results["tool"]["name"]
    summary = results["summary"]
    assert SUMMARY_REQUIRED <= set(summary) <= SUMMARY_KEYS
    for key in SUMMARY_KEYS - {"extra"}:
        if key in summary:
            assert type(summary[key]) is int and summary[key] >= 0, key
    assert summary["stop"] >= summary["start"]
    tests = results["tests"]
    assert summary["tests"] == len(tests)
    for status in CTRF_STATUSES:
        assert summary[status] == sum(t["status"] == status for t in tests), status
    for test in tests:
        assert {"name", "status", "duration"} <= set(test) <= TEST_KEYS
        assert isinstance(test["name"], str) and test["name"]
        assert test["status"] in CTRF_STATUSES
        assert type(test["duration"]) is int
        if "suite" in test:
            assert test["suite"] and all(isinstance(s, str) for s in test["suite"])
        for key in ("message", "rawStatus"):
            if key in test:
                assert isinstance(test[key], str)
        assert isinstance(test.get("extra", {}), dict)


def test_ctrf_output_is_structurally_valid_and_carries_behavior_ids(written):
    reports, _ = written
    doc = json.loads((reports / "tdd-prose.ctrf.json").read_text(encoding="utf-8"))

    assert_valid_ctrf(doc)
    tests = {t["extra"]["behavior_id"]: t for t in doc["results"]["tests"]}
    assert set(tests) == {"b-pass", "b-fail", "b-skip", "b-case", "b-func", "b-gone", "b-mixed"}
    assert tests["b-fail"]["status"] == "failed"
    assert "subtraction is broken" in tests["b-fail"]["message"]
    assert tests["b-pass"]["status"] == "passed"
    assert tests["b-skip"]["status"] == "skipped"
    assert tests["b-gone"]["status"] == "other"
    assert tests["b-gone"]["rawStatus"] == "not_run"
    assert tests["b-func"]["suite"] == ["groups"]
    assert tests["b-func"]["extra"]["eligibility"] == "internal"
    assert tests["b-pass"]["name"] == "Addition works"
    assert doc["results"]["summary"]["failed"] == 2


def test_ctrf_output_of_an_empty_graph_is_valid(tmp_path):
    write_overlay(BehaviorGraph(behaviors=()), {}, [], tmp_path, "empty.xml")

    assert_valid_ctrf(json.loads((tmp_path / "tdd-prose.ctrf.json").read_text()))


def test_html_lists_every_behavior_with_its_state(written):
    reports, _ = written
    page = (reports / "tdd-prose.report.html").read_text(encoding="utf-8")

    for behavior_id, title, state in [
        ("b-pass", "Addition works", "PASSED"),
        ("b-fail", "Subtraction works", "FAILED"),
        ("b-skip", "Division works", "SKIPPED"),
        ("b-gone", "A deleted test", "NOT RUN"),
    ]:
        row = next(line for line in page.splitlines() if f"<code>{behavior_id}</code>" in line)
        assert title in row
        assert state in row
    assert page.startswith("<!DOCTYPE html>")
    assert "<h2" in page and "arithmetic" in page and "groups" in page
    assert "results.xml" in page
    assert "<style>" in page


def test_html_is_self_contained_and_escaped(tmp_path):
    graph = BehaviorGraph(
        behaviors=(behavior("x<1>", "blk & <co>", "Says <script>alert(1)</script>", 't::q["<b>"]'),)
    )
    results = {'t::q["<b>"]': TestResult('t::q["<b>"]', "failed", 1.0, "<img src=x onerror=1>")}

    write_overlay(graph, results, [], tmp_path, "<evil>.xml")
    page = (tmp_path / "tdd-prose.report.html").read_text(encoding="utf-8")

    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "<evil>" not in page and "&lt;evil&gt;" in page
    assert "blk &amp; &lt;co&gt;" in page
    for external in ("http://", "https://", "<link", "@import", "url("):
        assert external not in page


def test_writing_twice_gives_identical_bytes(tmp_path, junit_file):
    graph = tiny_graph()
    matched, unmatched = match_results(read_results(junit_file), evidence_nodeids(graph))
    unmatched = [
        TestResult("tests/z.py::test_z", "passed", 1.0, ""),
        TestResult("tests/a.py::test_a", "failed", 1.0, "x"),
    ]
    first = tmp_path / "first"
    second = tmp_path / "second"

    write_overlay(graph, matched, unmatched, first, "results.xml")
    write_overlay(graph, matched, unmatched, first, "results.xml")
    snapshot = {n: (first / n).read_bytes() for n in OUTPUT_NAMES}
    reordered = dict(reversed(list(matched.items())))
    write_overlay(graph, reordered, list(reversed(unmatched)), second, "results.xml")

    assert {n: (second / n).read_bytes() for n in OUTPUT_NAMES} == snapshot
    assert sorted(p.name for p in first.iterdir()) == OUTPUT_NAMES
