"""Trace a whole script in this process and collect what the probes captured."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .anchor import ProbeAnchor, ProbeSpec, resolve_probes
from .capture_manager import DEFAULT_QUEUE_LIMIT, MODE_ALL, CaptureManager
from .capture_record import CaptureRecord
from .script_main import run_script
from .tracer import VariableTracer


@dataclass(frozen=True)
class TraceResult:
    records: list[CaptureRecord]
    exit_code: int
    dropped: dict[ProbeAnchor, int]


def trace_script(
    script: str | os.PathLike[str],
    probes: Iterable[str | ProbeSpec | ProbeAnchor],
    *,
    script_args: Sequence[str] = (),
    backend: str = "auto",
    mode: str = MODE_ALL,
    queue_limit: int = DEFAULT_QUEUE_LIMIT,
) -> TraceResult:
    """Run ``script`` as ``__main__`` with ``probes`` and return every capture, in order."""
    manager = CaptureManager(queue_limit=queue_limit)
    tracer = VariableTracer(manager, backend)
    for anchor in resolve_probes(script, probes):
        tracer.add_probe(anchor, mode)
    with tracer:
        exit_code = run_script(Path(script), list(script_args))
    records = [record for batch in manager.drain() for record in batch]
    return TraceResult(records, exit_code, manager.take_dropped())
