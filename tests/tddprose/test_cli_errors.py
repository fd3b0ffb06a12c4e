"""tddprose's documented bad inputs end in an exit code and a message, never a traceback."""

from __future__ import annotations

from tddprose.cli import main
from tddprose.errors import ExitCode, LockBusy, RunnerError, TddProseError
from tests._support.cli import run_main


def run(capsys, argv):
    return run_main(main, capsys, argv)


def test_a_missing_config_is_bad_input(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    code, err = run(capsys, ["--root", str(tmp_path), "check"])
    assert code == ExitCode.BAD_INPUT == 2
    assert err.startswith("tddprose: error: ")


def test_an_unknown_command_is_a_usage_error(capsys):
    code, err = run(capsys, ["no-such-command"])
    assert code == ExitCode.BAD_INPUT
    assert "invalid choice" in err


def test_every_error_carries_its_documented_exit_code():
    assert TddProseError.exit_code == ExitCode.BAD_INPUT
    assert LockBusy.exit_code == ExitCode.LOCKED == 3
    assert RunnerError.exit_code == ExitCode.RUNNER_FAILED == 4
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 130]
