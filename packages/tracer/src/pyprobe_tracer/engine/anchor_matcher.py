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
has exact instruction positions, so an anchor matches the instructions at its
exact column. CPython compiles some code more than once (a ``while`` test,
``finally`` bodies, code before a ``return`` copied into each branch): every
copy is observed. 3.10 has only line numbers: there the anchor's scope picks
the code object, and the N-th occurrence of the same role in source order is
matched to the N-th instruction of each copy.
"""

from __future__ import annotations

import dis
import functools
import os
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
    "STORE_FAST_LOAD_FAST": READ_LOCAL,
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
    "STORE_FAST_LOAD_FAST": READ_LOCAL,
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
    # An assignment whose store is the only store of the name in the code object:
    # the name's value when the frame returns is the last value this site saw.
    sole_store: bool = False


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
        if not HAS_POSITIONS and not _in_scope(code, anchor):
            continue
        instructions, lines = disassembled(code)
        candidates = _candidates(instructions, lines, anchor)
        for index, role in _choose(candidates, anchor):
            site = _site_for(code, instructions, index, role, anchor)
            if site is not None:
                sites.append(site)
    return sites


@functools.lru_cache(maxsize=4096)
def disassembled(code: CodeType) -> tuple[tuple[dis.Instruction, ...], tuple[int | None, ...]]:
    """``code``'s instructions and the source line of each, computed once per code
    object (every probe change re-plans every probed file)."""
    instructions = tuple(dis.get_instructions(code))
    if HAS_POSITIONS:
        lines = [ins.positions.lineno if ins.positions else None for ins in instructions]
    else:
        lines, current = [], None
        for ins in instructions:
            if ins.starts_line is not None:
                current = ins.starts_line
            lines.append(current)
    return instructions, tuple(lines)


def _names(ins: dis.Instruction) -> tuple[str, ...]:
    value = ins.argval
    if isinstance(value, tuple):
        return tuple(v for v in value if isinstance(v, str))
    return (value,) if isinstance(value, str) else ()


# What each half of a fused instruction does: before the load, or after the store.
_FUSED_ROLES = {
    "LOAD_FAST_LOAD_FAST": ("load", "load"),
    "STORE_FAST_STORE_FAST": ("store", "store"),
    _STORE_THEN_LOAD: ("store", "load-after"),
}


def _roles(ins: dis.Instruction, symbol: str) -> list[tuple[str, bool]]:
    """(role, second_half) for each way ``ins`` touches ``symbol``: role 'load' (observe
    before), 'store' or 'load-after' (observe after)."""
    fused = _FUSED_ROLES.get(ins.opname)
    if fused is not None:
        return [
            (role, half == 1)
            for half, (name, role) in enumerate(zip(ins.argval, fused, strict=True))
            if name == symbol
        ]
    if symbol not in _names(ins):
        return []
    if ins.opname in _LOADS:
        return [("load", False)]
    if ins.opname in _STORES:
        return [("store", False)]
    return []


def _candidates(
    instructions, lines, anchor: ProbeAnchor
) -> list[tuple[int, str, int | None, bool]]:
    """(index, role, column, second_half) of the instructions on the anchor's line that
    touch its symbol in its role. ``second_half`` marks the symbol being the second
    name of a fused instruction, whose column is that of its first half."""
    out = []
    for index, ins in enumerate(instructions):
        if lines[index] != anchor.line:
            continue
        roles = _roles(ins, anchor.symbol)
        if not roles:
            continue
        col = None
        if HAS_POSITIONS:
            if not _spans_name(ins, anchor.symbol):
                continue  # e.g. 3.12's save/restore of a comprehension variable
            col = ins.positions.col_offset
        for role, second_half in roles:
            wanted = ("store",) if anchor.is_assignment else ("load", "load-after")
            if role in wanted:
                out.append((index, role, col, second_half))
            elif anchor.is_assignment and role == "load":
                out.append((index, "mutated", col, second_half))  # x[i] = ...: base loaded
    if anchor.is_assignment and any(role == "store" for _, role, _, _ in out):
        out = [c for c in out if c[1] == "store"]
    elif anchor.is_assignment:
        out = [c for c in out if _mutates_next(instructions, c[0], anchor.symbol)]
    return out


# Augmented item/attribute assignment (``x[i] -= v``) duplicates the target's base
# (and subscript) right after loading it, to read the old item before storing.
_DUPLICATES = {"COPY", "DUP_TOP", "DUP_TOP_TWO"}


def _mutates_next(instructions, index: int, symbol: str) -> bool:
    """Whether the load at ``index`` is the base of the next item/attribute store.

    With instruction positions: the store's target expression starts where this load
    is (``x[0] -= x[1]``: the store spans ``x[0]``; the ``x`` of ``x[1]`` starts
    elsewhere). Without them (3.10): no other load of ``symbol`` comes between
    (``a[k] = a[k - 1]`` loads ``a`` twice), unless the target was duplicated first,
    as augmented assignment does (``x[0] -= x[1]``)."""
    load = instructions[index]
    positions = load.positions if HAS_POSITIONS else None
    duplicated = False
    for ins in instructions[index + 1 :]:
        if ins.opname in _MUTATIONS:
            if positions is None or positions.col_offset is None:
                return True
            target = ins.positions
            return (
                target is not None
                and target.lineno == positions.lineno
                and target.col_offset == positions.col_offset
            )
        if ins.opname in _DUPLICATES:
            duplicated = True
        elif symbol in _names(ins) and not duplicated and positions is None:
            return False
    return False


def _spans_name(ins: dis.Instruction, symbol: str) -> bool:
    pos = ins.positions
    if pos is None or pos.col_offset is None or pos.end_col_offset is None:
        return False
    if ins.opname in _FUSED:
        return True
    return pos.end_col_offset - pos.col_offset == len(symbol.encode("utf-8"))


def _choose(candidates, anchor: ProbeAnchor) -> list[tuple[int, str]]:
    """(index, role) of the instructions observing ``anchor``: one per compiled copy."""
    if not candidates:
        return []
    if HAS_POSITIONS:
        exact = [
            (i, role) for i, role, col, second in candidates if col == anchor.col and not second
        ]
        if exact:
            return exact
        # The second name of a fused instruction (3.13) has no position of its own:
        # take the nearest such instruction (and its copies).
        fused = [(abs(col - anchor.col), i, role) for i, role, col, second in candidates if second]
        if not fused:
            return []
        nearest = min(distance for distance, _, _ in fused)
        return [(i, role) for distance, i, role in fused if distance == nearest]
    # 3.10: the anchor's rank among the same-role names of its line, in each copy.
    occurrences = _same_role_occurrences(anchor)
    rank = next((r for r, o in enumerate(occurrences) if o.col == anchor.col), 0)
    per_copy = max(len(occurrences), 1)
    if len(candidates) % per_copy:
        return [candidates[min(rank, len(candidates) - 1)][:2]]
    return [c[:2] for position, c in enumerate(candidates) if position % per_copy == rank]


def _in_scope(code: CodeType, anchor: ProbeAnchor) -> bool:
    """3.10: whether ``code`` is the code object the anchor's occurrence runs in."""
    occurrence = _occurrence(anchor)
    return occurrence is None or code.co_name == occurrence.code_name


def _occurrence(anchor: ProbeAnchor):
    """The source occurrence ``anchor`` names, or None if the source cannot be read."""
    for occurrence in _source_occurrences(anchor.file, _version_of(anchor.file)):
        if (occurrence.line, occurrence.col) == (anchor.line, anchor.col):
            return occurrence
    return None


def _same_role_occurrences(anchor: ProbeAnchor) -> list:
    """3.10: the occurrences of the anchor's name, role and code object on its line."""
    own = _occurrence(anchor)
    return [
        o
        for o in _source_occurrences(anchor.file, _version_of(anchor.file))
        if o.line == anchor.line
        and o.symbol == anchor.symbol
        and o.is_assignment == anchor.is_assignment
        and (own is None or o.code_name == own.code_name)
    ]


def _version_of(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=64)
def _source_occurrences(path: str, version) -> tuple:
    """The source's name occurrences, cached per file version."""
    from .anchor import occurrences

    try:
        with open(path, encoding="utf-8") as fh:
            return tuple(occurrences(fh.read(), path))
    except (OSError, SyntaxError, ValueError):
        return ()


def _site_for(code, instructions, index, role, anchor) -> Site | None:
    ins = instructions[index]
    read = _STORES.get(ins.opname) or _LOADS.get(ins.opname) or READ_LOCAL
    if role == "load":
        return Site(code, ins.offset, anchor, read)
    if role == "mutated":
        # In-place mutation: observe after the item/attribute store that follows.
        for later in range(index + 1, len(instructions)):
            if instructions[later].opname in _MUTATIONS:
                return _after(code, instructions, later, anchor, read, sole_store=False)
        return None
    stores = sum(role == "store" for ins in instructions for role, _ in _roles(ins, anchor.symbol))
    return _after(code, instructions, index, anchor, read, sole_store=stores == 1)


def _after(code, instructions, index, anchor, read, *, sole_store: bool) -> Site | None:
    if index + 1 >= len(instructions):
        return None
    following = instructions[index + 1]
    guard = instructions[index].offset if following.is_jump_target else None
    return Site(code, following.offset, anchor, read, True, guard, sole_store)
