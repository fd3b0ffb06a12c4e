"""The tree id that decides "same tree" for flake detection."""

from __future__ import annotations

import subprocess

from tpr.tree import tree_id


def git(root, *args):
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_uncommitted_and_untracked_edits_change_the_tree(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "test_a.py").write_text("def test_a(): pass\n")
    git(tmp_path, "add", "test_a.py")
    git(tmp_path, "commit", "-qm", "first")
    clean = tree_id(tmp_path)
    assert clean is not None and "+" not in clean
    (tmp_path / "test_new.py").write_text("def test_b(): assert 1\n")
    untracked = tree_id(tmp_path)
    (tmp_path / "test_new.py").write_text("def test_b(): assert 0\n")
    edited = tree_id(tmp_path)
    assert len({clean, untracked, edited}) == 3
    (tmp_path / "test_new.py").unlink()
    (tmp_path / "test_a.py").write_text("def test_a(): assert 0\n")
    assert tree_id(tmp_path) not in (clean, untracked, edited)


def test_tprs_own_artifacts_do_not_change_the_tree(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "test_a.py").write_text("def test_a(): pass\n")
    git(tmp_path, "add", "test_a.py")
    git(tmp_path, "commit", "-qm", "first")
    artifacts = tmp_path / ".tpr"
    artifacts.mkdir()
    before = tree_id(tmp_path, exclude=artifacts)
    (artifacts / "events.log.jsonl").write_text('{"event": "run_start"}\n')
    assert tree_id(tmp_path, exclude=artifacts) == before
    assert tree_id(tmp_path) != before  # without the exclusion they would count


def test_outside_git_there_is_no_tree(tmp_path):
    assert tree_id(tmp_path) is None
