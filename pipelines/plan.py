"""Milestone plans: the frozen model, loading and validation (see plans/SCHEMA.md).

Every problem is a PlanError naming the file, the field and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import PlanError

MILESTONE_ID = re.compile(r"M[1-9][0-9]*")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
TEST_NAME = re.compile(r"test_[A-Za-z0-9_]*")


@dataclass(frozen=True)
class TestRef:
    file: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    number: int  # 1-based
    title: str
    tests: tuple[TestRef, ...]
    implementation: tuple[str, ...]

    def named_tests(self) -> list[tuple[str, str]]:
        return [(ref.file, name) for ref in self.tests for name in ref.names]


@dataclass(frozen=True)
class RedMode:
    mode: str  # "mask" | "git" | "none"
    ref: str | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.mode == "git":
            return f"git:{self.ref}"
        if self.mode == "none":
            return f"none ({self.reason})"
        return "mask"


@dataclass(frozen=True)
class Plan:
    source: str  # the plan file, relative to the repository root
    id: str
    title: str
    slug: str
    goal: str
    implemented: bool
    depends_on: tuple[str, ...]
    packages: tuple[str, ...]
    red: RedMode
    regression_scope: tuple[str, ...]
    results_doc: str
    success_criteria: tuple[str, ...]
    critical_files: tuple[tuple[str, str], ...]
    verification: tuple[str, ...]
    reconciliation: tuple[tuple[str, str, str], ...]
    notes: str
    steps: tuple[Step, ...]

    def named_tests(self) -> list[tuple[str, str]]:
        return [test for step in self.steps for test in step.named_tests()]

    def step(self, number: int) -> Step:
        return self.steps[number - 1]


# --- a small declarative checker -------------------------------------------------

Check = Callable[[Any, str], Any]


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, field: str, problem: str) -> PlanError:
        return PlanError(self.source, field, problem)

    def mapping(self, value: Any, field: str, keys: Mapping[str, tuple[bool, Check]]) -> dict:
        """Check ``value`` is a mapping with known keys; returns {key: checked value}."""
        if not isinstance(value, dict):
            raise self.fail(field or "(top level)", f"expected a mapping, got {_kind(value)}")
        for key in value:
            if key not in keys:
                known = ", ".join(keys)
                raise self.fail(_join(field, str(key)), f"unknown key (known keys: {known})")
        checked = {}
        for key, (required, check) in keys.items():
            where = _join(field, key)
            if key not in value:
                if required:
                    raise self.fail(where, "missing (required)")
                continue
            checked[key] = check(value[key], where)
        return checked

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def boolean(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, f"expected true or false, got {_kind(value)}")
        return value

    def matching(self, pattern: re.Pattern, what: str) -> Check:
        def check(value: Any, field: str) -> str:
            text = self.string(value, field)
            if not pattern.fullmatch(text):
                raise self.fail(field, f"{text!r} is not {what}")
            return text

        return check

    def list_of(self, item: Check, *, non_empty: bool = False) -> Check:
        def check(value: Any, field: str) -> tuple:
            if not isinstance(value, list):
                raise self.fail(field, f"expected a list, got {_kind(value)}")
            if non_empty and not value:
                raise self.fail(field, "must not be empty")
            return tuple(item(entry, f"{field}[{i}]") for i, entry in enumerate(value))

        return check


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, dict) else "a mapping"


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


# --- the plan schema -----------------------------------------------------------


def parse_plan(data: Any, source: str) -> Plan:
    """Check one plan's structure (not the files it names) and build it."""
    c = _Checker(source)
    text = c.string
    test_file = c.matching(re.compile(r"tests/[\w./-]+\.py"), "a path under tests/ ending in .py")

    test_name = c.matching(TEST_NAME, "a test name (test_...)")

    def test_ref(value: Any, field: str) -> TestRef:
        keys = {
            "file": (True, test_file),
            "names": (True, c.list_of(test_name, non_empty=True)),
        }
        checked = c.mapping(value, field, keys)
        return TestRef(checked["file"], checked["names"])

    def step(value: Any, field: str) -> dict:
        keys = {
            "title": (True, text),
            "tests": (True, c.list_of(test_ref, non_empty=True)),
            "implementation": (False, c.list_of(c.matching(MODULE_NAME, "a dotted module name"))),
        }
        return c.mapping(value, field, keys)

    def red(value: Any, field: str) -> RedMode:
        checked = c.mapping(value, field, {"mode": (True, text), "reason": (False, text)})
        mode = checked["mode"]
        if mode == "mask":
            return RedMode("mask")
        if mode == "none":
            if "reason" not in checked:
                raise c.fail(f"{field}.reason", "mode none needs a written reason")
            return RedMode("none", reason=checked["reason"])
        if mode.startswith("git:") and mode[4:].strip():
            return RedMode("git", ref=mode[4:].strip())
        raise c.fail(f"{field}.mode", f"{mode!r} is not one of mask, git:<ref>, none")

    def pairs(*names: str) -> Check:
        def check(value: Any, field: str) -> tuple[str, ...]:
            checked = c.mapping(value, field, {name: (True, text) for name in names})
            return tuple(checked[name] for name in names)

        return check

    keys = {
        "id": (True, c.matching(MILESTONE_ID, "a milestone id like M6")),
        "title": (True, text),
        "slug": (True, c.matching(SLUG, "a slug of lowercase words joined by '-'")),
        "goal": (True, text),
        "implemented": (True, c.boolean),
        "depends_on": (True, c.list_of(c.matching(MILESTONE_ID, "a milestone id like M6"))),
        "packages": (True, c.list_of(text, non_empty=True)),
        "red": (False, red),
        "regression": (False, lambda v, f: c.mapping(v, f, {"scope": (True, c.list_of(text))})),
        "results_doc": (False, c.matching(re.compile(r"[\w./-]+\.md"), "a relative .md path")),
        "success_criteria": (True, c.list_of(text, non_empty=True)),
        "critical_files": (False, c.list_of(pairs("path", "why"))),
        "verification": (False, c.list_of(text)),
        "reconciliation": (False, c.list_of(pairs("seed", "actual", "action"))),
        "notes": (False, text),
        "steps": (True, c.list_of(step, non_empty=True)),
    }
    plan = c.mapping(data, "", keys)
    red_mode = plan.get("red", RedMode("mask"))
    steps = []
    for number, raw in enumerate(plan["steps"], start=1):
        implementation = raw.get("implementation", ())
        if red_mode.mode != "none" and not implementation:
            raise c.fail(
                f"steps[{number - 1}].implementation",
                "missing: name the modules the step introduces (RED masks them), "
                "or set red: {mode: none, reason: ...}",
            )
        steps.append(Step(number, raw["title"], raw["tests"], implementation))
    result = Plan(
        source=source,
        id=plan["id"],
        title=plan["title"],
        slug=plan["slug"],
        goal=plan["goal"],
        implemented=plan["implemented"],
        depends_on=plan["depends_on"],
        packages=plan["packages"],
        red=red_mode,
        regression_scope=plan.get("regression", {}).get("scope", ("tests",)),
        results_doc=plan.get("results_doc", f"docs/results/{plan['id']}-{plan['slug']}-results.md"),
        success_criteria=plan["success_criteria"],
        critical_files=plan.get("critical_files", ()),
        verification=plan.get("verification", ()),
        reconciliation=plan.get("reconciliation", ()),
        notes=plan.get("notes", ""),
        steps=tuple(steps),
    )
    _check_unique_tests(result, c)
    return result


def _check_unique_tests(plan: Plan, c: _Checker) -> None:
    seen: dict[tuple[str, str], str] = {}
    for s, step in enumerate(plan.steps):
        for t, ref in enumerate(step.tests):
            for n, name in enumerate(ref.names):
                field = f"steps[{s}].tests[{t}].names[{n}]"
                if (ref.file, name) in seen:
                    raise c.fail(
                        field, f"{name!r} in {ref.file} is already listed at {seen[ref.file, name]}"
                    )
                seen[ref.file, name] = field


# --- loading every plan ------------------------------------------------------------


def load_plan_file(path: Path, root: Path) -> Plan:
    source = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(source, "", f"cannot read the plan: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PlanError(source, *_not_utf8(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanError(source, where, f"not valid YAML: {problem}") from exc
    plan = parse_plan(data, source)
    if plan.id != path.stem:
        raise PlanError(source, "id", f"{plan.id!r} does not match the file name {path.name!r}")
    return plan


def _not_utf8(exc: UnicodeDecodeError) -> tuple[str, str]:
    """(where, problem) for a plan file that is not UTF-8."""
    raw = bytes(exc.object)
    line = raw.count(b"\n", 0, exc.start) + 1
    column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
    return (
        f"line {line}, column {column}",
        f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the plan as UTF-8",
    )


def load_plans(root: Path, plans_dir: str = "plans") -> dict[str, Plan]:
    """Every plan in ``root/plans_dir``, validated alone and as a dependency graph."""
    directory = root / plans_dir
    files = sorted(directory.glob("M*.yaml"), key=lambda p: _milestone_number(p.stem))
    if not files:
        raise PlanError(plans_dir, "", "no plan files (expected M1.yaml, M2.yaml, ...)")
    plans = {}
    for path in files:
        plan = load_plan_file(path, root)
        plans[plan.id] = plan
    check_graph(plans)
    for plan in plans.values():
        check_files(plan, root)
    return plans


def _milestone_number(name: str) -> tuple[int, str]:
    return (int(name[1:]), name) if MILESTONE_ID.fullmatch(name) else (10**9, name)


def check_graph(plans: Mapping[str, Plan]) -> None:
    for plan in plans.values():
        for i, dep in enumerate(plan.depends_on):
            if dep not in plans:
                raise PlanError(plan.source, f"depends_on[{i}]", f"unknown milestone {dep!r}")
            if dep == plan.id:
                raise PlanError(
                    plan.source, f"depends_on[{i}]", "a milestone cannot depend on itself"
                )
    cycle = find_cycle(plans)
    if cycle:
        first = plans[cycle[0]]
        raise PlanError(first.source, "depends_on", "dependency cycle: " + " -> ".join(cycle))


def find_cycle(plans: Mapping[str, Plan]) -> list[str] | None:
    state: dict[str, str] = {}  # "visiting" | "done"
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "visiting"
        stack.append(node)
        for dep in plans[node].depends_on:
            if state.get(dep) == "visiting":
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in plans:
        if node not in state and (found := visit(node)):
            return found
    return None


def topological_order(plans: Mapping[str, Plan]) -> list[str]:
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(plans):
        for plan_id in sorted(plans, key=_milestone_number):
            if plan_id not in placed and all(d in placed for d in plans[plan_id].depends_on):
                order.append(plan_id)
                placed.add(plan_id)
                break
    return order


def check_files(plan: Plan, root: Path) -> None:
    """An implemented milestone's test files must exist; packages must exist."""
    for i, package in enumerate(plan.packages):
        if not (root / "packages" / package).is_dir():
            raise PlanError(
                plan.source, f"packages[{i}]", f"no such package folder packages/{package}"
            )
    if not plan.implemented:
        return
    for s, step in enumerate(plan.steps):
        for t, ref in enumerate(step.tests):
            if not (root / ref.file).is_file():
                raise PlanError(
                    plan.source,
                    f"steps[{s}].tests[{t}].file",
                    f"test file {ref.file} does not exist (write it, fix the path, "
                    "or set implemented: false while the milestone is only planned)",
                )
