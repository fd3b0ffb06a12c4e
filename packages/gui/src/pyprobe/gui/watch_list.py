"""The watch list: one row per watched name with its value and statistics."""

from __future__ import annotations

import time

from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..core.probes import summary

COLUMNS = ("name", "value", "dtype", "shape", "min", "max", "mean", "updates", "age")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


class WatchList(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("Alt+click a name in the code, or 👁 on a panel, to watch it")
        self.probes: list = []

    def set_probes(self, probes) -> None:
        self.probes = list(probes)
        self.setRowCount(len(self.probes))
        self.refresh()

    def refresh(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for row, probe in enumerate(self.probes):
            stats = summary(probe.latest) if probe.latest is not None else {}
            age = "" if probe.last_update is None else f"{now - probe.last_update:.1f} s"
            shape = stats.get("shape", probe.shape)
            cells = (
                f"{probe.anchor.symbol} @ {probe.anchor.line}",
                stats.get("value", "array" if "shape" in stats else None),
                probe.dtype,
                "" if shape in (None, ()) else "×".join(map(str, shape)),
                stats.get("min"),
                stats.get("max"),
                stats.get("mean"),
                probe.update_count,
                age,
            )
            for column, value in enumerate(cells):
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(row, column, item)
                text = _text(value)
                if item.text() != text:
                    item.setText(text)
