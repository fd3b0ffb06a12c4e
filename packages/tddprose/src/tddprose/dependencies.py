"""Behavior dependencies declared in a Behavior Intent file, recorded in the snapshot.

The compiler cannot infer that one behavior needs another: people or agents declare
it, in the intent file's behaviors (``depends_on``: prerequisites; ``related_to``:
cross-references without order). ``import_links`` checks every id against the
committed snapshot and the whole ``depends_on`` graph for cycles, then returns the
snapshot with the links recorded. Nothing is written when anything is wrong.

For each behavior the file lists, a ``depends_on`` or ``related_to`` key that is
present replaces the recorded list (``[]`` clears it); an absent key leaves it as it
is. Behaviors the file does not list keep theirs.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from tddprose.config import SNAPSHOT_PATH
from tddprose.errors import TddProseError
from tddprose.graph import find_cycle
from tddprose.snapshot import Snapshot

LINK_KEYS = ("depends_on", "related_to")
INTENT_FIX = (
    'expected a Behavior Intent file: {"domain": ..., "behaviors": [{"behavior_id": ..., '
    '"depends_on": [...], "related_to": [...]}], "constraints": {...}}'
)


class DependencyError(TddProseError):
    """An intent file's dependencies cannot be recorded. ``fix`` says what to do."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class DeclaredLinks:
    """One intent behavior's links; None: the key is absent (leave the record as is)."""

    behavior_id: str
    depends_on: tuple[str, ...] | None
    related_to: tuple[str, ...] | None


def read_intent(path: Path, where: str) -> list[DeclaredLinks]:
    """The links each behavior of the intent file at ``path`` declares, in file order."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DependencyError(f"{where}: not found", "pass the path of an intent file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DependencyError(f"{where}: unreadable ({exc})", "save it as UTF-8 JSON") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DependencyError(
            f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            INTENT_FIX,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("behaviors"), list):
        raise DependencyError(f"{where}: no behaviors list", INTENT_FIX)
    declared, seen = [], set()
    for index, entry in enumerate(data["behaviors"]):
        at = f"{where}: behaviors[{index}]"
        if not isinstance(entry, dict):
            raise DependencyError(f"{at}: expected an object", INTENT_FIX)
        behavior_id = entry.get("behavior_id")
        if not isinstance(behavior_id, str) or not behavior_id.strip():
            raise DependencyError(f"{at}.behavior_id: expected a behavior id", INTENT_FIX)
        if behavior_id in seen:
            raise DependencyError(
                f"{at}: {behavior_id} is listed twice", "merge the two entries into one"
            )
        seen.add(behavior_id)
        links: dict[str, tuple[str, ...] | None] = {}
        for key in LINK_KEYS:
            ids = entry.get(key)
            if ids is None:
                links[key] = None
                continue
            if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
                raise DependencyError(f"{at}.{key}: expected a list of behavior ids", INTENT_FIX)
            links[key] = tuple(sorted(set(ids)))
        if behavior_id in (links["related_to"] or ()):
            raise DependencyError(
                f"{at}.related_to: {behavior_id} names itself", "remove it from its related_to"
            )
        declared.append(DeclaredLinks(behavior_id, links["depends_on"], links["related_to"]))
    return declared


def _unknown(ids: set[str], known: list[str]) -> str:
    parts = []
    for behavior_id in sorted(ids):
        close = difflib.get_close_matches(behavior_id, known, n=1, cutoff=0.8)
        parts.append(f"{behavior_id} (did you mean {close[0]}?)" if close else behavior_id)
    return ", ".join(parts)


def import_links(
    snapshot: Snapshot, declared: list[DeclaredLinks], where: str
) -> tuple[Snapshot, list[dict]]:
    """``snapshot`` with the declared links recorded, and what changed per behavior.

    Raises ``DependencyError`` naming every unknown id, or the first cycle in order.
    """
    known = sorted(snapshot.behaviors)
    mentioned = set()
    for links in declared:
        mentioned.add(links.behavior_id)
        mentioned.update(links.depends_on or ())
        mentioned.update(links.related_to or ())
    unknown = mentioned - set(known)
    if unknown:
        raise DependencyError(
            f"{where}: unknown behavior ids, not in {SNAPSHOT_PATH}: {_unknown(unknown, known)}",
            "correct the ids; a behavior with no test yet must get one first (anchor it: "
            "`# @tdd-prose:behavior ID`), then run `tddprose sync --apply` and import again",
        )
    behaviors = dict(snapshot.behaviors)
    changes = []
    for links in declared:
        old = behaviors[links.behavior_id]
        depends_on = old.depends_on if links.depends_on is None else links.depends_on
        related_to = old.related_to if links.related_to is None else links.related_to
        if (depends_on, related_to) == (old.depends_on, old.related_to):
            continue
        behaviors[links.behavior_id] = replace(old, depends_on=depends_on, related_to=related_to)
        changes.append(
            {
                "behavior_id": links.behavior_id,
                "depends_on": list(depends_on),
                "related_to": list(related_to),
            }
        )
    cycle = find_cycle({b: e.depends_on for b, e in behaviors.items()})
    if cycle is not None:
        raise DependencyError(
            f"{where}: dependency cycle: {' -> '.join(cycle)}",
            "remove one depends_on link of the cycle",
        )
    changes.sort(key=lambda c: c["behavior_id"])
    return Snapshot(behaviors, dict(snapshot.aliases)), changes
