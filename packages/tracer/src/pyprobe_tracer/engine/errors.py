"""Errors of the tracing engine."""

from __future__ import annotations


class EngineError(Exception):
    """Base of the engine's errors."""


class ProbeSpecError(EngineError, ValueError):
    """A probe given on the command line (LINE:SYMBOL[:N]) does not name a symbol in the script."""


class BackendUnavailable(EngineError):
    """The requested tracing backend cannot run on this interpreter."""
