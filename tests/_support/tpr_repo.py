"""Scratch repositories for tpr's tests: a pyproject, a lock file, test files, and a
way to run `tpr` and pytest in them as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

TPR_ENV_NAMES = (
    "TPR_SEED",
    "TPR_FAILFAST_MODE",
    "TPR_ENV_VALIDATE",
    "TPR_RUN_ID",
    "TPR_ARTIFACT_DIR",
    "PYTEST_ADDOPTS",
)


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
    env = {k: v for k, v in os.environ.items() if k not in TPR_ENV_NAMES}
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
    path = root / ".tpr" / "events.log.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def event_names(root: Path) -> list[str]:
    return [event["event"] for event in events(root)]


def artifact(root: Path, name: str) -> dict:
    return json.loads((root / ".tpr" / name).read_text())
