"""A probe panel: the probe's name in its colour, its state, and its value through a lens.

Panels never redraw per message: ``refresh()`` runs on the window's one redraw
tick and draws the latest state only when the probe has something new.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.probes import ProbeState
from ..lenses import LENSES, lens_for

STATE_STYLE = {
    ProbeState.ARMED: ("armed", "#6e7781"),
    ProbeState.LIVE: ("live", "#1a7f37"),
    ProbeState.STALE: ("stale", "#9a6700"),
    ProbeState.INVALID: ("invalid", "#cf222e"),
}
AUTO = "auto"


class ProbePanel(QFrame):
    close_requested = pyqtSignal(object)  # ProbeAnchor
    watch_requested = pyqtSignal(object)  # ProbeAnchor
    lens_chosen = pyqtSignal(object, object)  # ProbeAnchor, lens name or None

    def __init__(self, probe, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probe = probe
        self.lens = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("probePanel")
        self.setStyleSheet(
            f"#probePanel {{ border: 1px solid #d0d7de; border-left: 4px solid {probe.color};"
            " background: white; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        header = QHBoxLayout()
        self.title = QLabel()
        self.title.setStyleSheet(f"color: {probe.color}; font-weight: bold;")
        self.state_label = QLabel()
        self.state_label.setMinimumWidth(0)
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.lens_box = QComboBox()
        self.lens_box.addItems([AUTO, *LENSES])
        self.lens_box.setToolTip("How to draw this value")
        self.lens_box.setMaximumWidth(130)
        if probe.lens in LENSES:
            self.lens_box.setCurrentText(probe.lens)
        self.lens_box.currentTextChanged.connect(self._choose_lens)
        watch = QToolButton(text="watch")
        watch.setToolTip("Add to the watch list")
        watch.clicked.connect(lambda: self.watch_requested.emit(self.probe.anchor))
        close = QToolButton(text="×")
        close.setToolTip("Remove this probe (or click the name in the code again)")
        close.clicked.connect(lambda: self.close_requested.emit(self.probe.anchor))
        header.addWidget(self.title)
        header.addWidget(self.state_label, 1)
        header.addWidget(self.lens_box)
        header.addWidget(watch)
        header.addWidget(close)
        layout.addLayout(header)
        self.placeholder = QLabel("waiting for a value…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #6e7781;")
        self.placeholder.setMinimumHeight(140)
        layout.addWidget(self.placeholder, 1)
        self.refresh()

    def _choose_lens(self, name: str) -> None:
        chosen = None if name == AUTO else name
        self.probe.lens = chosen
        self._replace_lens()
        self.lens_chosen.emit(self.probe.anchor, chosen)

    def _replace_lens(self) -> None:
        wanted = lens_for(self.probe.dtype, self.probe.lens)
        if wanted is None or isinstance(self.lens, wanted):
            return
        layout = self.layout()
        old = self.lens.widget if self.lens is not None else self.placeholder
        self.lens = wanted(self.probe.color)
        layout.replaceWidget(old, self.lens.widget)
        old.hide()
        old.deleteLater() if old is not self.placeholder else None
        self.lens.widget.show()

    def refresh(self) -> bool:
        """Bring the panel up to date with its probe; True when it drew something."""
        probe = self.probe
        self.title.setText(f"{probe.anchor.symbol}  ·  line {probe.anchor.line}")
        self.title.setToolTip(
            f"{probe.anchor.file}:{probe.anchor.line}, occurrence {probe.occurrence}"
            + (f" in {probe.anchor.func}()" if probe.anchor.func else "")
        )
        text, colour = STATE_STYLE[probe.state]
        shape = "" if probe.shape in (None, []) else " " + "×".join(map(str, probe.shape))
        detail = f"{probe.dtype}{shape} · {probe.update_count} updates" if probe.dtype else ""
        self.state_label.setText(
            f"<span style='color:{colour}'>● {text}</span> "
            f"<span style='color:#6e7781'>{detail}</span>"
        )
        if probe.latest is None:
            return False
        self._replace_lens()
        if self.lens is None:
            self.placeholder.setText(f"{probe.dtype}: nothing to draw ({probe.latest!r:.80})")
            return False
        return self.lens.update(probe)


class PanelGrid(QScrollArea):
    """The panels in the order the probes were made, as many to a row as fit
    (``MIN_PANEL_WIDTH`` each), scrolling vertically only."""

    MIN_PANEL_WIDTH = 380

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._inner = QWidget()
        self._grid = QGridLayout(self._inner)
        self._grid.setContentsMargins(4, 4, 4, 4)
        self._grid.setSpacing(6)
        self.setWidget(self._inner)
        self.panels: list[ProbePanel] = []
        self.columns = 1
        self._empty = QLabel("Click a variable in the code to probe it.")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setStyleSheet("color: #6e7781;")
        self._relayout()

    def add(self, panel: ProbePanel) -> None:
        self.panels.append(panel)
        self._relayout()

    def remove(self, panel: ProbePanel) -> None:
        self.panels.remove(panel)
        panel.setParent(None)
        panel.deleteLater()
        self._relayout()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        columns = max(1, self.viewport().width() // self.MIN_PANEL_WIDTH)
        if columns != self.columns:
            self.columns = columns
            self._relayout()

    def _relayout(self) -> None:
        while self._grid.count():
            self._grid.takeAt(0)
        for column in range(self._grid.columnCount()):
            self._grid.setColumnStretch(column, 0)
        if not self.panels:
            self._grid.addWidget(self._empty, 0, 0)
            self._empty.show()
            return
        self._empty.hide()
        for index, panel in enumerate(self.panels):
            self._grid.addWidget(panel, index // self.columns, index % self.columns)
        for column in range(self.columns):
            self._grid.setColumnStretch(column, 1)
