"""Running tddprose on a project directory the way the tests of tddprose do."""

from __future__ import annotations

import json
from pathlib import Path

from tddprose.cli import main


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
