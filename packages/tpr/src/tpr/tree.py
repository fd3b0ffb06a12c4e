"""Which source tree a run saw: flakiness means two outcomes on the *same* tree."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

LARGE_FILE = 1 << 20  # untracked files past this size count by name and size only


def _git(root: Path, *args: str) -> bytes | None:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def _untracked_digest(root: Path, digest) -> None:
    names = (_git(root, "ls-files", "--others", "--exclude-standard", "-z") or b"").split(b"\0")
    for name in sorted(n for n in names if n):
        path = root / name.decode(errors="surrogateescape")
        digest.update(name + b"\0")
        try:
            size = path.stat().st_size
            digest.update(path.read_bytes() if size <= LARGE_FILE else str(size).encode())
        except OSError:
            digest.update(b"<unreadable>")


def tree_id(root: Path) -> str | None:
    """The committed tree plus a digest of uncommitted changes: tracked files' diff and
    untracked (not ignored) files' contents. None outside a git work tree."""
    head = _git(root, "rev-parse", "HEAD^{tree}")
    if head is None:
        return None
    digest = hashlib.sha256(_git(root, "diff", "HEAD", "--no-ext-diff", "--binary") or b"")
    _untracked_digest(root, digest)
    clean = hashlib.sha256().hexdigest()
    suffix = "" if digest.hexdigest() == clean else f"+{digest.hexdigest()[:12]}"
    return head.decode().strip() + suffix
