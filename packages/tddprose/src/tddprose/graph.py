"""Build the BehaviorGraph from TestIR and the mapping snapshot (deterministic).

Identity, in order: an anchor in the test; the snapshot's binding of the test
(or of an approved alias of it); a heuristic from the slugged suite path and
name. When the heuristic is ambiguous a new id is minted (``~`` + a hash) and
marked ``needs_review``. Tests that disappeared leave their behaviors
``orphaned``; nothing is ever removed here.

Declared dependencies (``depends_on``, ``related_to``) come from the snapshot as
they are; a dependency on a behavior the ledger does not have is a warning, a
dependency cycle an error.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import cache

from tddprose.config import SNAPSHOT_PATH, Config
from tddprose.discovery import matches
from tddprose.identity import sha256_tag, slug
from tddprose.ir import ACTIVE, SKIPPED_BY_RUNNER, Diagnostic, TestIR
from tddprose.model import (
    AUTO_ACCEPTED,
    BEHAVIOR,
    EXCLUDED,
    INTERNAL,
    NEEDS_REVIEW,
    OK,
    ORPHANED,
    Behavior,
    BehaviorGraph,
    Evidence,
)
from tddprose.snapshot import Snapshot

# Conventions that make a test internal (snapshot, perf and fuzz tests): markers and
# fixtures. Words in test names are not used: "snapshot" is a domain term in many suites.
INTERNAL_MARKERS = frozenset(
    {"snapshot", "benchmark", "perf", "performance", "fuzz", "property", "given"}
)
INTERNAL_FIXTURES = frozenset({"benchmark", "snapshot", "snapshot_json", "data_regression"})

# Separates a heuristic id from the hash that makes a minted id unique (``a.b~1f2e3d``).
MINTED = "~"

CONFIDENCE_ANCHOR = 1.0
CONFIDENCE_APPROVED = 1.0
CONFIDENCE_SNAPSHOT = 0.95
CONFIDENCE_HEURISTIC = 0.85
CONFIDENCE_AMBIGUOUS = 0.5


@dataclass
class _Claim:
    """One test's claim on one behavior."""

    test: TestIR
    confidence: float
    reasons: list[str] = field(default_factory=list)


def block_for(test: TestIR, config: Config) -> str:
    raw = list(test.suite_path)
    slugged = [slug(s) for s in raw]
    best, best_length = None, -1
    for prefix, block in config.block_overrides.items():
        parts = [p for p in prefix.strip("/").split("/") if p]
        for segments in (raw, slugged):
            if segments[: len(parts)] == parts and len(parts) > best_length:
                best, best_length = block, len(parts)
    if best is not None:
        return best
    text = config.block_default
    for index in range(len(slugged) - 1, -1, -1):
        text = text.replace(f"{{suite_path.{index}}}", slugged[index])
    while "{suite_path." in text:
        start = text.index("{suite_path.")
        end = text.find("}", start)
        text = text[:start] + text[end + 1 :] if end != -1 else text[:start]
    block = ".".join(part for part in text.split(".") if part)
    return block or "general"


def heuristic_id(test: TestIR) -> str:
    parts = [slug(s) for s in test.suite_path] + [slug(test.name) or test.name]
    return ".".join(p for p in parts if p)


def is_internal(test: TestIR, config: Config) -> bool:
    if test.anchors:
        return False
    if _path_matches(test.locator.path, config.internal_patterns):
        return True
    if not INTERNAL_MARKERS.isdisjoint(test.markers):
        return True
    if not INTERNAL_FIXTURES.isdisjoint(test.fixtures):
        return True
    return config.eligibility_default == INTERNAL


@cache
def _path_matches(path: str, patterns: tuple[str, ...]) -> bool:
    return matches(path, patterns)


def _dedupe_test_ids(tests: list[TestIR]) -> tuple[list[TestIR], list[Diagnostic]]:
    """A repeated test_id gets ``#2``, ``#3``...; unanchored repeats are errors."""
    seen: dict[str, int] = {}
    unique, diagnostics = [], []
    for test in tests:
        count = seen.get(test.test_id, 0) + 1
        seen[test.test_id] = count
        if count > 1:
            if not test.anchors:
                diagnostics.append(
                    Diagnostic(
                        "error",
                        "duplicate_test_id",
                        f"{test.test_id} is defined more than once (pytest runs only the last)",
                        test.locator.path,
                        test.locator.start_line,
                        "rename one of the tests, or anchor it with a behavior id",
                    )
                )
            test = replace(test, test_id=f"{test.test_id}#{count}")
        unique.append(test)
    return unique, diagnostics


def build_graph(
    tests: list[TestIR],
    snapshot: Snapshot,
    config: Config,
    *,
    runner_used: bool = False,
    kept_prefixes: tuple[str, ...] = (),
    diagnostics: tuple[Diagnostic, ...] = (),
) -> BehaviorGraph:
    """``kept_prefixes``: test-id prefixes of files that failed to parse; their
    snapshot behaviors are kept as last known instead of becoming orphaned."""
    tests = sorted(tests, key=lambda t: (t.test_id, t.locator.path, t.locator.start_line))
    tests, found = _dedupe_test_ids(tests)
    all_diagnostics = list(diagnostics) + found
    bindings = snapshot.bindings()
    claims: dict[str, list[_Claim]] = defaultdict(list)
    anchored_ids = {a for t in tests for a in t.anchors}
    heuristic_owners: dict[str, set[str]] = defaultdict(set)
    unresolved = []
    minted_bound = []
    for test in tests:
        reasons = _source_reasons(test, runner_used, all_diagnostics)
        if test.anchors:
            if len(test.anchors) > 1 and not config.allow_multiple_anchors:
                all_diagnostics.append(
                    Diagnostic(
                        "error",
                        "multiple_anchors",
                        f"{test.nodeid} has {len(test.anchors)} anchors: {', '.join(test.anchors)}",
                        test.locator.path,
                        test.locator.start_line,
                        "keep one anchor, or set anchors.allow_multiple: true",
                    )
                )
                reasons.append("several anchors while anchors.allow_multiple is false")
            for anchor in test.anchors:
                claims[anchor].append(_Claim(test, CONFIDENCE_ANCHOR, list(reasons)))
            continue
        bound = bindings.get(test.test_id)
        if bound is not None and bound not in anchored_ids:
            approved = snapshot.behaviors[bound].approved
            if MINTED in bound and not approved:
                minted_bound.append((test, bound, reasons))
                continue
            confidence = CONFIDENCE_APPROVED if approved else CONFIDENCE_SNAPSHOT
            claims[bound].append(_Claim(test, confidence, reasons))
            continue
        candidate = heuristic_id(test)
        unresolved.append((test, candidate, reasons))
        heuristic_owners[candidate].add(test.test_id)
    live_snapshot_ids = {behavior_id for behavior_id in snapshot.behaviors if behavior_id in claims}
    if minted_bound:
        # An id minted by an earlier sync keeps its needs_review for as long as what
        # made it ambiguous holds, judged as that sync judged it (so that sync --apply
        # is a fixed point); once it no longer holds, the id stays and is ok.
        unanchored = Counter(heuristic_id(t) for t in tests if not t.anchors)
        for test, bound, reasons in minted_bound:
            candidate = heuristic_id(test)
            ambiguous = (
                unanchored[candidate] > 1
                or candidate in anchored_ids
                or candidate in live_snapshot_ids
                or test.source == "runner"
            )
            if ambiguous:
                why = _ambiguity(test, candidate)
                claims[bound].append(_Claim(test, CONFIDENCE_AMBIGUOUS, [*reasons, why]))
            else:
                claims[bound].append(_Claim(test, CONFIDENCE_SNAPSHOT, reasons))
    for test, candidate, reasons in unresolved:
        ambiguous = (
            len(heuristic_owners[candidate]) > 1
            or candidate in anchored_ids
            or candidate in live_snapshot_ids
            or test.source == "runner"
        )
        if ambiguous:
            minted = f"{candidate}{MINTED}{sha256_tag(test.test_id, 6)[7:]}"
            why = _ambiguity(test, candidate)
            claims[minted].append(_Claim(test, CONFIDENCE_AMBIGUOUS, [*reasons, why]))
        else:
            claims[candidate].append(_Claim(test, CONFIDENCE_HEURISTIC, reasons))
    block_memo: dict[tuple[str, ...], str] = {}

    def block_of(test: TestIR) -> str:
        block = block_memo.get(test.suite_path)
        if block is None:
            block = block_memo[test.suite_path] = block_for(test, config)
        return block

    behaviors = [
        _behavior(behavior_id, claims[behavior_id], snapshot, config, all_diagnostics, block_of)
        for behavior_id in claims
    ]
    for behavior_id, old in snapshot.behaviors.items():
        if behavior_id in claims:
            continue
        kept = any(t.startswith(kept_prefixes) for t in old.evidence) if kept_prefixes else False
        behaviors.append(_unevidenced(old, kept))
    behaviors.sort(key=lambda b: (b.block_id, b.behavior_id))
    all_diagnostics.extend(dependency_diagnostics(behaviors))
    all_diagnostics.sort(key=Diagnostic.sort_key)
    return BehaviorGraph(tuple(behaviors), {t.test_id: t for t in tests}, tuple(all_diagnostics))


def _ambiguity(test: TestIR, candidate: str) -> str:
    if test.source == "runner":
        return "collected by the runner only (dynamic name)"
    return f"the inferred id {candidate} is claimed by another test"


def _source_reasons(test: TestIR, runner_used: bool, diagnostics: list[Diagnostic]) -> list[str]:
    if not runner_used or test.source in ("both", SKIPPED_BY_RUNNER):
        return []
    if test.source == "static":
        diagnostics.append(
            Diagnostic(
                "warn",
                "runner_mismatch",
                f"{test.nodeid} was found in the source but the runner did not collect it",
                test.locator.path,
                test.locator.start_line,
                "make it collectable (name, class without __init__, no import error), "
                "or rename it so it does not look like a test",
            )
        )
        return ["not collected by the runner"]
    diagnostics.append(
        Diagnostic(
            "warn",
            "runner_mismatch",
            f"{test.nodeid} was collected by the runner but not found in the source",
            test.locator.path,
            0,
            "generated or inherited tests need an anchor (@pytest.mark.tdd_prose) "
            "or a snapshot binding",
        )
    )
    return []


def _evidence(claim: _Claim, share: int) -> list[Evidence]:
    test = claim.test
    active = test.status == ACTIVE
    if not test.parameters:
        return [Evidence(test.test_id, test.nodeid, round(1.0 / share, 6), active)]
    weight = round(1.0 / (share * len(test.parameters)), 6)
    return [
        Evidence(test.test_id, f"{test.nodeid}[{p.name}]", weight, active, p.name)
        for p in test.parameters
    ]


def _behavior(behavior_id, claims, snapshot: Snapshot, config, diagnostics, block_of) -> Behavior:
    claims = sorted(claims, key=lambda c: c.test.test_id)
    previous = snapshot.behaviors.get(behavior_id)
    evidence = []
    for claim in claims:
        evidence.extend(_evidence(claim, max(1, len(claim.test.anchors))))
    reasons = sorted({r for c in claims for r in c.reasons})
    blocks = sorted({block_of(c.test) for c in claims})
    if previous is not None and previous.approved:
        block_id, title = previous.block_id, previous.title
    else:
        block_id, title = blocks[0], claims[0].test.title
        if len(blocks) > 1:
            first = claims[0].test
            diagnostics.append(
                Diagnostic(
                    "error",
                    "anchor_collision",
                    f"behavior {behavior_id} is claimed by tests in blocks {', '.join(blocks)}",
                    first.locator.path,
                    first.locator.start_line,
                    "use one behavior id per block, or approve a block in the snapshot",
                )
            )
            reasons.append(f"claimed by tests in different blocks ({', '.join(blocks)})")
    internal = all(is_internal(c.test, config) for c in claims)
    eligibility = INTERNAL if internal else BEHAVIOR
    active_tests = [c.test for c in claims if c.test.status == ACTIVE]
    weak = sum(e.weight for e in evidence if e.active) < 0.999 or not any(
        t.assertions for t in active_tests
    )
    if reasons:
        status = NEEDS_REVIEW
    elif eligibility == INTERNAL:
        status = EXCLUDED
    else:
        status = OK
    return Behavior(
        behavior_id=behavior_id,
        block_id=block_id,
        title=title,
        evidence=tuple(evidence),
        fingerprint=_fingerprint(title, block_id, eligibility, evidence, claims),
        eligibility=eligibility,
        confidence=min(c.confidence for c in claims),
        status=status,
        provenance=previous.provenance if previous is not None else AUTO_ACCEPTED,
        reasons=tuple(reasons),
        weak_evidence=weak,
        depends_on=previous.depends_on if previous is not None else (),
        related_to=previous.related_to if previous is not None else (),
    )


def _unevidenced(old, kept: bool) -> Behavior:
    reason = (
        "its test file does not parse; last-known behavior kept"
        if kept
        else "no test evidences it any more (tests deleted or renamed)"
    )
    return Behavior(
        behavior_id=old.behavior_id,
        block_id=old.block_id,
        title=old.title,
        evidence=(),
        fingerprint=old.fingerprint,
        eligibility=old.eligibility,
        confidence=CONFIDENCE_ANCHOR if old.approved else CONFIDENCE_SNAPSHOT,
        status=NEEDS_REVIEW if kept else ORPHANED,
        provenance=old.provenance,
        reasons=(reason,),
        weak_evidence=True,
        depends_on=old.depends_on,
        related_to=old.related_to,
    )


def _fingerprint(title, block_id, eligibility, evidence, claims) -> str:
    """Hash of the behavior's canonical content: title, block, eligibility, the
    evidence tests and the structure of their assertions.

    Parametrize cases are left out on purpose: with the runner they come from
    collection, which can differ between interpreters (cases that exist only on
    some Python versions), and the committed snapshot must not.
    """
    parts = [title, block_id, eligibility]
    parts.extend(sorted({f"{e.test_id}:{e.active}" for e in evidence}))
    for claim in claims:
        parts.append(claim.test.test_id)
        parts.extend(a.structure for a in claim.test.assertions)
    return sha256_tag("\x1f".join(parts), 32)


def find_cycle(depends_on: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A dependency cycle, in edge order and closed (``[a, b, c, a]``), or None.

    Deterministic: nodes and edges are walked in sorted order, and the cycle found
    is rotated to start at its smallest id. Ids without an entry have no edges.
    """
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(depends_on, WHITE)
    for start in sorted(depends_on):
        if colour[start] != WHITE:
            continue
        path = [start]
        colour[start] = GREY
        stack = [iter(sorted(depends_on[start]))]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
                colour[path.pop()] = BLACK
                continue
            state = colour.get(node, BLACK)  # an id without an entry has no edges
            if state == GREY:
                cycle = path[path.index(node) :]
                first = cycle.index(min(cycle))
                cycle = cycle[first:] + cycle[:first]
                return [*cycle, cycle[0]]
            if state == WHITE:
                colour[node] = GREY
                path.append(node)
                stack.append(iter(sorted(depends_on[node])))
    return None


def dependency_diagnostics(behaviors) -> list[Diagnostic]:
    """Declared dependencies naming behaviors the ledger lacks (warn), and cycles (error)."""
    known = {b.behavior_id for b in behaviors}
    found = []
    for b in sorted(behaviors, key=lambda b: b.behavior_id):
        for kind, ids in (("depends on", b.depends_on), ("is related to", b.related_to)):
            for missing in sorted(set(ids) - known):
                found.append(
                    Diagnostic(
                        "warn",
                        "unknown_dependency",
                        f"behavior {b.behavior_id} {kind} {missing}, which is not in the ledger",
                        SNAPSHOT_PATH,
                        0,
                        "correct the id and run `tddprose deps import` again, or remove it "
                        f"from {SNAPSHOT_PATH}",
                    )
                )
    cycle = find_cycle({b.behavior_id: b.depends_on for b in behaviors})
    if cycle is not None:
        found.append(
            Diagnostic(
                "error",
                "dependency_cycle",
                f"behavior dependencies form a cycle: {' -> '.join(cycle)}",
                SNAPSHOT_PATH,
                0,
                "remove one depends_on link of the cycle (edit the intent file and run "
                "`tddprose deps import` again)",
            )
        )
    return found
