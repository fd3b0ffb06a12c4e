"""The scrubber: a slider over every captured value of a run, in seq order.

It drives the panels from a ``Timeline``: moving it shows each probe's latest
value at that position (and a scalar's history up to it), and the console the
text printed up to there. Step with the buttons (or ←/→), or play.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from ..core.probes import ProbeState

PLAY_HZ = 30


class Scrubber(QWidget):
    moved = pyqtSignal(int)  # the seq shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.positions = np.zeros(0, dtype=np.int64)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        self.back = QToolButton(text="◀")
        self.back.setToolTip("previous value (Left)")
        self.play = QToolButton(text="play")
        self.play.setCheckable(True)
        self.play.setToolTip("play through the values")
        self.forward = QToolButton(text="▶")
        self.forward.setToolTip("next value (Right)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("scrub through every captured value, in order")
        self.label = QLabel()
        for widget in (self.back, self.play, self.forward):
            layout.addWidget(widget)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.back.clicked.connect(lambda: self.step(-1))
        self.forward.clicked.connect(lambda: self.step(1))
        self.slider.valueChanged.connect(self._slid)
        self.play.toggled.connect(self._play)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)

    def set_positions(self, positions: np.ndarray, at_end: bool = True) -> None:
        self.positions = positions
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(len(positions) - 1, 0))
        if at_end:
            self.slider.setValue(max(len(positions) - 1, 0))
        self.slider.blockSignals(False)
        self._slid(self.slider.value())

    @property
    def position(self) -> int | None:
        if len(self.positions) == 0:
            return None
        return int(self.positions[self.slider.value()])

    def go_to_index(self, index: int) -> None:
        self.slider.setValue(max(0, min(index, len(self.positions) - 1)))

    def step(self, delta: int) -> None:
        self.go_to_index(self.slider.value() + delta)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.step(-1 if event.key() == Qt.Key.Key_Left else 1)
            return
        super().keyPressEvent(event)

    def _slid(self, index: int) -> None:
        if len(self.positions) == 0:
            self.label.setText("no values")
            return
        self.label.setText(f"value {index + 1} of {len(self.positions)} (seq {self.position})")
        self.moved.emit(self.position)

    def _play(self, playing: bool) -> None:
        if playing:
            if self.slider.value() >= len(self.positions) - 1:
                self.go_to_index(0)
            self._timer.start(1000 // PLAY_HZ)
        else:
            self._timer.stop()

    def _advance(self) -> None:
        if self.slider.value() >= len(self.positions) - 1:
            self.play.setChecked(False)
            return
        self.step(1)


def show_state(store, timeline, position: int) -> None:
    """Put each probe of ``store`` in the state the ``timeline`` had at ``position``."""
    state = timeline.state_at(position)
    for probe in store:
        capture = state.get(probe.anchor)
        if capture is None:
            probe.latest, probe.dtype, probe.shape = None, None, None
            probe.state, probe.update_count = ProbeState.ARMED, 0
            probe.history.clear()
        else:
            probe.latest, probe.dtype, probe.shape = capture.value, capture.dtype, capture.shape
            probe.state = ProbeState.LIVE
            probe.update_count = timeline.count_at(probe.anchor, position)
            if capture.dtype == "scalar":
                seqs, values = timeline.history_at(probe.anchor, position, probe.history.capacity)
                probe.history.clear()
                probe.history.extend(np.asarray(values), np.asarray(seqs))
        probe.version += 1
