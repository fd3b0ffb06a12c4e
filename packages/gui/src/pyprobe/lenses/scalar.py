"""Scalar lens: the value's history as a line, and the latest value in large type."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .base import Lens, plot_widget
from .prepare import minmax_decimate


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
        self.plot = plot_widget()
        self.curve = self.plot.plot(pen=pg.mkPen(self.colour, width=1))
        layout.addWidget(self.readout)
        layout.addWidget(self.plot, 1)
        return container

    def draw(self, probe) -> None:
        self.readout.setText(format_scalar(probe.latest))
        values = probe.history.values()
        if np.iscomplexobj(values):
            values = np.abs(values)
        x = probe.history.seqs().astype(np.float64) if len(values) else None
        width = max(self.plot.width(), 100)
        self.curve.setData(*minmax_decimate(values, width, x))
