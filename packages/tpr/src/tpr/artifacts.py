"""Artifact files: stable JSON, SHA-256 digests, embedded and sidecar hashes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .errors import TprError

HASH_FIELD = "sha256"


class ArtifactError(TprError, ValueError):
    """An artifact is missing or unreadable; the message names the file and the fix."""


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_text(path: Path, text: str) -> Path:
    """Write atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)
    return path


def write_json(path: Path, data: Any) -> Path:
    return write_text(path, canonical_json(data))


def read_json(path: Path, *, what: str, fix: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactError(f"{path}: {what} not found; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read {what}: {exc}; {fix}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{path}: {what} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); {fix}"
        ) from None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_hash(data: dict[str, Any]) -> str:
    """The digest of ``data`` without its own hash field, over canonical JSON."""
    body = {key: value for key, value in data.items() if key != HASH_FIELD}
    return sha256_bytes(canonical_json(body).encode())


def with_embedded_hash(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, HASH_FIELD: content_hash(data)}


def embedded_hash_ok(data: dict[str, Any]) -> bool:
    return data.get(HASH_FIELD) == content_hash(data)


def write_hashed_json(path: Path, data: dict[str, Any], *, sidecar: bool = False) -> str:
    """Write ``data`` with its SHA-256 embedded; with ``sidecar`` also ``<stem>.hash``."""
    hashed = with_embedded_hash(data)
    write_json(path, hashed)
    if sidecar:
        write_text(path.with_suffix(".hash"), hashed[HASH_FIELD] + "\n")
    return hashed[HASH_FIELD]
