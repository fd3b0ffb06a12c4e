"""The console: what the script prints, as it arrives, bounded, and its tracebacks.

Text is buffered and written once per redraw tick, so a script that prints in a
tight loop never slows the window. A traceback line (``File "x.py", line 12``)
is clickable: ``location_clicked(path, line)`` jumps the code view there.
"""

from __future__ import annotations

import re

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFontDatabase, QMouseEvent, QTextCharFormat, QTextCursor
from PyQt6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 5000
_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_COLOURS = {"stdout": "#1f2328", "stderr": "#cf222e", "info": "#0969da"}


class Console(QPlainTextEdit):
    location_clicked = pyqtSignal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("The script's output appears here.")
        self._pending: list[tuple[str, str]] = []
        self._formats = {}
        for stream, colour in _COLOURS.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            self._formats[stream] = fmt

    def write(self, text: str, stream: str = "stdout") -> None:
        """Queue text; it appears on the next flush()."""
        self._pending.append((stream, text))

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        at_bottom = self.verticalScrollBar().value() == self.verticalScrollBar().maximum()
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        run_stream, run = pending[0][0], []
        for stream, text in pending:
            if stream != run_stream:
                cursor.insertText("".join(run), self._formats[run_stream])
                run_stream, run = stream, []
            run.append(text)
        cursor.insertText("".join(run), self._formats[run_stream])
        if at_bottom:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    @property
    def text(self) -> str:
        return self.toPlainText()

    def frame_at(self, point) -> tuple[str, int] | None:
        block = self.cursorForPosition(point).block()
        match = _FRAME.search(block.text())
        return (match["path"], int(match["line"])) if match else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over = self.frame_at(event.position().toPoint()) is not None
        shape = Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.IBeamCursor
        self.viewport().setCursor(shape)
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        frame = self.frame_at(event.position().toPoint())
        if frame is not None and event.button() == Qt.MouseButton.LeftButton:
            self.location_clicked.emit(*frame)
            event.accept()
            return
        super().mousePressEvent(event)
