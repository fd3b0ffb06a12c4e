"""The fixture projects in ``projects/``: small suites shaped like real ones, compiled
through the CLI with and without the runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests._support.tddprose_project import behaviors, outputs, run

PROJECTS = Path(__file__).parent / "projects"
PROJECT_NAMES = sorted(p.name for p in PROJECTS.iterdir() if p.is_dir())
OPTIONAL_MODULE = "ANSWER = 42\n\n\ndef double(n):\n    return 2 * n\n"


def materialise(name: str, destination: Path) -> Path:
    """Copy one fixture project; ``*.py.txt`` files become ``*.py``."""
    source = PROJECTS / name
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(source).as_posix()
        if relative.endswith(".py.txt"):
            relative = relative[: -len(".txt")]
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return destination


MODES = {"runner": (), "static": ("--no-runner",)}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("project", PROJECT_NAMES)
def test_sync_apply_then_check_passes_on_every_fixture_project(tmp_path, capsys, project, mode):
    root = materialise(project, tmp_path / project)
    assert run(root, "sync", "--apply", *MODES[mode]) == 0
    capsys.readouterr()
    code = run(root, "check", *MODES[mode])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "stale" not in out and "need review" not in out
    assert run(root, "sync", "--apply", *MODES[mode]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("project", PROJECT_NAMES)
def test_static_and_runner_modes_write_the_same_ledger_on_every_fixture_project(
    tmp_path, capsys, project
):
    static = materialise(project, tmp_path / "static")
    runner = materialise(project, tmp_path / "runner")
    assert run(static, "sync", "--apply", "--no-runner") == 0
    assert run(runner, "sync", "--apply") == 0
    assert outputs(static) == outputs(runner)


def test_unittest_classes_keep_their_heuristic_ids_docstrings_and_class_in_titles(tmp_path, capsys):
    root = materialise("unittest_classes", tmp_path / "project")
    assert run(root, "sync", "--apply") == 0
    found = behaviors(root, capsys)
    assert not [b for b in found if "~" in b]
    assert {b: found[b]["status"] for b in found} == dict.fromkeys(found, "ok")
    assert found["adder.adder_tests.basic"]["title"] == "Adding two small numbers gives their sum."
    assert found["adder.adder_tests.negative"]["title"] == "Adder: negative"
    assert found["adder.parser_checks.0"]["title"] == "Parser checks: 0"
    assert found["imported.queue_spec.false"]["title"] == "Queue spec: False"
    assert "imported.deque_checks.rotate" in found
    assert "imported.stack_behaviour.push_then_pop_returns_the_item" in found
    assert not [b for b in found if "not_collected" in b]


def test_the_ledger_is_the_same_whether_an_optional_dependency_is_installed_or_not(
    tmp_path, capsys
):
    missing = materialise("optional_dependency", tmp_path / "missing")
    present = materialise("optional_dependency", tmp_path / "present")
    (present / "tddprose_fixture_optional.py").write_text(OPTIONAL_MODULE)
    for root in (missing, present):
        assert run(root, "sync", "--apply") == 0
        capsys.readouterr()
        assert run(root, "check") == 0, capsys.readouterr().out
    assert outputs(missing) == outputs(present)
    found = behaviors(missing, capsys)
    answers = found["importorskip.the_optional_package_answers"]
    assert answers["status"] == "ok"
    assert answers["title"] == "The optional package answers forty-two."
    doubles = found["importorskip.the_optional_package_doubles"]
    assert [e["nodeid"].rsplit("::", 1)[1] for e in doubles["evidence"]] == [
        "test_the_optional_package_doubles[1]",
        "test_the_optional_package_doubles[2]",
    ]
    assert found["module_level_skip.gated.gated_feature_works"]["status"] == "ok"


def test_tests_deselected_by_the_addopts_of_the_project_keep_their_behaviors(tmp_path, capsys):
    root = materialise("deselected_by_addopts", tmp_path / "project")
    assert run(root, "sync", "--apply") == 0
    capsys.readouterr()
    assert run(root, "check") == 0, capsys.readouterr().out
    found = behaviors(root, capsys)
    assert found["mixed.slow_path_still_finishes"]["title"] == "The slow path finishes."
    hosts = found["mixed.each_host_answers"]["evidence"]
    assert [e["nodeid"].rsplit("::", 1)[1] for e in hosts] == [
        "test_each_host_answers[a]",
        "test_each_host_answers[b]",
    ]
    assert all(b["status"] == "ok" for b in found.values())
    assert "all_slow.the_whole_module_is_slow" in found


def test_an_empty_parametrize_id_gets_the_node_id_pytest_gives_it_in_both_modes(tmp_path, capsys):
    expected = {
        "strings.strip_keeps_plain_strings": ["[]", "[a]"],
        "strings.an_empty_explicit_id": ["[]", "[b]"],
        "strings.an_empty_param_id": ["[]"],
        "strings.two_empty_strings": ["[0]", "[1]"],
        "strings.two_empty_values": ["[-]"],
    }
    for mode in MODES.values():
        root = materialise("empty_parametrize_id", tmp_path / (mode[0] if mode else "runner"))
        assert run(root, "sync", "--apply", *mode) == 0
        found = behaviors(root, capsys, *mode)
        for behavior_id, cases in expected.items():
            nodeids = [e["nodeid"] for e in found[behavior_id]["evidence"]]
            function = behavior_id.split(".")[1]
            assert nodeids == [f"tests/test_strings.py::test_{function}{c}" for c in cases]


def test_junit_results_for_empty_parametrize_ids_all_match_the_ledger(tmp_path, capsys):
    root = materialise("empty_parametrize_id", tmp_path / "project")
    junit = tmp_path / "junit.xml"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--junitxml={junit}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for mode in MODES.values():
        capsys.readouterr()
        assert run(root, "report", "--from", str(junit), *mode) == 0
        assert "8 results matched, 0 unmatched" in capsys.readouterr().out
