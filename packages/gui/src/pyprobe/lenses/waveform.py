"""Waveform lenses: arrays and waveforms as lines, each reduced to the pixels shown.

``waveform`` draws real values as they are and complex ones as real and
imaginary parts; ``magnitude-phase`` draws |x| over arg(x) (unwrapped or not);
``magnitude-db`` draws 20 log10 |x|. 2-D arrays and collections are several
traces with a legend (click an entry to hide its trace). Only the visible x range
is decimated, so zooming in shows the real samples.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from .base import Lens
from .prepare import minmax_decimate, traces

TRACE_COLOURS = (
    *("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"),
    *("#9467bd", "#8c564b", "#e377c2", "#7f7f7f"),
)
_DB_FLOOR = 1e-15


class WaveformLens(Lens):
    name = "waveform"

    def build(self) -> QWidget:
        self.plot = self.plot_widget()
        self.curves: list[pg.PlotDataItem] = []
        self.legend = None
        self._parts: list[tuple[str, np.ndarray, np.ndarray | None]] = []
        self.plot.getPlotItem().sigXRangeChanged.connect(self._zoomed)
        return self.plot

    def parts(self, value) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
        """(label, y, x) of every line to draw for ``value``."""
        found = traces(value)
        out = []
        for index, (samples, x) in enumerate(found):
            label = f"[{index}]" if len(found) > 1 else ""
            if np.iscomplexobj(samples):
                out += [(f"re{label}", samples.real, x), (f"im{label}", samples.imag, x)]
            else:
                out.append((label or "value", samples, x))
        return out

    def draw(self, probe) -> None:
        self._parts = self.parts(probe.latest)
        self.render(self.plot.getPlotItem(), self.curves, self._parts)

    def render(self, plot: pg.PlotItem, curves: list, parts) -> None:
        width = max(int(plot.vb.width()), 100)
        x_range = None if plot.vb.autoRangeEnabled()[0] else plot.vb.viewRange()[0]
        colours = [self.colour] if len(parts) == 1 else list(TRACE_COLOURS)
        if len(parts) > 1 and self.legend is None and plot is self.plots[0]:
            self.legend = plot.addLegend(offset=(-5, 5))
        for index, (label, y, x) in enumerate(parts):
            while len(curves) <= index:
                curves.append(plot.plot(name=None))
            curve = curves[index]
            curve.setPen(pg.mkPen(colours[index % len(colours)], width=1))
            curve.setData(*_visible(y, x, x_range, width))
            if self.legend is not None and plot is self.plots[0] and curve.name() != label:
                self.legend.removeItem(curve)
                curve.opts["name"] = label
                self.legend.addItem(curve, label)
        for curve in curves[len(parts) :]:
            curve.setData([], [])
        _steady_y(plot, [curve.getData()[1] for curve in curves[: len(parts)]])

    def _zoomed(self, *_args) -> None:
        if self._parts and not self.plot.getPlotItem().vb.autoRangeEnabled()[0]:
            self.render(self.plot.getPlotItem(), self.curves, self._parts)


class MagnitudeDbLens(WaveformLens):
    name = "magnitude-db"

    def parts(self, value):
        out = []
        for label, samples, x in _samples(value):
            magnitude = np.maximum(np.abs(samples), _DB_FLOOR)
            out.append((label or "dB", 20 * np.log10(magnitude), x))
        return out


class MagnitudePhaseLens(WaveformLens):
    """|x| on top, arg(x) below (radians; unwrapped unless told otherwise), x linked."""

    name = "magnitude-phase"

    def build(self) -> QWidget:
        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = self.plot_widget()
        self.phase_plot = self.plot_widget()
        self.phase_plot.setXLink(self.plot)
        self.phase_plot.setLabel("left", "phase", units="rad")
        layout.addWidget(self.plot, 3)
        layout.addWidget(self.phase_plot, 2)
        self.curves, self.phase_curves = [], []
        self.legend = None
        self.unwrap = True
        self._parts, self._phases = [], []
        self.plot.getPlotItem().sigXRangeChanged.connect(self._zoomed)
        return container

    def _phase(self, samples: np.ndarray) -> np.ndarray:
        phase = np.angle(samples) if np.iscomplexobj(samples) else np.where(samples < 0, np.pi, 0.0)
        return np.unwrap(phase) if self.unwrap else phase

    def _zoomed(self, *_args) -> None:
        if self._parts:
            self.render(self.plot.getPlotItem(), self.curves, self._parts)
            self.render(self.phase_plot.getPlotItem(), self.phase_curves, self._phases)

    def draw(self, probe) -> None:
        value = probe.latest
        items = _samples(value)
        self._parts = [(label or "|x|", np.abs(s), x) for label, s, x in items]
        self._phases = [(label or "arg", self._phase(s), x) for label, s, x in items]
        self.render(self.plot.getPlotItem(), self.curves, self._parts)
        self.render(self.phase_plot.getPlotItem(), self.phase_curves, self._phases)

    def options(self):
        return [("Phase", ["unwrapped", "wrapped"], "unwrapped" if self.unwrap else "wrapped")]

    def set_option(self, label, choice):
        if label == "Phase":
            self.unwrap = choice == "unwrapped"
            self.redraw()


def _steady_y(plot: pg.PlotItem, drawn: list) -> None:
    """A constant signal (a phasor's magnitude) gets a readable y range instead of one
    zoomed into its last-bit rounding noise; anything else autoranges as usual."""
    values = [y[np.isfinite(y)] for y in drawn if y is not None and len(y)]
    values = [y for y in values if len(y)]
    if not values:
        return
    low = min(float(y.min()) for y in values)
    high = max(float(y.max()) for y in values)
    centre = (low + high) / 2
    if high - low <= 1e-9 * max(abs(centre), 1e-12):
        half = max(abs(centre) * 0.1, 1e-9)
        plot.setYRange(centre - half, centre + half, padding=0)
    elif not plot.vb.autoRangeEnabled()[1] and getattr(plot, "_steadied", False):
        plot.enableAutoRange(y=True)
    plot._steadied = high - low <= 1e-9 * max(abs(centre), 1e-12)


def _samples(value) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    found = traces(value)
    return [
        (f"[{i}]" if len(found) > 1 else "", np.asarray(samples), x)
        for i, (samples, x) in enumerate(found)
    ]


def _visible(y: np.ndarray, x: np.ndarray | None, x_range, width: int):
    """The samples inside ``x_range`` (all when None), decimated to ``width`` columns."""
    if x_range is not None and len(y):
        lo, hi = x_range
        if x is None:
            start = max(int(np.floor(lo)) - 1, 0)
            stop = min(int(np.ceil(hi)) + 2, len(y))
            if start >= stop:
                return np.zeros(0), np.zeros(0)
            xs, ys = minmax_decimate(y[start:stop], width)
            return xs + start, ys
        start, stop = np.searchsorted(x, [lo, hi])
        start, stop = max(start - 1, 0), min(stop + 1, len(y))
        return minmax_decimate(y[start:stop], width, x[start:stop])
    return minmax_decimate(y, width, x)
