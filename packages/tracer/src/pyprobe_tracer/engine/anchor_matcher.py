"""Match anchors to bytecode: which instruction of which code object observes a probe.

A probe is observed at one instruction offset (a *site*):

- a use (``is_assignment=False``) right before the instruction that loads the name
  runs, so the value is the one the line is about to read;
- an assignment right after the instruction that stores the name ran, so the
  value is the new one. Augmented assignment stores too, and an in-place
  ``x[i] = ...`` / ``x.a = ...`` is observed after its STORE_SUBSCR / STORE_ATTR.

Observing "after" means at the next instruction. When that next instruction can
also be reached by a jump, the site is *guarded*: the store itself arms it, so a
jump that skipped the store captures nothing (``for`` loop exhaustion,
``if c: x = 1``).

Columns pick between several occurrences of a name on one line. Python 3.11+
has exact instruction positions; 3.10 has only line numbers, so there the N-th
occurrence in source order of the same role is matched to the N-th instruction.
"""

from __future__ import annotations

import dis
import sys
from dataclasses import dataclass
from types import CodeType

from .anchor import ProbeAnchor

HAS_POSITIONS = sys.version_info >= (3, 11)

# How the value of a name is read from the frame at the site.
READ_LOCAL = "local"  # f_locals only (fast locals and cells)
READ_NAME = "name"  # f_locals, then f_globals, then builtins (module and class bodies)
READ_GLOBAL = "global"  # f_globals, then builtins

_LOADS = {
    "LOAD_FAST": READ_LOCAL,
    "LOAD_FAST_CHECK": READ_LOCAL,
    "LOAD_FAST_LOAD_FAST": READ_LOCAL,
    "LOAD_NAME": READ_NAME,
    "LOAD_DEREF": READ_LOCAL,
    "LOAD_CLASSDEREF": READ_LOCAL,
    "LOAD_FROM_DICT_OR_DEREF": READ_LOCAL,
    "LOAD_GLOBAL": READ_GLOBAL,
    "LOAD_FROM_DICT_OR_GLOBALS": READ_GLOBAL,
}
_STORES = {
    "STORE_FAST": READ_LOCAL,
    "STORE_FAST_STORE_FAST": READ_LOCAL,
    "STORE_FAST_MAYBE_NULL": READ_LOCAL,
    "STORE_NAME": READ_NAME,
    "STORE_DEREF": READ_LOCAL,
    "STORE_GLOBAL": READ_GLOBAL,
}
_MUTATIONS = {"STORE_SUBSCR", "STORE_ATTR", "STORE_SLICE", "DELETE_SUBSCR", "DELETE_ATTR"}
# 3.13 fuses a store with the load that follows it; the load then reads the new value.
_STORE_THEN_LOAD = "STORE_FAST_LOAD_FAST"
_FUSED = {"LOAD_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST", _STORE_THEN_LOAD}


@dataclass(frozen=True)
class Site:
    """Where and how one anchor is observed in one code object."""

    code: CodeType
    offset: int
    anchor: ProbeAnchor
    read: str
    after: bool = False  # observed after a store (an assignment), not before a load
    guard_offset: int | None = None  # the store that arms this site, when it is guarded


def nested_code_objects(code: CodeType) -> list[CodeType]:
    """``code`` and every code object defined inside it (functions, classes, lambdas...)."""
    found = [code]
    stack = [code]
    while stack:
        for const in stack.pop().co_consts:
            if isinstance(const, CodeType):
                found.append(const)
                stack.append(const)
    return found


def find_sites(codes: list[CodeType], anchor: ProbeAnchor) -> list[Site]:
    """The sites observing ``anchor`` among ``codes`` (all code objects of its file).

    Normally one; none when the anchor's line holds no such name in any of them.
    """
    sites: list[Site] = []
    for code in codes:
        instructions = list(dis.get_instructions(code))
        candidates = _candidates(instructions, anchor)
        if not candidates:
            continue
        index = _choose(candidates, anchor)
        if index is not None:
            site = _site_for(code, instructions, index, anchor)
            if site is not None:
                sites.append(site)
    return sites


def _lines(instructions: list[dis.Instruction]) -> list[int | None]:
    if HAS_POSITIONS:
        return [ins.positions.lineno if ins.positions else None for ins in instructions]
    lines, current = [], None
    for ins in instructions:
        if ins.starts_line is not None:
            current = ins.starts_line
        lines.append(current)
    return lines


def _names(ins: dis.Instruction) -> tuple[str, ...]:
    value = ins.argval
    if isinstance(value, tuple):
        return tuple(v for v in value if isinstance(v, str))
    return (value,) if isinstance(value, str) else ()


def _role(ins: dis.Instruction, symbol: str) -> str | None:
    """'load', 'store', 'store-load' or None for what ``ins`` does with ``symbol``."""
    if symbol not in _names(ins):
        return None
    if ins.opname == _STORE_THEN_LOAD:
        store_name, load_name = ins.argval
        return (
            "store-load"
            if store_name == symbol == load_name
            else ("store" if store_name == symbol else "load-after")
        )
    if ins.opname in _LOADS:
        return "load"
    if ins.opname in _STORES:
        return "store"
    return None


def _candidates(instructions, anchor: ProbeAnchor) -> list[tuple[int, str, int | None]]:
    """(index, role, column) of the instructions on the anchor's line touching its symbol."""
    lines = _lines(instructions)
    out = []
    for index, ins in enumerate(instructions):
        if lines[index] != anchor.line:
            continue
        role = _role(ins, anchor.symbol)
        if role is None:
            continue
        col = None
        if HAS_POSITIONS:
            if not _spans_name(ins, anchor.symbol):
                continue  # e.g. 3.12's save/restore of a comprehension variable
            col = ins.positions.col_offset
        if anchor.is_assignment and role in ("store", "store-load"):
            out.append((index, "store", col))
        elif not anchor.is_assignment and role in ("load", "load-after", "store-load"):
            out.append((index, role, col))
        elif anchor.is_assignment and role == "load":
            out.append((index, "mutated", col))  # x[i] = ...: the base is loaded, then mutated
    if anchor.is_assignment and any(role == "store" for _, role, _ in out):
        out = [c for c in out if c[1] == "store"]
    return out


def _spans_name(ins: dis.Instruction, symbol: str) -> bool:
    pos = ins.positions
    if pos is None or pos.col_offset is None or pos.end_col_offset is None:
        return False
    if ins.opname in _FUSED:
        return True  # fused instructions carry the position of their first half
    return pos.end_col_offset - pos.col_offset == len(symbol.encode("utf-8"))


def _choose(candidates, anchor: ProbeAnchor) -> int | None:
    if HAS_POSITIONS:
        # The exact column, else the nearest candidate starting left of it (the
        # second half of a fused instruction has its first half's column).
        left = [c for c in candidates if c[2] is not None and c[2] <= anchor.col]
        if left:
            return max(left, key=lambda c: c[2])[0]
        return candidates[0][0] if len(candidates) == 1 else None
    # 3.10: rank the anchor among the same-role names of its line in source order.
    return candidates[min(_source_rank(anchor), len(candidates) - 1)][0]


def _source_rank(anchor: ProbeAnchor) -> int:
    from .anchor import occurrences

    try:
        with open(anchor.file, encoding="utf-8") as fh:
            found = occurrences(fh.read(), anchor.file)
    except (OSError, SyntaxError, ValueError):
        return 0
    same = [
        o
        for o in found
        if o.line == anchor.line
        and o.symbol == anchor.symbol
        and o.is_assignment == anchor.is_assignment
    ]
    for rank, occurrence in enumerate(same):
        if occurrence.col == anchor.col:
            return rank
    return 0


def _site_for(code, instructions, index, anchor) -> Site | None:
    ins = instructions[index]
    read = _STORES.get(ins.opname) or _LOADS.get(ins.opname) or READ_LOCAL
    role = _role(ins, anchor.symbol)
    if not anchor.is_assignment and role == "load":
        return Site(code, ins.offset, anchor, read)
    if anchor.is_assignment and role == "load":
        # In-place mutation: observe after the item/attribute store that follows.
        for later in range(index + 1, len(instructions)):
            if instructions[later].opname in _MUTATIONS:
                return _after(code, instructions, later, anchor, read)
        return None
    return _after(code, instructions, index, anchor, read)


def _after(code, instructions, index, anchor, read) -> Site | None:
    if index + 1 >= len(instructions):
        return None
    following = instructions[index + 1]
    guard = instructions[index].offset if following.is_jump_target else None
    return Site(code, following.offset, anchor, read, True, guard)
