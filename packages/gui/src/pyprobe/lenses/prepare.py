"""Pure numpy preparation for the lenses: no Qt, no per-point Python loops.

What a panel draws never needs more points than it has pixels: long traces are
reduced to one (min, max) pair per pixel column, dense point clouds to a density
image. These functions are what the lens tests check against.
"""

from __future__ import annotations

import numpy as np

from ..core.values import traces, waveform_parts

__all__ = [
    "DENSITY_BINS",
    "DENSITY_THRESHOLD",
    "density_image",
    "minmax_decimate",
    "traces",
    "waveform_parts",
]

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
    columns = max(int(columns), 1)
    if n <= 2 * columns:
        x = np.arange(n, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
        return x, y.astype(np.float64, copy=False)
    per = n // columns
    used = per * columns
    blocks = y[:used].reshape(columns, per)
    low, high = blocks.argmin(axis=1), blocks.argmax(axis=1)
    starts = np.arange(columns) * per
    picks = np.empty(2 * columns, dtype=np.int64)
    picks[0::2] = starts + np.minimum(low, high)
    picks[1::2] = starts + np.maximum(low, high)
    if used < n:  # the tail that did not fill a column
        tail = y[used:]
        picks = np.concatenate([picks, used + np.sort([tail.argmin(), tail.argmax()])])
    # the ends always, so the drawn line spans the whole x range
    picks = np.unique(np.concatenate([[0], picks, [n - 1]]))
    xs = picks.astype(np.float64) if x is None else np.asarray(x, dtype=np.float64)[picks]
    return xs, y[picks].astype(np.float64, copy=False)


def density_image(points: np.ndarray, bins: int = DENSITY_BINS, extent=None):
    """``(counts, (x0, y0, width, height))``: a ``bins`` x ``bins`` histogram of the
    finite complex ``points`` (axis 0 is the real part, as pyqtgraph's ImageItem
    expects) and the square it covers (``extent``, or one fitted to the points);
    ``counts.sum()`` is the number of points inside it.

    Bins are computed arithmetically and counted with ``np.bincount``: numpy's
    ``histogram2d`` searches the edges for every point, 15x slower at 1M points.
    """
    points = np.asarray(points).ravel()
    re, im = points.real, points.imag
    if extent is None:
        finite = np.isfinite(points)
        if not finite.all():
            re, im = re[finite], im[finite]
        if len(re) == 0:
            return np.zeros((bins, bins)), (-1.0, -1.0, 2.0, 2.0)
        span = max(float(np.ptp(re)), float(np.ptp(im)), 1e-12) * 1.1
        x0, y0 = float(re.mean()) - span / 2, float(im.mean()) - span / 2
    else:
        x0, y0, span, _ = extent
    with np.errstate(invalid="ignore"):  # NaN compares False: outside
        inside = (re >= x0) & (re <= x0 + span) & (im >= y0) & (im <= y0 + span)
    scale = bins / span
    column = np.minimum(((re[inside] - x0) * scale).astype(np.int64), bins - 1)
    row = np.minimum(((im[inside] - y0) * scale).astype(np.int64), bins - 1)
    counts = np.bincount(column * bins + row, minlength=bins * bins)
    return counts.reshape(bins, bins).astype(np.float64), (x0, y0, span, span)
