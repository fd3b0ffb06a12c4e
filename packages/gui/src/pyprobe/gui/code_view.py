"""The code view: the script, read only, syntax highlighted, with probeable names to click.

Hovering a probeable name outlines it; a click toggles a probe on exactly that
occurrence (``probe_clicked``), Alt+click toggles a watch (``watch_clicked``).
Probed names are tinted in their probe's colour and marked in the gutter, which
also shows line numbers. What is probeable comes from ``SourceIndex``.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping

from PyQt6.QtCore import QRect, QSize, Qt, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QMouseEvent,
    QPainter,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PyQt6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from ..core.probe_sites import ProbeSite, SourceIndex

_STYLES = {
    "keyword": ("#0033b3", True),
    "builtin": ("#000080", False),
    "string": ("#067d17", False),
    "comment": ("#8c8c8c", False),
    "number": ("#1750eb", False),
    "def": ("#00627a", True),
}
_DOUBLE = r'"[^"\\\n]*(\\.[^"\\\n]*)*"'
_SINGLE = r"'[^'\\\n]*(\\.[^'\\\n]*)*'"
_RULES = [
    ("keyword", re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b")),
    ("number", re.compile(r"\b[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?j?\b")),
    ("def", re.compile(r"(?<=\bdef )\w+|(?<=\bclass )\w+")),
    (
        "string",
        re.compile(r"[rbfuRBFU]{0,2}(\"[^\"\\\n]*(\\.[^\"\\\n]*)*\"|'[^'\\\n]*(\\.[^'\\\n]*)*')"),
    ),
    ("comment", re.compile(r"#[^\n]*")),
]
_INVALID = "#cf222e"
_UNDERLINE = QTextCharFormat.UnderlineStyle
# state -> (tint alpha, underline): armed waits, live is solid, stale fades
_STATE_LOOK = {
    "armed": (35, _UNDERLINE.DotLine),
    "live": (80, _UNDERLINE.SingleUnderline),
    "stale": (25, _UNDERLINE.DashUnderline),
    "invalid": (0, _UNDERLINE.WaveUnderline),
}
_TRIPLE = re.compile(r"'''|\"\"\"")


def _format(color: str, bold: bool) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, numbers, strings (triple-quoted ones across lines) and comments."""

    _IN_TRIPLE = 1

    def __init__(self, document) -> None:
        super().__init__(document)
        self._formats = {name: _format(*style) for name, style in _STYLES.items()}

    def highlightBlock(self, text: str) -> None:
        for name, pattern in _RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), self._formats[name])
        self._triple_quotes(text)

    def _triple_quotes(self, text: str) -> None:
        string = self._formats["string"]
        start = 0 if self.previousBlockState() == self._IN_TRIPLE else -1
        self.setCurrentBlockState(0)
        position = 0
        while True:
            match = _TRIPLE.search(text, position)
            if start >= 0:
                if match is None:
                    self.setFormat(start, len(text) - start, string)
                    self.setCurrentBlockState(self._IN_TRIPLE)
                    return
                self.setFormat(start, match.end() - start, string)
                start, position = -1, match.end()
            elif match is None:
                return
            else:
                start, position = match.start(), match.end()


class _Gutter(QWidget):
    def __init__(self, view: CodeView) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self) -> QSize:
        return QSize(self.view.gutter_width(), 0)

    def paintEvent(self, event) -> None:
        self.view.paint_gutter(self, event)


class CodeView(QPlainTextEdit):
    """Shows one script; emits the site of a clicked probeable name."""

    probe_clicked = pyqtSignal(object)  # ProbeSite
    watch_clicked = pyqtSignal(object)  # ProbeSite

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(11)
        self.setFont(font)
        self.setPlaceholderText("Open a Python script (Ctrl+O) to probe its variables.")
        self.index = SourceIndex("")
        self._highlighter = PythonHighlighter(self.document())
        self._gutter = _Gutter(self)
        self._hovered: ProbeSite | None = None
        self._tints: dict[tuple[int, int], str] = {}  # (line, char_col) -> colour
        self._gutter_marks: dict[int, list[str]] = {}  # line -> colours
        self.blockCountChanged.connect(self._update_margins)
        self.updateRequest.connect(self._scroll_gutter)
        self._update_margins()

    # --- content ----------------------------------------------------------------------

    def show_source(self, source: str, index: SourceIndex) -> None:
        """Show ``source`` (keeping the scroll position when it is the same script)."""
        scroll = self.verticalScrollBar().value()
        self.index = index
        self._hovered = None
        self.setPlainText(source)
        self.verticalScrollBar().setValue(scroll)
        self._refresh_selections()

    def set_marks(self, marks: Mapping[tuple[int, int], tuple[str, str]]) -> None:
        """Tint these occurrences, ``(line, char_col) -> (colour, state)`` with state
        "armed", "live", "stale" or "invalid", and mark their lines in the gutter
        (an invalid probe's line in red)."""
        self._tints = dict(marks)
        self._gutter_marks = {}
        for (line, _), (colour, state) in sorted(self._tints.items()):
            self._gutter_marks.setdefault(line, []).append(
                _INVALID if state == "invalid" else colour
            )
        self._refresh_selections()
        self._gutter.update()

    def scroll_to_line(self, line: int) -> None:
        """Bring ``line`` into the middle of the view without marking it."""
        self.setTextCursor(QTextCursor(self.document().findBlockByNumber(max(line - 1, 0))))
        self.centerCursor()

    def go_to_line(self, line: int) -> None:
        block = self.document().findBlockByNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        self._refresh_selections(current_line=line)

    # --- mouse ------------------------------------------------------------------------

    def site_at_point(self, point) -> ProbeSite | None:
        cursor = self.cursorForPosition(point)
        line = cursor.blockNumber() + 1
        column = cursor.positionInBlock()
        # cursorForPosition snaps to the nearest gap: look at the character on each side
        rect = self.cursorRect(cursor)
        if point.x() < rect.x() and column > 0:
            column -= 1
        return self.index.site_at(line, column)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        site = self.site_at_point(event.position().toPoint())
        if site != self._hovered:
            self._hovered = site
            cursor = Qt.CursorShape.PointingHandCursor if site else Qt.CursorShape.IBeamCursor
            self.viewport().setCursor(cursor)
            self._refresh_selections()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        if self._hovered is not None:
            self._hovered = None
            self._refresh_selections()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            site = self.site_at_point(event.position().toPoint())
            if site is not None:
                if event.modifiers() & Qt.KeyboardModifier.AltModifier:
                    self.watch_clicked.emit(site)
                else:
                    self.probe_clicked.emit(site)
                event.accept()
                return
        super().mousePressEvent(event)

    # --- drawing ----------------------------------------------------------------------

    def _refresh_selections(self, current_line: int | None = None) -> None:
        selections = []
        if current_line is not None:
            line = QTextEdit.ExtraSelection()
            line.format.setBackground(QColor("#fff8c5"))
            line.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            line.cursor = QTextCursor(self.document().findBlockByNumber(current_line - 1))
            selections.append(line)
        for (line_no, char_col), (colour, state) in self._tints.items():
            site = self.index.site_at(line_no, char_col)
            if site is None:
                continue
            alpha, underline = _STATE_LOOK.get(state, _STATE_LOOK["armed"])
            tint = QColor(colour)
            tint.setAlpha(alpha)
            selections.append(
                self._selection(site, background=tint, underline=(QColor(colour), underline))
            )
        if self._hovered is not None:
            selections.append(self._selection(self._hovered, outline=True))
        self.setExtraSelections(selections)

    def _selection(self, site: ProbeSite, *, background=None, underline=None, outline=False):
        selection = QTextEdit.ExtraSelection()
        block = self.document().findBlockByNumber(site.line - 1)
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + site.char_col)
        cursor.setPosition(block.position() + site.char_end, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        if background is not None:
            selection.format.setBackground(background)
        if underline is not None:
            colour, style = underline
            selection.format.setUnderlineStyle(style)
            selection.format.setUnderlineColor(colour)
        if outline:
            selection.format.setBackground(QColor(0, 0, 0, 25))
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            selection.format.setUnderlineColor(QColor("#555555"))
        return selection

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * max(digits, 3)

    def _update_margins(self, *_args) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, gutter: QWidget, event) -> None:
        painter = QPainter(gutter)
        painter.fillRect(event.rect(), QColor("#f3f3f3"))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            line = block.blockNumber() + 1
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                for slot, colour in enumerate(self._gutter_marks.get(line, [])[:3]):
                    painter.fillRect(2 + slot * 4, top + 2, 3, height - 4, QColor(colour))
                painter.setPen(QColor("#6e7781"))
                painter.drawText(0, top, width - 6, height, Qt.AlignmentFlag.AlignRight, str(line))
            block = block.next()
            top = bottom
        painter.end()
