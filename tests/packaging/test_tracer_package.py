"""M9: the tracer's release wheel, and the GUI binary that leaves the tracer out.

Every test checks an artifact against the imported package: the wheel's name,
metadata and pins against ``pyprobe_tracer.__version__``, the binary's contents against
``pyprobe._freeze`` (which the spec reads too). Building a wheel never imports the
tracer, so without those comparisons the tests would pass with the implementation gone.

test_install_alone.py installs each package from its source directory; here the
installed thing is the release wheel itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import pyprobe
import pyprobe_tracer
from pyprobe import _freeze
from tests._support.packaging import PACKAGES_DIR, build, quick_install, wheel_metadata

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

RELEASE = {"PYPROBE_RELEASE_BUILD": "1"}  # as `nox -s build` builds what is published
SPEC = PACKAGES_DIR / "gui" / "pyprobe.spec"
TRACER = "pyprobe_tracer"
# Anything of the GUI stack in the tracer's dependencies is a bug.
GUI_DISTRIBUTIONS = {"pyqt6", "pyqt6-qt6", "pyqt6-sip", "pyqtgraph", "pyprobe", "pyprobe-gui"}
PYINSTALLER_MISSING = (
    "needs PyInstaller, from the root pyproject's freeze group: "
    "`python -m pip install --group freeze` (pip 25.1+, at the repo root) or "
    "`python -m pip install 'pyinstaller>=6.10'`"
)


def release_wheel(folder: str, out: Path) -> Path:
    return build(PACKAGES_DIR / folder, out, "wheel", env=RELEASE)


def test_tracer_wheel_builds(tmp_path):
    wheel = release_wheel("tracer", tmp_path)
    version = pyprobe_tracer.__version__
    assert wheel.name == f"pyprobe_tracer-{version}-py3-none-any.whl"
    metadata = wheel_metadata(wheel)
    assert (metadata["Name"], metadata["Version"]) == ("pyprobe-tracer", version)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith(TRACER + "-")}
    assert packages == {TRACER}
    assert {f"{TRACER}/__init__.py", f"{TRACER}/__main__.py"} <= set(names)


def test_tracer_wheel_installable(tmp_path):
    wheels = [release_wheel(name, tmp_path / name) for name in ("wire", "transport", "tracer")]
    python = quick_install(tmp_path / "venv", *map(str, wheels))
    version = pyprobe_tracer.__version__
    # outside the checkout, so only what the wheel installed can be imported
    result = subprocess.run(
        [str(python), "-m", TRACER, "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["pyprobe-tracer", version]
    script = tmp_path / "venv" / "bin" / "pyprobe-tracer"
    command = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert command.returncode == 0, command.stderr
    assert command.stdout == result.stdout
    where = subprocess.run(
        [str(python), "-c", f"import {TRACER}; print({TRACER}.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv")


def test_tracer_minimal_deps(tmp_path):
    wheel = release_wheel("tracer", tmp_path)
    version = pyprobe_tracer.__version__
    requirements = [Requirement(text) for text in wheel_metadata(wheel).get_all("Requires-Dist")]
    by_name = {canonicalize_name(r.name): r for r in requirements}
    assert not GUI_DISTRIBUTIONS & set(by_name), requirements
    assert not [name for name in by_name if "qt" in name], requirements
    assert sorted(by_name) == ["numpy", "pyprobe-transport", "pyprobe-wire"], requirements
    assert len(requirements) == len(by_name), requirements
    assert not [r for r in requirements if r.url or r.marker or r.extras], requirements
    assert [spec.operator for spec in by_name["numpy"].specifier] == [">="]
    for sibling in ("pyprobe-wire", "pyprobe-transport"):
        assert str(by_name[sibling].specifier) == f"=={version}", requirements


def archive_contents(executable: Path) -> set[str]:
    """The names in the executable's PKG archive and in the PYZ inside it (the modules)."""
    try:
        from PyInstaller.archive.readers import CArchiveReader
    except ImportError:
        pytest.fail(PYINSTALLER_MISSING)
    package = CArchiveReader(str(executable))
    names = set(package.toc)
    for name, (*_, typecode) in package.toc.items():
        if typecode == "z":  # the PYZ: every pure-Python module
            names |= set(package.open_embedded_archive(name).toc)
    return names


def collected_modules(internal: Path) -> set[str]:
    """Dotted names of the modules and packages collected as files beside the executable."""
    names = set()
    for path in internal.rglob("*"):
        parts = path.relative_to(internal).parts
        if path.is_dir():
            names.add(".".join(parts))
        elif path.suffix in (".py", ".pyc", ".so"):
            stem = path.name.split(".")[0]
            names.add(".".join([*parts[:-1], stem]))
    return names


def inside(name: str, top: str) -> bool:
    return name == top or name.startswith(top + ".")


def test_binary_does_not_import_tracer(tmp_path):
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.fail(PYINSTALLER_MISSING)
    dist, work = tmp_path / "dist", tmp_path / "build"
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    build = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=1800)
    assert build.returncode == 0, build.stderr[-6000:]

    folder = dist / _freeze.NAME
    executable = folder / _freeze.NAME
    modules = archive_contents(executable) | collected_modules(folder / "_internal")
    bundled = sorted(name for name in modules if inside(name, TRACER))
    assert bundled == [], f"the binary bundles the tracer: {bundled[:10]}"
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob(f"*{TRACER}*"))
    assert files == [], f"the binary bundles the tracer: {files[:10]}"
    excluded = sorted(n for n in modules for top in _freeze.EXCLUDES if inside(n, top))
    assert excluded == [], excluded[:10]
    missing = sorted(name for name in _freeze.HIDDEN_IMPORTS if name not in modules)
    assert missing == [], f"missing from the binary: {missing}"

    # and it starts (offscreen: no display needed)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = subprocess.run(
        [str(executable), "--version"], capture_output=True, text=True, env=env, timeout=120
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"pyprobe {pyprobe.__version__}"
