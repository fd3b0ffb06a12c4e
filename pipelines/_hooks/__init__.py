"""Standalone modules put on PYTHONPATH of the Python processes the gate starts.

Those processes import them by their top-level names (``sitecustomize``, ``pipelines_report``),
so none of them may import ``pipelines``. This package only tells the gate where they are.
"""

from __future__ import annotations

import os
from pathlib import Path

# The mask's start-up hook (sitecustomize) lives here; only masked runs put this on PYTHONPATH.
HOOKS_DIR = Path(__file__).resolve().parent
# The pytest plugin of every gate run, kept apart so unmasked runs never load the hook.
REPORT_DIR = HOOKS_DIR / "report"


def with_path_entry(pythonpath: str, directory: Path, *, first: bool) -> str:
    """``pythonpath`` with ``directory`` in it once: moved to the front if ``first``, else kept
    where it is or appended."""
    entries = pythonpath.split(os.pathsep) if pythonpath else []
    ours = [entry for entry in entries if os.path.realpath(entry) == str(directory)]
    if ours and not first:
        return pythonpath
    others = [entry for entry in entries if entry not in ours]
    entries = [str(directory), *others] if first else [*others, str(directory)]
    return os.pathsep.join(entries)


def with_hooks_dir(pythonpath: str, *, first: bool) -> str:
    return with_path_entry(pythonpath, HOOKS_DIR, first=first)
