"""The tracing engine: find where probed variables live in bytecode and capture them.

Public surface: ProbeAnchor and probe specs, classify_data, CaptureRecord,
CaptureManager, SequenceCounter, VariableTracer (with the ``monitoring`` and
``settrace`` backends), and trace_script for running a whole script headless.
"""

from .anchor import ProbeAnchor, ProbeSpec, anchor_for, occurrences, parse_probe_spec
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
from .run import TraceResult, resolve_probes, trace_script
from .sequence import SequenceCounter
from .tracer import VariableTracer, available_backends, default_backend

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
