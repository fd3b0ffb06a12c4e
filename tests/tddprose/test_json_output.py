"""``--json`` on every command: one JSON object on stdout, ``{"command", "ok",
"exit_code", ...}``; errors are ``{"error", "fix"}`` with the same exit code."""

from __future__ import annotations

import io
import json
import sys

import pytest

from tddprose.cli import _parser, main
from tddprose.errors import ExitCode
from tests.tddprose.agent_project import SNAPSHOT, make_project, run, write_intent

JUNIT = (
    '<testsuites><testsuite name="pytest" tests="1">'
    '<testcase classname="tests.auth.test_login" name="test_valid_login"/>'
    "</testsuite></testsuites>"
)
# Commands that cannot run in a test: the MCP server speaks JSON-RPC on stdio until
# its client leaves (test_mcp_server.py drives it).
NOT_ONE_SHOT = {"mcp"}


def subcommands() -> list[str]:
    parser = _parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(commands.choices)


def one_json_object(text: str) -> dict:
    data = json.loads(text)  # the whole of stdout, nothing else
    assert isinstance(data, dict)
    return data


def arguments(command: str, root, tmp_path) -> list[str]:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    intent = write_intent(
        tmp_path / "intent.json",
        [
            {
                "behavior_id": "auth.logout",
                "given": "a signed-in user",
                "when": "they log out",
                "then": "the session ends",
                "depends_on": ["auth.login.valid"],
            }
        ],
    )
    known = {
        "init": ["init"],
        "sync": ["sync", "--no-runner", "--diff"],
        "check": ["check", "--no-runner"],
        "coverage": ["coverage", "--no-runner"],
        "behaviors": ["behaviors", "--no-runner", "--filter", "weak-evidence"],
        "ready": ["ready", "--no-runner"],
        "diff": ["diff", "--no-runner"],
        "report": ["report", "--no-runner", "--from", str(junit)],
        "forget": ["forget", "--no-runner", "--all-orphaned"],
        "deps": ["deps", "import", str(intent)],
        "intent": ["intent", "validate", "--no-runner", str(intent)],
        "plan": ["plan", "--no-runner", str(intent)],
        "write": ["write", "--no-runner", str(intent)],
    }
    # A command added later without a case here still has to answer --json.
    return known.get(command, [command])


def test_every_command_has_json_and_prints_one_object_with_command_ok_and_exit_code(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # commands that ask get no answers
    root = make_project(tmp_path / "project")
    source = root / "tests/auth/test_login.py"
    source.write_text(source.read_text().replace("def test_token", "def _token"))
    assert run(root, "sync", "--apply", "--no-runner") == 0  # auth.session.token orphaned
    seen = {}
    for command in subcommands():
        if command in NOT_ONE_SHOT:
            continue
        capsys.readouterr()
        where = tmp_path / "fresh" if command == "init" else root
        code = run(where, *arguments(command, root, tmp_path), "--json")
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        data = one_json_object(captured.out)
        assert data["command"] == command
        assert data["exit_code"] == code and data["ok"] is (code == 0)
        if code != 0:
            assert data["error"] and data["fix"], command
        seen[command] = (code, data)
    known = ("init", "sync", "check", "coverage", "behaviors", "ready", "diff", "report")
    for command in (*known, "forget", "deps"):
        assert seen[command][0] == (1 if command == "check" else 0), seen[command]
    assert ".tdd-prose/config.yml" in seen["init"][1]["written"]
    assert seen["sync"][1]["applied"] is False  # after forget: the spec would change
    assert seen["sync"][1]["changes"] == sorted(seen["sync"][1]["changes"])
    check = seen["check"][1]  # fails: an orphaned behavior, over ci.orphaned_max (0)
    assert check["behaviors"] == 4 and check["drift"] == []
    assert ["orphaned behavior(s)" in f for f in check["failures"]] == [True]
    assert seen["coverage"][1]["tiers"]["behavior"] == {"ok": 3, "orphaned": 1}
    assert [b["behavior_id"] for b in seen["behaviors"][1]["behaviors"]] == [
        "auth.logout",
        "auth.session.refresh",
        "auth.session.token",
    ]
    assert seen["diff"][1]["summary"]["added"] == 0
    assert seen["report"][1]["summary"]["results"] == {"matched": 1, "unmatched": 0}
    assert seen["forget"][1]["forgotten"] == ["auth.session.token"]
    assert seen["deps"][1]["changed"][0]["behavior_id"] == "auth.logout"


def test_sync_apply_json_lists_the_files_it_wrote(tmp_path, capsys):
    root = make_project(tmp_path, sync=False)
    capsys.readouterr()
    assert run(root, "sync", "--apply", "--no-runner", "--json") == 0
    data = one_json_object(capsys.readouterr().out)
    assert data["applied"] is True and SNAPSHOT in data["written"]
    assert data["written"] == data["changes"]
    assert run(root, "sync", "--apply", "--no-runner", "--json") == 0
    data = one_json_object(capsys.readouterr().out)
    assert data["up_to_date"] is True and data["written"] == []


def test_a_failing_check_is_exit_1_with_its_failures_in_json(tmp_path, capsys):
    root = make_project(tmp_path)
    (root / "tests/auth/test_login.py").write_text("def test_new():\n    assert 1\n")
    capsys.readouterr()
    assert run(root, "check", "--no-runner", "--json") == ExitCode.FAILED
    data = one_json_object(capsys.readouterr().out)
    assert data["ok"] is False and data["exit_code"] == 1
    assert data["failures"] and data["drift"]
    assert data["error"] and data["fix"] == "run `tddprose sync --apply` and commit the result"


def test_a_missing_config_in_json_mode_is_an_error_object_with_the_fix(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    code = main(["--root", str(tmp_path), "behaviors", "--json"])
    data = one_json_object(capsys.readouterr().out)
    assert code == ExitCode.BAD_INPUT
    assert data == {
        "command": "behaviors",
        "ok": False,
        "exit_code": 2,
        "error": data["error"],
        "fix": data["fix"],
    }
    assert "config.yml" in data["error"] and "tddprose init" in data["fix"]


def test_a_usage_error_in_json_mode_is_an_error_object_with_exit_code_2(tmp_path, capsys):
    root = make_project(tmp_path)
    capsys.readouterr()
    code = run(root, "sync", "--no-such-option", "--json")
    captured = capsys.readouterr()
    data = one_json_object(captured.out)
    assert code == ExitCode.BAD_INPUT == data["exit_code"]
    assert data["command"] == "sync"
    assert "unrecognized arguments: --no-such-option" in data["error"]
    assert data["fix"] == "see `tddprose sync --help`"
    assert "usage:" in captured.err  # the terminal still gets argparse's usage


def test_a_busy_lock_in_json_mode_is_exit_3_with_the_fix(tmp_path, capsys):
    from tddprose.state import run_lock

    root = make_project(tmp_path)
    capsys.readouterr()
    with run_lock(root / ".tdd-prose"):
        code = run(root, "--lock-timeout", "0.1", "ready", "--no-runner", "--json")
    data = one_json_object(capsys.readouterr().out)
    assert code == ExitCode.LOCKED == data["exit_code"]
    assert "--lock-timeout" in data["fix"]


def test_a_command_error_in_json_mode_keeps_its_message_and_exit_code(tmp_path, capsys):
    root = make_project(tmp_path)
    capsys.readouterr()
    code = run(root, "forget", "--no-runner", "auth.login.valid", "--json")
    data = one_json_object(capsys.readouterr().out)
    assert code == ExitCode.BAD_INPUT == data["exit_code"]
    assert "only orphaned behaviors can be forgotten" in data["error"]
    assert data["fix"]


@pytest.mark.parametrize("command", ["behaviors", "ready", "coverage"])
def test_json_output_is_byte_for_byte_reproducible_with_source_date_epoch(
    tmp_path, capsys, monkeypatch, command
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_project(tmp_path)
    capsys.readouterr()
    outputs = []
    for _ in range(2):
        assert run(root, command, "--no-runner", "--json") == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    first = json.loads(outputs[0])
    assert first["ok"] is True and first["command"] == command
    if command != "coverage":
        assert json.loads(outputs[0])["generated_at"] == "2023-11-14T22:13:20Z"
