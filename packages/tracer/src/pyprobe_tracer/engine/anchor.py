"""Probe anchors: the wire's ProbeAnchor, and finding anchors in source text.

``col`` is the 0-based column of the symbol as ``ast`` reports it (a UTF-8 byte
offset, the same unit as ``code.co_positions()``), so anchors match bytecode
positions exactly.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyprobe_wire import ProbeAnchor
from pyprobe_wire.source import SymbolOccurrence, occurrences

from .errors import EngineError, ProbeSpecError

__all__ = [
    "ProbeAnchor",
    "ProbeSpec",
    "ScriptSyntaxError",
    "SymbolOccurrence",
    "anchor_for",
    "check_capturable",
    "occurrences",
    "parse_probe_spec",
    "resolve_probes",
]


class ScriptSyntaxError(EngineError):
    """The script itself cannot be parsed: not a problem of the probe.

    ``str()`` is the report Python gives for ``python script.py`` (file, line, the
    source line with a caret, ``SyntaxError: ...``), without a traceback.
    """

    def __init__(self, error: SyntaxError):
        if error.filename and not error.filename.startswith("<"):
            error.filename = os.path.abspath(error.filename)  # as ``python script.py`` names it
        self.error = error
        super().__init__("".join(traceback.format_exception_only(type(error), error)).rstrip())


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
    return _pick(path, _parse(path, source), spec, _line_count(source))


def _line_count(source: str) -> int:
    return len(source.splitlines())


def _parse(path: Path, source: str) -> list[SymbolOccurrence]:
    """The symbols of ``source``; ScriptSyntaxError (Python's own report) if it does not parse."""
    try:
        return occurrences(source, str(path))
    except SyntaxError as exc:
        raise ScriptSyntaxError(exc) from None


def _pick(
    path: Path, found: list[SymbolOccurrence], spec: ProbeSpec, lines: int | None = None
) -> ProbeAnchor:
    on_line = [o for o in found if o.line == spec.line]
    matches = [o for o in on_line if o.symbol == spec.symbol]
    if not matches:
        names = ", ".join(dict.fromkeys(o.symbol for o in on_line)) or "no names"
        problem = f"{path}:{spec.line}: no {spec.symbol!r} on this line (it has: {names})"
        if lines is not None and spec.line > lines:
            problem += f"; {path} has only {lines} line{'' if lines == 1 else 's'}"
        raise ProbeSpecError(problem)
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


def check_capturable(anchor: ProbeAnchor, source: str, spec: ProbeSpec | None = None) -> None:
    """Raise ProbeSpecError when ``anchor`` resolves to no capture site in ``source``
    (no instruction of the compiled script reads or writes that occurrence), so that a
    probe is never a silent no-op."""
    from .anchor_matcher import find_sites, nested_code_objects

    try:
        code = compile(source, anchor.file, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return  # _parse reported what it could; the interpreter will say the rest
    if find_sites(nested_code_objects(code), anchor):
        return
    role = "assignment to" if anchor.is_assignment else "use of"
    name = f"probe {spec}" if spec is not None else "probe"
    raise ProbeSpecError(
        f"{anchor.file}:{anchor.line}: {name} names the {role} {anchor.symbol!r} at column "
        f"{anchor.col}, but it resolves to no capture site (no instruction reads or writes "
        "it there), so it would capture nothing; probe another occurrence on that line"
    )


def resolve_probes(
    script: str | os.PathLike[str], probes: Iterable[str | ProbeSpec | ProbeAnchor]
) -> list[ProbeAnchor]:
    """Anchors for ``LINE:SYMBOL[:N]`` strings, ProbeSpecs or ready anchors (the script
    is read and parsed once, and only when a probe needs it)."""
    path = Path(script)
    found, source = None, ""
    anchors = []
    for probe in probes:
        if isinstance(probe, ProbeAnchor):
            anchors.append(probe)
            continue
        spec = parse_probe_spec(probe) if isinstance(probe, str) else probe
        if found is None:
            source = path.read_text(encoding="utf-8")
            found = _parse(path, source)
        anchor = _pick(path, found, spec, _line_count(source))
        check_capturable(anchor, source, spec)
        anchors.append(anchor)
    return anchors
