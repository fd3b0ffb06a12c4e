"""Tools a panel puts on its plots: a crosshair with a readout, and a peak marker."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

_LABEL_STYLE = {"color": "#1f2328", "fill": pg.mkBrush(255, 255, 255, 210)}


class Crosshair:
    """Two lines following the mouse over ``plot`` and a label with x and y there."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        pen = pg.mkPen("#6e7781", width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
        self.vertical = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self.horizontal = pg.InfiniteLine(angle=0, movable=False, pen=pen)
        self.label = pg.TextItem(anchor=(0, 1), **_LABEL_STYLE)
        for item in (self.vertical, self.horizontal, self.label):
            plot.addItem(item, ignoreBounds=True)
        self.text = ""
        plot.scene().sigMouseMoved.connect(self.moved)

    def moved(self, scene_pos) -> None:
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return
        point = self.plot.vb.mapSceneToView(scene_pos)
        self.show_at(point.x(), point.y())

    def show_at(self, x: float, y: float) -> None:
        self.vertical.setPos(x)
        self.horizontal.setPos(y)
        self.text = f"x={x:.6g}  y={y:.6g}"
        self.label.setText(self.text)
        self.label.setPos(x, y)

    def remove(self) -> None:
        self.plot.scene().sigMouseMoved.disconnect(self.moved)
        for item in (self.vertical, self.horizontal, self.label):
            self.plot.removeItem(item)


class PeakMarker:
    """Marks the highest point of the plot's first curve, with its coordinates."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.dot = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#cf222e", width=2), brush=None)
        self.label = pg.TextItem(anchor=(0.5, 1.2), **_LABEL_STYLE)
        plot.addItem(self.dot)
        plot.addItem(self.label, ignoreBounds=True)
        self.peak: tuple[float, float] | None = None
        self.update()

    def update(self) -> None:
        curves = [item for item in self.plot.listDataItems() if isinstance(item, pg.PlotDataItem)]
        x, y = curves[0].getData() if curves else (None, None)
        if y is None or len(y) == 0 or not np.isfinite(y).any():
            self.peak = None
            self.dot.setData([], [])
            self.label.setText("")
            return
        index = int(np.nanargmax(y))
        self.peak = (float(x[index]), float(y[index]))
        self.dot.setData([self.peak[0]], [self.peak[1]])
        self.label.setText(f"peak {self.peak[1]:.6g} at {self.peak[0]:.6g}")
        self.label.setPos(*self.peak)

    def remove(self) -> None:
        self.plot.removeItem(self.dot)
        self.plot.removeItem(self.label)
