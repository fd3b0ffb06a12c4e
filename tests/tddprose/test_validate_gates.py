"""``tddprose validate``: the project's lint and the named (or newly written) tests run as
gates, with one deterministic JSON result and exit 1 when a gate fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tddprose.cli import main
from tests._support import tddprose_project
from tests._support.tddprose_project import PYTEST_CONFIG

CONFIG = PYTEST_CONFIG
RUFF = '[tool.ruff]\nline-length = 100\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n'
PASSING = "def test_adds():\n    assert 1 + 1 == 2\n"
FAILING = 'def test_subtracts():\n    assert 3 - 1 == 1, "subtraction is broken"\n'
UNUSED_IMPORT = "import os\n\n\ndef test_adds():\n    assert 1 + 1 == 2\n"


@pytest.fixture(autouse=True)
def _no_outer_addopts(monkeypatch):
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


def make_repo(root: Path, files: dict[str, str], config: str = CONFIG) -> Path:
    return tddprose_project.make_repo(root, {"pytest.ini": "[pytest]\n", **files}, config)


def validate(root: Path, capsys, *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["--root", str(root), "validate", "--json", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out)


def test_validate_passes_when_lint_and_tests_pass(tmp_path, capsys):
    root = make_repo(tmp_path, {"pyproject.toml": RUFF, "tests/test_math.py": PASSING})
    code, result = validate(root, capsys, str(root / "tests/test_math.py"))
    assert code == 0
    assert result["ok"] is True
    assert result["lint"]["ok"] is True
    assert result["lint"]["tool"] == "ruff"
    assert result["tests"]["ok"] is True
    assert result["tests"]["passed"] == 1
    assert result["tests"]["failed"] == 0
    assert result["paths"] == ["tests/test_math.py"]


def test_validate_fails_with_exit_1_when_a_test_fails_and_names_the_failure(tmp_path, capsys):
    root = make_repo(
        tmp_path,
        {"pyproject.toml": RUFF, "tests/test_math.py": PASSING + "\n\n" + FAILING},
    )
    code, result = validate(root, capsys, str(root / "tests/test_math.py"))
    assert code == 1
    assert result["ok"] is False
    assert result["lint"]["ok"] is True
    assert result["tests"]["ok"] is False
    assert (result["tests"]["passed"], result["tests"]["failed"]) == (1, 1)
    [failure] = result["tests"]["failures"]
    assert failure["test"].endswith("test_subtracts")
    assert "subtraction is broken" in failure["message"]


def test_validate_fails_when_lint_fails(tmp_path, capsys):
    root = make_repo(tmp_path, {"pyproject.toml": RUFF, "tests/test_math.py": UNUSED_IMPORT})
    code, result = validate(root, capsys, str(root / "tests/test_math.py"))
    assert code == 1
    assert result["lint"]["ok"] is False
    assert "F401" in result["lint"]["output"]
    assert result["tests"]["ok"] is True


def test_validate_skips_lint_when_the_project_configures_none(tmp_path, capsys):
    root = make_repo(tmp_path, {"tests/test_math.py": UNUSED_IMPORT})
    code, result = validate(root, capsys, str(root / "tests/test_math.py"))
    assert code == 0
    assert result["lint"] == {
        "ok": True,
        "skipped": True,
        "output": "no lint configured (no ruff settings, no validate.lint_cmd)",
        "tool": None,
    }


def test_validate_uses_the_lint_command_configured_for_it(tmp_path, capsys):
    failing_lint = CONFIG + "validate:\n  lint_cmd: \"python -c 'import sys; sys.exit(3)'\"\n"
    root = make_repo(tmp_path, {"tests/test_math.py": PASSING}, failing_lint)
    code, result = validate(root, capsys, str(root / "tests/test_math.py"))
    assert code == 1
    assert result["lint"]["ok"] is False
    assert result["lint"]["exit_code"] == 3
    off = CONFIG + "validate:\n  lint_cmd: false\n"
    files = {"pyproject.toml": RUFF, "tests/test_math.py": UNUSED_IMPORT}
    root = make_repo(tmp_path / "off", files, off)
    code, result = validate(root, capsys, str(root / "tests/test_math.py"))
    assert code == 0
    assert result["lint"]["skipped"] is True


def test_validate_without_paths_checks_the_files_the_last_write_wrote(tmp_path, capsys):
    root = make_repo(tmp_path, {"tests/test_math.py": PASSING, "tests/test_other.py": FAILING})
    (root / "intent.json").write_text(
        json.dumps(
            {
                "domain": "math",
                "behaviors": [
                    {
                        "behavior_id": "math.division",
                        "given": "two numbers",
                        "when": "one is divided by the other",
                        "then": "the quotient is returned",
                    }
                ],
            }
        )
    )
    capsys.readouterr()
    write = ["write", str(root / "intent.json"), "--apply", "--no-runner"]
    assert main(["--root", str(root), *write]) == 0
    code, result = validate(root, capsys)
    assert result["paths"] == ["tests/test_math.py"]
    assert code == 1  # the new RED test fails, as it should until it is implemented
    assert result["tests"]["failed"] == 1
    [failure] = result["tests"]["failures"]
    assert "not implemented yet: the quotient is returned" in failure["message"]


def test_validate_without_paths_or_a_previous_write_is_bad_input(tmp_path, capsys):
    root = make_repo(tmp_path, {"tests/test_math.py": PASSING})
    capsys.readouterr()
    code = main(["--root", str(root), "validate"])
    assert code == 2
    assert "name the test files" in capsys.readouterr().err


def test_validate_of_a_missing_path_is_bad_input(tmp_path, capsys):
    root = make_repo(tmp_path, {"tests/test_math.py": PASSING})
    capsys.readouterr()
    code = main(["--root", str(root), "validate", str(root / "tests/nope.py")])
    assert code == 2
    assert "nope.py" in capsys.readouterr().err


def test_an_unknown_validate_config_key_names_the_fix(tmp_path, capsys):
    root = make_repo(tmp_path, {}, CONFIG + "validate:\n  lint_cmnd: ruff\n")
    capsys.readouterr()
    code = main(["--root", str(root), "validate", "x.py"])
    assert code == 2
    assert "validate.lint_cmnd: unknown key; did you mean 'lint_cmd'?" in capsys.readouterr().err


def test_validate_output_is_byte_identical_across_runs(tmp_path, capsys):
    root = make_repo(tmp_path, {"pyproject.toml": RUFF, "tests/test_math.py": FAILING})
    path = str(root / "tests/test_math.py")
    outputs = []
    for _ in range(2):
        capsys.readouterr()
        assert main(["--root", str(root), "validate", "--json", path]) == 1  # a test fails
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["tests"]["ok"] is False
    assert str(tmp_path) not in outputs[0]
