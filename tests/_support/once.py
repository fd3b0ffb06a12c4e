"""Expensive test inputs (wheels, venvs, node_modules) made once per test session,
even when pytest-xdist runs the tests in several worker processes."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

DONE = ".made"


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """The directory ``name``, filled by ``make(directory)`` once per test session.

    Under xdist the workers share it: the first to ask makes it while the others wait
    on a lock, then reuse it. A ``make`` that raised leaves nothing behind, so the next
    to ask tries again (and reports its own failure)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's directory, shared by its workers
    target = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / DONE).exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            try:
                make(target)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
            (target / DONE).touch()
    return target
