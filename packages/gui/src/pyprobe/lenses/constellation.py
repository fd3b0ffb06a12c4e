"""Constellation lens: complex samples as points, or as a log-density image when
there are more than DENSITY_THRESHOLD of them (a scatter of 100k points costs
half a second a frame; the image a few milliseconds)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

from .base import Lens, plot_widget
from .prepare import DENSITY_THRESHOLD, density_image, traces


class ConstellationLens(Lens):
    name = "constellation"

    def build(self) -> QWidget:
        self.plot = plot_widget()
        self.plot.setAspectLocked(True)
        self.scatter = pg.ScatterPlotItem(
            size=4, pen=None, brush=pg.mkBrush(self.colour), pxMode=True
        )
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        self.plot.addItem(self.scatter)
        return self.plot

    def draw(self, probe) -> None:
        points = np.concatenate(
            [
                np.asarray(samples, dtype=np.complex128).ravel()
                for samples, _ in traces(probe.latest)
            ]
        )
        if len(points) > DENSITY_THRESHOLD:
            counts, (x0, y0, width, height) = density_image(points)
            self.scatter.setData([], [])
            self.image.setImage(np.log1p(counts), autoLevels=True)
            self.image.setRect(x0, y0, width, height)
            self.image.setVisible(True)
        else:
            self.image.setVisible(False)
            self.scatter.setData(points.real, points.imag)
