"""Gap-aware planning and anchored RED tests: ``tddprose plan`` classifies each intent
against the ledger, ``tddprose write --apply`` writes the uncovered ones as failing tests
that land in the ledger under their intended ids."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tddprose.cli import main
from tests._support import tddprose_project
from tests._support.tddprose_project import PYTEST_CONFIG

CONFIG = PYTEST_CONFIG
ROOT_CONFTEST = """\
import pytest


@pytest.fixture
def user():
    return {"name": "alice", "password": "right"}


@pytest.fixture(name="clock")
def _clock():
    return 0


def helper():
    return 1
"""
AUTH_CONFTEST = """\
import pytest


@pytest.fixture
def login_form():
    return {}
"""
LOGIN = '''\
import pytest


def login(user, password):
    return {"session": user} if password == "right" else None


# @tdd-prose:behavior auth.login.valid_credentials
def test_valid_credentials_create_a_session(user):
    """A user with the right password gets a session."""
    assert login(user, "right") is not None


# @tdd-prose:behavior auth.login.remember_me
def test_remember_me():
    """Remember me keeps the session for thirty days."""
    login("alice", "right")
'''
INVOICES = '''\
# @tdd-prose:behavior billing.invoices.total
def test_invoices_total_their_lines():
    """An invoice totals its lines."""
    assert sum([1, 2]) == 3
'''
FILES = {
    "pytest.ini": "[pytest]\n",
    "tests/conftest.py": ROOT_CONFTEST,
    "tests/auth/conftest.py": AUTH_CONFTEST,
    "tests/auth/test_login.py": LOGIN,
    "tests/billing/test_invoices.py": INVOICES,
}
INVALID = {
    "behavior_id": "auth.login.invalid_credentials",
    "given": "a user provides an incorrect password",
    "when": "they submit the login form",
    "then": "the system responds with a generic invalid-credentials error",
}
LOCKOUT = {
    "behavior_id": "auth.login.lockout",
    "given": "five wrong passwords in a row",
    "when": "a sixth attempt is made",
    "then": "the account is locked for fifteen minutes",
    "depends_on": ["auth.login.invalid_credentials"],
}


def gwt(behavior_id: str, then: str = "it works") -> dict:
    return {"behavior_id": behavior_id, "given": "a state", "when": "an event", "then": then}


def make_repo(root: Path, files=FILES) -> Path:
    return tddprose_project.make_repo(root, files)


def write_intent(root: Path, domain: str, *behaviors: dict, name="intent.json") -> Path:
    path = root / name
    path.write_text(json.dumps({"domain": domain, "behaviors": list(behaviors)}, indent=2))
    return path


def run(root: Path, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", str(root), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def plan(root: Path, capsys, path: Path) -> dict:
    code, out, err = run(root, capsys, "plan", str(path), "--json", "--no-runner")
    assert code == 0, err
    return json.loads(out)


def items(view: dict) -> dict[str, dict]:
    return {item["behavior_id"]: item for item in view["intents"]}


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".tdd-prose" not in p.parts
    }


# --- plan ------------------------------------------------------------------------------


def test_plan_classifies_each_intent_as_covered_partially_covered_uncovered_or_conflicting(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    path = write_intent(
        root,
        "auth.login",
        gwt("auth.login.valid_credentials"),
        gwt("auth.login.remember_me"),
        INVALID,
        gwt("billing.invoices.total"),
    )
    view = items(plan(root, capsys, path))
    assert {k: v["classification"] for k, v in view.items()} == {
        "auth.login.valid_credentials": "covered",
        "auth.login.remember_me": "partially_covered",
        "auth.login.invalid_credentials": "uncovered",
        "billing.invoices.total": "conflicting",
    }
    assert "weak evidence" in view["auth.login.remember_me"]["reason"]
    assert "billing" in view["billing.invoices.total"]["reason"]
    assert view["auth.login.valid_credentials"]["evidence"] == [
        "tests/auth/test_login.py::test_valid_credentials_create_a_session"
    ]
    assert view["auth.login.invalid_credentials"]["test_plan"] is not None
    assert all(
        view[k]["test_plan"] is None
        for k in ("auth.login.valid_credentials", "billing.invoices.total")
    )


def test_plan_summary_counts_each_classification(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.login", gwt("auth.login.valid_credentials"), INVALID, LOCKOUT)
    view = plan(root, capsys, path)
    assert view["summary"] == {
        "conflicting": 0,
        "covered": 1,
        "partially_covered": 0,
        "uncovered": 2,
    }
    assert [i["behavior_id"] for i in view["intents"]] == [
        "auth.login.valid_credentials",
        "auth.login.invalid_credentials",
        "auth.login.lockout",
    ]
    assert items(view)["auth.login.lockout"]["depends_on"] == ["auth.login.invalid_credentials"]


def test_plan_targets_the_file_where_the_domains_tests_already_live(tmp_path, capsys):
    root = make_repo(tmp_path)
    test_plan = items(plan(root, capsys, write_intent(root, "auth.login", INVALID)))[
        "auth.login.invalid_credentials"
    ]["test_plan"]
    assert test_plan["target_file"] == "tests/auth/test_login.py"
    assert test_plan["target_exists"] is True
    assert test_plan["test_name"] == "test_invalid_credentials"
    assert test_plan["anchor"] == "# @tdd-prose:behavior auth.login.invalid_credentials"


def test_plan_targets_a_new_file_beside_the_nearest_domain_when_only_a_parent_matches(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    view = plan(root, capsys, write_intent(root, "auth.signup", gwt("auth.signup.welcome_mail")))
    test_plan = items(view)["auth.signup.welcome_mail"]["test_plan"]
    assert test_plan["target_file"] == "tests/auth/test_signup.py"
    assert test_plan["target_exists"] is False


def test_plan_falls_back_to_a_test_file_named_after_the_domain_under_the_test_root(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    view = plan(root, capsys, write_intent(root, "search.query", gwt("search.query.empty")))
    assert items(view)["search.query.empty"]["test_plan"]["target_file"] == "tests/test_query.py"
    # a basename already used elsewhere would clash in pytest's default import mode
    view = plan(root, capsys, write_intent(root, "search.login", gwt("search.login.sso")))
    assert items(view)["search.login.sso"]["test_plan"]["target_file"] == (
        "tests/test_search_login.py"
    )


def test_plan_lists_conftest_fixtures_on_the_target_path_and_suggests_those_the_intent_mentions(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    (root / "tests/billing/conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef invoice():\n    return []\n"
    )
    test_plan = items(plan(root, capsys, write_intent(root, "auth.login", INVALID)))[
        "auth.login.invalid_credentials"
    ]["test_plan"]
    assert test_plan["fixtures"] == [
        {"defined_in": "tests/conftest.py", "name": "clock", "suggested": False},
        {"defined_in": "tests/auth/conftest.py", "name": "login_form", "suggested": True},
        {"defined_in": "tests/conftest.py", "name": "user", "suggested": True},
    ]


def test_plan_output_is_byte_identical_across_runs_and_names_no_machine_path(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.login", INVALID, LOCKOUT, gwt("billing.invoices.total"))
    first = run(root, capsys, "plan", str(path), "--json", "--no-runner")[1]
    second = run(root, capsys, "plan", str(path), "--json", "--no-runner")[1]
    assert first == second
    assert str(tmp_path) not in first
    text = run(root, capsys, "plan", str(path), "--no-runner")[1]
    assert "uncovered auth.login.invalid_credentials" in text
    assert "conflicting billing.invoices.total" in text


def test_plan_of_an_invalid_intent_is_bad_input(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.login", {"behavior_id": "auth.login.x"})
    code, out, _ = run(root, capsys, "plan", str(path), "--no-runner")
    assert code == 2
    assert "$.behaviors[0]" in out


# --- write -----------------------------------------------------------------------------


def test_write_without_apply_previews_the_tests_and_writes_nothing(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.login", INVALID, gwt("auth.signup.welcome_mail"))
    before = tree(root)
    code, out, _ = run(root, capsys, "write", str(path), "--no-runner")
    assert code == 0
    assert tree(root) == before
    assert "--- a/tests/auth/test_login.py\n+++ b/tests/auth/test_login.py" in out
    assert "--- /dev/null\n+++ b/tests/auth/test_signup.py" in out
    assert "+# @tdd-prose:behavior auth.login.invalid_credentials" in out
    assert "run with --apply" in out


def test_write_apply_appends_anchored_red_tests_and_leaves_existing_tests_byte_for_byte(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.login", INVALID, LOCKOUT)
    code, out, _ = run(root, capsys, "write", str(path), "--apply", "--no-runner")
    assert code == 0
    text = (root / "tests/auth/test_login.py").read_text()
    assert text.startswith(LOGIN)
    added = text[len(LOGIN) :]
    assert added == (
        "\n"
        "\n"
        "# @tdd-prose:behavior auth.login.invalid_credentials\n"
        "def test_invalid_credentials():\n"
        '    """Given a user provides an incorrect password, when they submit the login form,\n'
        "    then the system responds with a generic invalid-credentials error.\n"
        '    """\n'
        "    pytest.fail(\n"
        '        "not implemented yet: the system responds with a generic "\n'
        '        "invalid-credentials error"\n'
        "    )\n"
        "\n"
        "\n"
        "# @tdd-prose:behavior auth.login.lockout\n"
        "def test_lockout():\n"
        '    """Given five wrong passwords in a row, when a sixth attempt is made, then the\n'
        "    account is locked for fifteen minutes.\n"
        '    """\n'
        '    pytest.fail("not implemented yet: the account is locked for fifteen minutes")\n'
    )
    assert "wrote tests/auth/test_login.py (2 tests)" in out
    assert "next: tddprose sync --apply" in out


def test_write_creates_the_target_file_with_an_import_when_it_does_not_exist(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.signup", gwt("auth.signup.welcome_mail", "a mail is sent"))
    assert run(root, capsys, "write", str(path), "--apply", "--no-runner")[0] == 0
    assert (root / "tests/auth/test_signup.py").read_text() == (
        '"""Tests written by `tddprose write` from a behavior intent (auth.signup)."""\n'
        "\n"
        "import pytest\n"
        "\n"
        "\n"
        "# @tdd-prose:behavior auth.signup.welcome_mail\n"
        "def test_welcome_mail():\n"
        '    """Given a state, when an event, then a mail is sent."""\n'
        '    pytest.fail("not implemented yet: a mail is sent")\n'
    )


def test_write_imports_pytest_inside_the_test_when_the_target_module_does_not(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "billing.invoices", gwt("billing.invoices.rounding", "it rounds"))
    assert run(root, capsys, "write", str(path), "--apply", "--no-runner")[0] == 0
    text = (root / "tests/billing/test_invoices.py").read_text()
    assert text.startswith(INVOICES)
    assert text[len(INVOICES) :] == (
        "\n"
        "\n"
        "# @tdd-prose:behavior billing.invoices.rounding\n"
        "def test_rounding():\n"
        '    """Given a state, when an event, then it rounds."""\n'
        "    import pytest\n"
        "\n"
        '    pytest.fail("not implemented yet: it rounds")\n'
    )


def test_write_picks_a_unique_name_when_the_test_name_is_taken(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(
        root,
        "auth.login",
        gwt("auth.login.remember_me_v2.remember_me"),
        gwt("auth.login.other.remember_me"),
    )
    taken = LOGIN + "\n\ndef test_remember_me_2():\n    pass\n"
    (root / "tests/auth/test_login.py").write_text(taken)
    assert run(root, capsys, "write", str(path), "--apply", "--no-runner")[0] == 0
    text = (root / "tests/auth/test_login.py").read_text()
    assert "def test_remember_me_3():" in text
    assert "def test_remember_me_4():" in text
    assert text.count("def test_remember_me():") == 1


def test_write_apply_twice_writes_nothing_the_second_time(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.login", INVALID)
    assert run(root, capsys, "write", str(path), "--apply", "--no-runner")[0] == 0
    after_first = tree(root)
    code, out, _ = run(root, capsys, "write", str(path), "--apply", "--no-runner")
    assert code == 0
    assert tree(root) == after_first
    assert "nothing to write" in out
    view = items(plan(root, capsys, path))
    assert view["auth.login.invalid_credentials"]["classification"] == "partially_covered"


def test_write_skips_conflicting_intents_and_exits_1(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, "auth.login", INVALID, gwt("billing.invoices.total"))
    code, _, err = run(root, capsys, "write", str(path), "--apply", "--no-runner")
    assert code == 1
    assert "skipped billing.invoices.total (conflicting" in err
    text = (root / "tests/auth/test_login.py").read_text()
    assert "auth.login.invalid_credentials" in text
    assert "billing.invoices.total" not in text


def test_write_refuses_to_touch_a_target_file_that_does_not_parse(tmp_path, capsys):
    root = make_repo(tmp_path)
    broken = LOGIN + "\ndef test_broken(:\n    pass\n"
    (root / "tests/auth/test_login.py").write_text(broken)
    path = write_intent(root, "auth.login", INVALID)
    code, _, err = run(root, capsys, "write", str(path), "--apply", "--no-runner")
    assert code == 1
    assert (root / "tests/auth/test_login.py").read_text() == broken
    assert "does not parse" in err


def test_written_code_escapes_quotes_and_backslashes_in_the_intent(tmp_path, capsys):
    root = make_repo(tmp_path)
    nasty = {
        "behavior_id": "auth.login.quotes",
        "given": 'a name with """triple quotes""" and a \\ backslash',
        "when": "it is sent",
        "then": 'the reply says "ok"',
    }
    path = write_intent(root, "auth.login", nasty)
    assert run(root, capsys, "write", str(path), "--apply", "--no-runner")[0] == 0
    tree_ = ast.parse((root / "tests/auth/test_login.py").read_text())
    [test] = [n for n in tree_.body if getattr(n, "name", "") == "test_quotes"]
    assert ast.get_docstring(test) == (
        # wrapped where the escaped source line reaches 88 columns
        'Given a name with """triple quotes""" and a \\ backslash, when it is sent,\n'
        'then the reply says "ok".'
    )
    message = test.body[1].value.args[0].value
    assert message == 'not implemented yet: the reply says "ok"'


def test_write_uses_the_configured_anchor_tag_so_the_adapter_reads_it(tmp_path, capsys):
    root = make_repo(tmp_path)
    (root / ".tdd-prose/config.yml").write_text(CONFIG + 'anchors:\n  tag: "@spec:behavior"\n')
    path = write_intent(root, "auth.login", INVALID)
    assert run(root, capsys, "write", str(path), "--apply", "--no-runner")[0] == 0
    text = (root / "tests/auth/test_login.py").read_text()
    assert (
        "# @spec:behavior auth.login.invalid_credentials\ndef test_invalid_credentials():" in text
    )
    code, out, _ = run(root, capsys, "behaviors", "--json", "--no-runner")
    assert code == 0
    ledger = {b["behavior_id"]: b for b in json.loads(out)["behaviors"]}
    assert ledger["auth.login.invalid_credentials"]["confidence"] == 1.0
    assert ledger["auth.login.invalid_credentials"]["status"] == "ok"


def test_write_json_lists_the_files_the_tests_and_the_skipped_intents(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(
        root,
        "auth.login",
        INVALID,
        gwt("auth.login.valid_credentials"),
        gwt("billing.invoices.total"),
    )
    code, out, _ = run(root, capsys, "write", str(path), "--json", "--no-runner")
    assert code == 1
    view = json.loads(out)
    assert view["applied"] is False
    assert view["files"] == [
        {
            "new": False,
            "path": "tests/auth/test_login.py",
            "tests": ["tests/auth/test_login.py::test_invalid_credentials"],
        }
    ]
    assert [(s["behavior_id"], s["failure"]) for s in view["skipped"]] == [
        ("auth.login.valid_credentials", False),
        ("billing.invoices.total", True),
    ]
    assert "+# @tdd-prose:behavior auth.login.invalid_credentials" in view["diff"]
    assert (root / "tests/auth/test_login.py").read_text() == LOGIN


# --- end to end: intent -> plan -> write -> sync -> overlay --------------------------------


def junit_results(root: Path, name: str) -> Path:
    xml = root / name
    done = tddprose_project.pytest_junit(root, xml)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return xml


def implemented(text: str) -> str:
    """The module with each ``pytest.fail(...)`` call (one or several lines) replaced
    by a passing assertion."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("    pytest.fail("):
            kept.append("    assert 2 + 2 == 4\n")
            inside = not line.rstrip().endswith(")")
        elif inside:
            inside = line.rstrip() != "    )"
        else:
            kept.append(line)
    return "".join(kept)


def overlay_states(root: Path, capsys, xml: Path) -> dict[str, str]:
    code, _, err = run(root, capsys, "report", "--from", str(xml))
    assert code == 0, err
    report = json.loads((root / ".tdd-prose/reports/tdd-prose.report.json").read_text())
    return {row["behavior_id"]: row["state"] for row in report["behaviors"]}


@pytest.mark.slow
def test_written_tests_land_in_the_ledger_without_review_and_fail_in_the_overlay_until_implemented(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    assert run(root, capsys, "sync", "--apply")[0] == 0
    path = write_intent(root, "auth.login", INVALID, LOCKOUT, gwt("auth.signup.welcome_mail"))
    view = items(plan(root, capsys, path))
    assert {v["classification"] for v in view.values()} == {"uncovered"}

    assert run(root, capsys, "write", str(path), "--apply")[0] == 0
    assert run(root, capsys, "sync", "--apply")[0] == 0
    code, out, _ = run(root, capsys, "behaviors", "--json")
    ledger = {b["behavior_id"]: b for b in json.loads(out)["behaviors"]}
    new_ids = ["auth.login.invalid_credentials", "auth.login.lockout", "auth.signup.welcome_mail"]
    for behavior_id in new_ids:
        assert ledger[behavior_id]["status"] == "ok", ledger[behavior_id]
        assert ledger[behavior_id]["confidence"] == 1.0
        assert ledger[behavior_id]["block_id"] == "auth"
    assert ledger["auth.login.lockout"]["title"] == (
        "Given five wrong passwords in a row, when a sixth attempt is made, "
        "then the account is locked for fifteen minutes."
    )
    code, out, _ = run(root, capsys, "check")
    assert code == 0, out

    states = overlay_states(root, capsys, junit_results(root, "red.xml"))
    assert {b: states[b] for b in new_ids} == dict.fromkeys(new_ids, "failed")
    assert states["auth.login.valid_credentials"] == "passed"

    # implement: the developer replaces each failure with a real check
    for relative in ("tests/auth/test_login.py", "tests/auth/test_signup.py"):
        target = root / relative
        target.write_text(implemented(target.read_text()))
    assert run(root, capsys, "sync", "--apply")[0] == 0
    states = overlay_states(root, capsys, junit_results(root, "green.xml"))
    assert {b: states[b] for b in new_ids} == dict.fromkeys(new_ids, "passed")
    code, out, _ = run(root, capsys, "behaviors", "--json")
    ledger_after = {b["behavior_id"]: b for b in json.loads(out)["behaviors"]}
    assert all(ledger_after[b]["status"] == "ok" for b in new_ids)
    assert all(not ledger_after[b]["weak_evidence"] for b in new_ids)
