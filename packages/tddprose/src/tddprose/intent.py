"""Behavior Intent files: read, check against the shipped JSON Schema, check against
the ledger (``tddprose intent validate``).

An intent file is a planning artifact (seed section 14.3): the behaviors a change is
meant to have, as given / when / then, before their tests exist. It never becomes
prose; ``tddprose plan`` and ``tddprose write`` turn it into anchored tests.

Problems have a severity:

- ``error``: the file does not fit the schema (``schemas/intent.schema.json``);
  nothing else is checked until it does. Bad input: exit 2.
- ``conflict``: the file fits, but an intent needs an explicit decision. Exit 1.
  The rules, in full:

  1. a ``behavior_id`` declared twice in the file (the first declaration wins; each
     later one conflicts);
  2. a ``behavior_id`` the ledger already has in a block that is not compatible with
     the file's ``domain`` (compatible: one is a dotted prefix of the other, so block
     ``auth`` and domain ``auth.login`` are compatible, ``billing`` is not). An existing
     id with another title or meaning is *not* a conflict: the intent is then covered
     or partially covered by that behavior, and ``plan`` says so;
  3. a ``depends_on`` id that is neither in the file nor in the ledger;
  4. a behavior that depends on itself;
  5. a ``depends_on`` cycle (among the file's intents and the ledger's declared
     dependencies), reported once, at the cycle's first intent in file order.

- ``warning``: worth a look, not a failure: a ``behavior_id`` outside the file's
  ``domain``; a ``related_to`` id neither in the file nor in the ledger.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tddprose.errors import TddProseError
from tddprose.jsonfmt import pretty_json
from tddprose.model import BehaviorGraph

ERROR, CONFLICT, WARNING = "error", "conflict", "warning"
SEVERITIES = (ERROR, CONFLICT, WARNING)
SCHEMA_FILE = "intent.schema.json"
# What the validator below understands; the shipped schema uses nothing else (a test
# checks it), so the schema and the checks cannot drift apart.
SCHEMA_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "title",
        "description",
        "type",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "uniqueItems",
        "minLength",
        "pattern",
    }
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class IntentError(TddProseError):
    """The intent file is missing or unreadable (bad input, exit 2)."""


@dataclass(frozen=True)
class Problem:
    severity: str
    path: str  # JSONPath-like: $.behaviors[0].then
    message: str
    fix: str
    behavior_id: str = ""
    index: int | None = None  # the intent (position in behaviors[]) it concerns

    def describe(self) -> str:
        return f"{self.severity} {self.path}: {self.message}; fix: {self.fix}"

    def to_json(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
            "behavior_id": self.behavior_id,
        }


@dataclass(frozen=True)
class BehaviorIntent:
    behavior_id: str
    given: str
    when: str
    then: str
    depends_on: tuple[str, ...] = ()
    related_to: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "behavior_id": self.behavior_id,
            "given": self.given,
            "when": self.when,
            "then": self.then,
        }
        if self.depends_on:
            data["depends_on"] = list(self.depends_on)
        if self.related_to:
            data["related_to"] = list(self.related_to)
        return data


@dataclass(frozen=True)
class Intent:
    domain: str
    behaviors: tuple[BehaviorIntent, ...]
    constraints: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "behaviors": [b.to_json() for b in self.behaviors],
            "constraints": {k: list(v) for k, v in sorted(self.constraints.items())},
        }

    def to_text(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, UTF-8, one trailing newline."""
        return pretty_json(self.to_json())


# --- the schema ---------------------------------------------------------------------


@cache
def _schema_text() -> str:
    return resources.files("tddprose").joinpath("schemas").joinpath(SCHEMA_FILE).read_text("utf-8")


def load_schema() -> dict[str, Any]:
    """The shipped Behavior Intent JSON Schema (draft 2020-12)."""
    return json.loads(_schema_text())


_ARTICLES = {"object": "an object", "array": "an array", "integer": "an integer"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.match(key) else f"{path}[{json.dumps(key)}]"


class _SchemaChecker:
    """The subset of JSON Schema listed in ``SCHEMA_KEYWORDS``, with messages that
    name the JSON path, the problem and a fix (taken from the schema's descriptions)."""

    def __init__(self, schema: dict[str, Any]):
        self.root = schema
        self.problems: list[Problem] = []

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``$ref`` replaced by its target; sibling keywords (a description) win."""
        seen = 0
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/") or seen > 32:
                raise ValueError(f"unsupported $ref {ref!r}")
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            seen += 1
        return schema

    def fail(self, path: str, message: str, fix: str) -> None:
        self.problems.append(Problem(ERROR, path, message, fix, index=_index_of(path)))

    def check(self, value: Any, schema: dict[str, Any], path: str) -> None:
        schema = self.resolve(schema)
        hint = schema.get("description", "")
        expected = schema.get("type")
        got = _json_type(value)
        if expected is not None and got != expected:
            article = _ARTICLES.get(expected, f"a {expected}")
            self.fail(path, f"expected {article}, got {got}", hint or f"write {article}")
            return
        if isinstance(value, dict):
            self._object(value, schema, path, hint)
        elif isinstance(value, list):
            self._array(value, schema, path, hint)
        elif isinstance(value, str):
            self._string(value, schema, path, hint)

    def _object(self, value: dict, schema: dict, path: str, hint: str) -> None:
        properties = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                wanted = self.resolve(properties.get(name, {})).get("description", "")
                fix = f'add "{name}"' + (f" ({wanted})" if wanted else "")
                self.fail(path, f'missing required key "{name}"', fix)
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                self.check(item, properties[key], _key_path(path, key))
            elif extra is False:
                close = difflib.get_close_matches(key, list(properties), n=1)
                fix = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else f"remove it; known keys: {', '.join(properties)}"
                )
                self.fail(_key_path(path, key), "unknown key", fix)
            elif isinstance(extra, dict):
                self.check(item, extra, _key_path(path, key))

    def _array(self, value: list, schema: dict, path: str, hint: str) -> None:
        least = schema.get("minItems")
        if least is not None and len(value) < least:
            self.fail(path, f"expected at least {least} item(s), got {len(value)}", hint)
        items = schema.get("items")
        for index, item in enumerate(value):
            if items is not None:
                self.check(item, items, f"{path}[{index}]")
        if schema.get("uniqueItems"):
            seen: set[str] = set()
            for index, item in enumerate(value):
                key = json.dumps(item, sort_keys=True)
                if key in seen:
                    self.fail(f"{path}[{index}]", f"{key} is listed twice", "list each once")
                seen.add(key)

    def _string(self, value: str, schema: dict, path: str, hint: str) -> None:
        least = schema.get("minLength")
        if least is not None and len(value) < least:
            self.fail(path, "must not be empty", hint or "write some text")
            return
        pattern = schema.get("pattern")
        if pattern is not None and not re.search(pattern, value):
            message = (
                "must not be blank"
                if not value.strip()
                else f"{json.dumps(value, ensure_ascii=False)} is not in the expected form"
            )
            self.fail(path, message, hint or f"match {pattern}")


_INDEX = re.compile(r"^\$\.behaviors\[(\d+)\]")


def _index_of(path: str) -> int | None:
    match = _INDEX.match(path)
    return int(match.group(1)) if match else None


def schema_problems(data: Any) -> list[Problem]:
    checker = _SchemaChecker(load_schema())
    checker.check(data, checker.root, "$")
    return checker.problems


# --- reading ------------------------------------------------------------------------


def parse_intent(text: str) -> tuple[Intent | None, list[Problem]]:
    """The intent in ``text``, or None and the schema problems that stop it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(
            ERROR,
            "$",
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            "fix the syntax (`tddprose interview` writes a valid file)",
        )
        return None, [problem]
    problems = schema_problems(data)
    if problems:
        return None, problems
    behaviors = tuple(
        BehaviorIntent(
            behavior_id=b["behavior_id"],
            given=b["given"],
            when=b["when"],
            then=b["then"],
            depends_on=tuple(b.get("depends_on", ())),
            related_to=tuple(b.get("related_to", ())),
        )
        for b in data["behaviors"]
    )
    constraints = {k: tuple(v) for k, v in sorted(data.get("constraints", {}).items())}
    return Intent(data["domain"], behaviors, constraints), []


def read_intent(path: Path) -> tuple[Intent | None, list[Problem]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IntentError(
            f"{path}: intent file not found; pass the file `tddprose interview --out` wrote"
        ) from None
    except OSError as exc:
        raise IntentError(f"{path}: cannot read the intent file ({exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = Problem(
            ERROR, "$", f"not UTF-8 (byte {exc.start})", "save the intent file as UTF-8"
        )
        return None, [problem]
    return parse_intent(text)


# --- conflicts with the ledger --------------------------------------------------------


def domains_compatible(block_id: str, domain: str) -> bool:
    """One is the other or a dotted prefix of it (``auth`` and ``auth.login``)."""
    return (
        block_id == domain or block_id.startswith(domain + ".") or domain.startswith(block_id + ".")
    )


def in_domain(behavior_id: str, domain: str) -> bool:
    return behavior_id == domain or behavior_id.startswith(domain + ".")


def first_declarations(intent: Intent) -> dict[str, int]:
    """behavior_id -> the index of its first declaration in the file."""
    first: dict[str, int] = {}
    for index, behavior in enumerate(intent.behaviors):
        first.setdefault(behavior.behavior_id, index)
    return first


def check_intent(intent: Intent, graph: BehaviorGraph | None) -> list[Problem]:
    """Conflicts and warnings (the module docstring lists the rules); ``graph`` None
    checks the file on its own."""
    ledger = graph.by_id() if graph is not None else {}
    first = first_declarations(intent)
    known = set(first) | set(ledger)
    problems: list[Problem] = []
    for index, behavior in enumerate(intent.behaviors):
        at = f"$.behaviors[{index}]"
        bid = behavior.behavior_id

        def add(severity, path, message, fix, _bid=bid, _index=index):
            problems.append(Problem(severity, path, message, fix, _bid, _index))

        if first[bid] != index:
            add(
                CONFLICT,
                f"{at}.behavior_id",
                f"{bid} is already declared at $.behaviors[{first[bid]}]",
                "give each behavior its own id, or merge the two declarations",
            )
        existing = ledger.get(bid)
        if existing is not None and not domains_compatible(existing.block_id, intent.domain):
            add(
                CONFLICT,
                f"{at}.behavior_id",
                f"{bid} already exists in block {existing.block_id}, outside the domain "
                f"{intent.domain}",
                f"choose another id, or move the intent to a {existing.block_id} intent file "
                "(reusing an id moves the behavior: decide it explicitly)",
            )
        if not in_domain(bid, intent.domain):
            add(
                WARNING,
                f"{at}.behavior_id",
                f"{bid} is outside the domain {intent.domain}",
                f"name it {intent.domain}.<name>, or write it into an intent file of its domain",
            )
        for k, dependency in enumerate(behavior.depends_on):
            if dependency == bid:
                add(
                    CONFLICT,
                    f"{at}.depends_on[{k}]",
                    f"{bid} depends on itself",
                    "remove it from its own depends_on",
                )
            elif dependency not in known:
                add(
                    CONFLICT,
                    f"{at}.depends_on[{k}]",
                    f"unknown behavior {dependency}: not in this file nor in the ledger",
                    "fix the id, add the behavior to this file, or drop the dependency",
                )
        for k, related in enumerate(behavior.related_to):
            if related not in known:
                add(
                    WARNING,
                    f"{at}.related_to[{k}]",
                    f"unknown behavior {related}: not in this file nor in the ledger",
                    "fix the id, or drop the reference",
                )
    problems.extend(_cycles(intent, first, ledger))
    return sorted(problems, key=lambda p: (p.index if p.index is not None else -1, p.path))


def _cycles(intent: Intent, first: dict[str, int], ledger: dict) -> list[Problem]:
    edges: dict[str, list[str]] = {}
    for behavior_id, behavior in sorted(ledger.items()):
        edges[behavior_id] = sorted(getattr(behavior, "depends_on", ()) or ())
    for behavior_id, index in first.items():
        # A redeclared id takes the file's dependencies: that is what the intent asks.
        edges[behavior_id] = [d for d in intent.behaviors[index].depends_on if d != behavior_id]
    problems = []
    for component in _strongly_connected(edges):
        members = [m for m in component if m in first]
        if len(component) < 2 or not members:
            continue
        start = min(members, key=lambda m: first[m])
        cycle = _cycle_through(start, set(component), edges)
        index = first[start]
        problems.append(
            Problem(
                CONFLICT,
                f"$.behaviors[{index}].depends_on",
                "depends_on forms a cycle: " + " -> ".join(cycle),
                "break the cycle: one of these must come first",
                start,
                index,
            )
        )
    return problems


def _strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively, in a deterministic order."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index_of:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index_of[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = edges.get(node, [])
            if position < len(successors):
                work.append((node, position + 1))
                successor = successors[position]
                if successor not in edges:
                    continue
                if successor not in index_of:
                    work.append((successor, 0))
                elif successor in on_stack:
                    low[node] = min(low[node], index_of[successor])
                continue
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _cycle_through(start: str, members: set[str], edges: dict[str, list[str]]) -> list[str]:
    """The shortest path start -> ... -> start inside the component (BFS)."""
    previous: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for successor in edges.get(node, []):
            if successor not in members:
                continue
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if successor not in previous:
                previous[successor] = node
                queue.append(successor)
    return [start, start]


# --- the report -------------------------------------------------------------------------


def counts(problems: list[Problem]) -> dict[str, int]:
    return {s: sum(p.severity == s for p in problems) for s in SEVERITIES}


def validation_view(display: str, problems: list[Problem]) -> dict[str, Any]:
    tally = counts(problems)
    return {
        "file": display,
        "ok": tally[ERROR] == 0 and tally[CONFLICT] == 0,
        "counts": tally,
        "problems": [p.to_json() for p in problems],
    }


def validation_text(view: dict[str, Any]) -> str:
    tally = view["counts"]
    lines = [
        f"{view['file']}: {tally[ERROR]} error(s), {tally[CONFLICT]} conflict(s), "
        f"{tally[WARNING]} warning(s)"
    ]
    lines += [
        f"{p['severity']} {p['path']}: {p['message']}; fix: {p['fix']}" for p in view["problems"]
    ]
    if view["ok"]:
        lines.append("tddprose intent: ok")
    return "\n".join(lines) + "\n"
