"""The directions dependencies may point, checked on the sources.

docs/ARCHITECTURE.md states these rules; this module is where they are enforced:
which packages may import which, the layers inside the GUI and the tracer, and no
import cycles between the modules of one package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "packages"

# import package -> top-level modules it must never import
FORBIDDEN = {
    "pyprobe_wire": {
        "pickle",
        "pyprobe",
        "pyprobe_tracer",
        "pyprobe_transport",
        "PyQt6",
        "pyqtgraph",
    },
    "pyprobe_transport": {"pickle", "numpy", "pyprobe_wire", "pyprobe", "pyprobe_tracer"},
    "pyprobe_tracer": {"pickle", "pyprobe", "PyQt6", "pyqtgraph", "pipelines"},
    "pyprobe": {"pickle", "pipelines"},
    "tpr": {"pyprobe", "pyprobe_wire", "pyprobe_transport", "pyprobe_tracer", "pipelines"},
    "tddprose": {"pyprobe", "pyprobe_wire", "pyprobe_transport", "pyprobe_tracer", "pipelines"},
}

QT = ("PyQt6", "pyqtgraph")
# Everything of the tracer outside its engine: the engine is the bottom layer.
TRACER_OUTER = tuple(
    f"pyprobe_tracer.{name}"
    for name in (
        "ipc",
        "streaming",
        "session",
        "launch",
        "cli",
        "commands",
        "output",
        "recording",
        "__main__",
    )
)

# (modules the rule is about, modules they must never import, lazily or not), by prefix
LAYERS = [
    ("pyprobe.ipc", (*QT, "pyprobe.gui", "pyprobe.lenses", "pyprobe.app")),
    ("pyprobe.core", (*QT, "pyprobe.gui", "pyprobe.lenses", "pyprobe.ipc", "pyprobe.app")),
    ("pyprobe.lenses.prepare", (*QT, "pyprobe.gui")),
    ("pyprobe.lenses.spectrum_prep", (*QT, "pyprobe.gui")),
    ("pyprobe.lenses", ("pyprobe.gui", "pyprobe.ipc", "pyprobe.app")),
    ("pyprobe.gui", ("pyprobe.app",)),
    ("pyprobe_tracer.engine", TRACER_OUTER),
    (
        "pyprobe_tracer.ipc",
        ("pyprobe_tracer.streaming", "pyprobe_tracer.session", "pyprobe_tracer.launch"),
    ),
]

# The GUI may use the tracer only for legacy mode, and only lazily (inside a function).
GUI_LEGACY_MODULES = {"pyprobe.ipc.legacy_channel"}

# Every package whose modules must not import each other in a cycle.
CYCLE_FREE = [*sorted(FORBIDDEN), "pipelines"]

# Cycles known today, each to be broken by its owner; the test fails once one is gone,
# so the entry is removed with the fix. anchor.py imports anchor_matcher inside a
# function, and anchor_matcher imports anchor at module level.
KNOWN_CYCLES = {
    ("pyprobe_tracer.engine.anchor", "pyprobe_tracer.engine.anchor_matcher"),
}


def imported_modules(source: Path) -> set[str]:
    """Top-level names of every module ``source`` imports, lazily or not."""
    names = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_dir(package: str) -> Path:
    if package == "pipelines":
        return ROOT / "pipelines"
    (src,) = PACKAGES.glob(f"*/src/{package}")
    return src


def sources_of(package: str) -> list[Path]:
    return sorted(package_dir(package).rglob("*.py"))


# --- the module graph ------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module
    target: str  # the module imported (a submodule when ``from pkg import sub`` names one)
    line: int
    lazy: bool  # inside a function: runs on call, not on import
    type_only: bool  # under ``if TYPE_CHECKING``: never runs


def module_names(directory: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package in ``directory``."""
    base = directory.parent
    names = {}
    for path in sorted(directory.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[tuple[ast.stmt, bool, bool]]:
    """Every import statement with (lazy, type_only)."""

    def visit(node: ast.AST, lazy: bool, type_only: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, lazy, type_only
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, True, type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), lazy, True)
                for stmt in child.orelse:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), lazy, type_only)
            else:
                yield from visit(child, lazy, type_only)

    yield from visit(tree, False, False)


def edges_of(module: str, path: Path, known: set[str]) -> list[Edge]:
    """The imports of ``module`` (file ``path``), relative ones resolved against it."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    edges = []
    for node, lazy, type_only in _imports(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                parts = module.split(".")
                if not is_package:
                    parts = parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in known else base)
        edges.extend(Edge(module, t, node.lineno, lazy, type_only) for t in targets)
    return edges


def graph_of(package: str) -> list[Edge]:
    names = module_names(package_dir(package))
    known = set(names)
    return [edge for module, path in names.items() for edge in edges_of(module, path, known)]


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), plus self-loops."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


# --- package directions ----------------------------------------------------------------


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_the_design_allows(package):
    violations = []
    for source in sources_of(package):
        for name in sorted(imported_modules(source) & FORBIDDEN[package]):
            violations.append(f"{source.relative_to(ROOT)} imports {name}")
    assert not violations, "\n".join(violations)


def test_the_checker_sees_lazy_imports(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    import numpy.linalg\n    from PyQt6 import QtCore\n")
    assert imported_modules(source) == {"numpy", "PyQt6"}


def test_nothing_outside_tasks_noxfile_and_tests_imports_pipelines():
    offenders = [
        str(source.relative_to(ROOT))
        for source in sorted(PACKAGES.rglob("*.py"))
        if "pipelines" in imported_modules(source)
    ]
    assert offenders == []


def test_the_gui_uses_the_tracer_only_lazily_and_only_for_legacy_mode():
    offenders = [
        f"{edge.source}:{edge.line} imports {edge.target}"
        + ("" if edge.lazy else " at module level")
        for edge in graph_of("pyprobe")
        if within(edge.target, "pyprobe_tracer")
        and not (edge.lazy and edge.source in GUI_LEGACY_MODULES)
    ]
    assert offenders == [], "\n".join(offenders)


# --- layers inside packages ------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "forbidden"), LAYERS, ids=[f"{layer}-{i}" for i, (layer, _) in enumerate(LAYERS)]
)
def test_a_layer_never_imports_what_sits_above_it(layer, forbidden):
    edges = graph_of(layer.split(".")[0])
    assert any(within(edge.source, layer) for edge in edges), f"no module {layer}: rule is stale"
    offenders = [
        f"{edge.source}:{edge.line} imports {edge.target}" + (" (lazily)" if edge.lazy else "")
        for edge in edges
        if within(edge.source, layer) and any(within(edge.target, f) for f in forbidden)
    ]
    assert offenders == [], "\n".join(offenders)


def test_qt_lives_only_in_gui_lenses_and_app():
    qt_free = [
        "pyprobe.ipc",
        "pyprobe.core",
        "pyprobe.exceptions",
        "pyprobe.lenses.prepare",
        "pyprobe.lenses.spectrum_prep",
    ]
    allowed = ("pyprobe.gui", "pyprobe.lenses", "pyprobe.app")
    offenders = []
    for edge in graph_of("pyprobe"):
        if any(within(edge.target, qt) for qt in QT) and (
            not any(within(edge.source, a) for a in allowed)
            or any(within(edge.source, q) for q in qt_free)
        ):
            offenders.append(f"{edge.source}:{edge.line} imports {edge.target}")
        elif (
            any(within(edge.target, qt) for qt in QT)
            and edge.source == "pyprobe.app"
            and not edge.lazy  # `pyprobe --help` starts without loading Qt
        ):
            offenders.append(f"{edge.source}:{edge.line} imports {edge.target} eagerly")
    assert offenders == [], "\n".join(offenders)


def test_only_the_main_module_imports_the_app():
    offenders = [
        f"{edge.source}:{edge.line} imports {edge.target}"
        for edge in graph_of("pyprobe")
        if edge.target == "pyprobe.app" and edge.source != "pyprobe.__main__"
    ]
    assert offenders == [], "\n".join(offenders)


def test_loading_the_engine_loads_no_transport_and_no_outer_tracer_module():
    # What the layer rule is for: the engine's modules load without the IPC client,
    # the socket transport or the session's machinery.
    code = (
        "import sys\n"
        "import pyprobe_tracer.engine.capture_record, pyprobe_tracer.engine.run\n"
        "outer = ('pyprobe_transport',) + tuple(sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if any(m == o or m.startswith(o + '.')"
        " for o in outer)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *TRACER_OUTER],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- no cycles ---------------------------------------------------------------------------
# Every import counts, lazy ones included: a function-level import is how a cycle hides
# (tpr's flake and rollback did), and it still ties the two modules together. Imports
# under ``if TYPE_CHECKING`` never run and are left out.


@pytest.mark.parametrize("package", CYCLE_FREE)
def test_no_import_cycles_between_modules_of_a_package(package):
    edges = [
        edge
        for edge in graph_of(package)
        if not edge.type_only and within(edge.target, package) and edge.target != edge.source
    ]
    found = {tuple(cycle) for cycle in cycles(edges)}
    known = {cycle for cycle in KNOWN_CYCLES if cycle[0].split(".")[0] == package}
    new = sorted(found - known)
    assert new == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in new)
    gone = sorted(known - found)
    assert gone == [], f"no longer a cycle, remove it from KNOWN_CYCLES: {gone}"


# --- the checker itself ------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> dict[str, Path]:
    paths = {}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths[name] = path
    return paths


def test_the_graph_resolves_relative_lazy_and_type_only_imports(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from .a import f\n",
            "pkg/a.py": "from . import b\nfrom .sub.c import g\ndef f():\n    from .b import h\n",
            "pkg/b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
            ),
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "from .. import a\nfrom ..b import x\n",
        },
    )
    names = module_names(tmp_path / "pkg")
    assert set(names) == {"pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c"}
    known = set(names)
    edges = {
        (e.source, e.target, e.lazy, e.type_only)
        for module, path in names.items()
        for e in edges_of(module, path, known)
    }
    assert ("pkg", "pkg.a", False, False) in edges
    assert ("pkg.a", "pkg.b", False, False) in edges
    assert ("pkg.a", "pkg.sub.c", False, False) in edges
    assert ("pkg.a", "pkg.b", True, False) in edges
    assert ("pkg.b", "pkg.a", False, True) in edges
    assert ("pkg.sub.c", "pkg.a", False, False) in edges
    assert ("pkg.sub.c", "pkg.b", False, False) in edges


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import():
    edges = [
        Edge("p.flake", "p.rollback", 1, False, False),
        Edge("p.rollback", "p.flake", 9, True, False),
        Edge("p.gate", "p.rollback", 1, False, False),
    ]
    assert cycles(edges) == [["p.flake", "p.rollback"]]
    assert cycles(edges[::2]) == []


def test_gui_and_tracer_share_one_dependency_hook():
    # hatch_build.py computes the sibling dependencies of both packages. It is
    # copied, not referenced as "../tracer/hatch_build.py": the wheel is built from
    # the sdist, where a file outside the package directory does not exist.
    tracer = (PACKAGES / "tracer" / "hatch_build.py").read_bytes()
    gui = (PACKAGES / "gui" / "hatch_build.py").read_bytes()
    assert gui == tracer, "packages/gui/hatch_build.py differs from packages/tracer/hatch_build.py"


def test_protocol_facts_are_defined_once_in_the_wire_package():
    import pyprobe.ipc.handshake as gui_handshake
    import pyprobe_tracer.ipc.handshake as tracer_handshake
    import pyprobe_transport
    import pyprobe_wire
    from pyprobe_tracer.engine import data_classifier

    # the transport may not import the wire: the two limits are kept equal here
    assert pyprobe_wire.DEFAULT_MAX_FRAME_BYTES == pyprobe_transport.DEFAULT_MAX_FRAME_BYTES
    for side in (gui_handshake, tracer_handshake):
        assert side.TOKEN_ENV_VAR is pyprobe_wire.TOKEN_ENV_VAR
        assert side.HANDSHAKE_MAX_BYTES is pyprobe_wire.HANDSHAKE_MAX_BYTES
    assert gui_handshake.HANDSHAKE_TIMEOUT is pyprobe_wire.HANDSHAKE_TIMEOUT
    assert tracer_handshake.DEFAULT_TIMEOUT is pyprobe_wire.HANDSHAKE_TIMEOUT
    assert data_classifier.MAX_WIRE_NDIM is pyprobe_wire.MAX_NDIM
    for package in ("pyprobe", "pyprobe_tracer"):
        for source in sources_of(package):
            text = source.read_text(encoding="utf-8")
            assert 'TOKEN_ENV_VAR = "' not in text, f"{source.name} defines the token again"
