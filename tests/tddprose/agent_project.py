"""A small project for the agent-facing commands (dependencies, ready, --json, MCP).

Behaviors after ``sync --apply``:

- ``auth.login.valid``: an active test with an assertion (ok, not a gap);
- ``auth.session.refresh``: no assertion (weak evidence: a gap);
- ``auth.session.token``: its only test is skipped (weak, no active evidence: a gap);
- ``auth.logout``: no assertion (a gap).
"""

from __future__ import annotations

import json
from pathlib import Path

from tddprose.cli import main
from tests._support.tddprose_project import PYTEST_CONFIG

CONFIG = PYTEST_CONFIG
LOGIN = '''\
import pytest


# @tdd-prose:behavior auth.login.valid
def test_valid_login():
    """A user with the right password gets a session."""
    assert "session"


# @tdd-prose:behavior auth.session.refresh
def test_refresh():
    """A session can be refreshed before it expires."""
    print("refresh")


# @tdd-prose:behavior auth.session.token
@pytest.mark.skip(reason="not written yet")
def test_token():
    """A session carries a signed token."""
    assert "token"


# @tdd-prose:behavior auth.logout
def test_logout():
    """Logging out ends the session."""
    print("logout")
'''
SNAPSHOT = ".tdd-prose/mapping.snapshot.json"


def make_project(root: Path, *, sync: bool = True) -> Path:
    (root / ".tdd-prose").mkdir(parents=True, exist_ok=True)
    (root / ".tdd-prose/config.yml").write_text(CONFIG)
    (root / "tests/auth").mkdir(parents=True, exist_ok=True)
    (root / "tests/auth/test_login.py").write_text(LOGIN)
    if sync:
        assert run(root, "sync", "--apply", "--no-runner") == 0
    return root


def run(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def run_json(root: Path, capsys, *args: str) -> tuple[int, dict]:
    """Run one command with ``--json`` and parse its stdout as one JSON object."""
    capsys.readouterr()
    code = run(root, *args, "--json")
    out = capsys.readouterr().out
    return code, json.loads(out)


def write_intent(path: Path, behaviors: list[dict]) -> Path:
    intent = {"domain": "auth", "behaviors": behaviors, "constraints": {}}
    path.write_text(json.dumps(intent, indent=2))
    return path
