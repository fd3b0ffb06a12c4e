"""Which tracing backends this interpreter can run (without importing numpy)."""

from __future__ import annotations

import sys

from . import _monitoring, _settrace

BACKEND_NAMES = (_monitoring.NAME, _settrace.NAME)

_WHY_NOT = {
    _settrace.NAME: "CPython 3.12's legacy tracing corrupts inlined comprehensions",
    _monitoring.NAME: "sys.monitoring needs Python 3.12 or newer",
}


def available_backends() -> list[str]:
    """The backends this interpreter can run, best first."""
    return [backend.NAME for backend in (_monitoring, _settrace) if backend.AVAILABLE]


def default_backend() -> str:
    return available_backends()[0]


def unavailable_reason(name: str) -> str | None:
    """Why backend ``name`` cannot run here, or None when it can."""
    if name in available_backends():
        return None
    return (
        f"the {name} backend cannot run on Python {sys.version.split()[0]} "
        f"({_WHY_NOT[name]}); available here: {', '.join(available_backends())}"
    )
