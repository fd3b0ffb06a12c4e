"""The pipeline's documented bad inputs end in an exit code and a message, never a traceback."""

from __future__ import annotations

import subprocess

import pytest

from pipelines.cli import main
from pipelines.errors import ExitCode, PipelineError
from pipelines.git_checkout import GitRefError, resolve_commit
from tests._support.cli import run_main


def run(capsys, argv):
    return run_main(main, capsys, argv)


def test_no_plans_is_bad_usage(tmp_path, capsys):
    (tmp_path / "plans").mkdir()
    code, err = run(capsys, ["--root", str(tmp_path), "plan", "M99"])
    assert code == ExitCode.USAGE == 2
    assert err.startswith("error: plans: no plan files")


def test_a_broken_plan_is_exit_2(tmp_path, capsys):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "M1.yaml").write_bytes(b"id: M1\ntitle: caf\xe9\n")
    code, err = run(capsys, ["--root", str(tmp_path), "validate"])
    assert code == ExitCode.USAGE
    assert "plans/M1.yaml" in err


def test_a_bad_command_is_a_usage_error(capsys):
    code, err = run(capsys, ["no-such-command"])
    assert code == ExitCode.USAGE
    assert "invalid choice" in err


def test_a_bad_git_ref_is_a_gate_failure_naming_the_ref_and_the_fix(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(GitRefError) as raised:
        resolve_commit("no-such-ref", repo=tmp_path)
    error = raised.value
    assert isinstance(error, PipelineError) and isinstance(error, ValueError)
    assert error.exit_code == ExitCode.GATE_FAILED == 1
    assert "red stage: git ref 'no-such-ref' does not name a commit" in str(error)
    assert "fix the plan's red mode" in str(error)


def test_the_exit_codes_are_the_documented_ones():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 130]
