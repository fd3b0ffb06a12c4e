"""What every lens is, and which lens a value gets by default."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

#: dtype (the tracer's classification) -> the lens a new panel starts with
DEFAULT_LENS = {
    "scalar": "scalar",
    "array_1d": "waveform",
    "waveform_real": "waveform",
    "array_2d": "waveform",
    "array_nd": "waveform",
    "array_collection": "waveform",
    "waveform_collection": "waveform",
    "array_complex": "constellation",
    "waveform_complex": "constellation",
}

pg.setConfigOptions(antialias=False, background="w", foreground="#333333")


class Lens:
    """Draws a probe's latest state into ``widget``. Subclasses set ``name`` and
    implement ``build()`` and ``draw(probe)``; ``update`` skips the work when nothing
    changed. ``plots`` are the PlotItems the panel's tools act on."""

    name = ""
    #: dtypes this lens can draw (None: any array-like)
    accepts: frozenset[str] | None = None

    def __init__(self, colour: str) -> None:
        self.colour = colour
        self.plots: list[pg.PlotItem] = []
        self.widget: QWidget = self.build()
        self._drawn_version = -1

    def build(self) -> QWidget:
        raise NotImplementedError

    def update(self, probe, on_screen: bool = True) -> bool:
        """Redraw if the probe has a value newer than the one drawn and the lens is
        ``on_screen`` (a panel scrolled out of view is drawn when it comes back); True
        if it drew."""
        if probe.version == self._drawn_version or probe.latest is None or not on_screen:
            return False
        self._drawn_version = probe.version
        self.draw(probe)
        for plot in self.plots:
            # settle the auto-range now, so the plot is painted once, not twice
            plot.getViewBox().prepareForPaint()
        return True

    def redraw(self) -> None:
        """Draw the last value again (after a zoom, or an option changed)."""
        self._drawn_version = -1

    def draw(self, probe) -> None:
        raise NotImplementedError

    def options(self) -> list[tuple[str, list[str], str]]:
        """The lens's own settings for the panel's menu: (label, choices, current)."""
        return []

    def set_option(self, label: str, choice: str) -> None:
        """Apply one of ``options()``."""

    def plot_widget(self) -> pg.PlotWidget:
        widget = plot_widget()
        self.plots.append(widget.getPlotItem())
        return widget


class ClippedAxis(pg.AxisItem):
    """An axis that paints inside its own rectangle. pyqtgraph draws grid lines
    translucent, and Qt's raster engine is very slow at those without a clip (2.4 ms
    against 0.06 ms for 44 lines, measured): this is most of a loaded frame."""

    def paint(self, painter, *args) -> None:
        painter.save()
        painter.setClipRect(self.boundingRect())
        super().paint(painter, *args)
        painter.restore()


def plot_widget() -> pg.PlotWidget:
    widget = pg.PlotWidget(axisItems={side: ClippedAxis(side) for side in ("left", "bottom")})
    widget.showGrid(x=True, y=True, alpha=0.25)
    widget.setMenuEnabled(False)
    widget.setMinimumHeight(140)
    return widget
