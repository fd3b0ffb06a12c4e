"""``.tdd-prose/mapping.snapshot.json``: the committed record that makes builds agree.

It holds, per behavior, its title, block, eligibility, evidence (test ids),
fingerprint and provenance, the declared dependencies (``depends_on``,
``related_to``: written only when not empty, so snapshots without any keep their
bytes), plus approved test-id aliases (old -> new). JSON is written with sorted
keys, two-space indent and one value per line, so two branches that add different
behaviors merge without conflicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from tddprose.errors import SnapshotError
from tddprose.jsonfmt import _encode_string, pretty_json
from tddprose.model import (
    AUTO_ACCEPTED,
    HUMAN_APPROVED,
    PROVENANCES,
    BehaviorGraph,
    compute_content_hash,
)

SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class SnapshotBehavior:
    behavior_id: str
    title: str
    block_id: str
    eligibility: str
    evidence: tuple[str, ...]
    fingerprint: str
    provenance: str = AUTO_ACCEPTED
    depends_on: tuple[str, ...] = ()
    related_to: tuple[str, ...] = ()

    @property
    def approved(self) -> bool:
        return self.provenance == HUMAN_APPROVED

    @property
    def content_hash(self) -> str:
        """The same hash as the graph's behavior: every input is stored here."""
        return compute_content_hash(self.block_id, self.title, self.evidence, self.eligibility)


@dataclass(frozen=True)
class Snapshot:
    behaviors: dict[str, SnapshotBehavior] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def bindings(self) -> dict[str, str]:
        """test_id -> behavior_id, including tests reached through an alias."""
        bound: dict[str, str] = {}
        for behavior in sorted(self.behaviors.values(), key=lambda b: b.behavior_id):
            for test_id in behavior.evidence:
                bound.setdefault(test_id, behavior.behavior_id)
        for old, new in sorted(self.aliases.items()):
            if old in bound:
                bound.setdefault(new, bound[old])
        return bound

    def without(self, behavior_ids) -> Snapshot:
        """The snapshot with ``behavior_ids`` removed, and every dependency or
        cross-reference to them dropped (a forgotten behavior cannot be waited on)."""
        gone = set(behavior_ids)
        kept = {}
        for behavior_id, b in self.behaviors.items():
            if behavior_id in gone:
                continue
            kept[behavior_id] = replace(
                b,
                depends_on=tuple(d for d in b.depends_on if d not in gone),
                related_to=tuple(r for r in b.related_to if r not in gone),
            )
        return Snapshot(kept, dict(self.aliases))

    def to_text(self) -> str:
        """Canonical JSON (sorted keys, two-space indent), built per behavior with the
        C string encoder: this runs on every sync over every behavior."""
        q = _encode_string
        chunks = []
        for b in sorted(self.behaviors.values(), key=lambda b: b.behavior_id):
            evidence = (
                "[\n" + ",\n".join(f"        {q(t)}" for t in sorted(b.evidence)) + "\n      ]"
                if b.evidence
                else "[]"
            )
            depends_on = _id_list("depends_on", b.depends_on)
            related_to = _id_list("related_to", b.related_to)
            chunks.append(
                f"    {q(b.behavior_id)}: {{\n"
                f'      "block_id": {q(b.block_id)},\n'
                f"{depends_on}"
                f'      "eligibility": {q(b.eligibility)},\n'
                f'      "evidence": {evidence},\n'
                f'      "fingerprint": {q(b.fingerprint)},\n'
                f'      "provenance": {q(b.provenance)},\n'
                f"{related_to}"
                f'      "title": {q(b.title)}\n'
                "    }"
            )
        aliases = pretty_json(dict(sorted(self.aliases.items()))).rstrip("\n")
        aliases = aliases.replace("\n", "\n  ")
        behaviors = "{\n" + ",\n".join(chunks) + "\n  }" if chunks else "{}"
        return (
            "{\n"
            f'  "aliases": {aliases},\n'
            f'  "behaviors": {behaviors},\n'
            f'  "version": {SNAPSHOT_VERSION}\n'
            "}\n"
        )


def _id_list(key: str, ids: tuple[str, ...]) -> str:
    """One optional list field of a behavior entry (nothing when empty), sorted."""
    if not ids:
        return ""
    q = _encode_string
    items = ",\n".join(f"        {q(i)}" for i in sorted(set(ids)))
    return f'      "{key}": [\n{items}\n      ],\n'


def parse_snapshot(text: str, where: str) -> Snapshot:
    def bad(problem: str) -> SnapshotError:
        return SnapshotError(
            f"{where}: {problem}; fix the file by hand, or restore it from git "
            "(`git checkout -- .tdd-prose/mapping.snapshot.json`) and run `tddprose sync --apply`"
        )

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
        raise bad(f"expected an object with version {SNAPSHOT_VERSION}")
    aliases = data.get("aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()
    ):
        raise bad("aliases: expected an object mapping old test ids to new ones")
    raw = data.get("behaviors", {})
    if not isinstance(raw, dict):
        raise bad("behaviors: expected an object keyed by behavior id")
    behaviors = {}
    for behavior_id, entry in raw.items():
        try:
            provenance = entry.get("provenance", AUTO_ACCEPTED)
            if provenance not in PROVENANCES:
                raise bad(f"behaviors.{behavior_id}.provenance: expected one of {PROVENANCES}")
            evidence = entry.get("evidence", [])
            if not isinstance(evidence, list) or not all(isinstance(t, str) for t in evidence):
                raise bad(f"behaviors.{behavior_id}.evidence: expected a list of test ids")
            links = {}
            for key in ("depends_on", "related_to"):
                ids = entry.get(key, [])
                if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                    raise bad(f"behaviors.{behavior_id}.{key}: expected a list of behavior ids")
                links[key] = tuple(sorted(set(ids)))
            behaviors[behavior_id] = SnapshotBehavior(
                behavior_id=behavior_id,
                title=str(entry["title"]),
                block_id=str(entry["block_id"]),
                eligibility=str(entry.get("eligibility", "behavior")),
                evidence=tuple(evidence),
                fingerprint=str(entry.get("fingerprint", "")),
                provenance=provenance,
                **links,
            )
        except (AttributeError, KeyError, TypeError) as exc:
            raise bad(f"behaviors.{behavior_id}: missing or malformed field ({exc})") from None
    return Snapshot(behaviors, dict(aliases))


def load_snapshot(path: Path, where: str) -> Snapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Snapshot()
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{where}: unreadable ({exc}); restore it from git") from None
    return parse_snapshot(text, where)


def snapshot_from_graph(graph: BehaviorGraph, previous: Snapshot) -> Snapshot:
    """The snapshot after a sync: every behavior in the graph (approved titles and
    blocks were already taken from ``previous`` by the graph), aliases kept."""
    behaviors = {}
    for behavior in graph.behaviors:
        test_ids = sorted({e.test_id for e in behavior.evidence})
        entry = SnapshotBehavior(
            behavior_id=behavior.behavior_id,
            title=behavior.title,
            block_id=behavior.block_id,
            eligibility=behavior.eligibility,
            evidence=tuple(test_ids),
            fingerprint=behavior.fingerprint,
            provenance=behavior.provenance,
            depends_on=behavior.depends_on,
            related_to=behavior.related_to,
        )
        behaviors[behavior.behavior_id] = entry
    return Snapshot(behaviors, dict(previous.aliases))
