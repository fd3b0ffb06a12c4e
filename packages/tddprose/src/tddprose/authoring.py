"""Gap-aware planning and anchored RED tests (``tddprose plan``, ``tddprose write``).

``build_plan`` classifies each intent of a Behavior Intent file against the ledger
(seed section 14.4):

- ``conflicting``: an ``intent validate`` conflict names it (``tddprose.intent``);
- ``uncovered``: no behavior has its id, or the behavior is orphaned (no test
  evidences it any more; a new anchored test revives it);
- ``partially_covered``: the behavior exists but needs review, is evidenced by
  internal tests only, or has weak evidence (active weight below 1, or no assertion);
- ``covered``: the behavior is ``ok`` with strong evidence.

An uncovered intent gets a test plan (seed section 14.5): the target file, by the
repository's conventions (``choose_target``), the test's name, the anchor comment the
pytest adapter reads, and the fixtures that conftest.py files on the target's path
define (read statically, with ``ast``; nothing is imported or run).

``render_writes`` turns the plan into file contents: each uncovered intent becomes a
test that fails with ``pytest.fail("not implemented yet: <then>")`` under its anchor,
its given / when / then as the docstring. Tests are only ever appended: existing
bytes are kept as they are, a taken name gets a ``_2`` suffix, and a target that does
not parse is not touched at all.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tddprose.config import Config
from tddprose.discovery import literal_root, matches
from tddprose.identity import normalise_space, slug
from tddprose.intent import (
    CONFLICT,
    BehaviorIntent,
    Intent,
    Problem,
    check_intent,
    in_domain,
)
from tddprose.model import BEHAVIOR, EXCLUDED, NEEDS_REVIEW, ORPHANED, Behavior, BehaviorGraph

COVERED = "covered"
PARTIAL = "partially_covered"
UNCOVERED = "uncovered"
CONFLICTING = "conflicting"
CLASSIFICATIONS = (COVERED, PARTIAL, UNCOVERED, CONFLICTING)
# Generated code stays within this width (the docstring) where words allow.
LINE_WIDTH = 88
MESSAGE_CHUNK = 70
NOT_IMPLEMENTED = "not implemented yet: "
_WORD = re.compile(r"[a-z0-9]+")
_LEAD = re.compile(r"^(given|when|then)\s+", re.I)


@dataclass(frozen=True)
class Fixture:
    name: str
    defined_in: str
    suggested: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "defined_in": self.defined_in, "suggested": self.suggested}


@dataclass(frozen=True)
class TestPlan:
    __test__ = False  # not a pytest test class

    target_file: str
    target_exists: bool
    target_reason: str
    test_name: str
    anchor: str
    target_domain: str
    fixtures: tuple[Fixture, ...] = ()
    blocked: str = ""  # why the test cannot be written now (empty when it can)

    def to_json(self) -> dict[str, Any]:
        return {
            "target_file": self.target_file,
            "target_exists": self.target_exists,
            "target_reason": self.target_reason,
            "test_name": self.test_name,
            "anchor": self.anchor,
            "fixtures": [f.to_json() for f in self.fixtures],
            "blocked": self.blocked or None,
        }


@dataclass(frozen=True)
class PlanItem:
    intent: BehaviorIntent
    classification: str
    reason: str
    existing: Behavior | None = None
    test_plan: TestPlan | None = None

    def to_json(self) -> dict[str, Any]:
        b, existing = self.intent, self.existing
        return {
            "behavior_id": b.behavior_id,
            "classification": self.classification,
            "reason": self.reason,
            "given": b.given,
            "when": b.when,
            "then": b.then,
            "depends_on": list(b.depends_on),
            "related_to": list(b.related_to),
            "existing": None
            if existing is None
            else {
                "block_id": existing.block_id,
                "title": existing.title,
                "status": existing.status,
                "weak_evidence": existing.weak_evidence,
            },
            "evidence": sorted({e.nodeid for e in existing.evidence}) if existing else [],
            "test_plan": self.test_plan.to_json() if self.test_plan else None,
        }


@dataclass
class AuthoringPlan:
    intent: Intent
    items: list[PlanItem]
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        tally = Counter(i.classification for i in self.items)
        return {c: tally.get(c, 0) for c in CLASSIFICATIONS}

    def to_json(self, display: str) -> dict[str, Any]:
        return {
            "file": display,
            "domain": self.intent.domain,
            "constraints": {k: list(v) for k, v in sorted(self.intent.constraints.items())},
            "intents": [item.to_json() for item in self.items],
            "summary": self.summary(),
            "problems": [p.to_json() for p in self.problems],
        }


# --- classification -------------------------------------------------------------------


def classify(behavior: Behavior | None, conflicts: list[Problem]) -> tuple[str, str]:
    if conflicts:
        return CONFLICTING, "; ".join(p.message for p in conflicts)
    if behavior is None:
        return UNCOVERED, "no behavior with this id in the ledger"
    if behavior.status == ORPHANED or not behavior.evidence:
        return UNCOVERED, "orphaned: no test evidences it any more (an anchored test revives it)"
    if behavior.status == NEEDS_REVIEW:
        return PARTIAL, "needs review: " + "; ".join(behavior.reasons)
    if behavior.status == EXCLUDED or behavior.eligibility != BEHAVIOR:
        return PARTIAL, "evidenced by internal tests only (not in the ledger); anchor a test"
    if behavior.weak_evidence:
        weight = sum(e.weight for e in behavior.evidence if e.active)
        if weight < 0.999:
            why = f"active evidence weighs {weight:.2f} of 1 (skipped, xfail or shared tests)"
        else:
            why = "no active test asserts anything"
        return PARTIAL, f"weak evidence: {why}"
    tests = len({e.test_id for e in behavior.evidence if e.active})
    return COVERED, f"evidenced by {tests} test(s) with assertions"


# --- conventions: target file, fixtures, names --------------------------------------------


def target_domain(domain: str, behavior_id: str) -> str:
    """Where an intent's test goes: the file's domain, or, for an id outside it, the
    id without its last segment."""
    if in_domain(behavior_id, domain):
        return domain
    parts = behavior_id.split(".")
    return ".".join(parts[:-1]) if len(parts) > 1 else domain


def _common(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _evidence_files(behavior: Behavior) -> set[str]:
    return {e.nodeid.split("::", 1)[0] for e in behavior.evidence}


def choose_target(domain: str, graph: BehaviorGraph, config: Config, root: Path) -> tuple[str, str]:
    """``(path, reason)``. The behaviors whose id or block shares the longest dotted
    prefix with ``domain`` decide: when they match it whole, the file holding most of
    them; when only a parent matches, a new ``test_<last segment>.py`` beside that
    file; when nothing matches, ``test_<last segment>.py`` under the first test glob's
    root. A new file whose basename another test file has already is named after the
    whole domain instead (``test_search_login.py``): pytest's default import mode
    refuses two test modules of one basename."""
    want = domain.split(".")
    scored: list[tuple[int, Behavior]] = []
    for behavior in graph.behaviors:
        if behavior.eligibility != BEHAVIOR or not behavior.evidence:
            continue
        score = max(
            _common(behavior.behavior_id.split("."), want),
            _common(behavior.block_id.split("."), want),
        )
        scored.append((min(score, len(want)), behavior))
    best = max((s for s, _ in scored), default=0)
    known_files = {t.locator.path for t in graph.tests.values()}
    if best > 0:
        files: Counter[str] = Counter()
        for score, behavior in scored:
            if score == best:
                files.update(_evidence_files(behavior))
        file, count = sorted(files.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if best == len(want):
            return file, f"tests of {domain} live here ({count} behavior(s))"
        directory = PurePosixPath(file).parent.as_posix()
        nearest = ".".join(want[:best])
        path = _new_file(directory, want, known_files)
        return path, f"beside the tests of {nearest}, the nearest domain with tests"
    base = literal_root(config.test_globs[0]) if config.test_globs else "tests"
    path = _new_file(base, want, known_files)
    return path, f"no tests share a domain with {domain}; a file under the test root"


def _new_file(directory: str, want: list[str], known_files: set[str]) -> str:
    def joined(name: str) -> str:
        return name if directory in ("", ".") else f"{directory}/{name}"

    path = joined(f"test_{slug(want[-1]) or 'behaviors'}.py")
    basename = PurePosixPath(path).name
    if any(PurePosixPath(f).name == basename and f != path for f in known_files):
        path = joined("test_" + "_".join(slug(w) or "x" for w in want) + ".py")
    return path


def _decorator_fixture_name(decorator: ast.expr, default: str) -> str | None:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    parts = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name):
        parts.append(target.id)
    if not parts or parts[0] != "fixture":
        return None
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if (
                keyword.arg == "name"
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
            ):
                return keyword.value.value
    return default


def fixture_names(source: str) -> list[str]:
    """The fixtures a module defines at its top level (``@pytest.fixture``,
    ``@fixture``, ``@pytest_asyncio.fixture``, with or without arguments; ``name=``
    wins). Unparsable source defines none."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                name = _decorator_fixture_name(decorator, node.name)
                if name is not None:
                    found.append(name)
                    break
    return found


def _read(root: Path, relative: str) -> str | None:
    try:
        return (root / relative).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def available_fixtures(root: Path, target: str) -> dict[str, str]:
    """name -> the file defining it, for the conftest.py files from the root down to
    the target's directory and the target itself; the nearest definition wins."""
    directory = PurePosixPath(target).parent
    parts = [] if directory.as_posix() == "." else list(directory.parts)
    sources = ["/".join([*parts[:depth], "conftest.py"]) for depth in range(len(parts) + 1)] + [
        target
    ]
    found: dict[str, str] = {}
    for relative in sources:
        text = _read(root, relative)
        if text is None:
            continue
        for name in fixture_names(text):
            found[name] = relative
    return found


def _norm(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def suggest(fixtures: dict[str, str], intent: BehaviorIntent) -> tuple[Fixture, ...]:
    """Every fixture, by name; suggested when a word of its name (three letters or
    more) appears in the intent's given or when."""
    words = {_norm(w) for w in _WORD.findall(f"{intent.given} {intent.when}".lower())}
    result = []
    for name, where in sorted(fixtures.items()):
        tokens = [_norm(t) for t in name.lower().split("_") if len(t) >= 3]
        result.append(Fixture(name, where, any(t in words for t in tokens)))
    return tuple(result)


@dataclass
class _Target:
    """What the plan knows of one target file: its text, the module-level names it
    defines, whether it parses and imports pytest."""

    path: str
    text: str | None
    names: set[str] = field(default_factory=set)
    error: str = ""
    imports_pytest: bool = True

    @classmethod
    def read(cls, root: Path, path: str) -> _Target:
        text = _read(root, path)
        if text is None:
            exists = (root / path).exists()
            error = f"{path} is not readable UTF-8 text; fix it first" if exists else ""
            return cls(path, None, error=error)
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            return cls(path, text, error=f"{path} does not parse (line {exc.lineno}); fix it first")
        names: set[str] = set()
        imports_pytest = False
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names.add((alias.asname or alias.name).split(".")[0])
                    if alias.name == "pytest" and alias.asname in (None, "pytest"):
                        imports_pytest = True
            elif isinstance(node, ast.ImportFrom):
                names.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
        return cls(path, text, names, "", imports_pytest)


def test_name_for(behavior_id: str, taken: set[str]) -> str:
    """``test_<last id segment>``, with ``_2``, ``_3``... when the name is taken."""
    base = "test_" + (slug(behavior_id.rsplit(".", 1)[-1]) or "behavior")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


# --- the plan ---------------------------------------------------------------------------


def build_plan(intent: Intent, graph: BehaviorGraph, config: Config, root: Path) -> AuthoringPlan:
    problems = check_intent(intent, graph)
    conflicts: dict[int, list[Problem]] = {}
    for problem in problems:
        if problem.severity == CONFLICT and problem.index is not None:
            conflicts.setdefault(problem.index, []).append(problem)
    ledger = graph.by_id()
    targets: dict[str, _Target] = {}
    chosen: dict[str, tuple[str, str]] = {}
    items = []
    for index, behavior in enumerate(intent.behaviors):
        existing = ledger.get(behavior.behavior_id)
        classification, reason = classify(existing, conflicts.get(index, []))
        test_plan = None
        if classification == UNCOVERED:
            domain = target_domain(intent.domain, behavior.behavior_id)
            if domain not in chosen:
                chosen[domain] = choose_target(domain, graph, config, root)
            path, why = chosen[domain]
            if not (matches(path, config.test_globs) and not matches(path, config.exclude_globs)):
                why += " (warning: test_globs do not match it, so the ledger will not see it)"
            target = targets.get(path)
            if target is None:
                target = targets[path] = _Target.read(root, path)
            name = test_name_for(behavior.behavior_id, target.names)
            target.names.add(name)
            test_plan = TestPlan(
                target_file=path,
                target_exists=target.text is not None,
                target_reason=why,
                test_name=name,
                anchor=f"# {config.anchor_tag} {behavior.behavior_id}",
                target_domain=domain,
                fixtures=suggest(available_fixtures(root, path), behavior),
                blocked=target.error,
            )
        items.append(PlanItem(behavior, classification, reason, existing, test_plan))
    return AuthoringPlan(intent, items, problems)


def plan_text(view: dict[str, Any]) -> str:
    summary = view["summary"]
    lines = [
        f"{view['domain']} ({view['file']}): {len(view['intents'])} intent(s): "
        + ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in summary.items())
    ]
    for problem in view["problems"]:
        if problem["severity"] == "warning":
            lines.append(f"warning {problem['path']}: {problem['message']}")
    for item in view["intents"]:
        lines.append(f"{item['classification']} {item['behavior_id']}: {item['reason']}")
        for nodeid in item["evidence"]:
            lines.append(f"  evidence: {nodeid}")
        plan = item["test_plan"]
        if plan is None:
            continue
        state = "existing file" if plan["target_exists"] else "new file"
        lines.append(
            f"  write: {plan['target_file']}::{plan['test_name']} "
            f"({state}; {plan['target_reason']})"
        )
        lines.append(f"  anchor: {plan['anchor']}")
        if plan["fixtures"]:
            lines.append(
                "  fixtures: "
                + ", ".join(
                    f"{f['name']} ({f['defined_in']}{', suggested' if f['suggested'] else ''})"
                    for f in plan["fixtures"]
                )
            )
        if plan["blocked"]:
            lines.append(f"  blocked: {plan['blocked']}")
    if summary[UNCOVERED]:
        lines.append(f"next: tddprose write {view['file']} (preview), then --apply")
    return "\n".join(lines) + "\n"


# --- writing ----------------------------------------------------------------------------


def _clause(text: str) -> str:
    return _LEAD.sub("", normalise_space(text)).rstrip(" .,;:")


def sentence(intent: BehaviorIntent) -> str:
    """``Given <given>, when <when>, then <then>.``: the docstring, and so the title."""
    then = _LEAD.sub("", normalise_space(intent.then))
    if not then.endswith((".", "!", "?")):
        then += "."
    return f"Given {_clause(intent.given)}, when {_clause(intent.when)}, then {then}"


def _docstring(text: str) -> list[str]:
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    single = f'    """{escaped}"""'
    if len(single) <= LINE_WIDTH:
        return [single]
    wrapped = textwrap.wrap(
        escaped,
        width=LINE_WIDTH,
        initial_indent='    """',
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [*wrapped, '    """']


def _literal(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def _failure(message: str) -> list[str]:
    single = f"    pytest.fail({_literal(message)})"
    if len(single) <= LINE_WIDTH:
        return [single]
    chunks = textwrap.wrap(
        message, width=MESSAGE_CHUNK, break_long_words=False, break_on_hyphens=False
    )
    body = [
        f"        {_literal(chunk if i == len(chunks) - 1 else chunk + ' ')}"
        for i, chunk in enumerate(chunks)
    ]
    return ["    pytest.fail(", *body, "    )"]


def render_test(item: PlanItem, imports_pytest: bool) -> str:
    assert item.test_plan is not None
    plan, intent = item.test_plan, item.intent
    lines = [plan.anchor, f"def {plan.test_name}():", *_docstring(sentence(intent))]
    if not imports_pytest:
        lines += ["    import pytest", ""]
    then = _LEAD.sub("", normalise_space(intent.then)).rstrip(".")
    lines += _failure(NOT_IMPLEMENTED + then)
    return "\n".join(lines) + "\n"


def new_file_header(domain: str) -> str:
    return (
        f'"""Tests written by `tddprose write` from a behavior intent ({domain})."""\n'
        "\n"
        "import pytest\n"
    )


@dataclass
class FileWrite:
    path: str
    before: str | None  # None: a new file
    after: str
    tests: list[str]  # the test names written
    nodeids: list[str]
    imports_pytest: bool = True  # the module imports pytest at its top level


@dataclass
class Skip:
    behavior_id: str
    why: str
    failure: bool  # counts against the exit code (conflicts, blocked targets)


def render_writes(plan: AuthoringPlan, root: Path) -> tuple[list[FileWrite], list[Skip]]:
    """The new contents of each target file, and the intents left out (and why)."""
    writes: dict[str, FileWrite] = {}
    skips = []
    for item in plan.items:
        bid = item.intent.behavior_id
        if item.classification == CONFLICTING:
            skips.append(Skip(bid, f"conflicting: {item.reason}", True))
            continue
        if item.classification != UNCOVERED or item.test_plan is None:
            skips.append(Skip(bid, f"{item.classification}: {item.reason}", False))
            continue
        test_plan = item.test_plan
        if test_plan.blocked:
            skips.append(Skip(bid, test_plan.blocked, True))
            continue
        path = test_plan.target_file
        write = writes.get(path)
        if write is None:
            target = _Target.read(root, path)
            if target.text is None or not target.text.strip():
                start = new_file_header(test_plan.target_domain)
                imports = True
            else:
                start = target.text if target.text.endswith("\n") else target.text + "\n"
                imports = target.imports_pytest
            write = writes[path] = FileWrite(path, target.text, start, [], [], imports)
        trailing_blank = len(write.after) - len(write.after.rstrip("\n")) - 1
        write.after += "\n" * max(0, 2 - trailing_blank)
        write.after += render_test(item, write.imports_pytest)
        write.tests.append(test_plan.test_name)
        write.nodeids.append(f"{path}::{test_plan.test_name}")
    return [writes[p] for p in sorted(writes)], skips


def preview(writes: list[FileWrite]) -> str:
    chunks = []
    for write in writes:
        before = (write.before or "").splitlines(keepends=True)
        after = write.after.splitlines(keepends=True)
        source = f"a/{write.path}" if write.before is not None else "/dev/null"
        chunks.append("".join(difflib.unified_diff(before, after, source, f"b/{write.path}")))
    return "".join(chunks)
