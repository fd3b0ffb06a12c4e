"""The directions dependencies may point (DESIGN.md), checked on the sources."""

from __future__ import annotations

import ast
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


def imported_modules(source: Path) -> set[str]:
    """Top-level names of every module ``source`` imports, lazily or not."""
    names = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def sources_of(package: str) -> list[Path]:
    (src,) = PACKAGES.glob(f"*/src/{package}")
    return sorted(src.rglob("*.py"))


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


def test_gui_and_tracer_share_one_dependency_hook():
    # hatch_build.py computes the sibling dependencies of both packages. It is
    # copied, not referenced as "../tracer/hatch_build.py": the wheel is built from
    # the sdist, where a file outside the package directory does not exist.
    tracer = (PACKAGES / "tracer" / "hatch_build.py").read_bytes()
    gui = (PACKAGES / "gui" / "hatch_build.py").read_bytes()
    assert gui == tracer, "packages/gui/hatch_build.py differs from packages/tracer/hatch_build.py"
