"""Flake detection: histories -> per-test flake rates, failure clusters and the report."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from tpr import flake
from tpr.artifacts import embedded_hash_ok, write_json
from tpr.config import load_config
from tpr.events import LOG_NAME, EventLog, read_events

ALTERNATES = "test_fixture.py::test_alternates"
ALWAYS_FAILS = "test_fixture.py::test_always_fails"


def signature(exception: str, message: str, frame: str = "test_a.py:3") -> dict:
    return {
        "exception": exception,
        "message": message,
        "frame": frame,
        "key": f"{exception}|{message}|{frame}",
    }


def history(outcomes: dict, *, tree: str | None = "tree-a", run_id: str = "run1") -> dict:
    """A history as the outcomes plugin writes it; ``outcomes`` maps a node id to an
    outcome, or to (outcome, signature) for a failure."""
    entries = {}
    for nodeid, value in outcomes.items():
        outcome, sig = value if isinstance(value, tuple) else (value, None)
        if outcome in ("failed", "error") and sig is None:
            sig = signature("AssertionError", "assert <n> == <n>")
        entries[nodeid] = {"outcome": outcome, "signature": sig}
    return {
        "run_id": run_id,
        "timestamp": "2025-01-01T00:00:00+00:00",
        "tree": tree,
        "partial": False,
        "outcomes": entries,
    }


# normalise_message and signature_of_report


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("expected 3 got 4", "expected 17 got -2.5e3"),
        ("object at 0x7f3a2c1d90d0", "object at 0x10ab3c"),
        ("no such file /tmp/pytest-of-me/pytest-3/x.txt", "no such file /tmp/abc/y.txt"),
        ("timed out after 12ms", "timed out after 1500ms"),
        ("at 2025-01-02T03:04:05.123456+00:00 ok", "at 2024-12-31 23:59:59Z ok"),
        ("id 3f2504e0-4f89-11d3-9a0c-0305e82c3301", "id 6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        ("a  b\n\tc", "a b c"),
    ],
)
def test_normalise_message_gives_varying_values_one_form(first, second):
    assert flake.normalise_message(first) == flake.normalise_message(second)


def test_normalise_message_keeps_names_that_contain_digits():
    assert flake.normalise_message("py311 missing in test_case_2") == (
        "py311 missing in test_case_2"
    )


def test_normalise_message_is_bounded():
    assert len(flake.normalise_message("word " * 500)) == 300


def crash_report(message: str, path: str, lineno: int = 7) -> SimpleNamespace:
    crash = SimpleNamespace(message=message, path=path, lineno=lineno)
    return SimpleNamespace(longrepr=SimpleNamespace(reprcrash=crash))


def test_signature_of_report_splits_exception_message_and_frame(tmp_path):
    report = crash_report("ValueError: bad value 42\nmore", str(tmp_path / "t" / "test_a.py"))
    assert flake.signature_of_report(report, tmp_path) == {
        "exception": "ValueError",
        "message": "bad value <n>",
        "frame": "t/test_a.py:7",
        "key": "ValueError|bad value <n>|t/test_a.py:7",
    }


def test_signature_of_report_of_an_exception_without_message(tmp_path):
    report = crash_report("pkg.errors.Timeout", str(tmp_path / "test_a.py"))
    sig = flake.signature_of_report(report, tmp_path)
    assert (sig["exception"], sig["message"]) == ("pkg.errors.Timeout", "")


def test_signature_of_report_without_a_crash_location(tmp_path):
    report = SimpleNamespace(longrepr="setup of x\nE   fixture 'nope' not found\n")
    sig = flake.signature_of_report(report, tmp_path)
    assert sig["exception"] == "Error"
    assert sig["message"] == "E fixture 'nope' not found"
    assert sig["frame"] == ""


# classify


def test_a_test_that_passed_and_failed_on_one_tree_is_flaky():
    report = flake.classify(
        [
            history({"t.py::a": "passed", "t.py::b": "passed"}),
            history({"t.py::a": "failed", "t.py::b": "passed"}),
            history({"t.py::a": "passed", "t.py::b": "passed"}),
        ],
        threshold=0.02,
    )
    assert report["tests"]["t.py::a"] == {
        "runs": 3,
        "passed": 2,
        "failed": 1,
        "skipped": 0,
        "rate": pytest.approx(1 / 3),
        "flaky": True,
    }
    assert report["tests"]["t.py::b"]["flaky"] is False
    assert report["tests"]["t.py::b"]["rate"] == 0.0
    assert report["flaky_tests"] == ["t.py::a"]
    assert report["flake_rate"] == 0.5
    assert report["spike"] is True
    assert report["threshold"] == 0.02
    assert report["runs"] == 3
    assert report["trees"] == ["tree-a"]


def test_passing_on_one_tree_and_failing_on_another_is_not_flaky():
    report = flake.classify(
        [
            history({"t.py::a": "passed"}, tree="tree-a"),
            history({"t.py::a": "failed"}, tree="tree-b"),
            history({"t.py::a": "error"}, tree="tree-b"),
        ],
        threshold=0.02,
    )
    assert report["tests"]["t.py::a"]["flaky"] is False
    assert report["tests"]["t.py::a"]["failed"] == 2
    assert report["flaky_tests"] == []
    assert report["flake_rate"] == 0.0
    assert report["spike"] is False
    assert report["trees"] == ["tree-a", "tree-b"]


def test_histories_outside_git_count_as_one_tree():
    report = flake.classify(
        [history({"t.py::a": "passed"}, tree=None), history({"t.py::a": "failed"}, tree=None)],
        threshold=0.02,
    )
    assert report["flaky_tests"] == ["t.py::a"]
    assert report["trees"] == [None]


def test_skipped_and_xfailed_are_not_outcomes_for_flakiness():
    report = flake.classify(
        [
            history({"t.py::s": "skipped", "t.py::x": "xfailed", "t.py::p": "passed"}),
            history({"t.py::s": "passed", "t.py::x": "failed", "t.py::p": "skipped"}),
            history({"t.py::only_skips": "skipped", "t.py::p": "passed"}),
        ],
        threshold=0.0,
    )
    tests = report["tests"]
    assert [tests[name]["flaky"] for name in ("t.py::s", "t.py::x", "t.py::p")] == [
        False,
        False,
        False,
    ]
    assert (tests["t.py::p"]["passed"], tests["t.py::p"]["skipped"]) == (2, 1)
    assert tests["t.py::only_skips"]["rate"] is None
    assert report["spike"] is False
    # the test that never passed or failed is not in the denominator
    assert report["flake_rate"] == 0.0


def test_failure_clusters_group_by_signature_key():
    timeout = signature("TimeoutError", "waited <n> s", "lib.py:10")
    value = signature("ValueError", "bad <n>", "t.py:4")
    report = flake.classify(
        [
            history({"t.py::a": ("failed", timeout), "t.py::b": ("error", timeout)}),
            history({"t.py::a": ("failed", timeout), "t.py::c": ("failed", value)}),
            history({"t.py::c": ("failed", value), "t.py::d": ("failed", value)}),
            history({"t.py::e": ("failed", None)}),
        ],
        threshold=0.02,
    )
    clusters = report["failure_clusters"]
    assert [(c["key"], c["count"], c["tests"]) for c in clusters[:2]] == [
        (timeout["key"], 3, ["t.py::a", "t.py::b"]),
        (value["key"], 3, ["t.py::c", "t.py::d"]),
    ]  # equal counts: ordered by key
    assert clusters[0]["exception"] == "TimeoutError"
    assert clusters[0]["message"] == "waited <n> s"
    assert clusters[0]["frame"] == "lib.py:10"
    assert clusters[2]["count"] == 1  # a failure recorded without a signature has one too


def test_classify_is_deterministic_whatever_the_input_order():
    names = [f"t.py::test_{i}" for i in range(12)]
    outcomes = ["passed", "failed", "skipped", "error"]
    generator = random.Random(7)
    runs = [{name: generator.choice(outcomes) for name in names} for _ in range(5)]

    def shuffled(outcome_map: dict) -> dict:
        items = list(outcome_map.items())
        generator.shuffle(items)
        return dict(items)

    first = flake.classify([history(run) for run in runs], threshold=0.1)
    second = flake.classify([history(shuffled(run)) for run in runs], threshold=0.1)
    assert json.dumps(first) == json.dumps(second)
    assert list(first["tests"]) == sorted(names)


# histories on disk


def test_load_histories_in_time_order_filtered_by_run_id(tmp_path):
    directory = tmp_path / flake.HISTORY_DIR
    write_json(directory / "20250101T000002000000Z-b.json", history({}, run_id="b"))
    write_json(directory / "20250101T000001000000Z-a.json", history({}, run_id="a"))
    write_json(directory / "20250101T000003000000Z-a.json", history({}, run_id="a"))
    histories, warnings = flake.load_histories(tmp_path)
    assert [h["run_id"] for h in histories] == ["a", "b", "a"]
    assert warnings == []
    histories, _ = flake.load_histories(tmp_path, {"a"})
    assert [h["run_id"] for h in histories] == ["a", "a"]
    assert flake.load_histories(tmp_path / "nothing-here") == ([], [])


@pytest.mark.parametrize(
    "content",
    ['{"run_id": "a", "outcomes": {', "[1, 2]", '{"run_id": "a", "outcomes": {"t": 3}}'],
    ids=["truncated", "not-an-object", "bad-outcome"],
)
def test_an_unreadable_history_is_skipped_with_a_warning(tmp_path, content):
    directory = tmp_path / flake.HISTORY_DIR
    write_json(directory / "20250101T000001000000Z-a.json", history({"t.py::a": "passed"}))
    bad = directory / "20250101T000002000000Z-a.json"
    bad.write_text(content, encoding="utf-8")
    histories, warnings = flake.load_histories(tmp_path)
    assert len(histories) == 1
    assert len(warnings) == 1
    assert str(bad) in warnings[0]
    assert "delete it" in warnings[0]


# the report


def flake_config(root: Path, **overrides):
    return load_config(root, environ={}, **overrides)


def test_write_flake_report_without_spike(tmp_path):
    config = flake_config(tmp_path, flake_rate_threshold="50%")
    log = EventLog(tmp_path / "events.log.jsonl")
    histories = [
        history({"t.py::a": "passed", "t.py::b": "passed"}),
        history({"t.py::a": "failed"}),
    ]
    report = flake.write_flake_report(tmp_path, config, log, histories)
    written = json.loads((config.artifacts(tmp_path) / flake.FLAKE_REPORT_NAME).read_text())
    assert written == report
    assert embedded_hash_ok(written)
    assert report["flake_rate"] == 0.5
    assert report["spike"] is False  # 50 % is not above a 50 % threshold
    events = read_events(log.path)
    assert [e["event"] for e in events] == ["flake_scan_complete"]
    assert events[0]["fields"] == {
        "runs": 2,
        "tests": 2,
        "flaky_tests": 1,
        "flake_rate": 0.5,
        "clusters": 1,
        "report": flake.FLAKE_REPORT_NAME,
    }
    assert flake.latest_flake_rate(tmp_path, config) == {
        "rate": 0.5,
        "threshold": 0.5,
        "flaky_tests": ["t.py::a"],
    }


def test_latest_flake_rate_without_a_usable_report(tmp_path):
    config = flake_config(tmp_path)
    assert flake.latest_flake_rate(tmp_path, config) is None
    path = config.artifacts(tmp_path) / flake.FLAKE_REPORT_NAME
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert flake.latest_flake_rate(tmp_path, config) is None


def test_format_flake_names_flaky_tests_and_clusters():
    histories = [
        history({"t.py::a": "passed", "t.py::b": ("failed", signature("KeyError", "'x'"))}),
        history({"t.py::a": "failed", "t.py::b": ("failed", signature("KeyError", "'x'"))}),
    ]
    text = flake.format_flake(flake.classify(histories, threshold=0.02))
    assert "t.py::a" in text
    assert "50.0%" in text
    assert "KeyError: 'x'" in text
    assert "2x" in text


# reruns through pytest

FIXTURE_TESTS = """
import time
from pathlib import Path

COUNTER = Path(__file__).with_name("counter.txt")


def test_passes():
    assert True


def test_alternates():
    runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(runs + 1))
    assert runs % 2 == 0, f"odd run {runs}"


def test_always_fails():
    raise ValueError(f"bad value {time.perf_counter_ns()} after {time.time():.3f} s")
"""


@pytest.fixture
def fixture_repo(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TPR_ENV_VALIDATE", "skip")
    monkeypatch.delenv("TPR_RUN_ID", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    (tmp_path / "test_fixture.py").write_text(FIXTURE_TESTS, encoding="utf-8")
    return tmp_path


@pytest.mark.slow  # four pytest processes
def test_run_flake_finds_the_alternating_test(fixture_repo):
    config = flake_config(fixture_repo)
    log = EventLog(config.artifacts(fixture_repo) / LOG_NAME)
    lines: list[str] = []
    report = flake.run_flake(
        fixture_repo, config, log, runs=4, tests=["test_fixture.py"], echo=lines.append
    )

    assert [line.split(" (")[0] for line in lines] == [
        "run 1/4: 2 passed, 1 failed",
        "run 2/4: 1 passed, 2 failed",
        "run 3/4: 2 passed, 1 failed",
        "run 4/4: 1 passed, 2 failed",
    ]
    assert report["runs"] == 4
    alternates, always = report["tests"][ALTERNATES], report["tests"][ALWAYS_FAILS]
    assert (alternates["rate"], alternates["flaky"]) == (0.5, True)
    assert (always["failed"], always["rate"], always["flaky"]) == (4, 1.0, False)
    assert report["flaky_tests"] == [ALTERNATES]
    assert report["flake_rate"] == pytest.approx(1 / 3)
    assert report["spike"] is True

    clusters = report["failure_clusters"]
    assert [(c["count"], c["tests"]) for c in clusters] == [(4, [ALWAYS_FAILS]), (2, [ALTERNATES])]
    assert clusters[0]["exception"] == "ValueError"
    assert clusters[0]["message"] == "bad value <n> after <n> s"

    path = config.artifacts(fixture_repo) / flake.FLAKE_REPORT_NAME
    assert embedded_hash_ok(json.loads(path.read_text(encoding="utf-8")))

    events = [e for e in read_events(log.path) if e["run_id"] == log.run_id]
    names = [e["event"] for e in events]
    assert names.count("test_run_start") == 4  # every rerun shares the command's run id
    (scan,) = [e for e in events if e["event"] == "flake_scan_complete"]
    assert scan["fields"]["flaky_tests"] == 1
    (trigger,) = [e for e in events if e["event"] == "risk_trigger"]
    assert trigger["fields"]["trigger"] == "flake_rate_spike"
    assert trigger["fields"]["flaky_tests"] == [ALTERNATES]
    assert trigger["fields"]["actions"]  # the rollback actions travel with the trigger
    assert trigger["fields"]["threshold"] == 0.02


def test_run_flake_stops_on_a_usage_error(fixture_repo):
    config = flake_config(fixture_repo)
    log = EventLog(config.artifacts(fixture_repo) / LOG_NAME)
    with pytest.raises(
        flake.FlakeError, match=r"(?s)exit code 4 \(usage error\).*not found"
    ) as caught:
        flake.run_flake(
            fixture_repo, config, log, runs=3, tests=["test_missing.py"], echo=lambda _: None
        )
    assert "test_missing.py" in str(caught.value)
    assert not (config.artifacts(fixture_repo) / flake.FLAKE_REPORT_NAME).exists()
