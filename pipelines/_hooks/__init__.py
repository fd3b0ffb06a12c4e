"""Standalone modules put on PYTHONPATH of the Python processes the gate starts.

Those processes import them by their top-level names (``sitecustomize``, ``pipelines_report``),
so none of them may import ``pipelines``. This package only tells the gate where they are.
"""

from __future__ import annotations

import os
from pathlib import Path

HOOKS_DIR = Path(__file__).resolve().parent


def with_hooks_dir(pythonpath: str, *, first: bool) -> str:
    """``pythonpath`` with HOOKS_DIR in it once: moved to the front if ``first``, else kept
    where it is or appended."""
    entries = pythonpath.split(os.pathsep) if pythonpath else []
    ours = [entry for entry in entries if os.path.realpath(entry) == str(HOOKS_DIR)]
    if ours and not first:
        return pythonpath
    others = [entry for entry in entries if entry not in ours]
    entries = [str(HOOKS_DIR), *others] if first else [*others, str(HOOKS_DIR)]
    return os.pathsep.join(entries)
