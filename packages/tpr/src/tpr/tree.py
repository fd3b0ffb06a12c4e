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


def _untracked_digest(root: Path, digest, pathspec: list[str]) -> None:
    listing = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", *pathspec)
    names = (listing or b"").split(b"\0")
    for name in sorted(n for n in names if n):
        path = root / name.decode(errors="surrogateescape")
        digest.update(name + b"\0")
        try:
            size = path.stat().st_size
            digest.update(path.read_bytes() if size <= LARGE_FILE else str(size).encode())
        except OSError:
            digest.update(b"<unreadable>")


def tree_id(root: Path, exclude: Path | None = None) -> str | None:
    """The committed tree plus a digest of uncommitted changes: tracked files' diff and
    untracked (not ignored) files' contents. None outside a git work tree.

    ``exclude`` is tpr's own artifact directory: the files a run writes there must not
    make the next run's tree differ (then no two runs would ever share a tree)."""
    head = _git(root, "rev-parse", "HEAD^{tree}")
    if head is None:
        return None
    pathspec = ["."]
    if exclude is not None and exclude.resolve().is_relative_to(root.resolve()):
        pathspec.append(f":(exclude){exclude.resolve().relative_to(root.resolve()).as_posix()}")
    diff = _git(root, "diff", "HEAD", "--no-ext-diff", "--binary", "--", *pathspec)
    digest = hashlib.sha256(diff or b"")
    _untracked_digest(root, digest, pathspec)
    clean = hashlib.sha256().hexdigest()
    suffix = "" if digest.hexdigest() == clean else f"+{digest.hexdigest()[:12]}"
    return head.decode().strip() + suffix
