"""Behavior Intent files: the schema check, the conflict rules against the ledger, and
the guided interview that writes them (``tddprose intent validate``, ``interview``)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tddprose.cli import main
from tddprose.intent import SCHEMA_KEYWORDS, domains_compatible, load_schema
from tests._support import tddprose_project
from tests._support.cli import run_main
from tests._support.tddprose_project import PYTEST_CONFIG

CONFIG = PYTEST_CONFIG
LOGIN = '''\
# @tdd-prose:behavior auth.login.valid_credentials
def test_valid_credentials_create_a_session():
    """A user with the right password gets a session."""
    assert 1 + 1 == 2
'''
INVOICES = '''\
# @tdd-prose:behavior billing.invoices.total
def test_invoices_total_their_lines():
    """An invoice totals its lines."""
    assert sum([1, 2]) == 3
'''
FILES = {"tests/auth/test_login.py": LOGIN, "tests/billing/test_invoices.py": INVOICES}
GOOD = {
    "domain": "auth.login",
    "behaviors": [
        {
            "behavior_id": "auth.login.invalid_credentials",
            "given": "a user provides an incorrect password",
            "when": "they submit the login form",
            "then": "the system responds with a generic invalid-credentials error",
            "depends_on": ["auth.login.valid_credentials"],
        }
    ],
    "constraints": {"security": ["do not reveal account existence"]},
}


def make_repo(root: Path, files=FILES) -> Path:
    return tddprose_project.make_repo(root, files)


def write_intent(root: Path, data, name: str = "intent.json") -> Path:
    path = root / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def validate_json(root: Path, capsys, path: Path) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["--root", str(root), "intent", "validate", str(path), "--no-runner", "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def with_behaviors(*behaviors: dict, domain: str = "auth.login") -> dict:
    return {"domain": domain, "behaviors": list(behaviors)}


def intent(behavior_id: str, **extra) -> dict:
    return {
        "behavior_id": behavior_id,
        "given": "a state",
        "when": "something happens",
        "then": "an outcome follows",
        **extra,
    }


# --- the schema ----------------------------------------------------------------------


def test_a_valid_intent_passes_with_exit_0(tmp_path, capsys):
    root = make_repo(tmp_path)
    code, view = validate_json(root, capsys, write_intent(root, GOOD))
    assert code == 0
    assert view["ok"] is True
    assert view["problems"] == []
    assert view["counts"] == {"conflict": 0, "error": 0, "warning": 0}


def test_every_schema_problem_is_reported_with_its_json_path_and_a_fix(tmp_path, capsys):
    root = make_repo(tmp_path)
    bad = {
        "domain": "Auth Login",
        "behaviors": [
            {"behavior_id": "auth.login.x", "given": "g", "when": "w", "thenn": "t"},
            {"behavior_id": 7, "given": "", "when": "w", "then": "t", "depends_on": "a.b"},
        ],
        "constraints": {"security": "no PII"},
        "extra": 1,
    }
    code, view = validate_json(root, capsys, write_intent(root, bad))
    assert code == 2
    found = {(p["path"], p["severity"]) for p in view["problems"]}
    assert found == {
        ("$.extra", "error"),
        ("$.domain", "error"),
        ("$.behaviors[0]", "error"),  # then missing
        ("$.behaviors[0].thenn", "error"),
        ("$.behaviors[1].behavior_id", "error"),
        ("$.behaviors[1].given", "error"),
        ("$.behaviors[1].depends_on", "error"),
        ("$.constraints.security", "error"),
    }
    assert all(p["fix"] for p in view["problems"])
    by_path = {p["path"]: p for p in view["problems"]}
    assert "did you mean 'then'" in by_path["$.behaviors[0].thenn"]["fix"]
    assert "e.g." in by_path["$.domain"]["fix"]


def test_schema_problems_print_one_line_each_naming_the_path_and_the_fix(tmp_path, capsys):
    root = make_repo(tmp_path)
    path = write_intent(root, with_behaviors(intent("auth.login.x", then=3)))
    capsys.readouterr()
    code = main(["--root", str(root), "intent", "validate", str(path), "--no-runner"])
    out = capsys.readouterr().out
    assert code == 2
    assert "error $.behaviors[0].then: expected a string, got integer; fix: " in out


def test_invalid_json_is_bad_input_with_its_line_and_column(tmp_path, capsys):
    root = make_repo(tmp_path)
    code, view = validate_json(root, capsys, write_intent(root, '{"domain": "a",\n  oops}'))
    assert code == 2
    [problem] = view["problems"]
    assert problem["path"] == "$"
    assert "line 2" in problem["message"] and "column 3" in problem["message"]


def test_a_missing_intent_file_is_bad_input(tmp_path, capsys):
    root = make_repo(tmp_path)
    code, err = run_main(
        main, capsys, ["--root", str(root), "intent", "validate", str(root / "nope.json")]
    )
    assert code == 2
    assert "nope.json" in err and "not found" in err


def test_the_shipped_schema_uses_only_keywords_the_validator_understands():
    schema = load_schema()
    seen: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                seen.add(key)
                if key in ("properties", "$defs"):
                    for sub in value.values():
                        walk(sub)
                elif isinstance(value, (dict, list)) and key not in ("required", "enum"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    assert seen <= SCHEMA_KEYWORDS, seen - SCHEMA_KEYWORDS
    assert schema["$schema"].startswith("https://json-schema.org/")


# --- conflicts with the ledger ---------------------------------------------------------


def test_a_duplicate_behavior_id_in_the_file_is_a_conflict(tmp_path, capsys):
    root = make_repo(tmp_path)
    data = with_behaviors(intent("auth.login.lockout"), intent("auth.login.lockout"))
    code, view = validate_json(root, capsys, write_intent(root, data))
    assert code == 1
    [problem] = view["problems"]
    assert problem["severity"] == "conflict"
    assert problem["path"] == "$.behaviors[1].behavior_id"
    assert "$.behaviors[0]" in problem["message"]


def test_an_id_that_exists_in_another_block_is_a_conflict_but_a_different_title_is_not(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    data = with_behaviors(
        # exists in block "auth" (compatible with auth.login), with another meaning: fine
        intent("auth.login.valid_credentials", then="something else entirely"),
        # exists in block "billing"
        intent("billing.invoices.total"),
    )
    code, view = validate_json(root, capsys, write_intent(root, data))
    assert code == 1
    conflicts = [p for p in view["problems"] if p["severity"] == "conflict"]
    assert [p["path"] for p in conflicts] == ["$.behaviors[1].behavior_id"]
    assert "billing" in conflicts[0]["message"]
    assert conflicts[0]["behavior_id"] == "billing.invoices.total"


def test_an_id_outside_the_domain_is_a_warning_only(tmp_path, capsys):
    root = make_repo(tmp_path)
    code, view = validate_json(root, capsys, write_intent(root, with_behaviors(intent("x.y"))))
    assert code == 0
    [problem] = view["problems"]
    assert problem["severity"] == "warning"
    assert problem["path"] == "$.behaviors[0].behavior_id"


def test_depends_on_an_unknown_behavior_is_a_conflict_but_on_one_in_the_file_or_ledger_is_not(
    tmp_path, capsys
):
    root = make_repo(tmp_path)
    data = with_behaviors(
        intent("auth.login.lockout", depends_on=["auth.login.valid_credentials"]),
        intent("auth.login.unlock", depends_on=["auth.login.lockout", "auth.login.nowhere"]),
        intent("auth.login.audit", related_to=["auth.login.elsewhere"]),
    )
    code, view = validate_json(root, capsys, write_intent(root, data))
    assert code == 1
    summary = [(p["severity"], p["path"]) for p in view["problems"]]
    assert summary == [
        ("conflict", "$.behaviors[1].depends_on[1]"),
        ("warning", "$.behaviors[2].related_to[0]"),
    ]


def test_a_dependency_cycle_within_the_file_is_a_conflict(tmp_path, capsys):
    root = make_repo(tmp_path)
    data = with_behaviors(
        intent("auth.login.a", depends_on=["auth.login.b"]),
        intent("auth.login.b", depends_on=["auth.login.a"]),
        intent("auth.login.c", depends_on=["auth.login.c"]),
    )
    code, view = validate_json(root, capsys, write_intent(root, data))
    assert code == 1
    messages = {p["path"]: p["message"] for p in view["problems"]}
    assert set(messages) == {"$.behaviors[0].depends_on", "$.behaviors[2].depends_on[0]"}
    assert "auth.login.a -> auth.login.b -> auth.login.a" in messages["$.behaviors[0].depends_on"]


def test_intent_validate_output_is_byte_identical_across_runs(tmp_path, capsys):
    root = make_repo(tmp_path)
    data = with_behaviors(intent("billing.invoices.total"), intent("x.y", depends_on=["q.r"]))
    path = write_intent(root, data)
    outputs = []
    for _ in range(2):
        capsys.readouterr()
        main(["--root", str(root), "intent", "validate", str(path), "--no-runner", "--json"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert str(tmp_path) not in outputs[0]


@pytest.mark.parametrize(
    ("block", "domain", "compatible"),
    [
        ("auth", "auth.login", True),
        ("auth.login", "auth", True),
        ("auth.login", "auth.login", True),
        ("auth.logout", "auth.login", False),
        ("authz", "auth", False),
        ("billing", "auth.login", False),
    ],
)
def test_domains_are_compatible_when_one_is_a_dotted_prefix_of_the_other(block, domain, compatible):
    assert domains_compatible(block, domain) is compatible


# --- the interview -----------------------------------------------------------------------

ANSWERS = """\
auth.login
invalid_credentials
a user provides an incorrect password
they submit the login form
the system responds with a generic invalid-credentials error


auth.login.lockout
five wrong passwords were given
a sixth attempt is made
the account is locked for fifteen minutes
invalid_credentials
valid_credentials

security
do not reveal account existence

logging
no PII in logs


"""
EXPECTED = {
    "behaviors": [
        {
            "behavior_id": "auth.login.invalid_credentials",
            "given": "a user provides an incorrect password",
            "then": "the system responds with a generic invalid-credentials error",
            "when": "they submit the login form",
        },
        {
            "behavior_id": "auth.login.lockout",
            "depends_on": ["auth.login.invalid_credentials"],
            "given": "five wrong passwords were given",
            "related_to": ["auth.login.valid_credentials"],
            "then": "the account is locked for fifteen minutes",
            "when": "a sixth attempt is made",
        },
    ],
    "constraints": {"logging": ["no PII in logs"], "security": ["do not reveal account existence"]},
    "domain": "auth.login",
}


def interview(monkeypatch, capsys, answers: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    capsys.readouterr()
    try:
        code = main(["interview", *argv])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_interview_reads_piped_answers_and_writes_a_deterministic_intent_file(tmp_path):
    out = tmp_path / "intent.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "tddprose", "interview", "--out", str(out)],
            input=ANSWERS,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        text = out.read_text()
        assert text == json.dumps(EXPECTED, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "domain" in done.stderr  # the prompts go to stderr, the result to the file
    assert f"wrote {out}" in done.stdout


def test_interview_without_out_prints_the_intent_on_stdout(monkeypatch, capsys):
    code, out, err = interview(monkeypatch, capsys, ANSWERS)
    assert code == 0
    assert json.loads(out) == EXPECTED
    assert "then" in err


def test_interview_asks_again_after_an_invalid_answer(monkeypatch, capsys):
    answers = "Auth Login\nauth.login\nx..y\nok_id\n\ngiven it\nwhen it\nthen it\n\n\n\n\n"
    code, out, err = interview(monkeypatch, capsys, answers)
    assert code == 0, err
    data = json.loads(out)
    assert data["domain"] == "auth.login"
    assert [b["behavior_id"] for b in data["behaviors"]] == ["auth.login.ok_id"]
    assert data["behaviors"][0]["given"] == "given it"
    assert err.count("invalid") >= 2  # the domain, the id
    assert "must not be empty" in err  # the empty given


def test_interview_refuses_a_behavior_id_it_already_has(monkeypatch, capsys):
    answers = "auth.login\na\ng\nw\nt\n\n\na\nb\ng2\nw2\nt2\n\n\n\n\n"
    code, out, err = interview(monkeypatch, capsys, answers)
    assert code == 0, err
    assert [b["behavior_id"] for b in json.loads(out)["behaviors"]] == [
        "auth.login.a",
        "auth.login.b",
    ]
    assert "already" in err


def test_interview_output_passes_intent_validate(monkeypatch, capsys, tmp_path):
    root = make_repo(tmp_path)
    path = root / "intent.json"
    code, _, err = interview(monkeypatch, capsys, ANSWERS, "--out", str(path))
    assert code == 0, err
    code, view = validate_json(root, capsys, path)
    assert code == 0, view
    assert view["problems"] == []


def test_interview_ending_mid_behavior_is_bad_input_and_writes_nothing(
    monkeypatch, capsys, tmp_path
):
    path = tmp_path / "intent.json"
    code, _, err = interview(monkeypatch, capsys, "auth.login\nx\na state\n", "--out", str(path))
    assert code == 2
    assert "input ended" in err
    assert "Traceback" not in err
    assert not path.exists()
