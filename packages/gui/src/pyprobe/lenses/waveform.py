"""Waveform lens: arrays and waveforms as lines (complex: real and imaginary parts),
2-D arrays and collections as several traces, each reduced to the panel's width."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

from .base import Lens, plot_widget
from .prepare import minmax_decimate, traces

_TRACE_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
)


class WaveformLens(Lens):
    name = "waveform"

    def build(self) -> QWidget:
        self.plot = plot_widget()
        self.curves: list[pg.PlotDataItem] = []
        return self.plot

    def _curve(self, index: int, colour: str) -> pg.PlotDataItem:
        while len(self.curves) <= index:
            self.curves.append(self.plot.plot())
        curve = self.curves[index]
        curve.setPen(pg.mkPen(colour, width=1))
        return curve

    def draw(self, probe) -> None:
        width = max(self.plot.width(), 100)
        parts = []
        for samples, x in traces(probe.latest):
            if np.iscomplexobj(samples):
                parts += [(samples.real, x), (samples.imag, x)]
            else:
                parts.append((samples, x))
        colours = [self.colour] if len(parts) == 1 else list(_TRACE_COLOURS)
        for index, (samples, x) in enumerate(parts):
            curve = self._curve(index, colours[index % len(colours)])
            curve.setData(*minmax_decimate(samples, width, x))
        for curve in self.curves[len(parts) :]:
            curve.setData([], [])
