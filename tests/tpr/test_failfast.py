"""AC-2: fail-fast modes (off, soft, hard) and the seeded scenario that measures how much
earlier soft and hard detect a failure than off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._support.tpr_repo import run_pytest
from tpr.artifacts import embedded_hash_ok
from tpr.config import TprConfig
from tpr.events import EventLog, read_events
from tpr.failfast_scenario import (
    BENCHMARK_NAME,
    format_failfast,
    measure,
    plan_scenario,
    write_failfast_results,
    write_scenario,
)

SEED = 20261121
SMALL = {"tests": 6, "min_ms": 1, "max_ms": 3, "stratum": (1, 3)}  # fails at test 3 or 4


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_write_scenario_same_seed_gives_identical_bytes(tmp_path):
    first = files_of(write_scenario(tmp_path / "a", SEED))
    second = files_of(write_scenario(tmp_path / "b", SEED))
    assert first == second
    assert {"pyproject.toml", "scenario.json", "tests/test_part_01.py"} <= set(first)
    source = b"".join(text for name, text in first.items() if name.startswith("tests/"))
    assert source.count(b"def test_case_") == 40
    assert source.count(b"injected failure") == 1
    assert b"[tool.pytest.ini_options]" in first["pyproject.toml"]


def test_write_scenario_different_seed_moves_the_failure(tmp_path):
    assert plan_scenario(1).failure_at != plan_scenario(2).failure_at
    assert len({plan_scenario(seed).failure_at for seed in range(20)}) > 5
    one = files_of(write_scenario(tmp_path / "one", 1))
    two = files_of(write_scenario(tmp_path / "two", 2))
    failing = {name for name, text in one.items() if b"injected failure" in text}
    assert one != two and failing


def test_stratum_places_the_failure_in_its_slice_and_rewrite_drops_old_files(tmp_path):
    for index in range(4):
        plan = plan_scenario(SEED, tests=40, stratum=(index, 4))
        assert index * 10 <= plan.failure_at < (index + 1) * 10
    directory = write_scenario(tmp_path / "s", SEED, tests=8, files=8)
    write_scenario(directory, SEED, tests=8, files=2)
    assert sorted(p.name for p in (directory / "tests").glob("*.py")) == [
        "test_part_01.py",
        "test_part_02.py",
    ]
    with pytest.raises(ValueError, match="stratum"):
        plan_scenario(SEED, tests=3, stratum=(0, 4))


@pytest.fixture
def suite(tmp_path):
    directory = write_scenario(tmp_path / "suite", SEED, **SMALL)
    return directory, plan_scenario(SEED, **SMALL)


def run_mode(directory: Path, out: Path, *args: str, **env: str):
    env = {"TPR_ENV_VALIDATE": "skip", **env}
    return run_pytest(
        directory, "-q", "-p", "no:cacheprovider", "--tpr-dir", str(out), *args, **env
    )


def summary_of(out: Path) -> dict:
    return json.loads((out / "failfast.summary.json").read_text())


def applied_mode(out: Path) -> tuple[str, str]:
    (fields,) = [
        event["fields"]
        for event in read_events(out / "events.log.jsonl")
        if event["event"] == "failfast_mode_applied"
    ]
    return fields["mode"], fields["source"]


def test_off_runs_every_test_and_writes_no_summary(suite, tmp_path):
    directory, plan = suite
    out = tmp_path / "out"
    result = run_mode(directory, out, "--failfast-mode", "off")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 5 passed" in result.stdout
    assert not (out / "failfast.summary.json").exists()
    assert json.loads((out / "durations.json").read_text())["tests"] == plan.tests
    names = [event["event"] for event in read_events(out / "events.log.jsonl")]
    assert "failfast_mode_applied" in names and "early_exit_detected" not in names


def test_soft_stops_at_the_failure_and_keeps_partial_metrics(suite, tmp_path):
    directory, plan = suite
    out = tmp_path / "out"
    result = run_mode(directory, out, "--failfast-mode", "soft", TPR_RUN_ID="soft-run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"1 failed, {plan.failure_at} passed" in result.stdout
    summary = summary_of(out)
    assert summary["mode"] == "soft"
    assert summary["first_failure"] == plan.failure_id
    assert summary["tests_run"] == plan.failure_at + 1 < plan.tests
    assert isinstance(summary["time_to_detection_s"], float) and summary["time_to_detection_s"] > 0
    assert "durations.json" in summary["partial_metrics"]
    assert "markers.usage.json" in summary["partial_metrics"]
    assert embedded_hash_ok(summary)
    durations = json.loads((out / "durations.json").read_text())
    assert durations["partial"] is True and durations["tests"] == plan.failure_at + 1

    events = read_events(out / "events.log.jsonl")
    assert {event["run_id"] for event in events} == {"soft-run"}
    (applied,) = [e["fields"] for e in events if e["event"] == "failfast_mode_applied"]
    assert (applied["mode"], applied["source"]) == ("soft", "command line")
    assert (applied["maxfail"], applied["profiling"]) == (1, True)
    (early,) = [e["fields"] for e in events if e["event"] == "early_exit_detected"]
    assert (early["mode"], early["test_id"], early["phase"]) == ("soft", plan.failure_id, "call")


def test_hard_stops_writes_an_emergency_summary_and_skips_profiling(suite, tmp_path):
    directory, plan = suite
    out = tmp_path / "out"
    result = run_mode(directory, out, "--failfast-mode", "hard")
    assert result.returncode == 1, result.stdout + result.stderr
    summary = summary_of(out)
    assert (summary["mode"], summary["first_failure"]) == ("hard", plan.failure_id)
    assert summary["tests_run"] == plan.failure_at + 1
    assert summary["emergency"] is True
    assert summary["profiling_skipped"] == ["durations", "markers"]
    assert set(summary["rollback"]) >= {"triggers", "actions"}
    assert "partial_metrics" not in summary
    assert not (out / "durations.json").exists()
    assert not (out / "markers.usage.json").exists()
    names = [event["event"] for event in read_events(out / "events.log.jsonl")]
    assert "failfast_mode_applied" in names and "early_exit_detected" in names


def test_environment_sets_the_mode_and_the_flag_overrides_it(suite, tmp_path):
    directory, plan = suite
    soft = tmp_path / "soft"
    result = run_mode(directory, soft, TPR_FAILFAST_MODE="soft")
    assert result.returncode == 1, result.stdout + result.stderr
    assert summary_of(soft)["mode"] == "soft"
    assert applied_mode(soft) == ("soft", "environment")

    off = tmp_path / "off"
    result = run_mode(directory, off, "--failfast-mode", "off", TPR_FAILFAST_MODE="soft")
    assert result.returncode == 1
    assert f"1 failed, {plan.tests - 1} passed" in result.stdout
    assert not (off / "failfast.summary.json").exists()
    assert applied_mode(off) == ("off", "command line")


def test_unknown_mode_in_the_environment_is_a_usage_error(suite, tmp_path):
    directory, _ = suite
    result = run_mode(directory, tmp_path / "out", TPR_FAILFAST_MODE="fast")
    assert result.returncode == 4, result.stdout + result.stderr
    message = result.stdout + result.stderr
    assert "TPR_FAILFAST_MODE='fast'" in message
    assert "off, soft, hard" in message


def fake_results() -> dict:
    def mode(mean: float, target: float | None = None) -> dict:
        entry = {"mean_s": mean, "median_s": mean, "samples_s": [mean]}
        if target is not None:
            improvement = round(100 * (1 - mean / 2.0), 2)
            entry.update(
                improvement_pct=improvement,
                improvement_pct_median=improvement,
                target_pct=target,
                met=improvement >= target,
            )
        return entry

    return {
        "seed": 1,
        "tests": 40,
        "repeats": 1,
        "scenarios": [plan_scenario(1).as_dict()],
        "test_time_skipped_pct": 50.0,
        "modes": {"off": mode(2.0), "soft": mode(1.0, 40.0), "hard": mode(0.9, 60.0)},
        "ok": False,
        "runs": [],
    }


def test_results_are_written_hashed_and_formatted(tmp_path):
    config = TprConfig()
    log = EventLog(tmp_path / "events.log.jsonl", run_id="bench-run")
    written = write_failfast_results(tmp_path, config, log, fake_results())
    data = json.loads((tmp_path / ".tpr" / BENCHMARK_NAME).read_text())
    assert embedded_hash_ok(data) and data["sha256"] == written["sha256"]
    assert data["run_id"] == "bench-run"
    text = format_failfast(written)
    assert "soft" in text and "50.0%" in text and "55.0%" in text
    assert "NO" in text and "target missed" in text


@pytest.mark.slow
def test_ac2_failfast_modes_reduce_detection_time(tmp_path):
    log = EventLog(tmp_path / "events.log.jsonl", run_id="ac2-run")
    lines: list[str] = []
    results = measure(
        SEED,
        repeats=1,
        scenarios=2,
        tests=12,
        min_ms=50,
        max_ms=70,
        log=log,
        workdir=tmp_path / "work",
        echo=lines.append,
    )
    runs = 1 * 2 * 3
    assert len(lines) == len(results["runs"]) == runs
    assert [s["stratum"] for s in results["scenarios"]] == [[0, 2], [1, 2]]
    assert [s["seed"] for s in results["scenarios"]] == [SEED, SEED + 1]
    modes = results["modes"]
    assert set(modes) == {"off", "soft", "hard"}
    for name, entry in modes.items():
        assert len(entry["samples_s"]) == 2
        assert entry["mean_s"] > 0 and entry["median_s"] > 0
        if name != "off":
            assert isinstance(entry["met"], bool)
            assert len(entry["in_process_detection"]["samples_s"]) == 2
            assert "improvement_pct_median" in entry
    assert modes["soft"]["target_pct"] == TprConfig().soft_target_pct
    assert modes["hard"]["target_pct"] == TprConfig().hard_target_pct
    assert results["ok"] == (modes["soft"]["met"] and modes["hard"]["met"])
    # What AC-2 is about: stopping at the failure detects it earlier on average.
    assert modes["soft"]["mean_s"] < modes["off"]["mean_s"]
    assert modes["hard"]["mean_s"] < modes["off"]["mean_s"]

    events = read_events(log.path)
    assert {event["run_id"] for event in events} == {"ac2-run"}
    names = [event["event"] for event in events]
    assert names.count("failfast_mode_applied") == runs
    assert names.count("early_exit_detected") == runs * 2 // 3

    written = write_failfast_results(tmp_path, TprConfig(), log, results)
    assert embedded_hash_ok(json.loads((tmp_path / ".tpr" / BENCHMARK_NAME).read_text()))
    assert "AC-2" in format_failfast(written)
