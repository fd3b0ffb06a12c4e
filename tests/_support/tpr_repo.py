"""Scratch repositories for tpr's tests: a pyproject, a lock file, test files, and a
way to run `tpr` and pytest in them as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tpr.events import LOG_NAME, read_events


def make_repo(root: Path, files: dict[str, str], *, pyproject: str = "") -> Path:
    """``root`` with a pyproject.toml (pytest's rootdir), requirements.txt and ``files``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\naddopts = ['-p', 'no:cacheprovider']\n" + pyproject
    )
    (root / "requirements.txt").write_text("example==1.0\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the TPR_* settings of the run that tests tpr."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("TPR_") and k != "PYTEST_ADDOPTS"
    }
    env.update(extra)
    return env


def _run(root: Path, command: list[str], env: dict[str, str]):
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=root,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_tpr(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return _run(root, ["tpr", "--root", str(root), *args], env)


def run_pytest(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return _run(root, ["pytest", *args], env)


def events(root: Path) -> list[dict]:
    return read_events(root / ".tpr" / LOG_NAME)


def event_names(root: Path) -> list[str]:
    return [event["event"] for event in events(root)]


def artifact(root: Path, name: str) -> dict:
    return json.loads((root / ".tpr" / name).read_text())
