"""BehaviorGraph: behaviors, their evidence and their status (plain frozen data)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tddprose.ir import Diagnostic, TestIR

BEHAVIOR = "behavior"
INTERNAL = "internal"
ELIGIBILITIES = (BEHAVIOR, INTERNAL)

OK = "ok"
STALE = "stale"
NEEDS_REVIEW = "needs_review"
ORPHANED = "orphaned"
EXCLUDED = "excluded"

HUMAN_APPROVED = "human_approved"
AUTO_ACCEPTED = "auto_accepted"
PROVENANCES = (HUMAN_APPROVED, AUTO_ACCEPTED)


@dataclass(frozen=True)
class Evidence:
    """One test (or one parametrize case) that evidences a behavior.

    ``active`` is False for unconditionally skipped or xfail tests: they are
    listed, but weigh nothing.
    """

    test_id: str  # the test function's id; ``case`` names the parametrize case
    nodeid: str
    weight: float
    active: bool = True
    case: str = ""

    @property
    def is_case(self) -> bool:
        """One parametrize case: its node id ends with the case id in brackets (an empty
        id gives ``test_x[]``); a function's node id never ends with ``]``."""
        return self.nodeid.endswith(f"[{self.case}]")

    @property
    def case_id(self) -> str:
        return f"{self.test_id}[{self.case}]" if self.is_case else self.test_id


def _netstring(data: bytes) -> bytes:
    return str(len(data)).encode("ascii") + b":" + data + b","


def compute_content_hash(
    block_id: str, title: str, test_ids: Iterable[str], eligibility: str
) -> str:
    """The behavior's content-addressed fingerprint (``sha256:`` + 64 hex digits).

    SHA-256 over the block id, the canonical title, the evidence test ids (unique,
    sorted by code point) and the eligibility, each encoded as a netstring
    (``<byte length>:<UTF-8 bytes>,``); the test ids are one netstring holding
    theirs. Length prefixes make the encoding unambiguous: no choice of strings can
    make two different inputs give the same bytes.
    """
    ids = b"".join(_netstring(t.encode("utf-8")) for t in sorted(set(test_ids)))
    payload = b"".join(
        (
            _netstring(block_id.encode("utf-8")),
            _netstring(title.encode("utf-8")),
            _netstring(ids),
            _netstring(eligibility.encode("utf-8")),
        )
    )
    return "sha256:" + hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class Behavior:
    behavior_id: str
    block_id: str
    title: str
    evidence: tuple[Evidence, ...]
    fingerprint: str
    eligibility: str
    confidence: float
    status: str
    provenance: str = AUTO_ACCEPTED
    # Why the status is not ok, in words (empty when ok).
    reasons: tuple[str, ...] = ()
    weak_evidence: bool = False
    # Declared by people or agents (``tddprose deps import``), kept in the snapshot:
    # prerequisites (``ready`` orders work by them) and cross-references. Sorted.
    depends_on: tuple[str, ...] = ()
    related_to: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        return compute_content_hash(
            self.block_id, self.title, (e.test_id for e in self.evidence), self.eligibility
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = [asdict(e) for e in self.evidence]
        data["reasons"] = list(self.reasons)
        data["depends_on"] = list(self.depends_on)
        data["related_to"] = list(self.related_to)
        data["content_hash"] = self.content_hash
        return data


@dataclass(frozen=True)
class BehaviorGraph:
    """The whole ledger: behaviors sorted by (block_id, behavior_id)."""

    behaviors: tuple[Behavior, ...]
    tests: dict[str, TestIR] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()

    def by_id(self) -> dict[str, Behavior]:
        return {b.behavior_id: b for b in self.behaviors}

    def blocks(self) -> dict[str, list[Behavior]]:
        grouped: dict[str, list[Behavior]] = {}
        for behavior in self.behaviors:
            grouped.setdefault(behavior.block_id, []).append(behavior)
        return grouped
