"""Running pytest in a subprocess and reading every test's outcome."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipelines import pytest_run
from pipelines._hooks import HOOKS_DIR, with_hooks_dir
from pipelines.mask import mask_environment
from pipelines.pytest_run import (
    CollectionError,
    PytestTimeout,
    failfast_args,
    run_pytest,
    split_node_id,
    tpr_available,
)
from tests._support.plain_pytest import fixture_projects_load_no_plugins  # noqa: F401 (autouse)

BASIC = """
    import pytest


    @pytest.fixture
    def broken():
        raise RuntimeError("fixture broke")


    @pytest.fixture
    def bad_teardown():
        yield
        raise RuntimeError("teardown broke")


    def test_pass():
        assert True


    def test_fail():
        assert 1 == 2


    def test_raises():
        raise ValueError("bad value\\nsecond line")


    def test_fixture_error(broken):
        pass


    def test_teardown_error(bad_teardown):
        pass


    def test_fail_and_teardown_error(bad_teardown):
        assert False


    @pytest.mark.skip(reason="not today")
    def test_skip():
        pass


    def test_skip_inside():
        pytest.skip("inside")


    @pytest.mark.xfail(reason="known", strict=False)
    def test_xfail():
        assert False


    @pytest.mark.xfail(reason="known", strict=False)
    def test_xpass():
        pass


    @pytest.mark.xfail(reason="strict", strict=True)
    def test_strict_xpass():
        pass


    def test_missing_fixture(pipelines_no_such_fixture):
        pass


    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_param(n):
        assert n != 2


    class TestGroup:
        def test_method(self):
            pass

        @pytest.mark.parametrize("s", ["a::b", "c[d]"])
        def test_odd_ids(self, s):
            pass
    """

BROKEN_FILES = {
    "test_syntax.py": "def test_x(:\n    pass\n",
    "test_indent.py": "def test_x():\npass\n",
    "test_import.py": "import pipelines_no_such_module_xyz\n\n\ndef test_y():\n    pass\n",
    "test_helper_syntax.py": "import broken_helper\n\n\ndef test_z():\n    pass\n",
    "test_module_raises.py": "raise RuntimeError('module level')\n",
    "test_missing_name.py": "import json\n\nNEW = json.pipelines_no_such_name\n",
    "broken_helper.py": "def f(:\n",
}

FAILFAST = """
    def test_a():
        assert False


    def test_b():
        assert False


    def test_c():
        pass
    """


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pytest-run-project")
    files = {"pyproject.toml": "[tool.pytest.ini_options]\n", "tests/test_basic.py": BASIC}
    files.update({f"tests/broken/{name}": text for name, text in BROKEN_FILES.items()})
    files["tests/failfast/test_failfast.py"] = FAILFAST
    (root / "tests" / "empty").mkdir(parents=True)
    return write(root, files)


@pytest.fixture(scope="module")
def basic(project):
    return run_pytest(["tests/test_basic.py"], root=project)


def outcome_of(run, nodeid):
    (found,) = [o for o in run.outcomes if o.nodeid == nodeid]
    return found


@pytest.mark.parametrize(
    ("test", "outcome", "message"),
    [
        ("test_pass", "passed", ""),
        ("test_fail", "failed", "AssertionError: assert 1 == 2"),
        ("test_raises", "failed", "ValueError: bad value"),
        ("test_fixture_error", "error", "RuntimeError: fixture broke"),
        ("test_teardown_error", "error", "RuntimeError: teardown broke"),
        ("test_fail_and_teardown_error", "failed", "AssertionError: assert False"),
        ("test_skip", "skipped", "Skipped: not today"),
        ("test_skip_inside", "skipped", "Skipped: inside"),
        ("test_xfail", "xfailed", ""),
        ("test_xpass", "xpassed", ""),
        ("test_strict_xpass", "failed", "[XPASS(strict)] strict"),
        (
            "test_missing_fixture",
            "error",
            "FixtureLookupError: fixture 'pipelines_no_such_fixture' not found",
        ),
        ("test_param[2]", "failed", "AssertionError: assert 2 != 2"),
        ("TestGroup::test_method", "passed", ""),
    ],
)
def test_outcomes_and_messages(basic, test, outcome, message):
    found = outcome_of(basic, f"tests/test_basic.py::{test}")
    assert (found.outcome, found.message) == (outcome, message)
    assert found.file == "tests/test_basic.py"
    assert found.duration >= 0


def test_the_run_itself(basic, project):
    assert basic.exit_code == 1
    assert basic.collection_errors == ()
    assert len(basic.outcomes) == len(basic.collected) == 18
    assert basic.args[:3] == (sys.executable, "-m", "pytest")
    assert basic.args[-1] == "tests/test_basic.py"
    assert basic.wall_time > 0
    assert "failed" in basic.output_tail
    assert len(basic.output_tail.splitlines()) <= pytest_run.TAIL_LINES


def test_by_name_groups_the_items_of_a_test(basic):
    grouped = basic.by_name()
    params = grouped["tests/test_basic.py", "test_param"]
    assert [o.outcome for o in params] == ["passed", "failed", "passed"]
    odd = grouped["tests/test_basic.py", "test_odd_ids"]
    assert [o.nodeid for o in odd] == [
        "tests/test_basic.py::TestGroup::test_odd_ids[a::b]",
        "tests/test_basic.py::TestGroup::test_odd_ids[c[d]]",
    ]
    assert grouped["tests/test_basic.py", "test_method"][0].name == "test_method"


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("tests/a.py::test_x", ("tests/a.py", "test_x")),
        ("tests/a.py::test_x[1-2]", ("tests/a.py", "test_x")),
        ("tests/a.py::Class::test_x[p::q]", ("tests/a.py", "test_x")),
        ("tests/a.py::Outer::Inner::test_x", ("tests/a.py", "test_x")),
    ],
)
def test_split_node_id(nodeid, expected):
    assert split_node_id(nodeid) == expected


def test_collection_errors_are_classified_and_other_files_still_run(project):
    run = run_pytest(["tests/broken", "tests/test_basic.py"], root=project)
    errors = {e.file: e for e in run.collection_errors}
    base = "tests/broken/"
    assert errors[base + "test_syntax.py"].kind == "syntax"
    assert errors[base + "test_syntax.py"].message.startswith("SyntaxError: ")
    assert errors[base + "test_indent.py"].kind == "syntax"
    assert errors[base + "test_indent.py"].message.startswith("IndentationError: ")
    assert errors[base + "test_import.py"] == CollectionError(
        base + "test_import.py",
        "import",
        "ModuleNotFoundError: No module named 'pipelines_no_such_module_xyz'",
    )
    # A SyntaxError in a module the test file imports is a failed import.
    assert errors[base + "test_helper_syntax.py"].kind == "import"
    assert errors[base + "test_module_raises.py"].kind == "other"
    assert errors[base + "test_module_raises.py"].message == "RuntimeError: module level"
    # Like `from json import pipelines_no_such_name`: the name is not there (yet).
    assert errors[base + "test_missing_name.py"] == CollectionError(
        base + "test_missing_name.py",
        "import",
        "AttributeError: module 'json' has no attribute 'pipelines_no_such_name'",
    )
    assert len(errors) == 6
    assert outcome_of(run, "tests/test_basic.py::test_pass").outcome == "passed"
    assert run.exit_code == 1


def test_collect_only_lists_node_ids(project):
    run = run_pytest(["tests/test_basic.py"], root=project, collect_only=True)
    assert run.exit_code == 0
    assert run.outcomes == ()
    assert "tests/test_basic.py::test_param[3]" in run.collected
    assert "tests/test_basic.py::TestGroup::test_method" in run.collected
    assert len(run.collected) == 18


def test_no_tests_is_exit_code_5(project):
    run = run_pytest(["tests/empty"], root=project)
    assert run.exit_code == 5
    assert run.collected == run.outcomes == ()


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_failfast_stops_after_the_first_failure(project, monkeypatch, mode):
    monkeypatch.setattr(pytest_run, "tpr_available", lambda *args, **kwargs: False)
    run = run_pytest(["tests/failfast"], root=project, failfast=mode)
    assert [(o.name, o.outcome) for o in run.outcomes] == [("test_a", "failed")]
    assert "-x" in run.args


def test_failfast_off_runs_everything(project):
    run = run_pytest(["tests/failfast"], root=project, failfast="off")
    assert [o.outcome for o in run.outcomes] == ["failed", "failed", "passed"]
    assert "-x" not in run.args


def test_failfast_uses_tpr_when_it_is_available(monkeypatch):
    monkeypatch.setattr(pytest_run, "tpr_available", lambda *args, **kwargs: True)
    assert failfast_args("soft", python="python", env={}) == ["--failfast-mode", "soft"]
    assert failfast_args("off", python="python", env={}) == []
    # A masked tpr has no plugin to take the option.
    masked = mask_environment(["tpr.plugin"], label="T1", env={})
    assert failfast_args("hard", python="python", env=masked) == ["-x"]
    with pytest.raises(ValueError, match="failfast must be one of"):
        failfast_args("sometimes", python="python", env={})


@pytest.mark.parametrize(
    ("source", "available"), [("FAILFAST_MODES = ('soft', 'hard')", True), ("", False)]
)
def test_tpr_available_asks_the_interpreter(tmp_path, source, available):
    write(tmp_path, {"tpr/__init__.py": source})
    env = {"PYTHONPATH": str(tmp_path)}
    assert tpr_available(sys.executable, env=env) is available


def test_a_crash_before_the_report_is_a_runtime_error(project):
    with pytest.raises(RuntimeError, match=r"without writing its report(.|\n)*no-such-option"):
        run_pytest(["tests/test_basic.py"], root=project, extra_args=["--no-such-option"])


PATH_PROBE = f"""
    import os


    def test_hooks_dir_once():
        entries = os.environ["PYTHONPATH"].split(os.pathsep)
        assert entries.count({str(HOOKS_DIR)!r}) == 1
        assert entries[0] == {str(HOOKS_DIR)!r}
    """


def test_the_hooks_dir_is_on_pythonpath_once(tmp_path):
    write(tmp_path, {"tests/test_path.py": PATH_PROBE})
    env = mask_environment(["pipelines_demo_masked"], label="T1")
    run = run_pytest(["tests/test_path.py"], root=tmp_path, env=env)
    assert [o.outcome for o in run.outcomes] == ["passed"], run.output_tail


def test_with_hooks_dir():
    ours = str(HOOKS_DIR)
    assert with_hooks_dir("", first=False) == ours
    assert with_hooks_dir(os.pathsep.join(["a", "b"]), first=False).split(os.pathsep) == [
        "a",
        "b",
        ours,
    ]
    already = os.pathsep.join([ours, "a"])
    assert with_hooks_dir(already, first=False) == already
    assert with_hooks_dir(os.pathsep.join(["a", ours]), first=True) == already


SLOW_TEST = """
    import subprocess
    import sys
    import time


    def test_hangs():
        # A grandchild holding the output pipe must not keep the run alive.
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        time.sleep(60)
    """


def test_timeout_kills_pytest_and_what_it_started(tmp_path):
    write(tmp_path, {"tests/test_slow.py": SLOW_TEST})
    began = time.monotonic()
    with pytest.raises(PytestTimeout, match="did not finish within 2 s"):
        run_pytest(["tests/test_slow.py"], root=tmp_path, timeout=2)
    assert time.monotonic() - began < 20


def test_a_long_run_reports_its_progress_while_it_runs(tmp_path, monkeypatch):
    tests = "\n".join(
        f"def test_{n}():\n    assert {n} % 7 != 3\n" for n in range(150)
    )  # 150 tests, 21 of them failing
    root = write(tmp_path / "progress", {"test_many.py": tests})
    monkeypatch.setattr(pytest_run, "PROGRESS_EVERY", 0.0)
    heard: list[str] = []
    run = run_pytest(["test_many.py"], root=root, progress=heard.append)
    assert len(run.outcomes) == 150
    assert heard, "no progress was reported"
    last = heard[-1]
    assert last.startswith("150 tests run (100%), 21 failed so far, ")
    counts = [int(text.split()[0]) for text in heard]
    assert counts == sorted(counts) and counts[0] < 150
