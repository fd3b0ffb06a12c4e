"""Find the test files: config globs (``**`` = any depth), excludes, a safe walk.

Directory symlinks are not followed (a symlink loop cannot trap the walk);
hidden directories, ``__pycache__``, ``node_modules`` and virtual environments
are skipped. A file that cannot be stat'ed (a file symlink loop, a dangling
link) becomes a diagnostic.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tddprose.ir import Diagnostic

_SKIPPED_DIRS = {"__pycache__", "node_modules"}


@dataclass(frozen=True)
class SourceFile:
    path: str  # POSIX, relative to the repository root
    suite_root: str  # the literal directory prefix of the glob that matched
    size: int
    mtime_ns: int


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    segments = pattern.strip("/").split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        piece = ""
        i = 0
        while i < len(segment):
            char = segment[i]
            if char == "*":
                piece += "[^/]*"
            elif char == "?":
                piece += "[^/]"
            elif char == "[" and "]" in segment[i + 1 :]:
                end = segment.index("]", i + 1)
                body = segment[i + 1 : end].replace("\\", "\\\\")
                piece += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end
            else:
                piece += re.escape(char)
            i += 1
        parts.append(piece if last else piece + "/")
    return re.compile("".join(parts) + r"\Z")


def matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(glob_regex(p).match(path) for p in patterns)


def literal_root(pattern: str) -> str:
    """``tests/**/*.py`` -> ``tests``; ``**/test_*.py`` -> ``''``."""
    fixed = []
    for segment in pattern.strip("/").split("/")[:-1]:
        if any(c in segment for c in "*?["):
            break
        fixed.append(segment)
    return "/".join(fixed)


def discover(
    root: Path, test_globs: tuple[str, ...], exclude_globs: tuple[str, ...]
) -> tuple[list[SourceFile], list[Diagnostic]]:
    found: dict[str, SourceFile] = {}
    diagnostics: list[Diagnostic] = []
    walk_roots = sorted({literal_root(g) for g in test_globs})
    # A root inside another root would be walked twice.
    walk_roots = [r for r in walk_roots if not any(_inside(r, o) for o in walk_roots if o != r)]
    for walk_root in walk_roots:
        top = root / walk_root if walk_root else root
        if not top.is_dir():
            continue
        for directory, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and d not in _SKIPPED_DIRS
                and not (Path(directory, d, "pyvenv.cfg")).exists()
            )
            rel_dir = Path(directory).relative_to(root).as_posix()
            for name in filenames:
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                glob = next((g for g in test_globs if glob_regex(g).match(rel)), None)
                if glob is None or matches(rel, exclude_globs):
                    continue
                try:
                    stat = os.stat(Path(directory, name))
                except OSError as exc:
                    diagnostics.append(
                        Diagnostic(
                            "warn",
                            "unreadable_file",
                            f"cannot read: {exc.strerror or exc}",
                            rel,
                            0,
                            "remove the broken or looping symlink, or exclude it",
                        )
                    )
                    continue
                if not os.path.isfile(Path(directory, name)):
                    continue
                found[rel] = SourceFile(rel, literal_root(glob), stat.st_size, stat.st_mtime_ns)
    return [found[p] for p in sorted(found)], diagnostics


def _inside(path: str, other: str) -> bool:
    return other == "" or path == other or path.startswith(other + "/")
