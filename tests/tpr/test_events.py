"""AC-7: the event log (JSONL, correlation ids, redaction) and the taxonomy audit."""

from __future__ import annotations

import json

import pytest

from tests._support.tpr_repo import event_names, events, make_repo, run_pytest, run_tpr
from tpr.events import (
    LIFECYCLE_EVENTS,
    REDACTED,
    TAXONOMY,
    EventLog,
    EventsLogError,
    Redactor,
    audit,
    read_events,
)

SEED_TAXONOMY = {
    "metrics_capture_start",
    "metrics_capture_complete",
    "environment_validation_start",
    "environment_validation_ok",
    "environment_validation_fail",
    "failfast_mode_applied",
    "early_exit_detected",
    "property_test_start",
    "property_test_complete",
    "flake_scan_complete",
    "coverage_ladder_recorded",
    "foundation_checkpoint_emitted",
    "logging_deficit",
    "risk_trigger",
}


def test_taxonomy_is_the_seeds_required_set():
    assert set(TAXONOMY) == SEED_TAXONOMY


def test_each_line_is_one_event_with_timestamp_event_run_id_fields(tmp_path):
    log = EventLog(tmp_path / "events.log.jsonl", run_id="run-1")
    log.emit("metrics_capture_start", tests=3)
    log.emit("metrics_capture_complete", sha256="abc")
    lines = (tmp_path / "events.log.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) == {"timestamp", "event", "run_id", "fields"}
    assert (first["event"], first["run_id"], first["fields"]) == (
        "metrics_capture_start",
        "run-1",
        {"tests": 3},
    )
    assert first["timestamp"].endswith("+00:00")


def test_secrets_are_redacted_by_key_and_by_environment_value(tmp_path):
    environ = {"API_TOKEN": "s3cr3t-value", "HOME": "/home/me"}
    log = EventLog(tmp_path / "e.jsonl", redact=Redactor(("TOKEN", "PASSWORD"), environ))
    record = log.emit(
        "risk_trigger",
        password="hunter2",
        command="curl -H 'Authorization: s3cr3t-value' http://x",
        nested={"db_password": "pw", "ok": [1, "s3cr3t-value"]},
        home="/home/me",
    )
    text = (tmp_path / "e.jsonl").read_text()
    assert "hunter2" not in text and "s3cr3t-value" not in text and '"pw"' not in text
    assert record["fields"]["password"] == REDACTED
    assert record["fields"]["nested"]["ok"] == [1, REDACTED]
    assert record["fields"]["home"] == "/home/me"


def test_a_bad_line_is_named_by_file_and_number(tmp_path):
    path = tmp_path / "events.log.jsonl"
    EventLog(path).emit("metrics_capture_start")
    with path.open("a") as handle:
        handle.write("{this is not json\n")
    with pytest.raises(EventsLogError, match=r"events\.log\.jsonl:2: not a JSON object"):
        read_events(path)


def test_a_line_without_an_event_is_named(tmp_path):
    path = tmp_path / "events.log.jsonl"
    path.write_text('{"timestamp": "t", "run_id": "r"}\n')
    with pytest.raises(EventsLogError, match=r":1: event has no 'event'"):
        read_events(path)


def test_audit_reports_missing_lifecycle_events():
    seen = [{"event": name} for name in LIFECYCLE_EVENTS if name != "flake_scan_complete"]
    result = audit([*seen, {"event": "test_run_start"}])
    assert result.missing == ("flake_scan_complete",)
    assert not result.ok
    assert result.unknown == ("test_run_start",)
    assert audit([{"event": name} for name in LIFECYCLE_EVENTS]).coverage == 1.0


def test_ac7_events_audit_command_logs_a_logging_deficit(tmp_path):
    root = make_repo(tmp_path / "repo", {"test_a.py": "def test_a():\n    pass\n"})
    assert run_pytest(root).returncode == 0
    result = run_tpr(root, "events", "--audit")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert "metrics_capture_complete" in report["missing"]
    assert "logging_deficit" in result.stderr
    assert event_names(root)[-1] == "logging_deficit"


def test_events_command_names_a_corrupt_log(tmp_path):
    root = make_repo(tmp_path / "repo", {})
    (root / ".tpr").mkdir()
    (root / ".tpr" / "events.log.jsonl").write_text('{"event": "x"}\nnot json\n')
    result = run_tpr(root, "events", "--audit")
    assert result.returncode == 2
    assert "events.log.jsonl:1" in result.stderr  # the first line lacks its timestamp


def test_pytest_runs_log_under_the_commands_correlation_id(tmp_path):
    root = make_repo(tmp_path / "repo", {"test_a.py": "def test_a():\n    pass\n"})
    assert run_pytest(root, TPR_RUN_ID="corr-42").returncode == 0
    assert {event["run_id"] for event in events(root)} == {"corr-42"}
    assert {"failfast_mode_applied", "test_run_start", "test_run_complete"} <= set(
        event_names(root)
    )
