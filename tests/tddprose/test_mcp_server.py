"""``tddprose mcp``: the agent tools over the Model Context Protocol (stdio), driven by a
real MCP client session, answer exactly what the CLI's ``--json`` prints."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from tddprose.errors import ExitCode
from tests.tddprose.agent_project import make_project, run, run_json, write_intent

EPOCH = "1700000000"


def is_error(result) -> bool:
    """The result's error flag (``isError`` in mcp 1.x, ``is_error`` in 2.x)."""
    flag = getattr(result, "is_error", None)
    return bool(result.isError if flag is None else flag)


def tool_json(result) -> dict:
    """The JSON object a tool returned (its text content). An error's text is the SDK's
    ``Error executing tool NAME: `` and then the object."""
    assert len(result.content) == 1
    text = result.content[0].text
    return json.loads(text[text.index("{") :])


async def mcp_session(root, log, calls):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "tddprose", "--root", str(root), "mcp", "--no-runner"],
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        cwd=str(root),
    )
    async with (
        stdio_client(params, errlog=log) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        listed = await session.list_tools()
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
        return listed.tools, results


def test_the_mcp_server_lists_its_tools_and_answers_like_the_cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = make_project(tmp_path / "project")
    intent = write_intent(
        tmp_path / "intent.json",
        [{"behavior_id": "auth.logout", "depends_on": ["auth.session.token"]}],
    )
    assert run(root, "deps", "import", str(intent)) == 0
    planned = write_intent(
        root / "intent.json",
        [
            {"behavior_id": "auth.logout", "given": "a user", "when": "logs out", "then": "ends"},
            {"behavior_id": "auth.mfa", "given": "a user", "when": "signs in", "then": "is asked"},
        ],
    )
    cli = {
        "behaviors": run_json(root, capsys, "behaviors", "--no-runner")[1],
        "weak": run_json(root, capsys, "behaviors", "--no-runner", "--filter", "weak-evidence")[1],
        "ready": run_json(root, capsys, "ready", "--no-runner")[1],
        "coverage": run_json(root, capsys, "coverage", "--no-runner")[1],
        "plan": run_json(root, capsys, "plan", "--no-runner", str(planned))[1],
        "intent": run_json(root, capsys, "intent", "validate", "--no-runner", str(planned))[1],
    }
    calls = [
        ("behaviors", {}),
        ("behaviors", {"filter": "weak-evidence"}),
        ("ready", {}),
        ("coverage", {}),
        ("behaviors", {"filter": "no-such-filter"}),
        ("plan", {"intent": "intent.json"}),
        ("intent_validate", {"intent": "intent.json"}),
    ]
    with open(tmp_path / "server.log", "w") as log:
        tools, results = asyncio.run(mcp_session(root, log, calls))
    names = {tool.name for tool in tools}
    assert names == {"behaviors", "ready", "coverage", "plan", "intent_validate"}
    by_name = {tool.name: tool for tool in tools}
    assert "weak-evidence" in by_name["behaviors"].description
    behaviors, weak, ready, coverage, bad, plan, validated = results
    assert not is_error(behaviors) and tool_json(behaviors) == cli["behaviors"]
    assert tool_json(weak) == cli["weak"]
    assert tool_json(ready) == cli["ready"]
    assert [b["behavior_id"] for b in tool_json(ready)["blocked"]] == ["auth.logout"]
    assert tool_json(coverage) == cli["coverage"]
    assert is_error(bad)
    error = tool_json(bad)
    assert error["ok"] is False and error["exit_code"] == ExitCode.BAD_INPUT
    assert "no-such-filter" in error["error"] and "weak-evidence" in error["fix"]
    assert tool_json(plan) == cli["plan"]
    assert [i["classification"] for i in cli["plan"]["intents"]] == [
        "partially_covered",
        "uncovered",
    ]
    assert tool_json(validated) == cli["intent"] and cli["intent"]["ok"] is True


def test_without_the_mcp_package_the_command_says_which_extra_to_install(
    tmp_path, capsys, monkeypatch
):
    for name in [n for n in sys.modules if n == "mcp" or n.startswith("mcp.")] + ["mcp"]:
        monkeypatch.setitem(sys.modules, name, None)
    root = make_project(tmp_path)
    capsys.readouterr()
    assert run(root, "mcp") == ExitCode.BAD_INPUT
    assert "pip install 'tddprose[mcp]'" in capsys.readouterr().err
    code, data = run_json(root, capsys, "mcp")
    assert code == ExitCode.BAD_INPUT and data["fix"] == "pip install 'tddprose[mcp]'"


def test_the_shared_query_function_gives_the_clis_json(tmp_path, capsys, monkeypatch):
    from tddprose import tools

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = make_project(tmp_path)
    assert tools.QUERIES == ("behaviors", "ready", "coverage")
    answers = {}
    for command in tools.QUERIES:
        _, cli = run_json(root, capsys, command, "--no-runner")
        assert tools.query(root, command, runner=False) == cli
        assert cli["ok"] is True and cli["command"] == command
        answers[command] = cli
    # what the project holds, not only agreement: both sides could be equally empty
    assert answers["behaviors"]["behaviors"] and answers["coverage"] != {
        k: answers["coverage"][k] for k in ("command", "ok", "exit_code")
    }
