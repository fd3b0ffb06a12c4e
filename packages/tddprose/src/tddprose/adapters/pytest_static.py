"""The pytest adapter's static half: TestIR from a file's bytes, with tree-sitter.

Nothing from the file runs. pytest's default discovery rules are mirrored:
modules ``test_*.py`` / ``*_test.py``, functions ``test*`` at module level and in
``Test*`` classes without ``__init__`` (nested classes included), and methods
``test*`` of ``unittest.TestCase`` subclasses whatever their name (the base named as
``unittest.TestCase``, an imported ``TestCase``, or a TestCase subclass defined
earlier in the same module). A collected class also gets the test methods it
inherits from classes of the same module, as pytest collects them. A file with
syntax errors is still read (tree-sitter recovers), and marked ``parse_error``.
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath

from tddprose.adapters.source_tree import (
    CommentAnchors,
    NodesByStart,
    compact,
    first_error_line,
    node_text,
    unreadable,
)
from tddprose.identity import (
    docstring_title,
    humanise,
    make_test_id,
    sha256_tag,
    unittest_title,
)
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

FRAMEWORK = "pytest"
ADAPTER_VERSION = "2"
ANCHOR_MARK = "tdd_prose"
_ID_CHARS = r"([A-Za-z0-9_][A-Za-z0-9_.\-]*)"
_COMPARISONS = {
    "==": "equals",
    "!=": "not_equals",
    "<": "compare",
    ">": "compare",
    "<=": "compare",
    ">=": "compare",
    "in": "contains",
    "not in": "not_contains",
    "is": "identity",
    "is not": "not_identity",
}
_LITERAL_TYPES = {"string", "integer", "float", "true", "false", "none", "concatenated_string"}
# unittest's TestCase classes, which pytest collects whatever a subclass is named.
_UNITTEST_CASES = frozenset({"TestCase", "IsolatedAsyncioTestCase"})
# Statements whose blocks still run at import time (imports inside try/if count).
_MODULE_BLOCKS = frozenset(
    {
        "if_statement",
        "elif_clause",
        "else_clause",
        "try_statement",
        "except_clause",
        "finally_clause",
        "with_statement",
        "block",
    }
)
_CONTEXT_CHECKS = {"raises": "raises", "warns": "warns", "deprecated_call": "warns"}
_UNITTEST_KINDS = {
    "assertEqual": "equals",
    "assertNotEqual": "not_equals",
    "assertTrue": "truthy",
    "assertFalse": "falsy",
    "assertIn": "contains",
    "assertIsNone": "identity",
    "assertIsInstance": "isinstance",
    "assertRaises": "raises",
    "assertAlmostEqual": "approx",
}


@cache
def _parser():
    import tree_sitter_python
    from tree_sitter import Language, Parser, Query

    language = Language(tree_sitter_python.language())
    checks = Query(language, "(assert_statement) @assert (call) @call (comment) @comment")
    return Parser(language), checks


def is_test_module(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def suite_path_for(path: str, suite_root: str) -> tuple[str, ...]:
    """Directories below the suite root, then the module's stem."""
    parts = PurePosixPath(path).with_suffix("").parts
    root = PurePosixPath(suite_root).parts if suite_root else ()
    if root and parts[: len(root)] == root and len(parts) > len(root):
        parts = parts[len(root) :]
    return tuple(parts)


def parse_test_file(
    path: str, data: bytes, suite_root: str = "", anchor_tag: str = DEFAULT_ANCHOR_TAG
) -> TestFileIR:
    """Read one file. Never raises on bad content: problems become diagnostics."""
    fingerprint = sha256_tag(data)

    problem = unreadable(FRAMEWORK, path, data, fingerprint)
    if problem is not None:
        return problem
    if not is_test_module(path):
        return TestFileIR(FRAMEWORK, path, fingerprint)
    parser, checks = _parser()
    tree = parser.parse(data)
    reader = _FileReader(path, suite_path_for(path, suite_root), anchor_tag, tree, checks)
    tests = reader.read()
    diagnostics: tuple[Diagnostic, ...] = ()
    if tree.root_node.has_error:
        line = first_error_line(tree.root_node)
        diagnostics = (
            Diagnostic(
                "error",
                "parse_error",
                f"syntax error near line {line}; later tests were still read",
                path,
                line,
                "fix the syntax error (python -m py_compile shows it)",
            ),
        )
    return TestFileIR(
        FRAMEWORK, path, fingerprint, tests, diagnostics, parse_error=bool(diagnostics)
    )


def _dotted(node) -> str:
    """``pytest.mark.slow`` for attribute chains, the identifier for names, else ''."""
    if node.type == "identifier":
        return node_text(node)
    if node.type == "attribute":
        obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        head = _dotted(obj) if obj is not None else ""
        return f"{head}.{node_text(attr)}" if head and attr is not None else ""
    return ""


@dataclass
class _Marks:
    """What decorators and ``pytestmark`` say about a test."""

    names: list[str] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)
    parametrize: list = field(default_factory=list)  # argument_list nodes, outermost first
    status: str = ACTIVE

    def merged(self, inner: _Marks) -> _Marks:
        status = self.status if self.status != ACTIVE else inner.status
        return _Marks(
            self.names + inner.names,
            self.anchors + inner.anchors,
            self.parametrize + inner.parametrize,
            status,
        )


def _split_arguments(arguments) -> tuple[list, dict]:
    """A call's argument_list node -> (positional nodes, {keyword: value node})."""
    named = arguments.named_children if arguments is not None else []
    positional = [a for a in named if a.type != "keyword_argument"]
    keywords = {
        node_text(a.child_by_field_name("name")): a.child_by_field_name("value")
        for a in named
        if a.type == "keyword_argument"
    }
    return positional, keywords


def _read_mark(expression, marks: _Marks) -> None:
    call_args = None
    target = expression
    if expression.type == "call":
        target = expression.child_by_field_name("function")
        call_args = expression.child_by_field_name("arguments")
    name = _dotted(target)
    if name in ("given", "hypothesis.given"):
        marks.names.append("given")
        return
    if name in ("unittest.skip", "skip") and expression.type == "call":
        marks.status = SKIP  # unittest's unconditional skip (pytest's is pytest.mark.skip)
        return
    if name in ("unittest.expectedFailure", "expectedFailure"):
        marks.status = marks.status if marks.status == SKIP else XFAIL
        return
    for prefix in ("pytest.mark.", "mark."):
        if name.startswith(prefix):
            mark = name[len(prefix) :]
            break
    else:
        return
    marks.names.append(mark)
    positional, keywords = _split_arguments(call_args)
    if mark == "skip":
        marks.status = SKIP
    elif mark == "xfail" and not positional and "condition" not in keywords:
        marks.status = marks.status if marks.status == SKIP else XFAIL
    elif mark == "parametrize" and call_args is not None:
        marks.parametrize.append(call_args)
    elif mark == ANCHOR_MARK:
        for argument in positional:
            value = _literal(argument)
            if isinstance(value, str):
                marks.anchors.append(value)


def _marks_from_pytestmark(value, marks: _Marks) -> None:
    items = value.named_children if value.type in ("list", "tuple") else [value]
    for item in items:
        _read_mark(item, marks)


_SIMPLE_STRING_PARTS = ("string_start", "string_content", "string_end")


def _literal(node):
    kind = node.type
    if kind == "string":
        parts = node.children
        if (
            len(parts) == 3
            and tuple(p.type for p in parts) == _SIMPLE_STRING_PARTS
            and parts[0].text in (b'"', b"'", b'"""', b"'''")
        ):
            return parts[1].text.decode("utf-8", errors="replace")  # no prefix, no escapes
        if len(parts) == 2 and parts[0].text in (b'"', b"'", b'"""', b"'''"):
            return ""
    elif kind == "integer" and node.text.isdigit():
        return int(node.text)
    elif kind in ("true", "false", "none"):
        return {"true": True, "false": False, "none": None}[kind]
    try:
        return ast.literal_eval(node_text(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _id_for_value(value, argname: str, index: int) -> str:
    if isinstance(value, str):
        return value.encode("unicode_escape").decode("ascii")
    if isinstance(value, bytes):
        return value.decode("ascii", "backslashreplace").encode("unicode_escape").decode("ascii")
    if value is None or isinstance(value, (bool, int, float, complex)):
        return str(value)
    return f"{argname}{index}"


def _argnames(node) -> list[str] | None:
    value = _literal(node)
    if isinstance(value, str):
        return [n.strip() for n in value.split(",") if n.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _cases(arguments) -> list[tuple[str, str]] | None:
    """[(id, source hash)] for one parametrize call, or None when not literal."""
    positional, keywords = _split_arguments(arguments)
    names_node = positional[0] if positional else keywords.get("argnames")
    values_node = positional[1] if len(positional) > 1 else keywords.get("argvalues")
    if names_node is None or values_node is None or values_node.type not in ("list", "tuple"):
        return None
    argnames = _argnames(names_node)
    if argnames is None:
        return None
    explicit_ids = None
    if "ids" in keywords:
        explicit_ids = _literal(keywords["ids"])
        if not isinstance(explicit_ids, (list, tuple)):
            return None
    cases = []
    for index, element in enumerate(values_node.named_children):
        case_id = None
        values_source = element
        if element.type == "call" and _dotted(element.child_by_field_name("function")) in (
            "pytest.param",
            "param",
        ):
            args = element.child_by_field_name("arguments")
            for argument in args.named_children if args else []:
                if (
                    argument.type == "keyword_argument"
                    and node_text(argument.child_by_field_name("name")) == "id"
                ):
                    value = _literal(argument.child_by_field_name("value"))
                    case_id = value if isinstance(value, str) else None
            positional_values = [
                a for a in (args.named_children if args else []) if a.type != "keyword_argument"
            ]
            values = [_literal(a) for a in positional_values]
        else:
            value = _literal(element)
            if len(argnames) == 1:
                values = [value]
            elif isinstance(value, (list, tuple)) and len(value) == len(argnames):
                values = list(value)
            else:
                values = [_NOT_LITERAL] * len(argnames)
        # An explicit "" is an id too (pytest's ``test_x[]``); None asks for the default.
        if (
            explicit_ids is not None
            and index < len(explicit_ids)
            and explicit_ids[index] is not None
        ):
            case_id = str(explicit_ids[index])
        if case_id is None:
            case_id = "-".join(
                _id_for_value(v, name, index)
                for name, v in zip(argnames, values + [_NOT_LITERAL] * len(argnames), strict=False)
            )
        cases.append((case_id, sha256_tag(_compact(values_source), 16)))
    return cases


def _unique_ids(ids: list[str]) -> list[str]:
    """pytest's suffixes for duplicate ids: ``1`` twice -> ``1_0``, ``1_1``."""
    counts = {i: ids.count(i) for i in ids}
    seen: dict[str, int] = {}
    unique = []
    for case in ids:
        if counts[case] > 1:
            n = seen.get(case, 0)
            seen[case] = n + 1
            sep = "_" if case[-1:].isdigit() else ""
            unique.append(f"{case}{sep}{n}")
        else:
            unique.append(case)
    return unique


def _parameters(parametrize: list) -> tuple[tuple[Parameter, ...], bool]:
    if not parametrize:
        return (), False
    per_call = []
    # The decorator nearest the function applies first and its id comes first.
    for arguments in reversed(parametrize):
        cases = _cases(arguments)
        if cases is None:
            return (), True
        per_call.append(cases)
    combined = [
        ("-".join(c[0] for c in combo), sha256_tag("|".join(c[1] for c in combo), 16))
        for combo in itertools.product(*per_call)
    ]
    ids = _unique_ids([c[0] for c in combined])
    return tuple(Parameter(i, h) for i, (_, h) in zip(ids, combined, strict=True)), False


def _compact(node) -> bytes:
    return compact(node, b"#", ("string",))


class _FileReader:
    def __init__(self, path, suite_path, anchor_tag, tree, checks):
        from tree_sitter import QueryCursor

        self.path = path
        self.suite_path = suite_path
        self.anchor_pattern = re.compile(re.escape(anchor_tag) + r"\s+" + _ID_CHARS)
        self.root = tree.root_node
        captures = QueryCursor(checks).captures(self.root)
        comment_lines: dict[int, str | None] = {}
        for comment in captures.get("comment", []):
            match = self.anchor_pattern.search(node_text(comment))
            comment_lines[comment.start_point[0]] = match.group(1) if match else None
        self.comments = CommentAnchors(comment_lines)
        calls = [c for c in captures.get("call", []) if _check_call_name(c)]
        self.checks = NodesByStart(captures.get("assert", []) + calls)

    def read(self) -> tuple[TestIR, ...]:
        module_marks = _Marks()
        tests: list[TestIR] = []
        self.unittest_classes = _unittest_classes(self.root)
        self.module_classes: dict[str, tuple] = {}
        self._read_body(self.root, (), module_marks, tests)
        return tuple(tests)

    def _read_body(self, body, classes, inherited: _Marks, tests, unittest=False) -> set[str]:
        """Read the tests of a module or class body; return the test names defined in it."""
        marks = _body_marks(body, inherited)
        children = body.named_children
        names: set[str] = set()
        for child in children:
            definition, decorators = _definition(child)
            if definition is None:
                continue
            name_node = definition.child_by_field_name("name")
            if name_node is None:
                continue
            name = node_text(name_node)
            own = _Marks()
            for decorator in decorators:
                if decorator.named_children:
                    _read_mark(decorator.named_children[0], own)
            own.anchors.extend(self.comments.above(child))
            if definition.type == "class_definition":
                if not classes:
                    self.module_classes[name] = (child, definition, own)
                if unittest:
                    continue  # unittest does not collect nested classes
                if not classes and child.id in self.unittest_classes:
                    self._read_class(definition, name, classes, marks.merged(own), tests, True)
                elif name.startswith("Test"):
                    class_body = definition.child_by_field_name("body")
                    if class_body is not None and not _has_init(class_body):
                        self._read_class(definition, name, classes, marks.merged(own), tests)
            elif definition.type == "function_definition" and name.startswith("test"):
                names.add(name)
                tests.append(
                    self._test(child, definition, name, classes, marks.merged(own), unittest)
                )
        return names

    def _read_class(self, definition, name, classes, marks: _Marks, tests, unittest=False):
        class_body = definition.child_by_field_name("body")
        if class_body is None:
            return
        path = (*classes, name)
        # Bases are resolved among module-level classes only. Their marks apply to this
        # class's tests too (pytest reads marks along the class's MRO).
        bases = self._bases(definition, {name}) if not classes else []
        for _, base, base_marks in bases:
            marks = marks.merged(_body_marks(base.child_by_field_name("body"), base_marks))
        seen = self._read_body(class_body, path, marks, tests, unittest)
        marks = _body_marks(class_body, marks)
        for _, base, _ in bases:
            for child in base.child_by_field_name("body").named_children:
                method, decorators = _definition(child)
                if method is None or method.type != "function_definition":
                    continue
                method_name = node_text(method.child_by_field_name("name"))
                if not method_name.startswith("test") or method_name in seen:
                    continue
                seen.add(method_name)
                own = _Marks()
                for decorator in decorators:
                    if decorator.named_children:
                        _read_mark(decorator.named_children[0], own)
                own.anchors.extend(self.comments.above(child))
                tests.append(
                    self._test(child, method, method_name, path, marks.merged(own), unittest)
                )

    def _bases(self, definition, visiting: set[str]):
        """The classes of this module that ``definition`` inherits from, nearest first
        (depth first, each once): where its inherited test methods come from."""
        found = []
        for base_name in _base_names(definition):
            entry = self.module_classes.get(base_name)
            if entry is None or base_name in visiting:
                continue
            visiting.add(base_name)
            outer, base, base_marks = entry
            found.append((outer, base, base_marks))
            found.extend(self._bases(base, visiting))
        return found

    def _test(self, outer, definition, name, classes, marks: _Marks, unittest=False) -> TestIR:
        start, end = outer.start_point[0], definition.end_point[0]
        body_anchors = self.comments.within(definition.start_point[0], end)
        anchors = tuple(dict.fromkeys(marks.anchors + body_anchors))
        parameters, dynamic = _parameters(marks.parametrize)
        suite_path = (*self.suite_path, *classes)
        nodeid = "::".join((self.path, *classes, name))
        return TestIR(
            test_id=make_test_id(FRAMEWORK, suite_path, name),
            suite_path=suite_path,
            name=name,
            title=_docstring_title(definition)
            or (unittest_title(classes[-1], name) if unittest else humanise(name)),
            nodeid=nodeid,
            locator=Locator(self.path, start + 1, end + 1),
            parameters=parameters,
            assertions=self._assertions(definition),
            anchors=anchors,
            markers=tuple(dict.fromkeys(m for m in marks.names if m != ANCHOR_MARK)),
            fixtures=_fixtures(definition),
            status=marks.status,
            dynamic_parameters=dynamic,
        )

    def _assertions(self, definition) -> tuple[Assertion, ...]:
        found = map(_assertion, self.checks.inside(definition))
        return tuple(assertion for assertion in found if assertion is not None)


def _definition(child):
    """``(definition, decorators)`` of a statement; definition None when it is none."""
    if child.type == "decorated_definition":
        definition = child.child_by_field_name("definition")
        return definition, [d for d in child.named_children if d.type == "decorator"]
    if child.type in ("class_definition", "function_definition"):
        return child, []
    return None, []


def _body_marks(body, inherited: _Marks) -> _Marks:
    """``inherited`` plus what the body's ``pytestmark = ...`` says."""
    marks = _Marks(list(inherited.names), list(inherited.anchors), [], inherited.status)
    for child in body.named_children if body is not None else []:
        if child.type == "expression_statement" and child.named_children:
            assignment = child.named_children[0]
            if assignment.type == "assignment":
                left = assignment.child_by_field_name("left")
                right = assignment.child_by_field_name("right")
                if left is not None and right is not None and node_text(left) == "pytestmark":
                    _marks_from_pytestmark(right, marks)
    return marks


def _base_names(definition) -> list[str]:
    """The dotted names of a class's bases (keyword arguments such as metaclass= skipped)."""
    superclasses = definition.child_by_field_name("superclasses")
    if superclasses is None:
        return []
    return [
        _dotted(node)
        for node in superclasses.named_children
        if node.type in ("identifier", "attribute")
    ]


def _module_statements(root):
    """Top-level statements, including those inside module-level if/try/with blocks."""
    stack = list(reversed(root.named_children))
    while stack:
        node = stack.pop()
        if node.type in _MODULE_BLOCKS:
            stack.extend(reversed(node.named_children))
        else:
            yield node


def _unittest_classes(root) -> set[int]:
    """Ids of the module-level class nodes that subclass ``unittest.TestCase``:
    through ``unittest.TestCase`` (or an alias of the module), an imported
    ``TestCase``, or a class of this module defined earlier that does."""
    modules: set[str] = set()
    cases: set[str] = set()
    subclasses: set[str] = set()
    found: set[int] = set()
    for node in _module_statements(root):
        if node.type == "import_statement":
            for item in node.named_children:
                if item.type == "dotted_name" and node_text(item).split(".")[0] == "unittest":
                    modules.add("unittest")
                elif item.type == "aliased_import":
                    target = item.child_by_field_name("name")
                    alias = item.child_by_field_name("alias")
                    if target is not None and alias is not None and node_text(target) == "unittest":
                        modules.add(node_text(alias))
        elif node.type == "import_from_statement":
            module = node.child_by_field_name("module_name")
            if module is None or node_text(module) != "unittest":
                continue
            for item in node.children_by_field_name("name"):
                target, alias = item, item
                if item.type == "aliased_import":
                    target = item.child_by_field_name("name")
                    alias = item.child_by_field_name("alias")
                if (
                    target is not None
                    and alias is not None
                    and node_text(target) in _UNITTEST_CASES
                ):
                    cases.add(node_text(alias))
        else:
            definition, _ = _definition(node)
            if definition is None or definition.type != "class_definition":
                continue
            name_node = definition.child_by_field_name("name")
            if name_node is None:
                continue
            name = node_text(name_node)
            for base in _base_names(definition):
                head, _, tail = base.rpartition(".")
                if (head in modules and tail in _UNITTEST_CASES) or (
                    not head and (base in cases or base in subclasses)
                ):
                    subclasses.add(name)
                    found.add(node.id)
                    break
            else:
                subclasses.discard(name)  # redefined as something else
    return found


def _has_init(class_body) -> bool:
    for child in class_body.named_children:
        definition = child
        if child.type == "decorated_definition":
            definition = child.child_by_field_name("definition")
        if definition is not None and definition.type == "function_definition":
            name = definition.child_by_field_name("name")
            if name is not None and node_text(name) == "__init__":
                return True
    return False


def _fixtures(definition) -> tuple[str, ...]:
    parameters = definition.child_by_field_name("parameters")
    names = []
    for parameter in parameters.named_children if parameters else []:
        node = parameter
        if parameter.type in ("default_parameter", "typed_parameter", "typed_default_parameter"):
            node = parameter.child_by_field_name("name") or parameter.named_children[0]
        if node.type == "identifier" and node_text(node) not in ("self", "cls"):
            names.append(node_text(node))
    return tuple(names)


def _docstring_title(definition) -> str:
    body = definition.child_by_field_name("body")
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if first.type != "expression_statement" or not first.named_children:
        return ""
    string = first.named_children[0]
    if string.type not in ("string", "concatenated_string"):
        return ""
    value = _literal(string)
    if not isinstance(value, str):
        return ""
    return docstring_title(value)


def _check_call_name(call) -> bool:
    name = _dotted(call.child_by_field_name("function"))
    last = name.rsplit(".", 1)[-1]
    if name.startswith("pytest.") and last in _CONTEXT_CHECKS:
        return True
    return last.startswith("assert_") or (name.startswith("self.assert") and len(last) > 6)


def _literal_text(node) -> str | None:
    if node is None or node.type not in _LITERAL_TYPES:
        return None
    value = _literal(node)
    if value is _NOT_LITERAL:
        return None
    return value if isinstance(value, str) else repr(value)


def _assertion(node) -> Assertion | None:
    structure = sha256_tag(_compact(node), 16)
    if node.type == "assert_statement":
        return _assert_statement(node, structure)
    name = _dotted(node.child_by_field_name("function"))
    last = name.rsplit(".", 1)[-1]
    positional, keywords = _split_arguments(node.child_by_field_name("arguments"))
    if name.startswith("pytest.") and last in _CONTEXT_CHECKS:
        expected = positional[0] if positional else None
        matcher = (
            f"pytest.{last}({node_text(expected)})" if expected is not None else f"pytest.{last}"
        )
        return Assertion(
            _CONTEXT_CHECKS[last], matcher, _literal_text(keywords.get("match")), structure
        )
    if name.startswith("self.assert"):
        expected = _literal_text(positional[1]) if len(positional) > 1 else None
        return Assertion(_UNITTEST_KINDS.get(last, "unittest"), last, expected, structure)
    return Assertion("mock", last, None, structure)


def _assert_statement(node, structure: str) -> Assertion:
    expressions = node.named_children
    condition = expressions[0] if expressions else node
    if condition.type == "comparison_operator":
        operands = condition.named_children
        operators = [c for c in condition.children if not c.is_named]
        operator = " ".join(
            node_text(o) for o in operators[:2] if node_text(o) in ("not", "in", "is")
        )
        operator = operator if operator in _COMPARISONS else node_text(operators[0])
        right = operands[-1] if len(operands) > 1 else None
        if right is not None and right.type == "call":
            function = _dotted(right.child_by_field_name("function"))
            if function in ("pytest.approx", "approx"):
                args = right.child_by_field_name("arguments")
                first = args.named_children[0] if args and args.named_children else None
                return Assertion("approx", "pytest.approx", _literal_text(first), structure)
        kind = _COMPARISONS.get(operator, "compare")
        return Assertion(kind, operator, _literal_text(right), structure)
    if condition.type == "not_operator":
        return Assertion("falsy", "not", None, structure)
    if condition.type == "call":
        function = _dotted(condition.child_by_field_name("function"))
        if function == "isinstance":
            return Assertion("isinstance", "isinstance", None, structure)
        return Assertion("truthy", function or "call", None, structure)
    return Assertion("truthy", "assert", None, structure)
