"""Atomic file writes and the one-gate-at-a-time lock."""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

from pipelines.errors import GateBusy

TEMP_SUFFIX = ".tmp"
# ``.<name>.<token>.tmp``: the temporaries this module writes beside their targets.
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<token>[0-9a-z_]{6,})\.tmp$")


def _temp_beside(path: Path, token: str) -> Path:
    return path.with_name(f".{path.name}.{token}{TEMP_SUFFIX}")


def _write_synced(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_files_atomically(contents: Mapping[Path, str], journal: Path | None = None) -> None:
    """Write every file of ``contents`` as one unit: all of them, or none.

    Each file is first written in full to a temporary beside it. With ``journal``,
    the list of renames is then committed to that file (itself written atomically)
    before any rename: a run killed between two renames leaves the journal, and
    ``recover(journal)`` on the next start finishes the renames, so the set is
    never half old, half new. A run stopped before the journal exists leaves the
    old files, and its temporaries are removed here or by ``remove_stale_temps``.
    """
    token = uuid.uuid4().hex[:12]
    staged: list[tuple[Path, Path]] = []
    committed = False
    try:
        for path, text in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = _temp_beside(path, token)
            staged.append((temp, path))
            _write_synced(temp, text)
        if journal is not None:
            base = journal.parent
            entries = [
                [os.path.relpath(temp, base), os.path.relpath(path, base)] for temp, path in staged
            ]
            journal_temp = _temp_beside(journal, token)
            _write_synced(journal_temp, json.dumps({"renames": entries}, indent=1) + "\n")
            os.replace(journal_temp, journal)  # the commit point
            _fsync_directory(base)
        committed = True
        for temp, path in staged:
            os.replace(temp, path)
        for directory in dict.fromkeys(path.parent for _, path in staged):
            _fsync_directory(directory)
        if journal is not None:
            journal.unlink()
    finally:
        if not committed:
            for temp, _ in staged:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
            if journal is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(_temp_beside(journal, token))


def recover(journal: Path) -> list[Path]:
    """Finish the renames a killed ``write_files_atomically`` committed to ``journal``.

    Returns the files put in place. A journal that cannot be read was never
    committed (it is written atomically), so it is only removed.
    """
    if not journal.exists():
        return []
    base = journal.parent
    done: list[Path] = []
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))["renames"]
    except (OSError, ValueError, KeyError, TypeError):
        entries = []
    for temp_name, target_name in entries:
        temp, target = base / temp_name, base / target_name
        if temp.exists():
            os.replace(temp, target)
            done.append(target)
    for directory in dict.fromkeys(path.parent for path in done):
        _fsync_directory(directory)
    journal.unlink()
    return done


def remove_stale_temps(directory: Path) -> list[Path]:
    """Delete the temporaries an interrupted write left in ``directory``; returns them.

    Call it only while holding the gate lock and after ``recover``: then no
    temporary there belongs to a write still in progress or still to be replayed.
    """
    if not directory.is_dir():
        return []
    removed = []
    for entry in directory.iterdir():
        if _TEMP_NAME.match(entry.name) and entry.is_file():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
            removed.append(entry)
    return removed


def append_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.writelines(line + "\n" for line in lines)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


LOCK_HOLDER_ENV = "PIPELINES_GATE_LOCK_HOLDER"


def _holder_token(path: Path, pid: int) -> str:
    return f"{pid}:{path.resolve()}"


def _read_holder(path: Path) -> int:
    try:
        return int(path.read_text().strip() or "0")
    except (OSError, ValueError):
        return 0


@contextlib.contextmanager
def gate_lock(path: Path) -> Iterator[dict[str, str]]:
    """Hold ``path`` as a lock file for the duration; refuse if a live gate holds it.

    Yields the environment to give child processes (``invoke milestone`` takes the
    lock, then starts nox with it): a gate started with it runs under its parent's
    lock instead of being refused by it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = _read_holder(path)
    inherited = os.environ.get(LOCK_HOLDER_ENV)
    if holder and inherited == _holder_token(path, holder) and _pid_alive(holder):
        yield {LOCK_HOLDER_ENV: inherited}
        return
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_holder(path)
            if holder and _pid_alive(holder):
                raise GateBusy(
                    f"another milestone gate is running (pid {holder}, lock {path}); "
                    "wait for it to finish, or delete the lock if that process is gone"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # left behind by a gate that was killed
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        break
    else:
        raise GateBusy(f"could not take the gate lock {path}")
    try:
        yield {LOCK_HOLDER_ENV: _holder_token(path, os.getpid())}
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
