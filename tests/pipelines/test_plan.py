"""Plan validation: a broken plan names the file, the field and what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from pipelines.errors import PlanError
from pipelines.plan import load_plans, topological_order
from tests._support.plans import MINIMAL_PLAN

VALID = MINIMAL_PLAN


def project(tmp_path: Path, *plans: dict) -> Path:
    (tmp_path / "packages" / "calc").mkdir(parents=True)
    (tmp_path / "tests").mkdir(parents=True)
    (tmp_path / "tests" / "test_add.py").write_text("def test_add():\n    pass\n")
    (tmp_path / "plans").mkdir()
    for plan in plans:
        (tmp_path / "plans" / f"{plan['id']}.yaml").write_text(yaml.safe_dump(plan))
    return tmp_path


def with_(**changes) -> dict:
    return {**VALID, **changes}


def error_of(tmp_path: Path, *plans: dict) -> str:
    with pytest.raises(PlanError) as caught:
        load_plans(project(tmp_path, *plans))
    return str(caught.value)


def test_a_valid_plan_loads_with_defaults(tmp_path):
    plans = load_plans(project(tmp_path, VALID))
    plan = plans["M1"]
    assert plan.red.mode == "mask"
    assert plan.regression_scope == ("tests",)
    assert plan.results_doc == "docs/results/M1-adder-results.md"
    assert plan.named_tests() == [("tests/test_add.py", "test_add")]


def test_unknown_key_is_named_with_its_path(tmp_path):
    plan = with_(steps=[{**VALID["steps"][0], "implementaton": ["calc"]}])
    message = error_of(tmp_path, plan)
    assert message.startswith("plans/M1.yaml: steps[0].implementaton: unknown key")


def test_missing_required_key(tmp_path):
    plan = dict(VALID)
    del plan["goal"]
    assert error_of(tmp_path, plan) == "plans/M1.yaml: goal: missing (required)"


def test_missing_test_file_of_an_implemented_milestone(tmp_path):
    step = {**VALID["steps"][0], "tests": [{"file": "tests/test_nope.py", "names": ["test_x"]}]}
    message = error_of(tmp_path, with_(steps=[step]))
    assert message.startswith("plans/M1.yaml: steps[0].tests[0].file: test file tests/test_nope.py")


def test_missing_test_file_is_fine_while_only_planned(tmp_path):
    step = {**VALID["steps"][0], "tests": [{"file": "tests/test_nope.py", "names": ["test_x"]}]}
    assert load_plans(project(tmp_path, with_(steps=[step], implemented=False)))


def test_unknown_dependency(tmp_path):
    message = error_of(tmp_path, with_(depends_on=["M7"]))
    assert message == "plans/M1.yaml: depends_on[0]: unknown milestone 'M7'"


def test_dependency_cycle_is_named(tmp_path):
    m1 = with_(depends_on=["M2"])
    m2 = with_(id="M2", slug="two", depends_on=["M1"])
    assert "dependency cycle: M1 -> M2 -> M1" in error_of(tmp_path, m1, m2)


def test_id_must_match_file_name(tmp_path):
    root = project(tmp_path, VALID)
    (root / "plans" / "M1.yaml").rename(root / "plans" / "M2.yaml")
    with pytest.raises(PlanError, match=r"plans/M2.yaml: id: 'M1' does not match"):
        load_plans(root)


def test_red_none_needs_a_reason(tmp_path):
    message = error_of(tmp_path, with_(red={"mode": "none"}))
    assert message == "plans/M1.yaml: red.reason: mode none needs a written reason"


def test_bad_red_mode(tmp_path):
    assert "is not one of mask, git:<ref>, none" in error_of(tmp_path, with_(red={"mode": "git:"}))


def test_git_red_mode_keeps_its_ref(tmp_path):
    plans = load_plans(project(tmp_path, with_(red={"mode": "git:v0.1"})))
    assert (plans["M1"].red.mode, plans["M1"].red.ref) == ("git", "v0.1")


def test_duplicate_test_name(tmp_path):
    step = {**VALID["steps"][0]}
    step["tests"] = [{"file": "tests/test_add.py", "names": ["test_add", "test_add"]}]
    assert "already listed at steps[0].tests[0].names[0]" in error_of(tmp_path, with_(steps=[step]))


def test_wrong_types_say_what_they_got(tmp_path):
    message = error_of(tmp_path / "a", with_(implemented="yes"))
    assert "implemented: expected true or false, got str 'yes'" in message
    message = error_of(tmp_path / "b", with_(depends_on="M0"))
    assert "depends_on: expected a list, got str 'M0'" in message


def test_yaml_syntax_error_names_the_line(tmp_path):
    root = project(tmp_path, VALID)
    (root / "plans" / "M1.yaml").write_text(textwrap.dedent("id: M1\ntitle: [unclosed\n"))
    with pytest.raises(PlanError, match=r"plans/M1.yaml: line \d+, column \d+: not valid YAML"):
        load_plans(root)


def test_topological_order_follows_dependencies(tmp_path):
    m1 = with_(depends_on=["M2"])
    m2 = with_(id="M2", slug="two")
    assert topological_order(load_plans(project(tmp_path, m1, m2))) == ["M2", "M1"]


def test_this_repos_plans_are_valid():
    root = Path(__file__).resolve().parents[2]
    plans = load_plans(root)
    assert list(plans) == [f"M{n}" for n in range(1, 10)]


def test_a_plan_that_is_not_utf8_names_the_file_and_exits_2(tmp_path, capsys):
    from pipelines.cli import main

    root = project(tmp_path, VALID)
    (root / "plans" / "M1.yaml").write_bytes(b"id: M1\ntitle: Caf\xe9\n")
    with pytest.raises(PlanError, match=r"^plans/M1.yaml: line 2, column 11: not UTF-8 text"):
        load_plans(root)
    assert main(["--root", str(root), "validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: plans/M1.yaml: line 2, column 11: not UTF-8 text (byte 0xe9)")
    assert "Traceback" not in err
