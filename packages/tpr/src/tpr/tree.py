"""Which source tree a run saw: flakiness means two outcomes on the *same* tree."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> bytes | None:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def tree_id(root: Path) -> str | None:
    """The committed tree plus a digest of uncommitted changes to tracked files; None
    outside a git work tree."""
    head = _git(root, "rev-parse", "HEAD^{tree}")
    if head is None:
        return None
    diff = _git(root, "diff", "HEAD", "--no-ext-diff", "--binary") or b""
    suffix = f"+{hashlib.sha256(diff).hexdigest()[:12]}" if diff else ""
    return head.decode().strip() + suffix
