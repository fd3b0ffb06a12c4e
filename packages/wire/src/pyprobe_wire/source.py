"""Where names occur in Python source: the one definition both ends of a probe share.

The GUI turns a click on a name into a ProbeAnchor with ``occurrences()``, and the
tracer resolves ``--probe LINE:SYMBOL[:N]`` with the same function, so an anchor
means the same occurrence on both sides. ``col`` is the 0-based column as ``ast``
reports it: a UTF-8 byte offset, the unit of ``code.co_positions()``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["SymbolOccurrence", "occurrences"]


@dataclass(frozen=True)
class SymbolOccurrence:
    """One appearance of a name in the source."""

    line: int
    col: int
    symbol: str
    func: str
    is_assignment: bool
    # co_name of the code object that runs this name, as 3.10 and 3.11 compile it:
    # comprehensions are code objects of their own there.
    code_name: str = "<module>"


def occurrences(source: str, filename: str = "<source>") -> list[SymbolOccurrence]:
    """Every name in ``source`` with its column, enclosing function and role.

    A name is an assignment when it is bound on that line (``x = ...``, ``x += ...``,
    ``for x in``, ``(x := ...)``, ``as x``) or when the line mutates it in place
    through an item or attribute (``x[0] = ...``, ``x.attr = ...``).
    """
    tree = ast.parse(source, filename)
    found: list[SymbolOccurrence] = []
    _OccurrenceVisitor(found).visit(tree)
    found.sort(key=lambda o: (o.line, o.col))
    return found


_COMPREHENSIONS = {
    ast.ListComp: "<listcomp>",
    ast.SetComp: "<setcomp>",
    ast.DictComp: "<dictcomp>",
    ast.GeneratorExp: "<genexpr>",
}


class _OccurrenceVisitor(ast.NodeVisitor):
    """Collects names with their function (what users see) and code object (what runs
    them). Decorators, defaults and a comprehension's first iterable run outside."""

    def __init__(self, found: list[SymbolOccurrence]) -> None:
        self.found = found
        self.func = ""
        self.code_name = "<module>"
        self.mutated: set[int] = set()  # ids of Name nodes that are bases of item/attribute targets

    def _inside(self, nodes, code_name: str, func: str | None = None) -> None:
        outer = self.func, self.code_name
        self.code_name = code_name
        if func is not None:
            self.func = func
        for node in nodes:
            self.visit(node)
        self.func, self.code_name = outer

    def visit_FunctionDef(self, node) -> None:
        for outside in [*node.decorator_list, node.args, node.returns]:
            if outside is not None:
                self.visit(outside)
        self._inside(node.body, node.name, func=node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self._inside([node.body], "<lambda>", func="<lambda>")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for outside in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(outside)
        self._inside(node.body, node.name)

    def _comprehension(self, node) -> None:
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated before the comprehension's code runs
        inner = [first.target, *first.ifs]
        for generator in rest:
            inner += [generator.target, generator.iter, *generator.ifs]
        inner += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._inside(inner, _COMPREHENSIONS[type(node)])

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def _mark_mutated_base(self, target: ast.AST) -> None:
        while isinstance(target, (ast.Subscript, ast.Attribute)):
            target = target.value
        if isinstance(target, ast.Name):
            self.mutated.add(id(target))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for element in ast.walk(target):
                if isinstance(element, (ast.Subscript, ast.Attribute)) and isinstance(
                    getattr(element, "ctx", None), ast.Store
                ):
                    self._mark_mutated_base(element)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._mark_mutated_base(node.target)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        bound = isinstance(node.ctx, (ast.Store, ast.Del)) or id(node) in self.mutated
        self.found.append(
            SymbolOccurrence(
                line=node.lineno,
                col=node.col_offset,
                symbol=node.id,
                func=self.func,
                is_assignment=bound,
                code_name=self.code_name,
            )
        )
