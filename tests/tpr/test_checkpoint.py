"""AC-4: the foundation checkpoint is emitted only when AC-1, AC-2, AC-3, AC-5, AC-6 and
AC-7 hold; otherwise it refuses and names each unmet criterion."""

from __future__ import annotations

import json

import pytest

from tpr.artifacts import embedded_hash_ok, write_hashed_json, write_text
from tpr.checkpoint import CHECKPOINT_JSON, CHECKPOINT_MD, CheckpointRefused, emit_checkpoint
from tpr.config import load_config
from tpr.events import LIFECYCLE_EVENTS, LOG_NAME, EventLog, read_events
from tpr.ladder import CoverageCounts, build_ladder, write_ladder
from tpr.validate import Reason, ValidationResult

OK = ValidationResult("ok", signature_path="env.signature.json")


def failfast(soft_pct: float, hard_pct: float) -> dict:
    def mode(pct, target):
        return {
            "mean_s": 1 - pct / 100,
            "improvement_pct": pct,
            "target_pct": target,
            "met": pct >= target,
        }

    return {
        "modes": {
            "off": {"mean_s": 1.0},
            "soft": mode(soft_pct, 40.0),
            "hard": mode(hard_pct, 60.0),
        }
    }


def property_results(runs: int = 30, flaky: bool = False) -> dict:
    test = {
        "runs": runs,
        "runtime": {"mean_ms": 120.0},
        "examples_run": {"per_run": 50},
        "falsifying_examples": [],
        "passed_all": True,
        "flaky": flaky,
    }
    tests = {f"tests/test_p.py::test_{n}": test for n in range(3)}
    return {
        "runs": runs,
        "tests": tests,
        "all_passed": True,
        "falsifying_examples": 0,
        "flakes": [name for name in tests if flaky],
        "within_threshold": True,
        "runtime_threshold_ms": 1000.0,
    }


@pytest.fixture
def complete(tmp_path):
    """A repo whose .tpr/ holds everything a foundation cycle produces."""
    config = load_config(tmp_path, environ={})
    artifacts = config.artifacts(tmp_path)
    counts = CoverageCounts(
        lines_valid=200, lines_covered=150, branches_valid=40, branches_covered=30
    )
    metrics = {
        "coverage": counts.as_dict(),
        "outcomes": {"passed": 10},
        "population_pct": 100.0,
        "durations": {"percentiles_s": {"p50": 0.1}},
        "flake": {"flake_rate": 0.0, "runs": 1, "flaky_tests": []},
    }
    digest = write_hashed_json(artifacts / "baseline.metrics.json", metrics, sidecar=True)
    assert (artifacts / "baseline.metrics.hash").read_text().strip() == digest
    write_hashed_json(artifacts / "failfast.benchmark.json", failfast(55.0, 70.0))
    write_hashed_json(artifacts / "property.results.json", property_results())
    write_ladder(artifacts / "coverage-ladder.yaml", build_ladder(counts, config))
    write_text(artifacts / "coverage.xml", "<coverage/>")
    log = EventLog(artifacts / LOG_NAME, run_id="cycle")
    for name in LIFECYCLE_EVENTS:
        if name != "foundation_checkpoint_emitted":
            log.emit(name)
    return tmp_path, config, log


def test_ac4_checkpoint_emitted_when_every_criterion_holds(complete):
    root, config, log = complete
    data = emit_checkpoint(root, config, log, OK)
    artifacts = config.artifacts(root)
    saved = json.loads((artifacts / CHECKPOINT_JSON).read_text())
    assert embedded_hash_ok(saved) and saved["sha256"] == data["sha256"]
    assert [c["id"] for c in saved["criteria"]] == ["AC-1", "AC-2", "AC-3", "AC-5", "AC-6", "AC-7"]
    assert all(c["met"] for c in saved["criteria"])
    assert set(saved["artifact_hashes"]) >= {
        "baseline.metrics.json",
        "coverage.xml",
        "property.results.json",
        "coverage-ladder.yaml",
    }
    markdown = (artifacts / CHECKPOINT_MD).read_text()
    for section in (
        "## Acceptance criteria",
        "## Baseline metrics",
        "## Fail-fast delta",
        "## Property pilot",
        "## Event coverage",
        "## Risk matrix",
        "## Artifact hashes",
    ):
        assert section in markdown
    assert read_events(artifacts / LOG_NAME)[-1]["event"] == "foundation_checkpoint_emitted"


def refused(root, config, log, validation=OK) -> dict[str, str]:
    with pytest.raises(CheckpointRefused) as error:
        emit_checkpoint(root, config, log, validation)
    assert not (config.artifacts(root) / CHECKPOINT_JSON).exists()
    return {c.id: c.evidence for c in error.value.unmet}


def test_ac4_refuses_without_the_baseline(complete):
    root, config, log = complete
    (config.artifacts(root) / "baseline.metrics.json").unlink()
    assert list(refused(root, config, log)) == ["AC-1"]


def test_ac4_refuses_a_tampered_baseline(complete):
    root, config, log = complete
    path = config.artifacts(root) / "baseline.metrics.json"
    path.write_text(path.read_text().replace('"passed": 10', '"passed": 11'))
    assert list(refused(root, config, log)) == ["AC-1"]


def test_ac4_refuses_when_failfast_targets_are_missed(complete):
    root, config, log = complete
    write_hashed_json(config.artifacts(root) / "failfast.benchmark.json", failfast(55.0, 45.0))
    unmet = refused(root, config, log)
    assert list(unmet) == ["AC-2"] and "hard 45.0% (target 60.0%)" in unmet["AC-2"]


@pytest.mark.parametrize("results", [property_results(runs=29), property_results(flaky=True)])
def test_ac4_refuses_an_unfinished_or_flaky_property_pilot(complete, results):
    root, config, log = complete
    write_hashed_json(config.artifacts(root) / "property.results.json", results)
    assert list(refused(root, config, log)) == ["AC-3"]


def test_ac4_refuses_a_failed_validation(complete):
    root, config, log = complete
    failed = ValidationResult("fail", (Reason("LOCK_HASH_MISMATCH", "lock.hash", "a", "b", ""),))
    unmet = refused(root, config, log, failed)
    assert list(unmet) == ["AC-5"] and "LOCK_HASH_MISMATCH" in unmet["AC-5"]


def test_ac4_refuses_when_an_event_is_missing(complete):
    root, config, log = complete
    path = config.artifacts(root) / LOG_NAME
    lines = [line for line in path.read_text().splitlines() if "flake_scan_complete" not in line]
    path.write_text("\n".join(lines) + "\n")
    unmet = refused(root, config, log)
    assert list(unmet) == ["AC-7"] and "flake_scan_complete" in unmet["AC-7"]


def test_ac4_refuses_without_a_ladder(complete):
    root, config, log = complete
    (config.artifacts(root) / "coverage-ladder.yaml").unlink()
    assert list(refused(root, config, log)) == ["AC-6"]
