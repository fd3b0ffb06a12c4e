"""Each package installs alone into a fresh virtual environment."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests._support.packaging import ROOT, fresh_venv, pip_install, quick_install

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

PACKAGES = {
    "wire": "pyprobe_wire",
    "transport": "pyprobe_transport",
    "tracer": "pyprobe_tracer",
    "gui": "pyprobe",
    "tddprose": "tddprose",
    "tpr": "tpr",
}


def installed_distributions(python: Path) -> set[str]:
    listing = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {entry["name"].lower() for entry in json.loads(listing.stdout)}


@pytest.mark.parametrize("folder", sorted(PACKAGES))
def test_package_installs_alone_and_imports(tmp_path, folder):
    python = quick_install(tmp_path / "venv", str(ROOT / "packages" / folder))
    module = PACKAGES[folder]
    check = subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.__version__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "0.1.0"


def test_gui_pulls_in_numpy_qt_wire_and_transport(tmp_path):
    python = quick_install(tmp_path / "venv", str(ROOT / "packages" / "gui"))
    listing = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json; "
            "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {name.lower() for name in json.loads(listing.stdout)}
    assert {
        "pyprobe-gui",
        "numpy",
        "pyqt6",
        "pyqtgraph",
        "pyprobe-wire",
        "pyprobe-transport",
    } <= installed
    check = subprocess.run(
        [str(python), "-c", "import pyprobe.ipc; print(pyprobe.ipc.HANDSHAKE_TIMEOUT)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "5.0"


def test_tracer_pulls_in_only_numpy_wire_and_transport(tmp_path):
    # pip itself, as a user would run it: `pip install packages/tracer`.
    python = fresh_venv(tmp_path / "venv")
    before = installed_distributions(python)
    # the siblings are pinned ==version, so a checkout installs the three together
    pip_install(
        python, *(str(ROOT / "packages" / name) for name in ("wire", "transport", "tracer"))
    )
    added = installed_distributions(python) - before
    assert added == {"numpy", "pyprobe-wire", "pyprobe-transport", "pyprobe-tracer"}
    version = subprocess.run(
        [str(python), "-m", "pyprobe_tracer", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("pyprobe-tracer 0.1.0")
