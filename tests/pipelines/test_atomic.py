"""Record files are written as one unit, and the gate lock is shared with the child gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines import atomic
from pipelines.atomic import (
    LOCK_HOLDER_ENV,
    gate_lock,
    recover,
    remove_stale_temps,
    write_files_atomically,
)
from pipelines.errors import GateBusy


class Killed(BaseException):
    """Stands for a kill: nothing after it runs in the writer."""


def files(root: Path, names=("a.md", "b.json", "c.json")) -> dict[Path, str]:
    return {root / name: f"new {name}\n" for name in names}


def old_set(root: Path) -> None:
    for name in ("a.md", "b.json", "c.json"):
        (root / name).write_text(f"old {name}\n")


def contents(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(root.iterdir()) if p.is_file()}


def test_a_write_killed_between_renames_is_completed_by_recover(tmp_path, monkeypatch):
    old_set(tmp_path)
    journal = tmp_path / ".journal"
    real_replace = os.replace
    renamed = []

    def replace_then_die(src, dst):
        real_replace(src, dst)
        renamed.append(dst)
        if Path(dst).name == "a.md":
            raise Killed

    monkeypatch.setattr(atomic.os, "replace", replace_then_die)
    with pytest.raises(Killed):
        write_files_atomically(files(tmp_path), journal=journal)
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert (tmp_path / "a.md").read_text() == "new a.md\n"
    assert (tmp_path / "b.json").read_text() == "old b.json\n"  # the torn state a kill leaves
    assert recover(journal) == [tmp_path / "b.json", tmp_path / "c.json"]
    assert contents(tmp_path) == {n: f"new {n}\n" for n in ("a.md", "b.json", "c.json")}


def test_a_write_stopped_before_its_journal_leaves_the_old_set_and_no_temps(tmp_path, monkeypatch):
    old_set(tmp_path)
    journal = tmp_path / ".journal"
    real_write = atomic._write_synced

    def write_then_die(path, text):
        real_write(path, text)
        if ".c.json." in path.name:
            raise Killed

    monkeypatch.setattr(atomic, "_write_synced", write_then_die)
    with pytest.raises(Killed):
        write_files_atomically(files(tmp_path), journal=journal)
    assert recover(journal) == []
    assert contents(tmp_path) == {n: f"old {n}\n" for n in ("a.md", "b.json", "c.json")}


def test_remove_stale_temps_deletes_only_leftover_temporaries(tmp_path):
    (tmp_path / ".M6-x-results.md.ab3_x9kq.tmp").write_text("half")
    (tmp_path / ".status.json.0123456789ab.tmp").write_text("half")
    (tmp_path / "M6-x-results.md").write_text("kept")
    (tmp_path / ".gitkeep").write_text("")
    assert len(remove_stale_temps(tmp_path)) == 2
    assert sorted(contents(tmp_path)) == [".gitkeep", "M6-x-results.md"]


def test_a_gate_started_under_its_parents_lock_runs_and_leaves_the_lock(tmp_path, monkeypatch):
    lock = tmp_path / ".milestone-gate.lock"
    with gate_lock(lock) as child_env:
        monkeypatch.setenv(LOCK_HOLDER_ENV, child_env[LOCK_HOLDER_ENV])
        with gate_lock(lock):
            pass
        assert lock.read_text() == str(os.getpid())
        for other in (None, f"{os.getpid() + 1}:{lock.resolve()}"):  # no, or another holder's
            monkeypatch.delenv(LOCK_HOLDER_ENV, raising=False)
            if other:
                monkeypatch.setenv(LOCK_HOLDER_ENV, other)
            refused = pytest.raises(GateBusy, match="another milestone gate is running")
            with refused, gate_lock(lock):
                pass
    assert not lock.exists()
