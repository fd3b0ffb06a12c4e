"""Scalar lens: the value's history as a line, and the latest value in large type."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .base import Lens
from .prepare import minmax_decimate

HISTORY_LENGTHS = ("default", "1000", "10000", "100000", "1000000")


def format_scalar(value) -> str:
    if isinstance(value, (complex, np.complexfloating)):
        return f"{value.real:.6g} {'+' if value.imag >= 0 else '-'} {abs(value.imag):.6g}j"
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


class ScalarLens(Lens):
    name = "scalar"

    def build(self) -> QWidget:
        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        self.readout = QLabel("–")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        font = self.readout.font()
        font.setPointSize(18)
        font.setBold(True)
        self.readout.setFont(font)
        self.readout.setStyleSheet(f"color: {self.colour}; padding-right: 6px;")
        self.plot = self.plot_widget()
        self.curve = self.plot.plot(pen=pg.mkPen(self.colour, width=1))
        self.imag_curve = self.plot.plot(
            pen=pg.mkPen(self.colour, width=1, style=Qt.PenStyle.DashLine)
        )
        layout.addWidget(self.readout)
        layout.addWidget(self.plot, 1)
        return container

    complex_view = "re/im"

    def draw(self, probe) -> None:
        self.readout.setText(format_scalar(probe.latest))
        values = probe.history.values()
        x = probe.history.seqs().astype(np.float64) if len(values) else None
        width = max(int(self.plot.getPlotItem().vb.width()), 100)
        if np.iscomplexobj(values) and self.complex_view == "re/im":
            self.curve.setData(*minmax_decimate(values.real, width, x))
            self.imag_curve.setData(*minmax_decimate(values.imag, width, x))
            return
        if np.iscomplexobj(values):
            values = np.abs(values)
        self.imag_curve.setData([], [])
        self.curve.setData(*minmax_decimate(values, width, x))

    history_length: int | None = None  # None: the probe's own (10,000 by default)

    def options(self):
        length = "default" if self.history_length is None else str(self.history_length)
        return [
            ("Complex values", ["re/im", "magnitude"], self.complex_view),
            ("History length", [*HISTORY_LENGTHS], length),
        ]

    def set_option(self, label, choice):
        if label == "Complex values":
            self.complex_view = choice
        elif label == "History length":
            self.history_length = None if choice == "default" else int(choice)
        self.redraw()

    def update(self, probe, on_screen: bool = True) -> bool:
        wanted = self.history_length
        if wanted is not None and probe.history.capacity != wanted:
            probe.history.resize(wanted)
        return super().update(probe, on_screen)
