"""Which names in a script can be probed, and the anchor a click on one makes.

The occurrences come from ``pyprobe_wire.source.occurrences``, the function the
tracer resolves ``--probe LINE:SYMBOL[:N]`` with, so a click and the command line
name the same occurrence. Names that hold no data worth a panel are left out:
modules (``np`` in ``np.zeros``), functions and classes defined or imported here,
and builtins the script does not rebind. Columns come in two units: ``col`` is the
UTF-8 byte offset the anchor carries, ``char_col`` the character offset an editor
counts in.
"""

from __future__ import annotations

import ast
import bisect
import builtins
from dataclasses import dataclass
from pathlib import Path

from pyprobe_wire import ProbeAnchor
from pyprobe_wire.source import occurrences

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class ProbeSite:
    """One probeable occurrence of a name."""

    line: int  # 1-based
    col: int  # UTF-8 byte offset in the line (the anchor's unit)
    char_col: int  # character offset in the line (the editor's unit)
    symbol: str
    func: str
    is_assignment: bool
    occurrence: int  # 1 = the leftmost occurrence of this symbol on its line

    @property
    def char_end(self) -> int:
        return self.char_col + len(self.symbol)

    @property
    def spec(self) -> str:
        """The tracer's ``--probe`` form of this occurrence: ``LINE:SYMBOL:N``."""
        return f"{self.line}:{self.symbol}:{self.occurrence}"

    def anchor(self, path: str | Path) -> ProbeAnchor:
        """The anchor the tracer expects for this occurrence of the script at ``path``."""
        return ProbeAnchor(
            file=str(Path(path).resolve()),
            line=self.line,
            col=self.col,
            symbol=self.symbol,
            func=self.func,
            is_assignment=self.is_assignment,
        )


class SourceIndex:
    """The probeable names of one version of a script's text.

    A text that does not parse has no sites and says why in ``error``
    (``line 12: invalid syntax``).
    """

    def __init__(self, source: str, path: str | Path = "<source>") -> None:
        self.source = source
        self.path = path
        self.lines = source.splitlines()
        self.error: str | None = None
        self.sites: list[ProbeSite] = []
        try:
            tree = ast.parse(source, str(path))
        except SyntaxError as exc:
            self.error = f"line {exc.lineno}: {exc.msg}"
            return
        self.sites = self._sites(source, _unprobeable(tree), _no_value_here(tree))
        self._keys = [(site.line, site.char_col) for site in self.sites]

    def _sites(
        self, source: str, unprobeable: frozenset[str], no_value: set[tuple[int, int]]
    ) -> list[ProbeSite]:
        sites = []
        seen: dict[tuple[int, str], int] = {}
        for found in occurrences(source, str(self.path)):
            key = (found.line, found.symbol)
            seen[key] = number = seen.get(key, 0) + 1
            if found.symbol in unprobeable or (found.line, found.col) in no_value:
                continue
            text = self.lines[found.line - 1] if found.line <= len(self.lines) else ""
            char_col = len(text.encode("utf-8")[: found.col].decode("utf-8", "replace"))
            sites.append(
                ProbeSite(
                    line=found.line,
                    col=found.col,
                    char_col=char_col,
                    symbol=found.symbol,
                    func=found.func,
                    is_assignment=found.is_assignment,
                    occurrence=number,
                )
            )
        return sites

    def site_at(self, line: int, char_col: int) -> ProbeSite | None:
        """The probeable name under the character at ``(line, char_col)``, if any."""
        index = bisect.bisect_right(self._keys, (line, char_col)) - 1 if self.sites else -1
        if index < 0:
            return None
        site = self.sites[index]
        if site.line == line and site.char_col <= char_col < site.char_end:
            return site
        return None

    def on_line(self, line: int) -> list[ProbeSite]:
        start = bisect.bisect_left(self._keys, (line, -1)) if self.sites else 0
        end = bisect.bisect_left(self._keys, (line + 1, -1)) if self.sites else 0
        return self.sites[start:end]

    def find(self, anchor: ProbeAnchor) -> ProbeSite | None:
        """The site ``anchor`` names in this text, if it is still exactly there."""
        for site in self.on_line(anchor.line):
            if site.col == anchor.col and site.symbol == anchor.symbol:
                return site
        return None

    def relocate(self, anchor: ProbeAnchor, occurrence: int, line_text: str) -> ProbeSite | None:
        """Where ``anchor`` went after an edit: the ``occurrence``-th ``anchor.symbol``
        on a line whose text is ``line_text`` (the anchored line when the probe was
        made), the nearest such line to where it was. None when it is gone."""
        wanted = line_text.strip()
        if not wanted:
            return None
        lines = [n for n, text in enumerate(self.lines, 1) if text.strip() == wanted]
        for line in sorted(lines, key=lambda n: abs(n - anchor.line)):
            for site in self.on_line(line):
                if site.symbol == anchor.symbol and site.occurrence == occurrence:
                    return site
        return None

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


def _no_value_here(tree: ast.AST) -> set[tuple[int, int]]:
    """Occurrences that hold no value to capture: ``del x`` and a bare annotation
    ``x: int``; the tracer refuses probes on them."""
    positions = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Del):
            positions.add((node.lineno, node.col_offset))
        elif (
            isinstance(node, ast.AnnAssign)
            and node.value is None
            and isinstance(node.target, ast.Name)
        ):
            positions.add((node.target.lineno, node.target.col_offset))
    return positions


def _unprobeable(tree: ast.AST) -> frozenset[str]:
    """Names bound only to modules, functions or classes, and builtins never rebound."""
    definitions, rebound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                definitions.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            rebound.add(node.id)
        elif isinstance(node, ast.arg):
            rebound.add(node.arg)
    return frozenset((definitions | _BUILTINS) - rebound)
