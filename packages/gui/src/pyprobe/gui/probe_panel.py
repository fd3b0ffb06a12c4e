"""A probe panel: the probe's name in its colour, its state, and its value through a lens.

Panels never redraw per message: ``refresh()`` runs on the window's one redraw
tick and draws the latest state only when the probe has something new.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.export import export_value
from ..core.probes import ProbeState
from ..lenses import LENSES, lens_for
from .plot_tools import Crosshair, PeakMarker

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
        self.frozen = False
        self._shown = None  # (probe version, frozen) the header shows
        self.crosshair: Crosshair | None = None
        self.peak_marker: PeakMarker | None = None
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
        self.tools = QToolButton(text="tools")
        self.tools.setToolTip("Zoom, pin, crosshair, peak, freeze, lens options, export")
        self.tools.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.tools.setMenu(self._tools_menu())
        header.addWidget(self.title)
        header.addWidget(self.state_label, 1)
        header.addWidget(self.lens_box)
        header.addWidget(self.tools)
        header.addWidget(watch)
        header.addWidget(close)
        layout.addLayout(header)
        self.placeholder = QLabel("waiting for a value…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #6e7781;")
        self.placeholder.setMinimumHeight(140)
        layout.addWidget(self.placeholder, 1)
        self.refresh()

    # --- tools ------------------------------------------------------------------------

    def _tools_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.aboutToShow.connect(lambda: self._fill_tools(menu))
        return menu

    def _fill_tools(self, menu: QMenu) -> None:
        menu.clear()
        plots = self.lens.plots if self.lens is not None else []
        menu.addAction("Autoscale", self.autoscale).setEnabled(bool(plots))
        for axis in ("x", "y"):
            pin = QAction(f"Pin {axis.upper()}", menu, checkable=True)
            pin.setChecked(bool(plots) and not plots[0].vb.autoRangeEnabled()[axis == "y"])
            pin.toggled.connect(lambda on, a=axis: self.pin(a, on))
            pin.setEnabled(bool(plots))
            menu.addAction(pin)
        for label, state, slot in (
            ("Crosshair", self.crosshair is not None, self.set_crosshair),
            ("Peak marker", self.peak_marker is not None, self.set_peak_marker),
            ("Freeze", self.frozen, self.set_frozen),
        ):
            action = QAction(label, menu, checkable=True)
            action.setChecked(state)
            action.toggled.connect(slot)
            menu.addAction(action)
        if self.lens is not None:
            for label, choices, current in self.lens.options():
                sub = menu.addMenu(label)
                for choice in choices:
                    action = sub.addAction(choice)
                    action.setCheckable(True)
                    action.setChecked(choice == current)
                    action.triggered.connect(
                        lambda _=False, lb=label, c=choice: self.lens.set_option(lb, c)
                    )
        menu.addSeparator()
        menu.addAction("Export PNG…", lambda: self._export_dialog("PNG image (*.png)"))
        menu.addAction("Export CSV…", lambda: self._export_dialog("CSV table (*.csv)"))
        menu.addAction("Export NPY…", lambda: self._export_dialog("numpy array (*.npy)"))

    def autoscale(self) -> None:
        """Fit every axis to the whole value again (and unpin them)."""
        if self.lens is None:
            return
        for plot in self.lens.plots:
            plot.enableAutoRange()
        self.lens.redraw()
        self.refresh()

    def pin(self, axis: str, pinned: bool) -> None:
        """Keep the current range of ``axis`` ("x" or "y") instead of following the data."""
        for plot in self.lens.plots if self.lens else []:
            plot.enableAutoRange(axis=axis, enable=not pinned)

    def set_crosshair(self, on: bool) -> None:
        if self.crosshair is not None:
            self.crosshair.remove()
            self.crosshair = None
        if on and self.lens is not None and self.lens.plots:
            self.crosshair = Crosshair(self.lens.plots[0])

    def set_peak_marker(self, on: bool) -> None:
        if self.peak_marker is not None:
            self.peak_marker.remove()
            self.peak_marker = None
        if on and self.lens is not None and self.lens.plots:
            self.peak_marker = PeakMarker(self.lens.plots[0])

    def set_frozen(self, frozen: bool) -> None:
        """Stop (or resume) updating this panel only; the probe keeps capturing."""
        self.frozen = frozen
        self.refresh()

    def export(self, path: str | Path) -> Path:
        """PNG of the panel, or CSV / NPY of its current value, by the file's suffix."""
        path = Path(path)
        if path.suffix.lower() == ".png":
            if not self.grab().save(str(path)):
                raise OSError(f"could not write {path}")
            return path
        return export_value(self.probe, path)

    def _export_dialog(self, file_filter: str) -> None:
        suffix = file_filter.split("*")[1].rstrip(")")
        default = f"{self.probe.anchor.line}_{self.probe.anchor.symbol}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, "Export", default, file_filter)
        if path:
            self.export(path)

    # --- lens -----------------------------------------------------------------------

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
        if old is not self.placeholder:
            old.deleteLater()
        self.lens.widget.show()
        crosshair, peak = self.crosshair is not None, self.peak_marker is not None
        self.crosshair = self.peak_marker = None  # they lived on the old plots
        self.set_crosshair(crosshair)
        self.set_peak_marker(peak)

    def refresh(self, on_screen: bool = True) -> bool:
        """Bring the panel up to date with its probe; True when it drew something. A
        panel not ``on_screen`` updates its header only; it draws when it comes back."""
        probe = self.probe
        if self._shown != (probe.version, self.frozen):
            self._shown = (probe.version, self.frozen)
            self._show_header()
        if probe.latest is None or self.frozen:
            return False
        self._replace_lens()
        if self.lens is None:
            self.placeholder.setText(f"{probe.dtype}: nothing to draw ({probe.latest!r:.80})")
            return False
        drew = self.lens.update(probe, on_screen)
        if drew and self.peak_marker is not None:
            self.peak_marker.update()
        return drew

    def _show_header(self) -> None:
        probe = self.probe
        self.title.setText(f"{probe.anchor.symbol}  ·  line {probe.anchor.line}")
        self.title.setToolTip(
            f"{probe.anchor.file}:{probe.anchor.line}, occurrence {probe.occurrence}"
            + (f" in {probe.anchor.func}()" if probe.anchor.func else "")
        )
        text, colour = STATE_STYLE[probe.state]
        shape = "" if probe.shape in (None, []) else " " + "×".join(map(str, probe.shape))
        detail = f"{probe.dtype}{shape} · {probe.update_count} updates" if probe.dtype else ""
        if self.frozen:
            detail += " · frozen"
        self.state_label.setText(
            f"<span style='color:{colour}'>● {text}</span> "
            f"<span style='color:#6e7781'>{detail}</span>"
        )


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

    def on_screen(self, panel: ProbePanel) -> bool:
        """Whether any of ``panel`` is inside the scrolled view of a visible window."""
        if not self.isVisible() or not panel.isVisible():
            return False
        top_left = panel.mapTo(self.viewport(), panel.rect().topLeft())
        return self.viewport().rect().intersects(panel.rect().translated(top_left))

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
