"""The tracing engine: find where probed variables live in bytecode and capture them.

Public surface: ProbeAnchor and probe specs, classify_data, CaptureRecord,
CaptureManager, SequenceCounter, VariableTracer (with the ``monitoring`` and
``settrace`` backends), and trace_script for running a whole script headless.

Names are loaded on first use (PEP 562), so parsing ``--probe`` specs does not
import numpy: the tracer shakes hands with the GUI before paying for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "anchor": (
        "ProbeAnchor",
        "ProbeSpec",
        "anchor_for",
        "occurrences",
        "parse_probe_spec",
        "resolve_probes",
    ),
    "capture_manager": (
        "DEFAULT_QUEUE_LIMIT",
        "DEFAULT_SAMPLE_HZ",
        "MODE_ALL",
        "MODE_SAMPLE",
        "MODES",
        "CaptureManager",
        "Probe",
    ),
    "capture_record": ("CaptureRecord",),
    "data_classifier": ("classify_data", "snapshot"),
    "errors": ("BackendUnavailable", "EngineError", "ProbeSpecError"),
    "run": ("TraceResult", "trace_script"),
    "sequence": ("SequenceCounter",),
    "backends": ("available_backends", "default_backend"),
    "tracer": ("VariableTracer",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "DEFAULT_QUEUE_LIMIT",
    "DEFAULT_SAMPLE_HZ",
    "MODES",
    "MODE_ALL",
    "MODE_SAMPLE",
    "BackendUnavailable",
    "CaptureManager",
    "CaptureRecord",
    "EngineError",
    "Probe",
    "ProbeAnchor",
    "ProbeSpec",
    "ProbeSpecError",
    "SequenceCounter",
    "TraceResult",
    "VariableTracer",
    "anchor_for",
    "available_backends",
    "classify_data",
    "default_backend",
    "occurrences",
    "parse_probe_spec",
    "resolve_probes",
    "snapshot",
    "trace_script",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from .anchor import (
        ProbeAnchor,
        ProbeSpec,
        anchor_for,
        occurrences,
        parse_probe_spec,
        resolve_probes,
    )
    from .backends import available_backends, default_backend
    from .capture_manager import (
        DEFAULT_QUEUE_LIMIT,
        DEFAULT_SAMPLE_HZ,
        MODE_ALL,
        MODE_SAMPLE,
        MODES,
        CaptureManager,
        Probe,
    )
    from .capture_record import CaptureRecord
    from .data_classifier import classify_data, snapshot
    from .errors import BackendUnavailable, EngineError, ProbeSpecError
    from .run import TraceResult, trace_script
    from .sequence import SequenceCounter
    from .tracer import VariableTracer
