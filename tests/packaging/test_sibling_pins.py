"""Built artifacts pin the sibling packages ==version, never by a direct reference.

PyPI rejects direct references (``name @ file:///...``), and pip cannot mix them with
editable installs of the same packages; hatch_build.py pins the siblings to the
package's own version whichever way the wheel is built.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests._support.packaging import (
    ROOT,
    build,
    fresh_venv,
    sdist_requirements,
    wheel_requirements,
)

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

VERSION = "0.1.0"
SIBLINGS = {f"pyprobe-wire=={VERSION}", f"pyprobe-transport=={VERSION}"}

pytestmark = [pytest.mark.packaging, pytest.mark.slow]


def assert_pinned(requirements: list[str]) -> None:
    normalized = {requirement.replace(" ", "") for requirement in requirements}
    assert normalized >= SIBLINGS, requirements
    assert not [r for r in requirements if "@" in r], requirements
    assert not [r for r in requirements if "file:" in r], requirements


@pytest.mark.parametrize("folder", ["tracer", "gui"])
def test_wheel_built_directly_pins_siblings(tmp_path, folder):
    wheel = build(ROOT / "packages" / folder, tmp_path / "wheel", "wheel")
    assert_pinned(wheel_requirements(wheel))


@pytest.mark.parametrize("folder", ["tracer", "gui"])
def test_wheel_built_from_sdist_pins_siblings(tmp_path, folder):
    sdist = build(ROOT / "packages" / folder, tmp_path / "sdist", "sdist")
    assert_pinned(sdist_requirements(sdist))
    wheel = build(sdist, tmp_path / "wheel", "wheel")
    assert_pinned(wheel_requirements(wheel))


def test_editable_siblings_install_together_with_pip(tmp_path):
    # The contributor setup without uv: pip satisfies the == pins with the editables.
    python = str(fresh_venv(tmp_path / "venv"))
    editables = [
        arg
        for name in ("wire", "transport", "tracer")
        for arg in ("-e", str(ROOT / "packages" / name))
    ]
    result = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *editables],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = subprocess.run(
        [
            python,
            "-c",
            "import importlib.metadata as m, json; print(json.dumps({n: "
            "json.loads(m.distribution(n).read_text('direct_url.json'))['dir_info']"
            ".get('editable', False) for n in ('pyprobe-wire', 'pyprobe-transport', "
            "'pyprobe-tracer')}))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert json.loads(report.stdout) == {
        "pyprobe-wire": True,
        "pyprobe-transport": True,
        "pyprobe-tracer": True,
    }


def test_root_is_a_uv_workspace_and_siblings_are_workspace_sources():
    root = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert root["tool"]["uv"]["workspace"]["members"] == ["packages/*"]
    assert {"include-group": "test"} in root["dependency-groups"]["dev"]
    for folder in ("tracer", "gui"):
        project = tomllib.loads(
            (ROOT / "packages" / folder / "pyproject.toml").read_text(encoding="utf-8")
        )
        sources = project["tool"]["uv"]["sources"]
        siblings = project["tool"]["hatch"]["metadata"]["hooks"]["custom"]["sibling-packages"]
        assert {name: sources.get(name) for name in siblings} == {
            name: {"workspace": True} for name in siblings
        }
