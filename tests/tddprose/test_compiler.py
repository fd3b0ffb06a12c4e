"""End to end through the CLI: determinism, no-op runs, identity, owned regions, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tddprose.cli import main
from tests._support import tddprose_project
from tests._support.tddprose_project import outputs, run

GOLDEN = Path(__file__).parent / "golden"
CONFIG = """\
spec_output: spec/
test_globs: ["tests/**/*.py"]
exclude_globs: ["**/helpers/**"]
frameworks:
  - name: pytest
    collect_cmd: "python -m pytest --collect-only -q"
block_rules:
  default: "{suite_path.0}"
"""
LOGIN = '''\
import pytest


# @tdd-prose:behavior auth.login.invalid_credentials
def test_rejects_invalid_password():
    """Incorrect password and unknown email produce the same generic error."""
    with pytest.raises(ValueError, match="Invalid credentials"):
        login("a", "wrong")


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_valid_credentials_create_a_session(user):
    assert login(user, "right") is not None


class TestLockout:
    def test_five_failures_lock_the_account_for_a_quarter_of_an_hour_even_if_the_sixth_is_right(
        self,
    ):
        assert locked_after(5)

    @pytest.mark.skip(reason="needs a clock")
    def test_lock_expires(self):
        assert True
'''
BILLING = """\
def test_invoices_total_their_lines():
    assert total([1, 2]) == 3


def test_refunds_never_exceed_the_charge(benchmark):
    assert refund(5, 3) == 3
"""
FILES = {"tests/auth/test_login.py": LOGIN, "tests/billing/test_invoices.py": BILLING}


def make_repo(root: Path, files=FILES, config=CONFIG) -> Path:
    return tddprose_project.make_repo(root, files, config)


def sync(root: Path, *extra: str) -> int:
    return run(root, "sync", "--apply", "--no-runner", *extra)


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            stat = path.stat()
            found[path.relative_to(root).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return found


def test_same_input_gives_the_golden_bytes_in_two_fresh_clones(tmp_path, capsys):
    first, second = make_repo(tmp_path / "one"), make_repo(tmp_path / "clone" / "two")
    assert sync(first) == 0
    assert sync(second) == 0
    assert outputs(first) == outputs(second)
    for path, data in outputs(first).items():
        golden = GOLDEN / Path(path).name
        if os.environ.get("TDDPROSE_UPDATE_GOLDEN"):
            golden.write_bytes(data)
        assert data == golden.read_bytes(), f"{path} differs from {golden}"
    text = (first / "spec/auth.md").read_text()
    assert str(tmp_path) not in text
    assert "\r" not in text and text.endswith("\n") and not text.endswith("\n\n")


def test_a_no_op_run_writes_no_file_at_all(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    before = tree_state(root)
    capsys.readouterr()
    assert sync(root) == 0
    assert "up to date" in capsys.readouterr().out
    assert tree_state(root) == before


def test_an_mtime_only_change_rewrites_no_output(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    before = {p: v for p, v in tree_state(root).items() if not p.startswith(".tdd-prose/state")}
    os.utime(root / "tests/auth/test_login.py", ns=(1, 1))
    capsys.readouterr()
    assert sync(root) == 0
    assert "no changes" in capsys.readouterr().out
    after = {p: v for p, v in tree_state(root).items() if not p.startswith(".tdd-prose/state")}
    changed = {p for p in after if after[p] != before.get(p)}
    assert changed == {"tests/auth/test_login.py"}


def test_one_changed_file_rewrites_only_its_block(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    before = tree_state(root)
    with open(root / "tests/billing/test_invoices.py", "a") as handle:
        handle.write("\n\ndef test_credit_notes_are_negative():\n    assert credit(1) < 0\n")
    assert sync(root) == 0
    after = tree_state(root)
    rewritten = {
        p for p in after if p.startswith(("spec/", ".tdd-prose/m")) and after[p] != before[p]
    }
    assert rewritten == {"spec/billing.md", ".tdd-prose/mapping.snapshot.json"}
    assert "Credit notes are negative" in (root / "spec/billing.md").read_text()


def test_renaming_an_anchored_test_keeps_its_id_and_a_deleted_test_is_orphaned(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    source = root / "tests/auth/test_login.py"
    text = source.read_text().replace("test_rejects_invalid_password", "test_wrong_password")
    text = text.replace("def test_valid_credentials_create_a_session", "def _gone")
    source.write_text(text)
    assert sync(root) == 0
    spec = (root / "spec/auth.md").read_text()
    assert "(`auth.login.invalid_credentials`)" in spec
    assert "test_login.py::test_wrong_password" in spec
    assert "(`auth.login.valid_credentials_create_a_session`) — orphaned" in spec
    snapshot = json.loads((root / ".tdd-prose/mapping.snapshot.json").read_text())
    assert snapshot["behaviors"]["auth.login.valid_credentials_create_a_session"]["evidence"] == []
    capsys.readouterr()
    assert run(root, "check", "--no-runner") == 1
    assert "1 orphaned behavior(s) (ci.orphaned_max is 0)" in capsys.readouterr().out


def test_manual_notes_survive_regeneration_and_move_when_their_block_goes(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    spec = root / "spec/billing.md"
    note = "Refunds are capped by finance policy FP-7.\n\n  * kept   exactly *\n"
    spec.write_text(
        spec.read_text().replace(
            "<!-- tdd-prose:manual-begin -->\n", "<!-- tdd-prose:manual-begin -->\n" + note
        )
    )
    with open(root / "tests/billing/test_invoices.py", "a") as handle:
        handle.write("\n\ndef test_more():\n    assert 1\n")
    assert sync(root) == 0
    assert note in spec.read_text()
    regrouped = CONFIG + '  overrides:\n    "billing": "finance"\n'
    (root / ".tdd-prose/config.yml").write_text(regrouped)
    assert sync(root) == 0
    notes = (root / "spec/orphaned-notes.md").read_text()
    assert note in notes and "block=billing" in notes
    assert not (root / "spec/billing.md").exists()
    assert "Invoices total their lines" in (root / "spec/finance.md").read_text()
    assert sync(root) == 0
    assert (root / "spec/orphaned-notes.md").read_text() == notes


def test_a_broken_manual_region_stops_the_write_and_loses_nothing(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    spec = root / "spec/auth.md"
    broken = spec.read_text().replace("<!-- tdd-prose:manual-end -->\n", "my notes\n", 1)
    spec.write_text(broken)
    with open(root / "tests/auth/test_login.py", "a") as handle:
        handle.write("\n\ndef test_new():\n    assert 1\n")
    capsys.readouterr()
    assert sync(root) == 2
    error = capsys.readouterr().err
    assert "spec/auth.md" in error and "not rewriting it" in error
    assert spec.read_text() == broken
    assert run(root, "check", "--no-runner") == 1
    assert "malformed_block" in (root / ".tdd-prose/reports/diagnostics.json").read_text()


def test_check_prints_a_diff_when_the_spec_is_stale(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    assert run(root, "check", "--no-runner") == 0
    with open(root / "tests/auth/test_login.py", "a") as handle:
        handle.write("\n\ndef test_logout_ends_the_session():\n    assert 1\n")
    capsys.readouterr()
    assert run(root, "check", "--no-runner") == 1
    out = capsys.readouterr().out
    assert "+++ b/spec/auth.md" in out and "+- **Logout ends the session**" in out
    assert "the ledger is stale" in out
    diff = json.loads((root / ".tdd-prose/reports/behavior-diff.json").read_text())
    assert [a["behavior_id"] for a in diff["added"]] == ["auth.login.logout_ends_the_session"]
    assert "### Added" in (root / ".tdd-prose/reports/behavior-diff.md").read_text()


def test_bad_inputs_get_diagnostics_not_crashes(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    tests = root / "tests"
    (tests / "test_latin.py").write_bytes(b"def test_a():\n    s = '\xe9'\n")
    (tests / "test_binary.py").write_bytes(b"\x7fELF\x00\x01\x02")
    (tests / "test_huge.py").write_text("def test_x():\n    pass\n" + "# pad\n" * 400_000)
    os.symlink("test_loop.py", tests / "test_loop.py")
    os.symlink(tests, tests / "auth" / "again")
    login = tests / "auth/test_login.py"
    login.write_text(login.read_text() + "\ndef test_broken(:\n    pass\n")
    capsys.readouterr()
    assert sync(root) == 0
    spec = (root / "spec/auth.md").read_text()
    assert "(`auth.login.invalid_credentials`)" in spec  # last-known behaviors kept
    assert run(root, "check", "--no-runner") == 1
    codes = {
        d["code"]: d["path"]
        for d in json.loads((root / ".tdd-prose/reports/diagnostics.json").read_text())[
            "diagnostics"
        ]
    }
    assert codes == {
        "not_utf8": "tests/test_latin.py",
        "binary_file": "tests/test_binary.py",
        "huge_file": "tests/test_huge.py",
        "unreadable_file": "tests/test_loop.py",
        "parse_error": "tests/auth/test_login.py",
    }


def test_an_empty_repo_gets_an_empty_ledger_and_a_warning(tmp_path, capsys):
    root = make_repo(tmp_path, files={})
    assert sync(root) == 0
    assert "No behaviors yet" in (root / "spec/README.md").read_text()
    assert run(root, "check", "--no-runner") == 0
    assert "no files match test_globs" in capsys.readouterr().out


def test_the_snapshot_merges_stably_across_branches(tmp_path, capsys):
    root = make_repo(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(root)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    assert sync(root) == 0
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    for branch, path, name in (
        ("a", "tests/auth/test_login.py", "test_a_passwords_expire"),
        ("b", "tests/billing/test_invoices.py", "test_z_taxes_are_added"),
    ):
        subprocess.run([*git, "checkout", "-q", "-b", branch, "main"], check=True)
        with open(root / path, "a") as handle:
            handle.write(f"\n\ndef {name}():\n    assert 1\n")
        assert sync(root) == 0
        subprocess.run([*git, "commit", "-qam", branch], check=True)
    subprocess.run([*git, "checkout", "-q", "a"], check=True)
    merged = subprocess.run([*git, "merge", "-q", "--no-edit", "b"], capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    capsys.readouterr()
    assert run(root, "check", "--no-runner") == 0, capsys.readouterr().out


def test_the_runner_collects_parametrize_ids_and_marker_anchors(tmp_path, capsys):
    files = {
        **FILES,
        "tests/auth/test_dynamic.py": textwrap.dedent(
            """
            import pytest

            CASES = [1, 2, 3]

            @pytest.mark.tdd_prose("auth.dynamic.cases")
            @pytest.mark.parametrize("n", CASES)
            def test_cases(n):
                assert n
            """
        ),
        "tests/conftest.py": "",
        "pyproject.toml": "",
    }
    root = make_repo(tmp_path, files=files)
    assert run(root, "sync", "--apply") == 0
    capsys.readouterr()
    assert run(root, "behaviors", "--json") == 0
    view = json.loads(capsys.readouterr().out)
    by_id = {b["behavior_id"]: b for b in view["behaviors"]}
    cases = by_id["auth.dynamic.cases"]["evidence"]
    assert [e["nodeid"] for e in cases] == [
        f"tests/auth/test_dynamic.py::test_cases[{n}]" for n in (1, 2, 3)
    ]
    assert [round(e["weight"], 3) for e in cases] == [0.333] * 3
    assert view["stats"]["needs_review"] == 0
    assert run(root, "check") == 0


def test_a_second_run_waits_for_the_lock_then_says_so(tmp_path, capsys):
    from tddprose.state import run_lock

    root = make_repo(tmp_path)
    with run_lock(root / ".tdd-prose"):
        assert run(root, "--lock-timeout", "0.2", "sync", "--apply", "--no-runner") == 3
    assert "another tddprose run holds the lock" in capsys.readouterr().err


def test_queries_and_coverage_have_the_documented_shapes(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    capsys.readouterr()
    assert run(root, "behaviors", "--json", "--no-runner", "--filter", "weak-evidence") == 0
    view = json.loads(capsys.readouterr().out)
    assert set(view) == {"behaviors", "stats", "generated_at", "command", "ok", "exit_code"}
    assert set(view["stats"]) == {"total", "orphaned", "needs_review", "weak_evidence"}
    assert [b["behavior_id"] for b in view["behaviors"]] == ["auth.login.lockout.lock_expires"]
    assert run(root, "ready", "--json", "--no-runner") == 0
    ready = json.loads(capsys.readouterr().out)
    assert [b["action"][:12] for b in ready["behaviors"]] == ["strengthen t"]
    assert run(root, "coverage", "--json", "--no-runner") == 0
    coverage = json.loads(capsys.readouterr().out)
    assert coverage["tiers"] == {"behavior": {"ok": 5}, "internal": {"excluded": 1}}
    assert coverage["orphan_tests"] == [
        "tests/billing/test_invoices.py::test_refunds_never_exceed_the_charge"
    ]
    assert coverage["inactive_tests"] == [
        "tests/auth/test_login.py::TestLockout::test_lock_expires (skip)"
    ]
    assert run(root, "coverage", "--no-runner") == 0
    assert "weak evidence: 1" in capsys.readouterr().out


def test_report_overlays_junit_results_without_touching_the_spec(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    before = {p: v for p, v in tree_state(root).items() if p.startswith("spec/")}
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest" tests="2">'
        '<testcase classname="tests.auth.test_login" name="test_rejects_invalid_password"/>'
        '<testcase classname="tests.billing.test_invoices" name="test_invoices_total_their_lines">'
        '<failure message="assert 4 == 3">boom</failure></testcase>'
        "</testsuite></testsuites>"
    )
    assert run(root, "report", "--no-runner", "--from", str(junit)) == 0
    reports = root / ".tdd-prose/reports"
    report = json.loads((reports / "tdd-prose.report.json").read_text())
    states = {b["behavior_id"]: b["state"] for b in report["behaviors"]}
    assert states["auth.login.invalid_credentials"] == "passed"
    assert states["billing.invoices.invoices_total_their_lines"] == "failed"
    assert json.loads((reports / "tdd-prose.ctrf.json").read_text())["results"]["tool"]["name"]
    assert "failed" in (reports / "tdd-prose.report.html").read_text().lower()
    assert {p: v for p, v in tree_state(root).items() if p.startswith("spec/")} == before


def test_github_annotations_and_a_behavior_diff_against_a_git_ref(tmp_path, capsys):
    root = make_repo(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    assert sync(root) == 0
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    with open(root / "tests/auth/test_login.py", "a") as handle:
        handle.write("\n\ndef test_logout():\n    assert 1\n")
    assert sync(root) == 0
    capsys.readouterr()
    assert run(root, "diff", "--no-runner", "--base", "HEAD", "--github") == 0
    out = capsys.readouterr().out
    assert "1 added, 0 changed, 0 orphaned" in out
    assert "- **Logout** (`auth.login.logout`, block `auth`)" in out
    assert "::notice title=tddprose behavior diff::1 added" in out


def test_help_and_usage_errors(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    assert "exit codes: 0 ok, 1 check failed" in capsys.readouterr().out
    completed = subprocess.run(
        [sys.executable, "-m", "tddprose", "--root", "/nonexistent-dir-for-test", "check"],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 2
    assert "run `tddprose init`" in completed.stderr


def test_forget_removes_only_orphaned_behaviors_from_the_snapshot(tmp_path, capsys):
    root = make_repo(tmp_path)
    assert sync(root) == 0
    source = root / "tests/billing/test_invoices.py"
    source.write_text(source.read_text().replace("def test_invoices_total", "def _gone"))
    assert sync(root) == 0
    assert run(root, "forget", "--no-runner", "auth.login.invalid_credentials") == 2
    assert "only orphaned behaviors can be forgotten" in capsys.readouterr().err
    assert run(root, "forget", "--no-runner", "--all-orphaned") == 0
    assert "forgot billing.invoices.invoices_total_their_lines" in capsys.readouterr().out
    assert sync(root) == 0
    assert not (root / "spec/billing.md").exists()  # only an internal test is left there
    snapshot = (root / ".tdd-prose/mapping.snapshot.json").read_text()
    assert "invoices_total_their_lines" not in snapshot
    assert run(root, "check", "--no-runner") == 0


def test_only_impacted_blocks_are_rendered_and_the_cache_keeps_only_current_ones(
    tmp_path, capsys, monkeypatch
):
    import sqlite3

    from tddprose import compiler

    root = make_repo(tmp_path)
    assert sync(root) == 0
    rendered = []
    real = compiler.render_block_body
    monkeypatch.setattr(
        compiler,
        "render_block_body",
        lambda block, width: rendered.append(block.block_id) or real(block, width),
    )
    with open(root / "tests/billing/test_invoices.py", "a") as handle:
        handle.write("\n\ndef test_credit_notes_are_negative():\n    assert credit(1) < 0\n")
    assert sync(root) == 0
    assert rendered == ["billing"]
    with sqlite3.connect(root / ".tdd-prose/state.sqlite") as connection:
        (bodies,) = connection.execute("SELECT COUNT(*) FROM blocks").fetchone()
    assert bodies == 2  # auth and the new billing body; the old billing body is pruned
