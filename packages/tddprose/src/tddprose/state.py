"""``.tdd-prose/state.sqlite`` (never committed) and the run lock.

The cache is keyed by the compiler version, the adapter and tree-sitter
versions and the config digest; any change empties it. It is opened read-only
until something needs writing, so a no-op run writes no file at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tddprose.errors import LockBusy

STATE_NAME = "state.sqlite"
LOCK_NAME = "tddprose.lock"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha TEXT, ir BLOB, good BLOB
);
CREATE TABLE IF NOT EXISTS blocks (digest TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


@contextlib.contextmanager
def run_lock(state_dir: Path, timeout: float = 30.0) -> Iterator[None]:
    """One tddprose run per repository at a time (flock; freed if the process dies)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"{path}: another tddprose run holds the lock (waited {timeout:g} s); "
                        "wait for it to finish, or pass --lock-timeout"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(descriptor)


class State:
    """Cached parses, block renders and the last sync's stamps.

    ``meta`` (small) is read at once; the parses and block bodies only when a run
    gets past the early exit, so a no-op run reads a few rows and writes nothing.
    """

    def __init__(self, state_dir: Path, cache_key: str):
        self.path = state_dir / STATE_NAME
        self.cache_key = cache_key
        self.meta: dict[str, str] = self._read("SELECT key, value FROM meta", check_key=True)
        self._files: dict[str, tuple[int, int, str, bytes, bytes | None]] | None = None
        self._blocks: dict[str, str] | None = None
        self._used_blocks: set[str] = set()
        self._dirty_files: dict[str, tuple | None] = {}
        self._dirty_blocks: dict[str, str] = {}
        self._dirty_meta: dict[str, str] = {}

    def _read(self, query: str, *, check_key: bool = False) -> dict:
        if not self.path.exists() or (not check_key and not self.meta):
            return {}
        try:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            try:
                rows = {
                    row[0]: row[1] if len(row) == 2 else row[1:]
                    for row in connection.execute(query)
                }
            finally:
                connection.close()
        except sqlite3.Error:
            return {}  # a corrupt or foreign cache is only a cache: start empty
        if check_key and rows.get("cache_key") != self.cache_key:
            return {}
        return rows

    @property
    def files(self) -> dict[str, tuple[int, int, str, bytes, bytes | None]]:
        if self._files is None:
            self._files = self._read("SELECT path, size, mtime_ns, sha, ir, good FROM files")
        return self._files

    def block_body(self, digest: str, render: Callable[[], str]) -> str:
        """A block's rendered body, from the cache when its content is unchanged."""
        if self._blocks is None:
            self._blocks = self._read("SELECT digest, body FROM blocks")
        self._used_blocks.add(digest)
        body = self._blocks.get(digest)
        if body is None:
            body = self._blocks[digest] = self._dirty_blocks[digest] = render()
        return body

    def get_json(self, key: str) -> Any:
        value = self.meta.get(key)
        return json.loads(value) if value is not None else None

    def put_json(self, key: str, value: Any) -> None:
        text = json.dumps(value, sort_keys=True)
        if self.meta.get(key) != text:
            self.meta[key] = text
            self._dirty_meta[key] = text

    def put_file(
        self, path: str, size: int, mtime_ns: int, sha: str, ir: bytes, good: bytes | None
    ):
        row = (size, mtime_ns, sha, ir, good)
        if self.files.get(path) != row:
            self.files[path] = row
            self._dirty_files[path] = row

    def forget_files(self, keep: set[str]) -> None:
        for path in [p for p in self.files if p not in keep]:
            del self.files[path]
            self._dirty_files[path] = None

    def _stale_blocks(self) -> list[str]:
        """Bodies no block of this run used (only known once a run rendered)."""
        if self._blocks is None:
            return []
        return [d for d in self._blocks if d not in self._used_blocks]

    def save(self) -> None:
        stale = self._stale_blocks()
        if not (self._dirty_files or self._dirty_blocks or self._dirty_meta or stale):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.path)
        except sqlite3.Error:
            return
        try:
            with connection:
                self._write(connection, stale)
        except sqlite3.DatabaseError:
            connection.close()
            self.path.unlink(missing_ok=True)  # corrupt: rebuilt from scratch next time
            return
        connection.close()
        self._dirty_files, self._dirty_blocks, self._dirty_meta = {}, {}, {}

    def _write(self, connection: sqlite3.Connection, stale: list[str]) -> None:
        connection.executescript(_SCHEMA)
        stored = dict(connection.execute("SELECT key, value FROM meta"))
        if stored.get("cache_key") != self.cache_key:
            # Another compiler or config wrote it: replace everything with this run's view.
            connection.executescript("DELETE FROM files; DELETE FROM blocks; DELETE FROM meta;")
            self._dirty_meta.update(self.meta)
            self._dirty_files.update(self.files)
            self._dirty_blocks.update(self._blocks or {})
        self._dirty_meta["cache_key"] = self.cache_key
        connection.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", self._dirty_meta.items()
        )
        for path, row in self._dirty_files.items():
            if row is None:
                connection.execute("DELETE FROM files WHERE path = ?", (path,))
            else:
                connection.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)", (path, *row)
                )
        connection.executemany(
            "INSERT OR REPLACE INTO blocks VALUES (?, ?)", self._dirty_blocks.items()
        )
        connection.executemany("DELETE FROM blocks WHERE digest = ?", ((d,) for d in stale))
        for digest in stale:
            del self._blocks[digest]
