"""The milestone gate, end to end, on small fixture projects built in tmp_path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from pipelines.errors import GateBusy, PlanError, UsageError
from pipelines.gate import LEDGER_FILE, LOCK_FILE, GateOptions, run_gate
from tests._support.plain_pytest import fixture_projects_load_no_plugins  # noqa: F401 (autouse)

pytestmark = pytest.mark.slow

CALC = """\
KINDS = ("add", "sub")


def add(a, b):
    return a + b


def sub(a, b):
    return a - b
"""

TESTS_ADD = """\
import subprocess
import sys

import calc

ONE = calc.add(0, 1)


def test_add():
    assert calc.add(2, 3) == 5


def test_add_in_a_subprocess():
    out = subprocess.run(
        [sys.executable, "-c", "import calc; print(calc.add(20, 22))"],
        capture_output=True, text=True,
    )
    assert out.stdout.strip() == "42", out.stderr
"""

TESTS_SUB = """\
import pytest

from calc import KINDS, sub


@pytest.mark.parametrize("kind", list(KINDS))
def test_kinds(kind):
    assert kind in ("add", "sub")


def test_sub():
    assert sub(5, 3) == 2
"""


def plan(milestone="M1", **changes) -> dict:
    data = {
        "id": milestone,
        "title": "Calculator",
        "slug": "calculator",
        "goal": "Add and subtract.",
        "implemented": True,
        "depends_on": [],
        "packages": ["calc"],
        "success_criteria": ["2 + 3 is 5"],
        "steps": [
            {
                "title": "Add",
                "tests": [
                    {"file": "tests/test_add.py", "names": ["test_add", "test_add_in_a_subprocess"]}
                ],
                "implementation": ["calc"],
            },
            {
                "title": "Subtract",
                "tests": [{"file": "tests/test_sub.py", "names": ["test_kinds", "test_sub"]}],
                "implementation": ["calc"],
            },
        ],
    }
    data.update(changes)
    return data


def make_project(root: Path) -> Path:
    src = root / "packages" / "calc" / "src" / "calc"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text(CALC)
    (root / "tests").mkdir()
    (root / "tests" / "test_add.py").write_text(TESTS_ADD)
    (root / "tests" / "test_sub.py").write_text(TESTS_SUB)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (root / "plans").mkdir()
    write_plan(root, plan())
    return root


def calc_path(root: Path) -> str:
    return str(root / "packages" / "calc" / "src")


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = make_project(tmp_path / "proj")
    monkeypatch.setenv("PYTHONPATH", calc_path(root))
    return root


@pytest.fixture(scope="module")
def first_proof(tmp_path_factory):
    """One passing gate of the project, shared: (root, exit code, report, progress lines).
    Tests only read it; those that go on from it take a ``proven_project`` copy."""
    root = make_project(tmp_path_factory.mktemp("proven") / "proj")
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", calc_path(root))
        code, report = gate(root, lines=lines)
    return root, code, report, lines


@pytest.fixture
def proven_project(first_proof, tmp_path, monkeypatch):
    """A project the gate has already proven once (a copy of the shared first proof)."""
    root = tmp_path / "proj"
    shutil.copytree(first_proof[0], root)
    monkeypatch.setenv("PYTHONPATH", calc_path(root))
    return root


def plan_naming_one_more(step: int, name: str) -> dict:
    data = plan()
    data["steps"][step]["tests"][0]["names"].append(name)
    return data


def write_plan(root: Path, data: dict) -> None:
    (root / "plans" / f"{data['id']}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def gate(root: Path, milestone="M1", lines=None, **options):
    return run_gate(
        root, milestone, GateOptions(**options), progress=([] if lines is None else lines).append
    )


def ledger(root: Path) -> dict:
    return json.loads((root / LEDGER_FILE).read_text())


DOC = "docs/results/M1-calculator-results.md"


def test_a_gate_that_passes_records_done(first_proof):
    project, code, report, lines = first_proof
    assert code == 0, "\n".join(lines)
    assert [s.name for s in report.stages] == [
        "load",
        "dependencies",
        "collect",
        "red",
        "green",
        "regression",
    ]
    assert ledger(project)["milestones"]["M1"]["state"] == "done"
    assert ledger(project)["header"] == "DONE M1. All milestones done."
    doc = (project / DOC).read_text()
    assert "**Status**: ✅ Complete" in doc
    assert "MaskedError" in doc  # RED evidence: how each test failed under the mask
    assert "**Started**: 20" in doc and "**Completed**: 20" in doc
    events = (project / "docs/results/M1-calculator-events.jsonl").read_text().splitlines()
    assert json.loads(events[-1])["event"] == "gate_finished"
    assert any("red" in line and "ok" in line for line in lines)


def test_masking_reaches_subprocesses(first_proof):
    _, code, report, _ = first_proof
    test = next(t for t in report.tests if t.name == "test_add_in_a_subprocess")
    assert test.red == "failed"
    assert code == 0


def test_a_vacuous_test_is_caught_and_named(project):
    (project / "tests" / "test_sub.py").write_text(
        TESTS_SUB + "\n\ndef test_vacuous():\n    assert True\n"
    )
    write_plan(project, plan_naming_one_more(1, "test_vacuous"))
    code, report = gate(project)
    assert code == 1
    assert report.failed_stage.name == "red"
    assert any(
        "tests/test_sub.py::test_vacuous is vacuous" in d for d in report.failed_stage.details
    )
    assert ledger(project)["milestones"]["M1"]["state"] == "failed"


def test_a_missing_test_fails_collect_and_is_named(project):
    write_plan(project, plan_naming_one_more(0, "test_add_many"))
    code, report = gate(project)
    assert code == 1
    assert report.failed_stage.name == "collect"
    assert "tests/test_add.py::test_add_many" in report.failed_stage.summary
    assert not (project / LEDGER_FILE).exists()  # nothing was tested: nothing recorded


def test_a_planned_milestone_is_not_implemented_yet(project):
    data = plan(implemented=False)
    data["steps"][1]["tests"][0]["file"] = "tests/test_mul.py"
    write_plan(project, data)
    code, report = gate(project)
    assert code == 1
    assert report.failed_stage.summary == "not implemented yet: 2 of 4 tests missing"


def test_an_unmet_dependency_stops_the_gate_unless_forced(project):
    write_plan(project, plan())
    write_plan(project, plan("M2", slug="two", depends_on=["M1"]))
    code, report = gate(project, "M2")
    assert code == 1
    assert report.failed_stage.name == "dependencies"
    assert "M2 depends on M1 (pending)" in report.failed_stage.summary
    code, report = gate(project, "M2", force=True)
    assert code == 0


def test_a_planned_milestone_with_unmet_dependencies_says_it_is_not_implemented(project):
    write_plan(project, plan("M2", slug="two", depends_on=["M1"], implemented=False))
    code, report = gate(project, "M2")
    assert code == 1
    assert report.failed_stage.summary.endswith(
        "M2 itself is not implemented yet: 0 of 4 tests missing"
    )


def test_an_invalid_plan_raises_plan_error_naming_file_and_field(project):
    write_plan(project, plan(depends_on=["M9"]))
    with pytest.raises(PlanError, match=r"plans/M1.yaml: depends_on\[0\]: unknown milestone"):
        gate(project)


def test_an_invalid_plan_exits_2_from_the_command_line(project):
    write_plan(project, plan(colour="red"))
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", "--root", str(project), "milestone", "M1"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert "plans/M1.yaml: colour: unknown key" in result.stderr


def test_a_collection_error_is_not_red(project):
    (project / "tests" / "test_sub.py").write_text("def test_sub(:\n")
    code, report = gate(project)
    assert code == 1
    assert report.failed_stage.name == "collect"
    assert "syntax" in " ".join(report.failed_stage.details)


def test_step_mode_runs_only_the_next_step_and_records_it(project):
    code, report = gate(project, step="next")
    assert code == 0 and report.steps_run == (1,)
    assert ledger(project)["milestones"]["M1"] == {
        "state": "in_progress",
        "last_gate": report.finished,
        "steps": {"1": "complete"},
    }
    assert "### Step 2: Subtract — ⏳ Pending" in (project / DOC).read_text()
    code, report = gate(project, step="next")
    assert code == 0 and report.steps_run == (2,)
    assert ledger(project)["milestones"]["M1"]["state"] == "done"
    with pytest.raises(UsageError, match="every step of M1 is complete"):
        gate(project, step="next")
    code, report = gate(project, step="1")
    assert report.steps_run == (1,)


def test_a_rerun_keeps_lessons_learned_and_started(proven_project):
    project = proven_project
    doc = project / DOC
    first = doc.read_text()
    started = next(line for line in first.splitlines() if line.startswith("**Started**"))
    lessons = "## Lessons learned\n\nMasks must reach subprocesses.\n\n  odd   spacing kept\n"
    doc.write_text(first[: first.index("## Lessons learned")] + lessons)
    gate(project)
    second = doc.read_text()
    assert second.endswith(lessons)
    assert started in second


def test_a_reproof_keeps_the_first_completed_time_and_adds_last_verified(proven_project):
    project = proven_project
    doc = project / DOC
    first = doc.read_text()
    completed = next(line for line in first.splitlines() if line.startswith("**Completed**"))
    assert "**Last verified**" not in first
    gate(project)
    second = doc.read_text()
    assert completed in second
    verified = [line for line in second.splitlines() if line.startswith("**Last verified**")]
    assert len(verified) == 1 and completed.split(": ", 1)[1] not in verified[0]


def test_git_mode_runs_the_tests_against_old_code(project):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    calc = project / "packages" / "calc" / "src" / "calc" / "__init__.py"
    calc.write_text("KINDS = ()\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run([*git, "-C", str(project), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(project), "commit", "-qm", "before"], check=True)
    calc.write_text(CALC)
    subprocess.run([*git, "-C", str(project), "commit", "-qam", "after"], check=True)
    write_plan(project, plan(red={"mode": "git:HEAD~1"}))
    data = plan(red={"mode": "git:HEAD~1"})
    data["steps"][1]["tests"][0]["names"] = ["test_sub"]  # test_kinds passes on old code
    write_plan(project, data)
    code, report = gate(project)
    assert code == 0, report.failed_stage
    assert {t.red for t in report.tests} == {"failed"}


def test_a_git_ref_that_names_no_commit_is_a_recorded_red_failure(project):
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    write_plan(project, plan(red={"mode": "git:no-such-ref"}))
    code, report = gate(project)
    assert code == 1
    assert report.failed_stage.name == "red"
    doc = (project / DOC).read_text()
    assert "git ref 'no-such-ref' not found" in doc
    assert "fix the plan's red mode" in report.failed_stage.details[0]


def records(root: Path) -> dict[Path, bytes]:
    files = [p for p in (root / "docs").rglob("*") if p.is_file()] + [root / LEDGER_FILE]
    return {p: p.read_bytes() for p in files}


def test_an_interrupted_run_leaves_records_as_they_were(proven_project):
    project = proven_project
    before = records(project)

    def interrupt(line: str) -> None:
        if "regression ..." in line:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_gate(project, "M1", GateOptions(), progress=interrupt)
    assert records(project) == before
    assert not (project / LOCK_FILE).exists()


def test_a_second_gate_is_refused_while_one_runs(project):
    (project / LOCK_FILE).write_text(str(subprocess.Popen(["sleep", "30"]).pid))
    with pytest.raises(GateBusy, match="another milestone gate is running"):
        gate(project)


def test_a_stale_lock_from_a_killed_gate_is_taken_over(project):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (project / LOCK_FILE).write_text(str(dead.pid))
    code, _ = gate(project)
    assert code == 0


def test_failing_green_never_marks_done(project):
    calc = project / "packages" / "calc" / "src" / "calc" / "__init__.py"
    calc.write_text(CALC.replace("return a - b", "return a + b"))
    code, report = gate(project)
    assert code == 1 and report.failed_stage.name == "green"
    assert "tests/test_sub.py::test_sub" in " ".join(report.failed_stage.details)
    assert ledger(project)["milestones"]["M1"]["state"] == "failed"
    assert "**Completed**: —" in (project / DOC).read_text()


def test_plan_and_status_commands(first_proof):
    project = first_proof[0]
    repo = Path(__file__).resolve().parents[2]
    for command, expected in (("status", "DONE M1."), ("plan", "## Implementation Order")):
        args = [sys.executable, "-m", "pipelines", "--root", str(project), command]
        args += ["M1"] if command == "plan" else []
        result = subprocess.run(args, capture_output=True, text=True, cwd=repo)
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout
    assert (
        "style M1 fill:#2d5016"
        in subprocess.run(
            [sys.executable, "-m", "pipelines", "--root", str(project), "status"],
            capture_output=True,
            text=True,
            cwd=repo,
        ).stdout
    )


def test_results_doc_lists_every_named_test(first_proof):
    doc = (first_proof[0] / DOC).read_text()
    for name in ("test_add", "test_add_in_a_subprocess", "test_kinds", "test_sub"):
        assert f"| `{name}` |" in doc
    assert textwrap.dedent("## GREEN and regression") in doc


KILL_AFTER_THE_DOC_RENAME = """\
import os
import sys
from pathlib import Path

from pipelines.gate import run_gate

real_replace = os.replace


def replace(src, dst):
    real_replace(src, dst)
    if str(dst).endswith("-results.md"):
        os._exit(9)  # killed between the renames: no cleanup runs


os.replace = replace
run_gate(Path(sys.argv[1]), "M1", progress=lambda line: None)
"""


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.tmp") if p.is_file()]


def test_a_kill_between_the_record_renames_is_completed_by_the_next_start(proven_project):
    project = proven_project
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_THE_DOC_RENAME, str(project)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert killed.returncode == 9, killed.stderr
    # The next gate start (here one that stops at load) finishes the record set first.
    with pytest.raises(UsageError):
        gate(project, milestone="M9")
    sidecar = json.loads((project / DOC).with_suffix(".json").read_text())
    finished = sidecar["last_run"]["finished"]
    assert f"→ {finished} (passed)" in (project / DOC).read_text()
    assert ledger(project)["milestones"]["M1"]["last_gate"] == finished
    events = (project / "docs/results/M1-calculator-events.jsonl").read_text().splitlines()
    assert json.loads(events[-1]) | {"time": finished} == json.loads(events[-1])
    assert temp_files(project) == []


def test_stale_temp_files_of_a_killed_record_are_removed_by_the_next_gate(proven_project):
    project = proven_project
    stale = [
        project / "docs" / "results" / ".M1-calculator-results.md.k3j2h1x9.tmp",
        project / "plans" / ".status.json.a8b7c6d5.tmp",
    ]
    for path in stale:
        path.write_text("half written")
    code, _ = gate(project)
    assert code == 0
    assert temp_files(project) == []
