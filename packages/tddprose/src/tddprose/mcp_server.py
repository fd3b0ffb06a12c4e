"""``tddprose mcp``: the agent queries as Model Context Protocol tools (stdio).

A thin layer: each tool calls the function in ``tddprose.tools`` the CLI calls, and
returns exactly what ``tddprose COMMAND --json`` prints (``plan`` and
``intent_validate`` only when the authoring commands are installed). A tool that fails reports an
MCP error whose text ends with the CLI's JSON error object (``error``, ``fix``,
``exit_code``). The server needs the optional ``mcp`` package
(``pip install 'tddprose[mcp]'``); nothing else in tddprose imports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tddprose import authoring_cli, tools
from tddprose.errors import TddProseError

INSTALL = "pip install 'tddprose[mcp]'"
INSTRUCTIONS = (
    "Query this repository's behavior ledger (compiled from its tests). `behaviors` lists "
    "behaviors with their evidence, status, dependencies and content hash; `ready` the "
    "actionable gaps whose prerequisites are satisfied; `coverage` the gaps per tier; "
    "`plan` and `intent_validate` read a Behavior Intent file."
)


class McpMissing(TddProseError):
    """The optional MCP SDK is not installed."""

    fix = INSTALL


def _sdk():
    """The SDK's decorator server class and its ToolError: ``FastMCP`` in mcp 1.x, the
    same class renamed ``MCPServer`` in mcp 2.x (the API used here is the same)."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:
        pass
    else:
        return MCPServer, ToolError
    try:
        from mcp.server.fastmcp import FastMCP
        from mcp.server.fastmcp.exceptions import ToolError
    except ImportError:
        raise McpMissing(
            f"`tddprose mcp` needs the optional MCP SDK, which is not installed; {INSTALL}"
        ) from None
    return FastMCP, ToolError


def build_server(root: Path, *, runner: bool = True, lock_timeout: float = 30.0):
    """The MCP server for the repository at ``root`` (not started)."""
    server_class, ToolError = _sdk()
    server = server_class("tddprose", instructions=INSTRUCTIONS)

    def answer(command: str, **options: Any) -> dict[str, Any]:
        return _answered(
            ToolError,
            command,
            lambda: tools.query(root, command, runner=runner, lock_timeout=lock_timeout, **options),
        )

    @server.tool(
        name="behaviors",
        description=(
            "The behavior graph: every behavior with its block, title, status, evidence "
            "(tests), depends_on, related_to and content_hash, plus stats. Optional filter: "
            f"{', '.join(tools.FILTERS)}."
        ),
    )
    def behaviors(filter: str | None = None) -> dict[str, Any]:
        return answer("behaviors", filter_name=filter)

    @server.tool(
        name="ready",
        description=(
            "Actionable gaps (orphaned, needs review, failing in the last run, weak evidence) "
            "whose prerequisites (depends_on) are all satisfied; gaps still waiting are under "
            "`blocked`, each with what it waits on. use_overlay=false ignores the last run."
        ),
    )
    def ready(use_overlay: bool = True) -> dict[str, Any]:
        return answer("ready", use_overlay=use_overlay)

    @server.tool(
        name="coverage",
        description=(
            "Behaviors per eligibility tier and status, orphan tests, weak evidence, inactive "
            "(skip/xfail) tests and sparse domains."
        ),
    )
    def coverage() -> dict[str, Any]:
        return answer("coverage")

    _add_authoring_tools(server, ToolError, root, runner, lock_timeout)
    return server


def _answered(ToolError, command: str, ask: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """What ``ask`` answers; a tddprose error becomes a tool error whose text is the same
    JSON envelope `tddprose COMMAND --json` prints for it."""
    try:
        return ask()
    except TddProseError as exc:
        failure = tools.error_envelope(
            command, tools.error_text(exc), tools.fix_for(exc), exc.exit_code
        )
        raise ToolError(json.dumps(failure, sort_keys=True)) from None


def _add_authoring_tools(server, ToolError, root: Path, runner: bool, lock_timeout: float):
    def answer(command: str, intent: str) -> dict[str, Any]:
        return _answered(
            ToolError,
            command,
            lambda: authoring_cli.authoring_query(
                root, command, intent, runner=runner, lock_timeout=lock_timeout
            ),
        )

    @server.tool(
        name="plan",
        description=(
            "Classify a Behavior Intent file's behaviors against the ledger (covered, "
            "partially covered, uncovered, conflict) and plan a test for each gap: what "
            "`tddprose plan INTENT --json` prints. `intent`: the file's path (relative to "
            "the repository root)."
        ),
    )
    def plan(intent: str) -> dict[str, Any]:
        return answer("plan", intent)

    @server.tool(
        name="intent_validate",
        description=(
            "Check a Behavior Intent file against its schema and the ledger: what "
            "`tddprose intent validate INTENT --json` prints (problems with their fixes; "
            "exit_code 2 schema errors, 1 conflicts)."
        ),
    )
    def intent_validate(intent: str) -> dict[str, Any]:
        return answer("intent", intent)


def serve(root: Path, *, runner: bool = True, lock_timeout: float = 30.0) -> None:
    """Run the server on stdio until the client disconnects."""
    build_server(root, runner=runner, lock_timeout=lock_timeout).run("stdio")
