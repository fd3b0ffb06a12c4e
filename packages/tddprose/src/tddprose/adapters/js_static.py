"""The Jest and Vitest adapters' static half: TestIR from a JS/TS file, with tree-sitter.

Nothing from the file runs. Test files are ``*.test.*`` / ``*.spec.*`` (``js jsx ts
tsx mjs cjs mts cts``) and any such file under a ``__tests__`` directory. Read from
the file's statements (and, recursively, from the bodies of ``describe`` callbacks,
through ``if``/``for``/``try`` blocks, never through other functions):

- ``describe`` / ``suite`` (and ``xdescribe``, ``fdescribe``) add a suite path segment;
- ``it`` / ``test`` (and ``xit``, ``xtest``, ``fit``) are tests;
- modifiers ``.skip`` ``.todo`` ``.only`` ``.concurrent`` ``.sequential`` ``.failing``
  ``.fails`` ``.skipIf()`` ``.runIf()`` ``.each`` ``.for`` ``.prop`` in any order;
- ``.each`` / ``.for`` tables (arrays, or tagged templates) become parameter cases
  titled as the framework titles them (``js_format``);
- anchors: ``// @tdd-prose:behavior some.id`` on the comment lines directly above a
  test or a describe (a describe's anchor applies to its tests), or inside the test.

A title that is not a literal string becomes ``${<source>}`` (a template literal keeps
its text): the runner, when used, matches it by pattern and supplies the real titles.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from tddprose.adapters import js_format as fmt
from tddprose.adapters.js_names import EXTENSIONS, JS_FRAMEWORKS  # noqa: F401 (re-exported)
from tddprose.adapters.source_tree import (
    CommentAnchors,
    NodesByStart,
    compact,
    first_error_line,
    node_text,
    unreadable,
)
from tddprose.identity import make_test_id, normalise_space, sha256_tag
from tddprose.ir import (
    ACTIVE,
    DEFAULT_ANCHOR_TAG,
    SKIP,
    XFAIL,
    Assertion,
    Diagnostic,
    Locator,
    Parameter,
    TestFileIR,
    TestIR,
)

ADAPTER_VERSION = "1"
_ID_CHARS = r"([A-Za-z0-9_][A-Za-z0-9_.\-]*)"
TEST_BASES = {"it": ACTIVE, "test": ACTIVE, "xit": SKIP, "xtest": SKIP, "fit": ACTIVE}
SUITE_BASES = {"describe": ACTIVE, "suite": ACTIVE, "xdescribe": SKIP, "fdescribe": ACTIVE}
_FOCUSED_BASES = {"fit", "fdescribe"}
MODIFIERS = frozenset(
    {
        "skip",
        "only",
        "todo",
        "concurrent",
        "sequential",
        "failing",
        "fails",
        "skipIf",
        "runIf",
        "each",
        "for",
        "prop",
        "shuffle",
    }
)
_CALLED_MODIFIERS = frozenset({"each", "for", "skipIf", "runIf", "prop"})
_NOT_MARKERS = frozenset({"each", "for", "skipIf", "runIf"})
_FUNCTIONS = frozenset({"arrow_function", "function_expression", "function", "generator_function"})
_BLOCKS = frozenset(
    {
        "statement_block",
        "if_statement",
        "else_clause",
        "for_statement",
        "for_in_statement",
        "for_of_statement",
        "while_statement",
        "do_statement",
        "try_statement",
        "catch_clause",
        "finally_clause",
        "labeled_statement",
        "switch_statement",
        "switch_body",
        "switch_case",
        "switch_default",
    }
)
_UNWRAP = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "await_expression",
    }
)
# A title segment with a placeholder: jest/vitest printf, $variables, ${source}.
PLACEHOLDER = re.compile(r"%[sdifjoOpc#$]|\$\{|\$[\w#]")
_MATCHERS = {
    "toBe": "equals",
    "toEqual": "equals",
    "toStrictEqual": "equals",
    "equal": "equals",
    "equals": "equals",
    "eq": "equals",
    "eql": "equals",
    "deepEqual": "equals",
    "strictEqual": "equals",
    "deepStrictEqual": "equals",
    "toBeNull": "identity",
    "toBeUndefined": "identity",
    "toBeDefined": "identity",
    "toBeNaN": "identity",
    "toBeCloseTo": "approx",
    "closeTo": "approx",
    "toBeTruthy": "truthy",
    "ok": "truthy",
    "toBeFalsy": "falsy",
    "toContain": "contains",
    "toContainEqual": "contains",
    "toHaveProperty": "contains",
    "toMatchObject": "contains",
    "include": "contains",
    "includes": "contains",
    "toHaveLength": "equals",
    "toMatch": "matches",
    "match": "matches",
    "toBeGreaterThan": "compare",
    "toBeGreaterThanOrEqual": "compare",
    "toBeLessThan": "compare",
    "toBeLessThanOrEqual": "compare",
    "toBeInstanceOf": "isinstance",
    "instanceOf": "isinstance",
    "toBeTypeOf": "isinstance",
    "toThrow": "raises",
    "toThrowError": "raises",
    "throws": "raises",
    "rejects": "raises",
    "toMatchSnapshot": "snapshot",
    "toMatchInlineSnapshot": "snapshot",
    "toMatchFileSnapshot": "snapshot",
    "toThrowErrorMatchingSnapshot": "snapshot",
    "toThrowErrorMatchingInlineSnapshot": "snapshot",
}


def is_test_file(path: str) -> bool:
    pure = PurePosixPath(path)
    parts = pure.name.split(".")
    if len(parts) < 2 or parts[-1] not in EXTENSIONS:
        return False
    if len(parts) >= 3 and parts[-2] in ("test", "spec"):
        return True
    return "__tests__" in pure.parts[:-1]


def suite_path_for(path: str, suite_root: str) -> tuple[str, ...]:
    """Directories below the suite root (``__tests__`` left out), then the file's name
    without its extension and ``.test`` / ``.spec``: ``tests/auth/login.test.ts`` ->
    ``auth / login``."""
    pure = PurePosixPath(path)
    parts = list(pure.parts)
    root = PurePosixPath(suite_root).parts if suite_root else ()
    if root and tuple(parts[: len(root)]) == root and len(parts) > len(root):
        parts = parts[len(root) :]
    stem = parts[-1].split(".")
    if len(stem) > 1 and stem[-1] in EXTENSIONS:
        stem = stem[:-1]
    if len(stem) > 1 and stem[-1] in ("test", "spec"):
        stem = stem[:-1]
    parts[-1] = ".".join(stem)
    return (*(p for p in parts[:-1] if p != "__tests__"), parts[-1])


@cache
def _languages():
    import tree_sitter_javascript
    import tree_sitter_typescript
    from tree_sitter import Language, Parser, Query

    found = {}
    for name, pointer in (
        ("javascript", tree_sitter_javascript.language()),
        ("typescript", tree_sitter_typescript.language_typescript()),
        ("tsx", tree_sitter_typescript.language_tsx()),
    ):
        language = Language(pointer)
        query = Query(language, "(call_expression) @call (comment) @comment")
        found[name] = (Parser(language), query)
    return found


def _language_for(path: str) -> str:
    extension = path.rsplit(".", 1)[-1]
    if extension in ("ts", "mts", "cts"):
        return "typescript"
    if extension == "tsx":
        return "tsx"
    return "javascript"


def parse_js_file(
    path: str,
    data: bytes,
    suite_root: str = "",
    anchor_tag: str = DEFAULT_ANCHOR_TAG,
    framework: str = "jest",
) -> TestFileIR:
    """Read one file. Never raises on bad content: problems become diagnostics."""
    fingerprint = sha256_tag(data)

    problem = unreadable(framework, path, data, fingerprint)
    if problem is not None:
        return problem
    if not is_test_file(path):
        return TestFileIR(framework, path, fingerprint)
    parser, query = _languages()[_language_for(path)]
    tree = parser.parse(data)
    reader = _Reader(path, framework, suite_path_for(path, suite_root), anchor_tag, tree, query)
    tests = reader.read()
    diagnostics = list(reader.diagnostics)
    error = tree.root_node.has_error
    if error:
        line = first_error_line(tree.root_node)
        diagnostics.append(
            Diagnostic(
                "error",
                "parse_error",
                f"syntax error near line {line}; later tests were still read",
                path,
                line,
                "fix the syntax error (node --check, or tsc --noEmit, shows it)",
            )
        )
    return TestFileIR(framework, path, fingerprint, tests, tuple(diagnostics), parse_error=error)


def _named(node) -> list:
    """Named children without comments (comments are extras anywhere in the tree)."""
    return [c for c in node.named_children if c.type != "comment"]


def _unwrap(node):
    while node is not None and node.type in _UNWRAP:
        inner = _named(node)
        node = inner[0] if inner else None
    return node


# --- literal values ------------------------------------------------------------------


def _string_value(node):
    """A string literal's value, or UNKNOWN (also for templates with substitutions)."""
    if node.type == "string":
        return fmt.unescape(node_text(node)[1:-1])
    if node.type == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            return fmt.UNKNOWN
        return fmt.unescape(node_text(node)[1:-1].replace("\r\n", "\n"))
    return fmt.UNKNOWN


def _value(node):
    node = _unwrap(node)
    if node is None:
        return fmt.UNKNOWN
    kind = node.type
    if kind in ("string", "template_string"):
        return _string_value(node)
    if kind == "number":
        return fmt.number(node_text(node))
    if kind == "true":
        return True
    if kind == "false":
        return False
    if kind == "null":
        return None
    if kind == "undefined" or (kind == "identifier" and node_text(node) == "undefined"):
        return fmt.UNDEFINED
    if kind == "identifier" and node_text(node) in ("NaN", "Infinity"):
        return float("nan") if node_text(node) == "NaN" else float("inf")
    if kind == "unary_expression":
        operator = node.child_by_field_name("operator")
        value = _value(node.child_by_field_name("argument"))
        if operator is not None and isinstance(value, float) and not isinstance(value, bool):
            if node_text(operator) == "-":
                return -value
            if node_text(operator) == "+":
                return value
        return fmt.UNKNOWN
    if kind == "array":
        elements = _named(node)
        if any(e.type == "spread_element" for e in elements):
            return fmt.UNKNOWN
        return [_value(e) for e in elements]
    if kind == "object":
        found = {}
        for member in _named(node):
            if member.type != "pair":
                return fmt.UNKNOWN
            key_node = member.child_by_field_name("key")
            if key_node is None:
                return fmt.UNKNOWN
            if key_node.type == "property_identifier":
                key = node_text(key_node)
            elif key_node.type == "string":
                key = _string_value(key_node)
            elif key_node.type == "number":
                number = fmt.number(node_text(key_node))
                key = fmt.number_string(number) if isinstance(number, float) else fmt.UNKNOWN
            else:
                return fmt.UNKNOWN
            if not isinstance(key, str):
                return fmt.UNKNOWN
            found[key] = _value(member.child_by_field_name("value"))
        return found
    return fmt.UNKNOWN


def _compact(node) -> bytes:
    return compact(node, b"/", ("string", "template_string"))


# --- calls ---------------------------------------------------------------------------


@dataclass
class _Call:
    kind: str  # "test" or "suite"
    base: str
    modifiers: list[str]
    table: object  # the .each/.for table node (array, template_string, other) or None
    arguments: list  # the final call's arguments (title, options, function)


def _chain(node) -> tuple[str, list[str]] | None:
    """``it.concurrent.skip`` -> (``it``, [``concurrent``, ``skip``])."""
    names = []
    while node is not None and node.type == "member_expression":
        prop = node.child_by_field_name("property")
        if prop is None:
            return None
        names.append(node_text(prop))
        node = node.child_by_field_name("object")
    if node is None or node.type != "identifier":
        return None
    return node_text(node), list(reversed(names))


def _call(node) -> _Call | None:
    node = _unwrap(node)
    if node is None or node.type != "call_expression":
        return None
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or arguments is None or arguments.type != "arguments":
        return None
    table = None
    chain = None
    if function.type == "call_expression":
        # Curried: it.each(table)(title, fn), it.skipIf(cond)(title, fn), tagged tables.
        inner = function.child_by_field_name("function")
        inner_args = function.child_by_field_name("arguments")
        chain = _chain(inner)
        if chain is None or not chain[1] or chain[1][-1] not in _CALLED_MODIFIERS:
            return None
        if chain[1][-1] in ("each", "for"):
            if inner_args is None:
                return None
            if inner_args.type == "template_string":
                table = inner_args
            else:
                args = _named(inner_args)
                table = args[0] if args else None
                if table is None:
                    return None
    else:
        chain = _chain(function)
    if chain is None:
        return None
    base, modifiers = chain
    if base in TEST_BASES:
        kind = "test"
    elif base in SUITE_BASES:
        kind = "suite"
    else:
        return None
    if any(m not in MODIFIERS for m in modifiers):
        return None
    if any(m in _CALLED_MODIFIERS for m in modifiers) and function.type != "call_expression":
        return None
    return _Call(kind, base, modifiers, table, _named(arguments))


def _status(base: str, modifiers: list[str], options: dict) -> str:
    bases = {**TEST_BASES, **SUITE_BASES}
    if bases[base] == SKIP or "skip" in modifiers or "todo" in modifiers:
        return SKIP
    if options.get("skip") is True or options.get("todo") is True:
        return SKIP
    if "failing" in modifiers or "fails" in modifiers or options.get("fails") is True:
        return XFAIL
    return ACTIVE


@dataclass(frozen=True)
class _Level:
    """One ``.each`` level: its position among the title segments, and its cases
    ``(title, hash)`` (None when the table is not literal)."""

    position: int
    cases: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True)
class _Context:
    titles: tuple[str, ...] = ()
    levels: tuple[_Level, ...] = ()
    status: str = ACTIVE
    markers: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()


class _Reader:
    def __init__(self, path, framework, suite_path, anchor_tag, tree, query):
        from tree_sitter import QueryCursor

        self.path = path
        self.framework = framework
        self.suite_path = suite_path
        self.root = tree.root_node
        self.diagnostics: list[Diagnostic] = []
        pattern = re.compile(re.escape(anchor_tag) + r"\s+" + _ID_CHARS)
        captures = QueryCursor(query).captures(self.root)
        # Every line a comment covers -> the anchor it names (on its first line) or None.
        comment_lines: dict[int, str | None] = {}
        for comment in captures.get("comment", []):
            match = pattern.search(node_text(comment))
            first, last = comment.start_point[0], comment.end_point[0]
            for line in range(first, last + 1):
                comment_lines.setdefault(line, None)
            if match:
                comment_lines[first] = match.group(1)
        self.comments = CommentAnchors(comment_lines)
        self.checks = NodesByStart(
            c for c in captures.get("call", []) if _assertion_name(c) is not None
        )

    def read(self) -> tuple[TestIR, ...]:
        tests: list[TestIR] = []
        self._statements(_named(self.root), _Context(), tests)
        return tuple(tests)

    def _statements(self, statements, context: _Context, tests) -> None:
        for statement in statements:
            if statement.type == "expression_statement":
                expressions = _named(statement)
                if expressions:
                    self._expression(statement, expressions[0], context, tests)
            elif statement.type in _BLOCKS:
                self._statements(_named(statement), context, tests)

    def _expression(self, statement, expression, context: _Context, tests) -> None:
        call = _call(expression)
        if call is None:
            return
        arguments = call.arguments
        if not arguments and call.kind == "suite":
            return
        title_node = arguments[0] if arguments else None
        title = self._title(title_node) if title_node is not None else ""
        options = {}
        function = None
        for argument in arguments[1:]:
            if argument.type in _FUNCTIONS and function is None:
                function = argument
            elif argument.type == "object" and function is None:
                value = _value(argument)
                options = value if isinstance(value, dict) else {}
        modifiers = call.modifiers
        status = _status(call.base, modifiers, options)
        if self.framework == "vitest" and call.kind == "test" and function is None:
            status = SKIP  # a Vitest test without a function is a todo
            modifiers = [*modifiers, "todo"]
        if status == ACTIVE and context.status != ACTIVE:
            status = context.status
        elif status == XFAIL and context.status == SKIP:
            status = SKIP
        markers = [m for m in modifiers if m not in _NOT_MARKERS]
        markers = ["property" if m == "prop" else m for m in markers]
        if call.base in _FOCUSED_BASES or "only" in modifiers or options.get("only") is True:
            if "only" not in markers:
                markers.append("only")
            line = statement.start_point[0] + 1
            self.diagnostics.append(
                Diagnostic(
                    "warn",
                    "focused_test",
                    f"focused {call.kind} ({call.base}{''.join('.' + m for m in modifiers)}): "
                    "the framework skips the file's other tests",
                    self.path,
                    line,
                    "remove the .only (or fit/fdescribe) before committing",
                )
            )
        level = None
        if call.table is not None:
            position = len(context.titles)
            level = _Level(position, self._cases(title, call.table))
        own_anchors = self.comments.above(statement)
        if call.kind == "suite":
            inner = _Context(
                (*context.titles, title),
                context.levels + ((level,) if level else ()),
                status,
                tuple(dict.fromkeys((*context.markers, *markers))),
                tuple(dict.fromkeys((*context.anchors, *own_anchors))),
            )
            body = function.child_by_field_name("body") if function is not None else None
            if body is None:
                return
            if body.type == "statement_block":
                self._statements(_named(body), inner, tests)
            else:
                self._expression(body, body, inner, tests)
            return
        tests.append(
            self._test(statement, title, context, level, status, markers, own_anchors, function)
        )

    def _title(self, node) -> str:
        value = _string_value(node) if node.type in ("string", "template_string") else None
        if isinstance(value, str):
            return value
        if node.type == "template_string":
            return node_text(node)[1:-1]
        return "${" + normalise_space(node_text(node)) + "}"

    def _cases(self, title: str, table) -> tuple[tuple[str, str], ...] | None:
        if table.type == "template_string":
            return self._template_cases(title, table)
        rows = _value(table)
        if not isinstance(rows, list):
            return None
        elements = _named(_unwrap(table))
        cases = []
        template_mode = self.framework == "jest" and fmt.jest_is_template_table(title, rows)
        all_arrays = all(isinstance(r, list) for r in rows if r is not fmt.UNKNOWN)
        for index, (row, element) in enumerate(zip(rows, elements, strict=True)):
            try:
                if row is fmt.UNKNOWN:
                    raise fmt.Undeterminable
                if self.framework == "jest":
                    if template_mode:
                        if not isinstance(row, dict):
                            raise fmt.Undeterminable
                        name = fmt.jest_object_title(title, row, index)
                    else:
                        name = fmt.jest_row_title(title, row if all_arrays else [row], index)
                else:
                    items = row if isinstance(row, list) else [row]
                    name = fmt.vitest_title(title, items, index)
            except fmt.Undeterminable:
                name = f"#{index}"
            cases.append((name, sha256_tag(_compact(element), 16)))
        return tuple(cases)

    def _template_cases(self, title: str, table) -> tuple[tuple[str, str], ...] | None:
        strings, values, hashes = [], [], []
        last = table.start_byte + 1
        source = table.text
        base = table.start_byte
        for child in table.named_children:
            if child.type == "template_substitution":
                strings.append(source[last - base : child.start_byte - base].decode("utf-8"))
                expressions = _named(child)
                values.append(_value(expressions[0]) if expressions else fmt.UNKNOWN)
                hashes.append(_compact(child))
                last = child.end_byte
        strings.append(source[last - base : table.end_byte - base - 1].decode("utf-8"))
        if self.framework == "jest":
            headings = fmt.jest_template_headings(strings)
        else:
            headings = fmt.vitest_template_headings(strings)
        if not headings or not all(headings):
            return None
        width = len(headings)
        cases = []
        for index in range(len(values) // width):
            row = dict(zip(headings, values[index * width : (index + 1) * width], strict=True))
            digest = sha256_tag(b"|".join(hashes[index * width : (index + 1) * width]), 16)
            try:
                if any(v is fmt.UNKNOWN for v in row.values()):
                    raise fmt.Undeterminable
                if self.framework == "jest":
                    name = fmt.jest_object_title(title, row, index, percent=False)
                else:
                    name = fmt.vitest_title(title, [row], index)
            except fmt.Undeterminable:
                name = f"#{index}"
            cases.append((name, digest))
        return tuple(cases)

    def _test(self, statement, name, context, level, status, markers, own_anchors, function):
        start, end = statement.start_point[0], statement.end_point[0]
        body_anchors = self.comments.within(start, end)
        anchors = tuple(dict.fromkeys([*context.anchors, *own_anchors, *body_anchors]))
        levels = context.levels + ((level,) if level else ())
        segments = (*context.titles, name)
        parameters, dynamic = _parameters(segments, levels)
        assertions = self._assertions(statement) if function is not None else ()
        all_markers = list(dict.fromkeys((*context.markers, *markers)))
        if any(a.kind == "snapshot" for a in assertions) and "snapshot" not in all_markers:
            all_markers.append("snapshot")
        suite_path = (*self.suite_path, *context.titles)
        return TestIR(
            test_id=make_test_id(self.framework, suite_path, name),
            suite_path=suite_path,
            name=name,
            title=js_title(name),
            nodeid="::".join((self.path, *segments)),
            locator=Locator(self.path, start + 1, end + 1),
            parameters=parameters,
            assertions=assertions,
            anchors=anchors,
            markers=tuple(all_markers),
            status=status,
            dynamic_parameters=dynamic,
        )

    def _assertions(self, statement) -> tuple[Assertion, ...]:
        found = map(_assertion, self.checks.inside(statement))
        return tuple(assertion for assertion in found if assertion is not None)


def js_title(name: str) -> str:
    """The ledger title of a JS test: its name, spaces normalised, first letter up."""
    text = normalise_space(name)
    return text[:1].upper() + text[1:] if text else name


def unique_cases(names: list[str]) -> list[str]:
    """Repeated case titles get `` (2)``, `` (3)``... in order (the first stays as is)."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        unique.append(name if count == 1 else f"{name} ({count})")
    return unique


def _parameters(segments, levels) -> tuple[tuple[Parameter, ...], bool]:
    """Each case's name is the concrete titles from the first ``.each`` segment to the
    test's own title, joined with ``::`` (so ``nodeid[case]`` still names the runner's
    test); its hash combines the rows' source hashes."""
    if not levels:
        return (), False
    if any(level.cases is None for level in levels):
        return (), True
    first = levels[0].position
    names, hashes = [], []
    for combo in itertools.product(*(level.cases for level in levels)):
        concrete = list(segments)
        for level, (title, _) in zip(levels, combo, strict=True):
            concrete[level.position] = title
        names.append("::".join(concrete[first:]))
        hashes.append(sha256_tag("|".join(h for _, h in combo), 16))
    return tuple(Parameter(n, h) for n, h in zip(unique_cases(names), hashes, strict=True)), False


def _assertion_name(call) -> tuple[str, list[str]] | None:
    """``(matcher, chain)`` for an ``expect(...)...matcher()`` or ``assert...()`` call."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "identifier" and node_text(function) == "assert":
        return "assert", []
    if function.type != "member_expression":
        return None
    names = []
    node = function
    while node is not None and node.type == "member_expression":
        prop = node.child_by_field_name("property")
        names.append(node_text(prop) if prop is not None else "")
        node = node.child_by_field_name("object")
    names.reverse()
    if node is None:
        return None
    if node.type == "identifier" and node_text(node) == "assert":
        return names[-1], names[:-1]
    if node.type == "call_expression":
        head = node.child_by_field_name("function")
        if head is not None and node_text(head) in ("expect", "expect.soft", "expect.poll"):
            return names[-1], names[:-1]
    return None


def _literal_text(node) -> str | None:
    if node is None:
        return None
    value = _value(node)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return fmt.number_string(value)
    if value is None:
        return "null"
    return None


def _assertion(node) -> Assertion | None:
    named = _assertion_name(node)
    if named is None:
        return None
    matcher, chain = named
    structure = sha256_tag(_compact(node), 16)
    arguments = node.child_by_field_name("arguments")
    args = _named(arguments) if arguments is not None and arguments.type == "arguments" else []
    if matcher == "assert":
        return Assertion("truthy", "assert", None, structure)
    kind = _MATCHERS.get(matcher, "mock" if "Called" in matcher or "Return" in matcher else "")
    kind = kind or "matcher"
    negated = "not" in chain
    if negated:
        kind = {"equals": "not_equals", "contains": "not_contains"}.get(kind, f"not_{kind}")
    shown = ".".join([*(c for c in chain if c in ("not", "resolves", "rejects")), matcher])
    return Assertion(kind, shown, _literal_text(args[0]) if args else None, structure)
