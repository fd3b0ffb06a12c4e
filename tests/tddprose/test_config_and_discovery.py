"""Config loading (errors name the key and the fix) and test-file discovery."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tddprose.config import load_config, parse_config, write_starter
from tddprose.discovery import discover, glob_regex, literal_root
from tddprose.errors import ConfigError

MINIMAL = """
spec_output: spec/
test_globs: ["tests/**/*.py"]
frameworks:
  - name: pytest
    collect_cmd: "python -m pytest --collect-only -q"
"""


def config(text: str):
    return parse_config(text, Path(".tdd-prose/config.yml"))


def test_required_fields_and_deterministic_defaults():
    loaded = config(MINIMAL)
    assert loaded.spec_output == "spec/"
    assert loaded.test_globs == ("tests/**/*.py",)
    assert loaded.frameworks[0].collect_cmd == "python -m pytest --collect-only -q"
    assert loaded.block_default == "{suite_path.0}"
    assert loaded.wrap_column == 88
    assert (loaded.needs_review_max, loaded.orphaned_max) == (0, 0)
    assert loaded.digest() == config(MINIMAL).digest()
    assert loaded.digest() != config(MINIMAL + "render:\n  wrap_column: 72\n").digest()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("spec_output: spec/\nframeworks: []\n", "test_globs: missing (required)"),
        (MINIMAL + "ci:\n  needs_review_max: lots\n", "ci.needs_review_max: expected a whole"),
        (
            MINIMAL + "render:\n  wrap_colum: 80\n",
            "render.wrap_colum: unknown key; did you mean 'wrap_column'",
        ),
        (MINIMAL + "eligibility:\n  default: public\n", "eligibility.default: expected one of"),
        (
            MINIMAL.replace('    collect_cmd: "python -m pytest --collect-only -q"\n', ""),
            "frameworks[0].collect_cmd: missing",
        ),
        ("spec_output: [\n", "not valid YAML (line"),
        ("- a\n- b\n", "expected a mapping of settings"),
        (
            MINIMAL.replace("spec/", "/etc/spec"),
            "spec_output: must be a path inside the repository",
        ),
    ],
)
def test_a_bad_config_names_the_key_and_the_problem(text, names):
    with pytest.raises(ConfigError) as caught:
        config(text)
    assert ".tdd-prose/config.yml" in str(caught.value)
    assert names in str(caught.value)


def test_init_writes_a_starter_that_loads_and_refuses_to_overwrite(tmp_path):
    (tmp_path / "tests").mkdir()
    written = write_starter(tmp_path)
    assert {p.name for p in written} == {"config.yml", ".gitignore"}
    loaded = load_config(tmp_path)
    assert loaded.test_globs == ("tests/**/*.py",)
    assert "state.sqlite" in (tmp_path / ".tdd-prose/.gitignore").read_text()
    with pytest.raises(ConfigError, match="already exists; edit it, or pass --force"):
        write_starter(tmp_path)


def test_missing_config_says_to_run_init(tmp_path):
    with pytest.raises(ConfigError, match="run `tddprose init`"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("tests/**/*.py", "tests/test_a.py", True),
        ("tests/**/*.py", "tests/x/y/test_a.py", True),
        ("tests/**/*.py", "src/test_a.py", False),
        ("**/fixtures/**", "tests/fixtures/data/x.py", True),
        ("**/*_snapshot*", "tests/ui/test_login_snapshot.py", True),
        ("tests/test_?.py", "tests/test_ab.py", False),
    ],
)
def test_globs_match_any_depth_with_double_star(pattern, path, hit):
    assert bool(glob_regex(pattern).match(path)) is hit


def test_discovery_applies_excludes_and_survives_symlink_loops(tmp_path):
    (tmp_path / "tests/unit").mkdir(parents=True)
    (tmp_path / "tests/fixtures").mkdir()
    (tmp_path / "tests/unit/test_a.py").write_text("def test_a(): pass\n")
    (tmp_path / "tests/fixtures/test_data.py").write_text("")
    (tmp_path / "tests/.hidden").mkdir()
    (tmp_path / "tests/.hidden/test_h.py").write_text("")
    os.symlink(tmp_path / "tests", tmp_path / "tests/unit/loop")  # a directory loop
    os.symlink("test_self.py", tmp_path / "tests/test_self.py")  # a file loop
    files, diagnostics = discover(tmp_path, ("tests/**/*.py",), ("**/fixtures/**",))
    assert [f.path for f in files] == ["tests/unit/test_a.py"]
    assert files[0].suite_root == literal_root("tests/**/*.py") == "tests"
    assert [(d.code, d.path) for d in diagnostics] == [("unreadable_file", "tests/test_self.py")]


def test_discovery_of_an_empty_repo_finds_nothing(tmp_path):
    assert discover(tmp_path, ("tests/**/*.py",), ()) == ([], [])
