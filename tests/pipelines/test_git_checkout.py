"""RED mode git:<ref>: the code of an old commit in a temporary worktree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.git_checkout import GitRefError, code_at, resolve_commit, source_path_env

MODULE = "packages/x/src/pipelines_demo_mod/__init__.py"


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    options = [*identity, "-c", "commit.gpgsign=false", "-c", "core.hooksPath=hooks-none"]
    result = subprocess.run(
        ["git", *options, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def commit_version(repo: Path, version: str) -> str:
    path = repo / MODULE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"VERSION = {version!r}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"version {version}")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path) -> tuple[Path, str, str]:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    first = commit_version(root, "1")
    second = commit_version(root, "2")
    return root, first, second


def worktrees(repo: Path) -> list[str]:
    listing = git(repo, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("worktree ")]


def test_code_at_an_old_commit(repo):
    root, first, _ = repo
    with code_at(first, repo=root) as worktree:
        assert (worktree / MODULE).read_text() == "VERSION = '1'\n"
        assert len(worktrees(root)) == 2
        assert git(worktree, "rev-parse", "HEAD") == first
    assert not worktree.exists()
    assert worktrees(root) == [str(root.resolve())]
    assert (root / MODULE).read_text() == "VERSION = '2'\n"


def test_refs_are_resolved_like_git_does(repo):
    root, first, second = repo
    assert resolve_commit("HEAD~1", repo=root) == first
    assert resolve_commit(second[:10], repo=root) == second
    with code_at("HEAD~1", repo=root) as worktree:
        assert (worktree / MODULE).read_text() == "VERSION = '1'\n"


def test_the_worktree_is_removed_on_error(repo):
    root, first, _ = repo
    with pytest.raises(KeyError), code_at(first, repo=root) as worktree:
        (worktree / "untracked.txt").write_text("left behind by a test run\n")
        raise KeyError("boom")
    assert not worktree.exists()
    assert worktrees(root) == [str(root.resolve())]


@pytest.mark.parametrize("ref", ["no-such-branch", "v9.9", "-n", "HEAD~5"])
def test_a_bad_ref_is_a_clear_error(repo, ref):
    root, _, _ = repo
    with pytest.raises(GitRefError, match=f"git ref '{ref}'"), code_at(ref, repo=root):
        pytest.fail("entered the block")
    assert worktrees(root) == [str(root.resolve())]
    assert issubclass(GitRefError, ValueError)


def test_source_path_env_shadows_with_the_old_code(repo, tmp_path):
    root, first, _ = repo
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(root / "packages" / "x" / "src")  # the "installed" v2
    probe = [sys.executable, "-c", "import pipelines_demo_mod as m; print(m.VERSION)"]
    current = subprocess.run(probe, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert current.stdout.strip() == "2", current.stderr
    with code_at(first, repo=root) as worktree:
        old_env = source_path_env(worktree, env=env)
        old = subprocess.run(probe, cwd=tmp_path, env=old_env, capture_output=True, text=True)
        entries = old_env["PYTHONPATH"].split(os.pathsep)
    assert old.stdout.strip() == "1", old.stderr
    assert entries == [str(worktree / "packages" / "x" / "src"), env["PYTHONPATH"]]
    assert env["PYTHONPATH"] == str(root / "packages" / "x" / "src")  # not changed


def test_source_path_env_without_pythonpath(tmp_path):
    (tmp_path / "packages" / "a" / "src").mkdir(parents=True)
    (tmp_path / "packages" / "b" / "src").mkdir(parents=True)
    (tmp_path / "packages" / "c").mkdir(parents=True)
    env = source_path_env(tmp_path, env={"KEEP": "1"})
    assert env == {
        "KEEP": "1",
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path / "packages" / "a" / "src"), str(tmp_path / "packages" / "b" / "src")]
        ),
    }
