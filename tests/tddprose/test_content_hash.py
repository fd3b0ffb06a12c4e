"""content_hash: each behavior's content-addressed fingerprint (block, title, evidence
test ids, eligibility), in the graph, the snapshot's view of it and the JSON outputs."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from tddprose.model import (
    BEHAVIOR,
    INTERNAL,
    NEEDS_REVIEW,
    Behavior,
    Evidence,
    compute_content_hash,
)
from tddprose.snapshot import Snapshot, snapshot_from_graph
from tests.tddprose.agent_project import make_project, run_json, write_intent


def behavior(**changes) -> Behavior:
    base = Behavior(
        behavior_id="auth.login.valid",
        block_id="auth.login",
        title="A user with the right password gets a session.",
        evidence=(
            Evidence("test:pytest:auth/test_login:test_b", "tests/auth/test_login.py::test_b", 0.5),
            Evidence("test:pytest:auth/test_login:test_a", "tests/auth/test_login.py::test_a", 0.5),
        ),
        fingerprint="sha256:1234",
        eligibility=BEHAVIOR,
        confidence=1.0,
        status="ok",
    )
    return replace(base, **changes)


def test_content_hash_is_sha256_over_netstrings_of_block_title_sorted_test_ids_and_eligibility():
    def ns(data: bytes) -> bytes:
        return b"%d:%s," % (len(data), data)

    ids = ns(b"test:pytest:auth/test_login:test_a") + ns(b"test:pytest:auth/test_login:test_b")
    payload = (
        ns(b"auth.login")
        + ns(b"A user with the right password gets a session.")
        + ns(ids)
        + ns(b"behavior")
    )
    assert behavior().content_hash == "sha256:" + hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize(
    "changes",
    [
        {"block_id": "auth.session"},
        {"title": "A user with the right password gets a session!"},
        {"eligibility": INTERNAL},
        {"evidence": (Evidence("test:pytest:auth/test_login:test_a", "x", 1.0),)},
        {"evidence": (Evidence("test:pytest:auth/test_login:test_c", "x", 1.0),) * 2},
    ],
    ids=["block", "title", "eligibility", "evidence removed", "evidence replaced"],
)
def test_content_hash_changes_when_one_of_its_inputs_changes(changes):
    assert behavior(**changes).content_hash != behavior().content_hash


@pytest.mark.parametrize(
    "changes",
    [
        {"behavior_id": "auth.login.other"},
        {"fingerprint": "sha256:5678"},
        {"confidence": 0.5},
        {"status": NEEDS_REVIEW, "reasons": ("ambiguous",)},
        {"provenance": "human_approved"},
        {"weak_evidence": True},
        {"depends_on": ("auth.x",), "related_to": ("auth.y",)},
        {"evidence": tuple(reversed(behavior().evidence))},
        {
            "evidence": tuple(
                Evidence(e.test_id, e.nodeid + "[1]", 0.25, False, "1") for e in behavior().evidence
            )
        },
    ],
    ids=[
        "id",
        "fingerprint",
        "confidence",
        "status",
        "provenance",
        "weak",
        "dependencies",
        "evidence order",
        "cases, weights and activity",
    ],
)
def test_content_hash_stays_when_anything_else_changes(changes):
    assert behavior(**changes).content_hash == behavior().content_hash


def test_the_encoding_is_unambiguous_where_plain_concatenation_is_not():
    assert compute_content_hash("a", "bc", [], BEHAVIOR) != compute_content_hash(
        "ab", "c", [], BEHAVIOR
    )
    assert compute_content_hash("a", "b", ["x,y"], BEHAVIOR) != compute_content_hash(
        "a", "b", ["x", "y"], BEHAVIOR
    )
    assert compute_content_hash("a", "b", ["1:x,"], BEHAVIOR) != compute_content_hash(
        "a", "b", ["x"], "1:x,"
    )


def test_duplicate_evidence_ids_count_once():
    assert compute_content_hash("a", "b", ["t", "t", "u"], BEHAVIOR) == compute_content_hash(
        "a", "b", ["u", "t"], BEHAVIOR
    )


def test_the_snapshot_entry_gives_the_same_content_hash_as_the_graph_behavior():
    from tddprose.model import BehaviorGraph

    graph = BehaviorGraph((behavior(), behavior(behavior_id="b", evidence=())))
    snapshot = snapshot_from_graph(graph, Snapshot())
    for b in graph.behaviors:
        assert snapshot.behaviors[b.behavior_id].content_hash == b.content_hash


def test_behaviors_and_ready_json_carry_each_behaviors_content_hash(tmp_path, capsys):
    root = make_project(tmp_path)
    code, view = run_json(root, capsys, "behaviors", "--no-runner")
    assert code == 0
    hashes = {b["behavior_id"]: b["content_hash"] for b in view["behaviors"]}
    assert len(set(hashes.values())) == 4
    assert all(h.startswith("sha256:") and len(h) == 71 for h in hashes.values())
    _, again = run_json(root, capsys, "behaviors", "--no-runner")
    assert {b["behavior_id"]: b["content_hash"] for b in again["behaviors"]} == hashes
    _, ready = run_json(root, capsys, "ready", "--no-runner")
    assert ready["behaviors"]
    for b in ready["behaviors"]:
        assert b["content_hash"] == hashes[b["behavior_id"]]


def test_content_hash_in_json_changes_only_for_the_behavior_whose_title_changed(tmp_path, capsys):
    root = make_project(tmp_path)
    _, before = run_json(root, capsys, "behaviors", "--no-runner")
    source = root / "tests/auth/test_login.py"
    source.write_text(source.read_text().replace("Logging out ends", "Logging out closes"))
    _, after = run_json(root, capsys, "behaviors", "--no-runner")
    old = {b["behavior_id"]: b["content_hash"] for b in before["behaviors"]}
    new = {b["behavior_id"]: b["content_hash"] for b in after["behaviors"]}
    assert [k for k in old if old[k] != new[k]] == ["auth.logout"]
    # Declaring dependencies is not content: no hash moves.
    intent = write_intent(
        tmp_path / "i.json", [{"behavior_id": "auth.logout", "depends_on": ["auth.login.valid"]}]
    )
    assert run_json(root, capsys, "deps", "import", str(intent))[0] == 0
    _, declared = run_json(root, capsys, "behaviors", "--no-runner")
    assert {b["behavior_id"]: b["content_hash"] for b in declared["behaviors"]} == new


def test_diff_json_names_the_content_hash_of_each_changed_behavior(tmp_path, capsys):
    root = make_project(tmp_path)
    with open(root / "tests/auth/test_login.py", "a") as handle:
        handle.write("\n\ndef test_remember_me():\n    assert 1\n")
    code, diff = run_json(root, capsys, "diff", "--no-runner")
    assert code == 0
    (added,) = diff["added"]
    _, view = run_json(root, capsys, "behaviors", "--no-runner")
    hashes = {b["behavior_id"]: b["content_hash"] for b in view["behaviors"]}
    assert added["content_hash"] == hashes[added["behavior_id"]]
