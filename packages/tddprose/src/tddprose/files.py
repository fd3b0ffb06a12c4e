"""File writes: atomic, UTF-8, LF, and only when the bytes change."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tddprose.jsonfmt import pretty_json


def read_text_or_none(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(text.encode("utf-8"))
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds exactly it."""
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return False
    except (FileNotFoundError, NotADirectoryError):
        pass
    write_atomic(path, text)
    return True


def write_json_if_changed(path: Path, data: Any) -> bool:
    """Canonical JSON: sorted keys, two-space indent, UTF-8, trailing newline."""
    return write_if_changed(path, pretty_json(data))
