"""Flake detection: outcome histories -> per-test flake rate and failure clusters.

A test is flaky when it both passed and failed on the same source tree. Failures are
clustered by signature: exception type, normalised message and top frame.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

HISTORY_DIR = "history"
FLAKE_REPORT_NAME = "flake.report.json"

_NORMALISERS = (
    (re.compile(r"0x[0-9a-fA-F]+"), "0x?"),
    (re.compile(r"/tmp/[^\s'\":]+|/private/var/[^\s'\":]+"), "<tmp>"),
    (re.compile(r"\b\d+(\.\d+)?(e[-+]?\d+)?\b"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def normalise_message(text: str) -> str:
    """The message with addresses, temporary paths and numbers replaced, so the same
    failure with different values falls in one cluster."""
    for pattern, replacement in _NORMALISERS:
        text = pattern.sub(replacement, text)
    return text.strip()[:300]


def signature_of_report(report: Any, root: Path) -> dict[str, str]:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None:
        message = crash.message or ""
        path = Path(crash.path)
        try:
            path = path.relative_to(root)
        except ValueError:
            pass
        frame = f"{path.as_posix()}:{crash.lineno}"
    else:
        message = str(getattr(report, "longrepr", "") or "").strip().splitlines()
        message = message[-1] if message else ""
        frame = ""
    first_line = message.splitlines()[0] if message else ""
    head, _, rest = first_line.partition(":")
    if rest and re.fullmatch(r"[A-Za-z_][\w.]*", head.strip()):
        exception, detail = head.strip(), rest.strip()
    else:
        exception, detail = "Error", first_line
    normalised = normalise_message(detail)
    return {
        "exception": exception,
        "message": normalised,
        "frame": frame,
        "key": f"{exception}|{normalised}|{frame}",
    }
