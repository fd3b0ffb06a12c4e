"""Pure numpy preparation for the lenses: no Qt, no per-point Python loops.

What a panel draws never needs more points than it has pixels: long traces are
reduced to one (min, max) pair per pixel column, dense point clouds to a density
image. These functions are what the lens tests check against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: Above this many points a constellation is drawn as a density image.
DENSITY_THRESHOLD = 20_000
DENSITY_BINS = 256


def minmax_decimate(y: np.ndarray, columns: int, x: np.ndarray | None = None):
    """``(x, y)`` with at most ``2 * columns`` points that draw like ``y`` at that width.

    Each of ``columns`` equal slices keeps its minimum and maximum, in the order
    they occur, so peaks survive. ``y`` short enough is returned as it is. ``x``
    defaults to the sample index.
    """
    y = np.asarray(y)
    n = len(y)
    if x is None:
        x = np.arange(n, dtype=np.float64)
    columns = max(int(columns), 1)
    if n <= 2 * columns:
        return np.asarray(x, dtype=np.float64), y.astype(np.float64, copy=False)
    per = n // columns
    used = per * columns
    blocks = y[:used].reshape(columns, per)
    low, high = blocks.argmin(axis=1), blocks.argmax(axis=1)
    first = np.minimum(low, high)
    second = np.maximum(low, high)
    starts = np.arange(columns) * per
    picks = np.empty(2 * columns, dtype=np.int64)
    picks[0::2] = starts + first
    picks[1::2] = starts + second
    if used < n:  # the tail that did not fill a column
        tail = y[used:]
        extra = used + np.array(sorted({int(tail.argmin()), int(tail.argmax())}))
        picks = np.concatenate([picks, extra])
    return np.asarray(x, dtype=np.float64)[picks], y[picks].astype(np.float64, copy=False)


def density_image(points: np.ndarray, bins: int = DENSITY_BINS):
    """``(counts, (x0, y0, width, height))``: a ``bins`` x ``bins`` histogram of the
    finite complex ``points`` (axis 0 is the real part, as pyqtgraph's ImageItem
    expects) and the square it covers; ``counts.sum()`` is the number of points."""
    points = np.asarray(points).ravel()
    finite = points[np.isfinite(points)]
    if len(finite) == 0:
        return np.zeros((bins, bins)), (-1.0, -1.0, 2.0, 2.0)
    re, im = finite.real, finite.imag
    span = max(float(np.ptp(re)), float(np.ptp(im)), 1e-12) * 1.1
    cx, cy = float(re.mean()), float(im.mean())
    x0, y0 = cx - span / 2, cy - span / 2
    counts, _, _ = np.histogram2d(re, im, bins=bins, range=[[x0, x0 + span], [y0, y0 + span]])
    return counts, (x0, y0, span, span)


def waveform_parts(value: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``(samples, x)`` of an array or a tracer waveform dict ``{"samples", "t0", "dt"}``;
    ``x`` is the time axis of a waveform, None for a plain array."""
    if isinstance(value, Mapping) and "samples" in value:
        samples = np.asarray(value["samples"])
        t0, dt = float(value.get("t0", 0.0)), float(value.get("dt", 1.0))
        return samples, t0 + dt * np.arange(len(samples))
    return np.asarray(value), None


def traces(value: Any, limit: int = 8) -> list[tuple[np.ndarray, np.ndarray | None]]:
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
