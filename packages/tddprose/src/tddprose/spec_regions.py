"""Read the owned regions of existing spec files (the compiler's markers).

A block is, in this order: ``block id=...``, ``status ...``, ``generated-begin``,
``generated-end``, ``manual-begin``, ``manual-end``. Text between manual-begin
and manual-end belongs to people and is returned byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tddprose.ir import Diagnostic

MARK = "tdd-prose"
FILE_MARKER = (
    f"<!-- {MARK}:file generated from the tests by tddprose; "
    "edit only between manual-begin and manual-end -->"
)
ORPHANED_NOTES_MARKER = f"<!-- {MARK}:orphaned-notes -->"
_MARKER = re.compile(r"^<!-- tdd-prose:([a-z-]+)(?: (.*?))? -->$")
_ORDER = ("block", "status", "generated-begin", "generated-end", "manual-begin", "manual-end")


@dataclass
class ParsedSpec:
    manual: dict[str, str] = field(default_factory=dict)  # block id -> manual text
    orphaned_notes: str = ""  # everything after the orphaned-notes marker
    owned: bool = False  # the file carries the tddprose file marker
    errors: list[Diagnostic] = field(default_factory=list)


def parse_spec(text: str, path: str) -> ParsedSpec:
    parsed = ParsedSpec(owned=FILE_MARKER in text)
    if ORPHANED_NOTES_MARKER in text:
        text, notes = text.split(ORPHANED_NOTES_MARKER, 1)
        parsed.orphaned_notes = notes
    lines = text.split("\n")
    offsets = []
    position = 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    expected = 0
    block_id = None
    manual_start = 0

    def error(line_no: int, problem: str) -> None:
        parsed.errors.append(
            Diagnostic(
                "error",
                "malformed_block",
                problem,
                path,
                line_no,
                f"restore the tddprose markers (git diff {path} shows what changed), "
                "then run `tddprose sync --apply`",
            )
        )

    for index, line in enumerate(lines):
        match = _MARKER.match(line.strip())
        if not match or match.group(1) in ("file", "orphaned-note", "orphaned-note-end"):
            continue
        kind, argument = match.group(1), match.group(2) or ""
        if kind not in _ORDER:
            error(index + 1, f"unknown marker '{kind}'")
            continue
        if kind == "block":
            if expected != 0:
                error(index + 1, f"block {argument!r} starts before block {block_id!r} ended")
            block_id = argument.removeprefix("id=")
            if block_id in parsed.manual:
                error(index + 1, f"block id {block_id!r} appears twice")
            expected = 1
            continue
        if _ORDER[expected] != kind:
            error(
                index + 1, f"'{kind}' where '{_ORDER[expected]}' was expected (block {block_id!r})"
            )
            expected = 0
            continue
        if kind == "manual-begin":
            manual_start = offsets[index] + len(line) + 1
        elif kind == "manual-end":
            parsed.manual[block_id] = text[manual_start : offsets[index]]
        expected = (expected + 1) % len(_ORDER)
    if expected != 0:
        error(len(lines), f"block {block_id!r} is missing '{_ORDER[expected]}'")
    return parsed
