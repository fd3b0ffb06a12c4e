"""RED mode ``git:<ref>``: the packages' code as it was at a commit, in a temporary worktree."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pipelines.errors import StageError


class GitRefError(StageError, ValueError):
    """The ref does not name a commit of the repository: the RED stage cannot run.

    A :class:`~pipelines.errors.StageError`, so the command line reports it as a failed
    gate (exit code 1) with the ref and the fix, not a traceback."""


def _git(*args: str, repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)


def resolve_commit(ref: str, *, repo: Path) -> str:
    """The full hash of the commit ``ref`` names, or GitRefError."""
    if ref.startswith("-"):  # would be read as an option
        raise GitRefError(
            f"red stage: git ref {ref!r} is not a ref (it starts with '-'); "
            "fix the plan's red mode to name a commit: git:<branch, tag or hash>"
        )
    result = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", repo=repo)
    if result.returncode != 0:
        raise GitRefError(
            f"red stage: git ref {ref!r} does not name a commit in {repo}; fix the plan's "
            f"red mode (git:<ref>) or fetch the ref; check it with "
            f"`git rev-parse --verify '{ref}^{{commit}}'`"
        )
    return result.stdout.strip()


@contextmanager
def code_at(ref: str, *, repo: Path) -> Iterator[Path]:
    """A temporary detached worktree of ``repo`` at ``ref``, removed on exit even on error."""
    commit = resolve_commit(ref, repo=repo)
    parent = Path(tempfile.mkdtemp(prefix="pipelines-git-"))
    worktree = parent / "worktree"
    try:
        added = _git("worktree", "add", "--detach", str(worktree), commit, repo=repo)
        if added.returncode != 0:
            raise RuntimeError(
                f"git worktree add of {ref!r} ({commit}) failed: {added.stderr.strip()}"
            )
        yield worktree
    finally:
        # --force: running tests leaves untracked files (__pycache__) in the worktree.
        _git("worktree", "remove", "--force", str(worktree), repo=repo)
        _git("worktree", "prune", repo=repo)
        shutil.rmtree(parent, ignore_errors=True)


def source_path_env(worktree: Path, *, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``env`` (default os.environ) whose PYTHONPATH starts with every
    ``<worktree>/packages/*/src``: PYTHONPATH comes before site-packages, so the old code
    shadows the installed packages. That works for pure-Python src-layout packages; compiled
    extensions and entry points still come from the installed versions."""
    sources = [str(path) for path in sorted(Path(worktree).glob("packages/*/src")) if path.is_dir()]
    result = dict(os.environ if env is None else env)
    existing = result.get("PYTHONPATH", "")
    result["PYTHONPATH"] = os.pathsep.join([*sources, existing] if existing else sources)
    return result
