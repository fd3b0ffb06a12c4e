"""BehaviorGraph: identity, blocks, eligibility, weights, statuses, the snapshot."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

from tddprose.adapters.pytest_static import parse_test_file
from tddprose.config import parse_config
from tddprose.graph import build_graph
from tddprose.model import BEHAVIOR, EXCLUDED, INTERNAL, NEEDS_REVIEW, OK, ORPHANED
from tddprose.snapshot import Snapshot, parse_snapshot, snapshot_from_graph

CONFIG = parse_config(
    """
spec_output: spec/
test_globs: ["tests/**/*.py"]
frameworks: [{name: pytest, collect_cmd: "python -m pytest --collect-only -q"}]
""",
    Path("config.yml"),
)


def collect_tests(files: dict[str, str]):
    found = []
    for path, source in files.items():
        found.extend(parse_test_file(path, textwrap.dedent(source).encode(), "tests").tests)
    return found


def graph(files, snapshot=None, config=CONFIG, **options):
    return build_graph(collect_tests(files), snapshot or Snapshot(), config, **options)


def test_heuristic_ids_and_blocks_come_from_the_suite_path_and_name():
    built = graph({"tests/auth/test_login.py": "def test_rejects_invalid_password(): assert 1\n"})
    (behavior,) = built.behaviors
    assert behavior.behavior_id == "auth.login.rejects_invalid_password"
    assert behavior.block_id == "auth"
    assert behavior.title == "Rejects invalid password"
    assert (behavior.status, behavior.eligibility, behavior.confidence) == (OK, BEHAVIOR, 0.85)


ANCHOR = "# @tdd-prose:behavior auth.login.invalid\n"


def test_an_anchor_wins_and_renaming_an_anchored_test_keeps_its_id():
    before = graph({"tests/auth/test_login.py": ANCHOR + "def test_a(): pass\n"})
    after = graph(
        {"tests/auth/test_login.py": ANCHOR + "def test_b(): pass\n"},
        snapshot_from_graph(before, Snapshot()),
    )
    assert [b.behavior_id for b in before.behaviors] == ["auth.login.invalid"]
    assert [b.behavior_id for b in after.behaviors] == ["auth.login.invalid"]
    assert after.behaviors[0].confidence == 1.0
    assert after.behaviors[0].status == OK


def test_a_deleted_test_leaves_its_behavior_orphaned_never_removed():
    first = graph({"tests/auth/test_login.py": "def test_a(): pass\ndef test_b(): pass\n"})
    snapshot = snapshot_from_graph(first, Snapshot())
    second = graph({"tests/auth/test_login.py": "def test_a(): pass\n"}, snapshot)
    statuses = {b.behavior_id: b.status for b in second.behaviors}
    assert statuses == {"auth.login.a": OK, "auth.login.b": ORPHANED}
    again = snapshot_from_graph(second, snapshot)
    assert again.behaviors["auth.login.b"].evidence == ()
    assert "auth.login.b" in again.behaviors


def test_the_snapshot_binding_keeps_an_id_through_an_approved_alias():
    first = graph({"tests/auth/test_login.py": "def test_old_name(): pass\n"})
    snapshot = snapshot_from_graph(first, Snapshot())
    aliased = replace(
        snapshot,
        aliases={
            "test:pytest:auth/test_login:test_old_name": "test:pytest:auth/test_login:test_new_name"
        },
    )
    second = graph({"tests/auth/test_login.py": "def test_new_name(): pass\n"}, aliased)
    assert [(b.behavior_id, b.status) for b in second.behaviors] == [("auth.login.old_name", OK)]
    assert second.behaviors[0].confidence == 0.95


def test_an_ambiguous_heuristic_mints_a_new_id_marked_needs_review():
    built = graph(
        {
            "tests/auth/test_login.py": "def test_same(): pass\n",
            "tests/auth/login_test.py": "def test_same(): pass\n",
        }
    )
    ids = sorted(b.behavior_id for b in built.behaviors)
    assert len(ids) == 2 and all(i.startswith("auth.login.same~") for i in ids)
    assert {b.status for b in built.behaviors} == {NEEDS_REVIEW}
    assert all(b.confidence == 0.5 for b in built.behaviors)


def test_parametrize_cases_share_the_weight_and_skips_do_not_count():
    built = graph(
        {
            "tests/math/test_add.py": """
            import pytest

            @pytest.mark.parametrize("x", [1, 2, 3, 4])
            def test_add(x):
                assert x

            @pytest.mark.skip
            def test_later():
                assert True
            """
        }
    )
    by_id = built.by_id()
    assert [e.weight for e in by_id["math.add.add"].evidence] == [0.25] * 4
    assert by_id["math.add.add"].weak_evidence is False
    later = by_id["math.add.later"]
    assert [e.active for e in later.evidence] == [False]
    assert later.weak_evidence is True


def test_multiple_anchors_share_evidence_and_are_an_error_unless_allowed():
    source = (
        "# @tdd-prose:behavior auth.a\n# @tdd-prose:behavior auth.b\ndef test_both(): assert 1\n"
    )
    strict = graph({"tests/auth/test_x.py": source})
    assert {b.status for b in strict.behaviors} == {NEEDS_REVIEW}
    assert [d.code for d in strict.diagnostics] == ["multiple_anchors"]
    relaxed = graph(
        {"tests/auth/test_x.py": source}, config=replace(CONFIG, allow_multiple_anchors=True)
    )
    assert {(b.behavior_id, b.evidence[0].weight, b.status) for b in relaxed.behaviors} == {
        ("auth.a", 0.5, OK),
        ("auth.b", 0.5, OK),
    }


def test_one_anchor_claimed_from_two_blocks_is_an_anchor_collision():
    built = graph(
        {
            "tests/auth/test_x.py": "# @tdd-prose:behavior shared.id\ndef test_a(): pass\n",
            "tests/billing/test_y.py": "# @tdd-prose:behavior shared.id\ndef test_b(): pass\n",
        }
    )
    (behavior,) = built.behaviors
    assert behavior.status == NEEDS_REVIEW
    assert [d.code for d in built.diagnostics] == ["anchor_collision"]


def test_snapshot_perf_and_fuzz_tests_are_internal_unless_anchored():
    built = graph(
        {
            "tests/ui/test_login_snapshot.py": "def test_renders(): pass\n",
            "tests/core/test_speed.py": "def test_fast(benchmark): pass\n",
            "tests/core/test_props.py": (
                "from hypothesis import given\n@given(x)\ndef test_prop(x): pass\n"
                "# @tdd-prose:behavior core.props.anchored\n@given(x)\ndef test_kept(x): pass\n"
            ),
        }
    )
    eligibility = {b.behavior_id: (b.eligibility, b.status) for b in built.behaviors}
    assert eligibility == {
        "ui.login_snapshot.renders": (INTERNAL, EXCLUDED),
        "core.speed.fast": (INTERNAL, EXCLUDED),
        "core.props.prop": (INTERNAL, EXCLUDED),
        "core.props.anchored": (BEHAVIOR, OK),
    }


def test_duplicate_test_ids_fail_unless_anchored():
    built = graph({"tests/auth/test_x.py": "def test_a(): pass\ndef test_a(): pass\n"})
    assert [d.code for d in built.diagnostics] == ["duplicate_test_id"]


def test_block_rules_overrides_and_templates():
    config = replace(
        CONFIG,
        block_default="{suite_path.0}.{suite_path.1}",
        block_overrides={"auth/test_login": "auth.login_flow"},
    )
    built = graph(
        {
            "tests/auth/test_login.py": "def test_a(): pass\n",
            "tests/auth/test_logout.py": "def test_b(): pass\n",
            "tests/test_top.py": "def test_c(): pass\n",
        },
        config=config,
    )
    assert {b.behavior_id: b.block_id for b in built.behaviors} == {
        "auth.login.a": "auth.login_flow",
        "auth.logout.b": "auth.logout",
        "top.c": "top",
    }


def test_a_parse_error_keeps_last_known_behaviors_instead_of_orphaning_them():
    first = graph({"tests/auth/test_login.py": "def test_a(): pass\n"})
    snapshot = snapshot_from_graph(first, Snapshot())
    second = build_graph([], snapshot, CONFIG, kept_prefixes=("test:pytest:auth/test_login:",))
    (behavior,) = second.behaviors
    assert behavior.status == NEEDS_REVIEW
    assert "does not parse" in behavior.reasons[0]


def test_the_snapshot_text_is_stable_and_round_trips():
    built = graph(
        {"tests/b/test_x.py": "def test_z(): pass\n", "tests/a/test_y.py": "def test_y(): pass\n"}
    )
    text = snapshot_from_graph(built, Snapshot()).to_text()
    assert text == snapshot_from_graph(built, Snapshot()).to_text()
    assert parse_snapshot(text, "snap").to_text() == text
    assert text.endswith("}\n") and text.index('"a.y.y"') < text.index('"b.x.z"')


def test_the_same_tests_in_any_order_give_the_same_graph():
    files = {f"tests/d{i}/test_m.py": f"def test_t{i}(): assert {i}\n" for i in range(5)}
    forward = build_graph(collect_tests(files), Snapshot(), CONFIG)
    backward = build_graph(list(reversed(collect_tests(files))), Snapshot(), CONFIG)
    assert forward.behaviors == backward.behaviors


def test_the_snapshot_writer_gives_the_bytes_of_canonical_json():
    import json

    from tddprose.snapshot import SnapshotBehavior

    snapshot = Snapshot(
        {
            "b.x": SnapshotBehavior("b.x", 'Quote " é\n', "b", BEHAVIOR, ("t2", "t1"), "f1"),
            "a": SnapshotBehavior("a", "A", "a", INTERNAL, (), "f2", "human_approved"),
        },
        {"old": "new"},
    )
    canonical = {
        "version": 1,
        "aliases": {"old": "new"},
        "behaviors": {
            b.behavior_id: {
                "block_id": b.block_id,
                "eligibility": b.eligibility,
                "evidence": sorted(b.evidence),
                "fingerprint": b.fingerprint,
                "provenance": b.provenance,
                "title": b.title,
            }
            for b in snapshot.behaviors.values()
        },
    }
    expected = json.dumps(canonical, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert snapshot.to_text() == expected
    empty = {"aliases": {}, "behaviors": {}, "version": 1}
    assert Snapshot().to_text() == json.dumps(empty, indent=2) + "\n"


def test_a_graph_rebuilt_from_its_own_snapshot_keeps_every_status_and_reason():
    tests = collect_tests(
        {
            "tests/auth/test_login.py": "def test_same(): pass\n",
            "tests/auth/login_test.py": "def test_same(): pass\n",
            "tests/auth/test_other.py": "def test_plain(): assert 1\n",
        }
    )
    generated = replace(
        tests[-1], name="test_generated", test_id="test:pytest:gen", source="runner"
    )
    tests = [*tests[:-1], replace(tests[-1], source="both"), generated]
    first = build_graph(tests, Snapshot(), CONFIG, runner_used=True)
    second = build_graph(tests, snapshot_from_graph(first, Snapshot()), CONFIG, runner_used=True)

    def summary(built):
        return [(b.behavior_id, b.title, b.status, b.reasons) for b in built.behaviors]

    assert summary(second) == summary(first)
    assert [b.confidence for b in second.behaviors if "~" in b.behavior_id] == [0.5] * 3
    statuses = {b.behavior_id.split("~")[0]: b.status for b in first.behaviors}
    assert statuses == {
        "auth.login.same": NEEDS_REVIEW,
        "auth.other.generated": NEEDS_REVIEW,
        "auth.other.plain": OK,
    }


def test_approving_a_minted_behavior_in_the_snapshot_makes_it_ok():
    files = {
        "tests/auth/test_login.py": "def test_same(): assert 1\n",
        "tests/auth/login_test.py": "def test_same(): assert 1\n",
    }
    first = graph(files)
    snapshot = snapshot_from_graph(first, Snapshot())
    approved = replace(
        snapshot,
        behaviors={
            k: replace(v, provenance="human_approved") for k, v in snapshot.behaviors.items()
        },
    )
    second = graph(files, approved)
    assert {b.status for b in second.behaviors} == {OK}


def test_a_minted_id_stays_and_turns_ok_once_nothing_else_claims_its_inferred_id():
    both = {
        "tests/auth/test_login.py": "def test_same(): assert 1\n",
        "tests/auth/login_test.py": "def test_same(): assert 1\n",
    }
    first = graph(both)
    snapshot = snapshot_from_graph(first, Snapshot())
    alone = graph({"tests/auth/test_login.py": "def test_same(): assert 1\n"}, snapshot)
    kept = [b for b in alone.behaviors if b.evidence]
    assert len(kept) == 1 and kept[0].behavior_id.startswith("auth.login.same~")
    assert kept[0].status == OK and kept[0].confidence == 0.95
