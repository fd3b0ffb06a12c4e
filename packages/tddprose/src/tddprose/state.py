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
from collections.abc import Iterator
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
    """Cached parses, block renders and the last sync's fingerprints."""

    def __init__(self, state_dir: Path, cache_key: str):
        self.path = state_dir / STATE_NAME
        self.cache_key = cache_key
        self.files: dict[str, tuple[int, int, str, bytes, bytes | None]] = {}
        self.blocks: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self._dirty_files: dict[str, tuple] = {}
        self._dirty_blocks: dict[str, str] = {}
        self._dirty_meta: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            try:
                meta = dict(connection.execute("SELECT key, value FROM meta"))
                if meta.get("cache_key") != self.cache_key:
                    return
                self.meta = meta
                for row in connection.execute(
                    "SELECT path, size, mtime_ns, sha, ir, good FROM files"
                ):
                    self.files[row[0]] = row[1:]
                self.blocks = dict(connection.execute("SELECT digest, body FROM blocks"))
            finally:
                connection.close()
        except sqlite3.Error:
            # A corrupt or foreign cache is only a cache: start empty, rebuild on write.
            self.files, self.blocks, self.meta = {}, {}, {}

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

    def put_block(self, digest: str, body: str) -> None:
        if digest not in self.blocks:
            self.blocks[digest] = body
            self._dirty_blocks[digest] = body

    def forget_files(self, keep: set[str]) -> None:
        for path in [p for p in self.files if p not in keep]:
            del self.files[path]
            self._dirty_files[path] = None

    @property
    def dirty(self) -> bool:
        return bool(self._dirty_files or self._dirty_blocks or self._dirty_meta)

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.path)
        except sqlite3.Error:
            return
        try:
            with connection:
                connection.executescript(_SCHEMA)
                stored = dict(connection.execute("SELECT key, value FROM meta"))
                if stored.get("cache_key") != self.cache_key:
                    connection.executescript(
                        "DELETE FROM files; DELETE FROM blocks; DELETE FROM meta;"
                    )
                    self._dirty_meta.update(self.meta)
                    self._dirty_files.update(self.files)
                    self._dirty_blocks.update(self.blocks)
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
        except sqlite3.DatabaseError:
            # Corrupt cache file: replace it wholesale next time.
            connection.close()
            self.path.unlink(missing_ok=True)
            return
        finally:
            connection.close()
        self._dirty_files, self._dirty_blocks, self._dirty_meta = {}, {}, {}
