"""AC-5: the environment validator halts on a mismatch before any test runs, in <1 s."""

from __future__ import annotations

import json
import statistics
import time

import pytest

from tests._support.tpr_repo import artifact, event_names, make_repo, run_pytest, run_tpr
from tpr.config import load_config
from tpr.events import EventLog
from tpr.signature import SIGNATURE_NAME
from tpr.validate import run_validation

ENV = {"TPR_SEED": "12345", "TPR_FAILFAST_MODE": "off"}
MARKER_TEST = """
from pathlib import Path

def test_writes_marker():
    Path("ran.txt").write_text("a test ran")
"""


@pytest.fixture
def repo(tmp_path):
    root = make_repo(tmp_path / "repo", {"test_marker.py": MARKER_TEST})
    assert run_tpr(root, "signature", "--record", **ENV).returncode == 0
    return root


def edit_signature(root, section, key, value):
    path = root / ".tpr" / SIGNATURE_NAME
    data = json.loads(path.read_text())
    data[section][key] = value
    path.write_text(json.dumps(data))


def test_ac5_validator_halts_on_mismatch_before_tests(repo):
    edit_signature(repo, "python", "minor", "2.7")
    result = run_pytest(repo, "--tpr-validate", **ENV)
    assert result.returncode == 4, result.stdout + result.stderr
    assert not (repo / "ran.txt").exists()  # aborted before any test ran
    assert "PYTHON_MINOR_MISMATCH" in result.stdout + result.stderr
    failure = artifact(repo, "env.validation.failure.json")
    assert failure["reason_codes"] == ["PYTHON_MINOR_MISMATCH"]
    assert failure["sha256"]
    assert "environment_validation_fail" in event_names(repo)


def test_ac5_matching_environment_logs_ok_and_runs(repo):
    result = run_pytest(repo, "--tpr-validate", **ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repo / "ran.txt").exists()
    names = event_names(repo)
    assert names.index("environment_validation_start") < names.index("environment_validation_ok")


@pytest.mark.parametrize(
    ("change", "env", "code"),
    [
        (
            lambda root: (root / "requirements.txt").write_text("example==2.0\n"),
            ENV,
            "LOCK_HASH_MISMATCH",
        ),
        (None, {**ENV, "TPR_REQUIRED_ENV": "DEPLOY_REGION"}, "ENV_VAR_MISSING"),
        (None, {**ENV, "TPR_SEED": "twelve"}, "SEED_NOT_NUMERIC"),
        (lambda root: edit_signature(root, "platform", "os", "Plan9"), ENV, "OS_MISMATCH"),
        (lambda root: edit_signature(root, "platform", "arch", "sparc"), ENV, "ARCH_MISMATCH"),
        (lambda root: edit_signature(root, "tools", "pytest", "1.0"), ENV, "TOOL_VERSION_MISMATCH"),
    ],
)
def test_ac5_each_mismatch_has_its_reason_code(repo, change, env, code):
    if change:
        change(repo)
    result = run_tpr(repo, "validate", **env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert code in result.stderr
    assert code in artifact(repo, "env.validation.failure.json")["reason_codes"]


def test_skip_overrides_a_mismatch(repo):
    edit_signature(repo, "python", "minor", "2.7")
    result = run_pytest(repo, "--tpr-validate", **ENV, TPR_ENV_VALIDATE="skip")
    assert result.returncode == 0
    assert (repo / "ran.txt").exists()


def test_env_enable_with_a_signature_validates_before_the_tests(repo):
    result = run_pytest(repo, **ENV, TPR_ENV_VALIDATE="enable")
    assert result.returncode == 0, result.stdout + result.stderr
    names = event_names(repo)
    assert names.index("environment_validation_start") < names.index("environment_validation_ok")


@pytest.mark.parametrize("seed", ["none", "random", "-3"])
def test_seeds_the_configuration_accepts_pass_validation(repo, seed):
    result = run_tpr(repo, "validate", **{**ENV, "TPR_SEED": seed})
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_enable_without_a_signature_does_not_block_scratch_runs(tmp_path):
    root = make_repo(tmp_path / "scratch", {"test_marker.py": MARKER_TEST})
    result = run_pytest(root, TPR_ENV_VALIDATE="enable")
    assert result.returncode == 0, result.stdout + result.stderr


def test_explicit_validation_without_a_signature_says_how_to_record(tmp_path):
    root = make_repo(tmp_path / "fresh", {"test_marker.py": MARKER_TEST})
    result = run_tpr(root, "validate", **ENV)
    assert result.returncode == 3
    assert "SIGNATURE_MISSING" in result.stderr and "tpr signature --record" in result.stderr


@pytest.mark.parametrize("text", ["{not json", "[]", '{"python": {}}'])
def test_corrupt_signature_is_named_with_the_fix(repo, text):
    (repo / ".tpr" / SIGNATURE_NAME).write_text(text)
    result = run_tpr(repo, "validate", **ENV)
    assert result.returncode == 3
    assert "SIGNATURE_CORRUPT" in result.stderr
    assert SIGNATURE_NAME in result.stderr and "tpr signature --record" in result.stderr


def test_ac5_validation_takes_under_a_second(repo):
    config = load_config(repo, environ=ENV)
    log = EventLog(repo / ".tpr" / "events.log.jsonl")
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        result = run_validation(repo, config, log, environ=ENV)
        timings.append(time.perf_counter() - start)
        assert result.status == "ok"
    assert statistics.median(timings) < 1.0


def test_validate_right_after_recording_passes_without_exporting_the_defaulted_variables(
    tmp_path,
):
    root = make_repo(tmp_path / "repo", {"test_marker.py": MARKER_TEST})
    assert run_tpr(root, "signature", "--record").returncode == 0
    result = run_tpr(root, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ENV_VAR_MISSING" not in result.stdout + result.stderr


def test_a_required_variable_without_a_default_is_still_reported_missing(repo):
    result = run_tpr(repo, "validate", TPR_REQUIRED_ENV="TPR_SEED,DEPLOY_REGION")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "env.DEPLOY_REGION" in result.stderr
    assert "env.TPR_SEED" not in result.stderr


def test_a_passing_validation_removes_the_failure_file_of_an_earlier_mismatch(repo):
    assert run_tpr(repo, "validate", TPR_SEED="twelve").returncode == 3
    failure = repo / ".tpr" / "env.validation.failure.json"
    assert failure.exists()
    result = run_tpr(repo, "validate", **ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not failure.exists()
