"""Behavior dependencies: declared in an intent file, recorded in the snapshot, used by
``ready`` to order work."""

from __future__ import annotations

import json
from pathlib import Path

from tddprose.errors import ExitCode
from tddprose.graph import find_cycle
from tddprose.snapshot import parse_snapshot
from tests.tddprose.agent_project import SNAPSHOT, make_project, run, run_json, write_intent

GOLDEN = Path(__file__).parent / "golden"


def snapshot_entry(root, behavior_id):
    return json.loads((root / SNAPSHOT).read_text())["behaviors"][behavior_id]


def test_deps_import_records_depends_on_and_related_to_sorted_in_the_snapshot(tmp_path, capsys):
    root = make_project(tmp_path)
    intent = write_intent(
        tmp_path / "intent.json",
        [
            {
                "behavior_id": "auth.logout",
                "given": "a signed-in user",
                "when": "they log out",
                "then": "the session ends",
                "depends_on": ["auth.session.token", "auth.login.valid"],
                "related_to": ["auth.session.refresh"],
            }
        ],
    )
    code, out = run_json(root, capsys, "deps", "import", str(intent))
    assert code == 0, out
    assert out["changed"] == [
        {
            "behavior_id": "auth.logout",
            "depends_on": ["auth.login.valid", "auth.session.token"],
            "related_to": ["auth.session.refresh"],
        }
    ]
    entry = snapshot_entry(root, "auth.logout")
    assert entry["depends_on"] == ["auth.login.valid", "auth.session.token"]
    assert entry["related_to"] == ["auth.session.refresh"]
    text = (root / SNAPSHOT).read_text()
    assert parse_snapshot(text, SNAPSHOT).to_text() == text  # canonical and deterministic
    assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text


def test_a_snapshot_without_dependencies_keeps_its_bytes():
    text = (GOLDEN / "mapping.snapshot.json").read_text()
    assert "depends_on" not in text
    assert parse_snapshot(text, "golden").to_text() == text


def test_recorded_dependencies_survive_sync_and_check_still_passes(tmp_path, capsys):
    root = make_project(tmp_path)
    intent = write_intent(
        tmp_path / "intent.json",
        [{"behavior_id": "auth.session.refresh", "depends_on": ["auth.login.valid"]}],
    )
    assert run(root, "deps", "import", str(intent)) == 0
    before = (root / SNAPSHOT).read_bytes()
    assert run(root, "sync", "--apply", "--no-runner") == 0
    assert (root / SNAPSHOT).read_bytes() == before
    assert run(root, "check", "--no-runner", "--quiet") == 0


def test_behaviors_json_shows_declared_dependencies(tmp_path, capsys):
    root = make_project(tmp_path)
    intent = write_intent(
        tmp_path / "intent.json",
        [
            {
                "behavior_id": "auth.session.refresh",
                "depends_on": ["auth.login.valid"],
                "related_to": ["auth.logout"],
            }
        ],
    )
    assert run(root, "deps", "import", str(intent)) == 0
    code, view = run_json(root, capsys, "behaviors", "--no-runner")
    assert code == 0
    by_id = {b["behavior_id"]: b for b in view["behaviors"]}
    assert by_id["auth.session.refresh"]["depends_on"] == ["auth.login.valid"]
    assert by_id["auth.session.refresh"]["related_to"] == ["auth.logout"]
    assert by_id["auth.logout"]["depends_on"] == [] == by_id["auth.logout"]["related_to"]


def test_a_dependency_cycle_is_bad_input_naming_the_cycle_in_order(tmp_path, capsys):
    root = make_project(tmp_path)
    before = (root / SNAPSHOT).read_bytes()
    intent = write_intent(
        tmp_path / "intent.json",
        [
            {"behavior_id": "auth.session.refresh", "depends_on": ["auth.session.token"]},
            {"behavior_id": "auth.session.token", "depends_on": ["auth.logout"]},
            {"behavior_id": "auth.logout", "depends_on": ["auth.session.refresh"]},
        ],
    )
    capsys.readouterr()
    assert run(root, "deps", "import", str(intent)) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "auth.logout -> auth.session.refresh -> auth.session.token -> auth.logout" in err
    assert (root / SNAPSHOT).read_bytes() == before  # nothing written


def test_a_behavior_depending_on_itself_is_a_cycle(tmp_path, capsys):
    root = make_project(tmp_path)
    intent = write_intent(
        tmp_path / "intent.json",
        [{"behavior_id": "auth.logout", "depends_on": ["auth.logout"]}],
    )
    code, out = run_json(root, capsys, "deps", "import", str(intent))
    assert code == ExitCode.BAD_INPUT
    assert "auth.logout -> auth.logout" in out["error"]
    assert out["fix"] == "remove one depends_on link of the cycle"


def test_unknown_ids_in_the_intent_are_reported_with_the_fix(tmp_path, capsys):
    root = make_project(tmp_path)
    before = (root / SNAPSHOT).read_bytes()
    intent = write_intent(
        tmp_path / "intent.json",
        [
            {"behavior_id": "auth.logout", "depends_on": ["auth.login.vaild"]},
            {"behavior_id": "billing.refund", "depends_on": []},
        ],
    )
    code, out = run_json(root, capsys, "deps", "import", str(intent))
    assert code == ExitCode.BAD_INPUT
    assert out["ok"] is False
    assert "auth.login.vaild (did you mean auth.login.valid?), billing.refund" in out["error"]
    assert "tddprose sync --apply" in out["fix"] and "@tdd-prose:behavior" in out["fix"]
    assert (root / SNAPSHOT).read_bytes() == before


def test_an_absent_key_keeps_recorded_links_and_an_empty_list_clears_them(tmp_path, capsys):
    root = make_project(tmp_path)
    first = write_intent(
        tmp_path / "one.json",
        [
            {
                "behavior_id": "auth.logout",
                "depends_on": ["auth.login.valid"],
                "related_to": ["auth.session.refresh"],
            }
        ],
    )
    assert run(root, "deps", "import", str(first)) == 0
    second = write_intent(tmp_path / "two.json", [{"behavior_id": "auth.logout", "related_to": []}])
    assert run(root, "deps", "import", str(second)) == 0
    entry = snapshot_entry(root, "auth.logout")
    assert entry["depends_on"] == ["auth.login.valid"]
    assert "related_to" not in entry  # empty lists are not written


def test_an_intent_file_that_is_not_json_is_bad_input_naming_the_line(tmp_path, capsys):
    root = make_project(tmp_path)
    intent = tmp_path / "intent.json"
    intent.write_text('{"behaviors": [\n  {"behavior_id": }\n]}')
    code, out = run_json(root, capsys, "deps", "import", str(intent))
    assert code == ExitCode.BAD_INPUT
    assert "not valid JSON (line 2" in out["error"]
    assert "Behavior Intent" in out["fix"]


def test_deps_import_dry_run_writes_nothing(tmp_path, capsys):
    root = make_project(tmp_path)
    before = (root / SNAPSHOT).read_bytes()
    intent = write_intent(
        tmp_path / "intent.json",
        [{"behavior_id": "auth.logout", "depends_on": ["auth.login.valid"]}],
    )
    code, out = run_json(root, capsys, "deps", "import", str(intent), "--dry-run")
    assert code == 0 and out["written"] is False and len(out["changed"]) == 1
    assert (root / SNAPSHOT).read_bytes() == before


def test_find_cycle_follows_the_edges_from_the_smallest_id():
    assert find_cycle({"c": ("a",), "a": ("b",), "b": ("c",)}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": ("y",), "y": ("z",), "z": ("y",)}) == ["y", "z", "y"]
    assert find_cycle({"a": ("b", "c"), "b": ("c",), "c": ("missing",)}) is None
    assert find_cycle({}) is None


def test_a_hand_edited_cycle_in_the_snapshot_fails_check(tmp_path, capsys):
    root = make_project(tmp_path)
    data = json.loads((root / SNAPSHOT).read_text())
    data["behaviors"]["auth.logout"]["depends_on"] = ["auth.session.refresh"]
    data["behaviors"]["auth.session.refresh"]["depends_on"] = ["auth.logout"]
    data["behaviors"]["auth.login.valid"]["depends_on"] = ["auth.gone"]
    (root / SNAPSHOT).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    capsys.readouterr()
    assert run(root, "check", "--no-runner", "--quiet") == 1
    out = capsys.readouterr().out
    assert "cycle: auth.logout -> auth.session.refresh -> auth.logout" in out
    assert "auth.login.valid depends on auth.gone, which is not in the ledger" in out


def test_forgetting_a_behavior_drops_the_dependencies_on_it(tmp_path, capsys):
    root = make_project(tmp_path)
    intent = write_intent(
        tmp_path / "intent.json",
        [{"behavior_id": "auth.logout", "depends_on": ["auth.session.token", "auth.login.valid"]}],
    )
    assert run(root, "deps", "import", str(intent)) == 0
    source = root / "tests/auth/test_login.py"
    source.write_text(source.read_text().replace("def test_token", "def _token"))
    assert run(root, "sync", "--apply", "--no-runner") == 0
    assert run(root, "forget", "--no-runner", "auth.session.token") == 0
    assert snapshot_entry(root, "auth.logout")["depends_on"] == ["auth.login.valid"]
    assert run(root, "sync", "--apply", "--no-runner") == 0
    assert run(root, "check", "--no-runner", "--quiet") == 0


# --- ready -----------------------------------------------------------------------------


def declare(root, tmp_path, behaviors):
    assert run(root, "deps", "import", str(write_intent(tmp_path / "deps.json", behaviors))) == 0


def ready_ids(root, capsys, *extra):
    code, view = run_json(root, capsys, "ready", "--no-runner", *extra)
    assert code == 0
    ready = [b["behavior_id"] for b in view["behaviors"]]
    blocked = {b["behavior_id"]: b["waiting_on"] for b in view["blocked"]}
    return ready, blocked, view


def test_ready_lists_only_gaps_whose_prerequisites_are_satisfied(tmp_path, capsys):
    root = make_project(tmp_path)
    declare(
        root,
        tmp_path,
        [
            {"behavior_id": "auth.session.refresh", "depends_on": ["auth.login.valid"]},
            {"behavior_id": "auth.logout", "depends_on": ["auth.session.token"]},
        ],
    )
    ready, blocked, view = ready_ids(root, capsys)
    # refresh waits on an ok behavior with active evidence; token has no prerequisite.
    assert ready == ["auth.session.refresh", "auth.session.token"]
    assert blocked == {
        "auth.logout": [
            {"behavior_id": "auth.session.token", "reason": "no active test evidences it"}
        ]
    }
    assert view["overlay"] is None
    assert all(b["waiting_on"] == [] for b in view["behaviors"])


def test_without_dependencies_every_gap_is_ready(tmp_path, capsys):
    root = make_project(tmp_path)
    ready, blocked, _ = ready_ids(root, capsys)
    assert ready == ["auth.logout", "auth.session.refresh", "auth.session.token"]
    assert blocked == {}


def test_an_orphaned_prerequisite_blocks_its_dependents(tmp_path, capsys):
    root = make_project(tmp_path)
    declare(root, tmp_path, [{"behavior_id": "auth.logout", "depends_on": ["auth.login.valid"]}])
    source = root / "tests/auth/test_login.py"
    source.write_text(source.read_text().replace("def test_valid_login", "def _valid_login"))
    assert run(root, "sync", "--apply", "--no-runner") == 0
    ready, blocked, _ = ready_ids(root, capsys)
    assert "auth.login.valid" in ready  # the orphan itself is a gap, and ready
    assert blocked == {
        "auth.logout": [{"behavior_id": "auth.login.valid", "reason": "its status is orphaned"}]
    }


JUNIT = (
    '<testsuites><testsuite name="pytest" tests="2">'
    '<testcase classname="tests.auth.test_login" name="test_valid_login">'
    '<failure message="assert False">boom</failure></testcase>'
    '<testcase classname="tests.auth.test_login" name="test_refresh"/>'
    "</testsuite></testsuites>"
)


def test_a_prerequisite_whose_evidence_failed_in_the_run_overlay_is_not_satisfied(tmp_path, capsys):
    root = make_project(tmp_path)
    declare(
        root,
        tmp_path,
        [{"behavior_id": "auth.session.refresh", "depends_on": ["auth.login.valid"]}],
    )
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    assert run(root, "report", "--no-runner", "--from", str(junit)) == 0
    ready, blocked, view = ready_ids(root, capsys)
    assert view["overlay"] == ".tdd-prose/reports/tdd-prose.report.json"
    assert "auth.login.valid" in ready  # its failing tests are a gap of their own
    (failing,) = [b for b in view["behaviors"] if b["behavior_id"] == "auth.login.valid"]
    assert failing["action"].startswith("make its failing tests pass")
    assert blocked == {
        "auth.session.refresh": [
            {"behavior_id": "auth.login.valid", "reason": "its evidence failed in the last run"}
        ]
    }
    ready, blocked, view = ready_ids(root, capsys, "--no-overlay")
    assert view["overlay"] is None and "auth.session.refresh" in ready and not blocked
