"""Running tddprose on a project directory the way the tests of tddprose do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tddprose.cli import main
from tddprose.config import STATE_GITIGNORE

#: The tests' usual project configuration: pytest tests under tests/, the ledger in spec/.
PYTEST_CONFIG = """\
spec_output: spec/
test_globs: ["tests/**/*.py"]
frameworks:
  - name: pytest
    collect_cmd: "python -m pytest --collect-only -q"
"""


def make_repo(root: Path, files: dict[str, str], config: str = PYTEST_CONFIG) -> Path:
    """A tddprose project at ``root``: its configuration and state ignore file, and
    ``files`` (relative path -> text)."""
    (root / ".tdd-prose").mkdir(parents=True, exist_ok=True)
    (root / ".tdd-prose/config.yml").write_text(config)
    (root / ".tdd-prose/.gitignore").write_text(STATE_GITIGNORE)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def run(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def outputs(root: Path) -> dict[str, bytes]:
    """What a sync writes: every spec file and the mapping snapshot, by relative path."""
    paths = [*sorted((root / "spec").glob("*.md")), root / ".tdd-prose/mapping.snapshot.json"]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}


def behaviors(root: Path, capsys, *mode: str) -> dict[str, dict]:
    """``behaviors --json`` by behavior id."""
    capsys.readouterr()
    assert run(root, "behaviors", "--json", *mode) == 0
    view = json.loads(capsys.readouterr().out)
    return {b["behavior_id"]: b for b in view["behaviors"]}


def pytest_junit(root: Path, xml: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The project's tests/ under pytest, its results as JUnit XML in ``xml``; the
    caller's PYTEST_ADDOPTS left out, ``env`` added."""
    child_env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", f"--junitxml={xml}", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env={**child_env, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
