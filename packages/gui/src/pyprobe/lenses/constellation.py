"""Constellation lens: complex samples as points, or as a log-density image when
there are more than DENSITY_THRESHOLD of them (a scatter of 100k points costs
half a second a frame; the image a few milliseconds)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QWidget

from .base import Lens
from .prepare import DENSITY_THRESHOLD, density_image, traces


class ConstellationLens(Lens):
    name = "constellation"

    def build(self) -> QWidget:
        self.plot = self.plot_widget()
        self.plot.setAspectLocked(True)
        self.scatter = pg.ScatterPlotItem(
            size=4, pen=None, brush=pg.mkBrush(self.colour), pxMode=True
        )
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        self.plot.addItem(self.scatter)
        return self.plot

    persistence = 1  # frames shown at once, the older fading

    def draw(self, probe) -> None:
        parts = [
            np.asarray(samples, dtype=np.complex128).ravel() for samples, _ in traces(probe.latest)
        ]
        points = np.concatenate(parts) if parts else np.zeros(0, dtype=np.complex128)
        self.frames = ([*getattr(self, "frames", []), points])[-self.persistence :]
        if sum(len(frame) for frame in self.frames) > DENSITY_THRESHOLD:
            self._draw_density()
        else:
            self._draw_points()

    def _weights(self) -> np.ndarray:
        """Newest frame 1, each older one half as bright."""
        return 0.5 ** np.arange(len(self.frames))[::-1]

    def _draw_density(self) -> None:
        counts, rect = density_image(self.frames[-1])
        if len(self.frames) > 1:
            counts = sum(
                w * density_image(frame, extent=rect)[0]
                for w, frame in zip(self._weights(), self.frames, strict=True)
            )
        self.scatter.setData([], [])
        self.image.setImage(np.log1p(counts), autoLevels=True)
        self.image.setRect(*rect)
        self.image.setVisible(True)

    def _draw_points(self) -> None:
        self.image.setVisible(False)
        colour = QColor(self.colour)
        spots = []
        for weight, frame in zip(self._weights(), self.frames, strict=True):
            colour.setAlphaF(float(weight))
            brush = pg.mkBrush(QColor(colour))
            spots.append((frame, brush))
        points = np.concatenate([frame for frame, _ in spots])
        brushes = [brush for frame, brush in spots for _ in range(len(frame))]
        self.scatter.setData(
            points.real, points.imag, brush=brushes if len(spots) > 1 else spots[0][1]
        )

    def options(self):
        return [("Persistence", ["1", "4", "16"], str(self.persistence))]

    def set_option(self, label, choice):
        if label == "Persistence":
            self.persistence = int(choice)
            self.frames = self.frames[-self.persistence :] if hasattr(self, "frames") else []
            self.redraw()
