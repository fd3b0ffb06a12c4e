"""Probe anchors: the wire's ProbeAnchor, and finding anchors in source text.

``col`` is the 0-based column of the symbol as ``ast`` reports it (a UTF-8 byte
offset, the same unit as ``code.co_positions()``), so anchors match bytecode
positions exactly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyprobe_wire import ProbeAnchor
from pyprobe_wire.source import SymbolOccurrence, occurrences

from .errors import ProbeSpecError

__all__ = [
    "ProbeAnchor",
    "ProbeSpec",
    "SymbolOccurrence",
    "anchor_for",
    "occurrences",
    "parse_probe_spec",
    "resolve_probes",
]


@dataclass(frozen=True)
class ProbeSpec:
    """``LINE:SYMBOL[:N]`` from the command line: the N-th (1-based) ``SYMBOL`` on ``LINE``."""

    line: int
    symbol: str
    occurrence: int = 1

    def __str__(self) -> str:
        return f"{self.line}:{self.symbol}:{self.occurrence}"


def parse_probe_spec(text: str) -> ProbeSpec:
    """Parse ``LINE:SYMBOL[:N]``; ProbeSpecError says what is wrong and what is expected."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ProbeSpecError(f"probe {text!r}: expected LINE:SYMBOL or LINE:SYMBOL:N, e.g. 12:x")
    line_text, symbol = parts[0], parts[1]
    if not line_text.isdigit() or int(line_text) < 1:
        raise ProbeSpecError(
            f"probe {text!r}: LINE must be a positive line number, got {line_text!r}"
        )
    if not symbol.isidentifier():
        raise ProbeSpecError(f"probe {text!r}: SYMBOL must be a Python name, got {symbol!r}")
    occurrence = 1
    if len(parts) == 3:
        if not parts[2].isdigit() or int(parts[2]) < 1:
            raise ProbeSpecError(
                f"probe {text!r}: N must be a positive occurrence number (1 = leftmost), "
                f"got {parts[2]!r}"
            )
        occurrence = int(parts[2])
    return ProbeSpec(int(line_text), symbol, occurrence)


def anchor_for(
    path: str | os.PathLike[str], spec: ProbeSpec, source: str | None = None
) -> ProbeAnchor:
    """The anchor ``spec`` names in the file at ``path``.

    ProbeSpecError names the file, the line and the names that are on it when the
    symbol or its occurrence is not there.
    """
    path = Path(path)
    if source is None:
        source = path.read_text(encoding="utf-8")
    return _pick(path, _parse(path, source), spec)


def _parse(path: Path, source: str) -> list[SymbolOccurrence]:
    try:
        return occurrences(source, str(path))
    except SyntaxError as exc:
        raise ProbeSpecError(f"{path}: cannot parse: {exc.msg} (line {exc.lineno})") from exc


def _pick(path: Path, found: list[SymbolOccurrence], spec: ProbeSpec) -> ProbeAnchor:
    on_line = [o for o in found if o.line == spec.line]
    matches = [o for o in on_line if o.symbol == spec.symbol]
    if not matches:
        names = ", ".join(dict.fromkeys(o.symbol for o in on_line)) or "no names"
        raise ProbeSpecError(
            f"{path}:{spec.line}: no {spec.symbol!r} on this line (it has: {names})"
        )
    if spec.occurrence > len(matches):
        raise ProbeSpecError(
            f"{path}:{spec.line}: {spec.symbol!r} appears {len(matches)} time(s), "
            f"so occurrence {spec.occurrence} does not exist"
        )
    hit = matches[spec.occurrence - 1]
    return ProbeAnchor(
        file=str(path.resolve()),
        line=hit.line,
        col=hit.col,
        symbol=hit.symbol,
        func=hit.func,
        is_assignment=hit.is_assignment,
    )


def resolve_probes(
    script: str | os.PathLike[str], probes: Iterable[str | ProbeSpec | ProbeAnchor]
) -> list[ProbeAnchor]:
    """Anchors for ``LINE:SYMBOL[:N]`` strings, ProbeSpecs or ready anchors (the script
    is read and parsed once, and only when a probe needs it)."""
    path = Path(script)
    found = None
    anchors = []
    for probe in probes:
        if isinstance(probe, ProbeAnchor):
            anchors.append(probe)
            continue
        spec = parse_probe_spec(probe) if isinstance(probe, str) else probe
        if found is None:
            found = _parse(path, path.read_text(encoding="utf-8"))
        anchors.append(_pick(path, found, spec))
    return anchors
