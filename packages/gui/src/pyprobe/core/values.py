"""How the GUI reads the values the tracer sends: arrays, waveforms, collections.

A waveform arrives as ``{"samples": ndarray, "t0": float, "dt": float}`` (the
tracer's snapshot); collections as lists of arrays or waveforms. No Qt here: the
lenses and the exports both read values through these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: Most traces a 2-D array or a collection is drawn as.
MAX_TRACES = 16


def waveform_parts(value: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``(samples, x)`` of an array or a tracer waveform dict ``{"samples", "t0", "dt"}``;
    ``x`` is the time axis of a waveform, None for a plain array."""
    if isinstance(value, Mapping) and "samples" in value:
        samples = np.asarray(value["samples"])
        t0, dt = float(value.get("t0", 0.0)), float(value.get("dt", 1.0))
        return samples, t0 + dt * np.arange(len(samples))
    return np.asarray(value), None


def traces(value: Any, limit: int = MAX_TRACES) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """The traces of a value: one for a 1-D array or waveform, one per row of a 2-D
    array, one per item of a collection; at most ``limit``."""
    if isinstance(value, (list, tuple)):
        return [waveform_parts(item) for item in value[:limit]]
    if isinstance(value, Mapping) and isinstance(value.get("waveforms"), (list, tuple)):
        return traces(value["waveforms"], limit)
    samples, x = waveform_parts(value)
    if samples.ndim == 2:
        return [(row, None) for row in samples[:limit]]
    if samples.ndim > 2:
        return [(samples.reshape(-1), None)]
    return [(samples, x)]
