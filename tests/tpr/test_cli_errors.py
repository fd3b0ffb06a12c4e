"""tpr's documented bad inputs end in an exit code and a message, never a traceback."""

from __future__ import annotations

import pytest

from tests._support.cli import run_main
from tpr.cli import main
from tpr.errors import ExitCode, TprError


def run(capsys, argv):
    return run_main(main, capsys, argv)


@pytest.mark.parametrize("option", ["--repeats", "--scenarios"])
def test_failfast_with_a_count_below_one_is_a_usage_error(tmp_path, capsys, option):
    code, err = run(capsys, ["--root", str(tmp_path), "failfast", option, "0"])
    assert code == ExitCode.BAD_INPUT == 2
    assert f"argument {option}: 0 is less than 1; pass 1 or more" in err


def test_a_bad_configuration_value_names_it_and_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TPR_SEED", "not-a-number")
    code, err = run(capsys, ["--root", str(tmp_path), "signature"])
    assert code == ExitCode.BAD_INPUT
    assert err.startswith("tpr signature: ")
    assert "TPR_SEED" in err


def test_a_corrupt_events_log_names_the_file_and_exits_2(tmp_path, capsys):
    (tmp_path / ".tpr").mkdir()
    (tmp_path / ".tpr" / "events.log.jsonl").write_text("not json\n")
    code, err = run(capsys, ["--root", str(tmp_path), "events"])
    assert code == ExitCode.BAD_INPUT
    assert err.startswith("tpr events: ")
    assert "events.log.jsonl" in err


def test_measure_refuses_zero_repeats_with_a_tpr_error():
    from tpr.failfast_scenario import measure

    with pytest.raises(TprError, match="--repeats 0") as raised:
        measure(1, repeats=0)
    assert raised.value.exit_code == ExitCode.BAD_INPUT
    assert isinstance(raised.value, ValueError)  # still what callers caught before


def test_the_exit_codes_are_the_documented_ones():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3]
