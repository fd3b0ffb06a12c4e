"""Building wheels and installing them into fresh virtual environments (tests/packaging)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from collections.abc import Mapping
from pathlib import Path

import pytest

from pipelines import release
from pipelines.release import sdist_metadata, wheel_metadata

ROOT = Path(__file__).resolve().parents[2]
PACKAGES_DIR = ROOT / "packages"
UV_MISSING = (
    "needs uv, from the test group: `python -m pip install -r requirements-test.lock` "
    "(or `python -m pip install 'uv>=0.5'`)"
)


def run(*command: str, env: Mapping[str, str] | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr}"


def fresh_venv(path: Path) -> Path:
    """A fresh venv with pip in it, for tests of what pip does: seeded by uv when the
    tests have it (0.5 s), else by the standard library's ensurepip (4 s)."""
    uv = release.uv_bin()
    if uv is None:
        venv.EnvBuilder(with_pip=True).create(path)
    else:
        run(uv, "venv", "--quiet", "--seed", "--python", sys.executable, str(path))
    return path / "bin" / "python"


def pip_install(python: Path, *args: str) -> None:
    run(str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args)


def quick_install(path: Path, *args: str) -> Path:
    """A fresh venv with ``args`` installed: uv when the tests have it (10x faster), else pip."""
    uv = release.uv_bin()
    if uv is None:
        python = fresh_venv(path)
        pip_install(python, *args)
        return python
    run(uv, "venv", "--quiet", "--python", sys.executable, str(path))
    python = path / "bin" / "python"
    run(uv, "pip", "install", "--quiet", "--python", str(python), *args)
    return python


def uv_bin() -> str:
    """uv's executable; the test fails (never skips) without it, saying how to install it."""
    uv = release.uv_bin()
    if uv is None:
        pytest.fail(UV_MISSING)
    return uv


def build(source: Path, out: Path, kind: str, *, env: Mapping[str, str] | None = None) -> Path:
    """Build ``kind`` ("sdist" or "wheel") from a package directory or an sdist into ``out``.

    ``env`` is added to this environment (``{"PYPROBE_RELEASE_BUILD": "1"}`` for a
    release build, as `nox -s build` makes them)."""
    # --no-sources: a plain PEP 517 build, as `python -m build` or pip runs it.
    command = [uv_bin(), "build", "--quiet", "--no-sources", f"--{kind}"]
    command += ["--python", sys.executable, "--out-dir", str(out), str(source)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}
    )
    assert result.returncode == 0, result.stderr
    (artifact,) = out.glob("*.tar.gz" if kind == "sdist" else "*.whl")
    return artifact


def wheel_requirements(wheel: Path) -> list[str]:
    return wheel_metadata(wheel).get_all("Requires-Dist") or []


def sdist_requirements(sdist: Path) -> list[str]:
    return sdist_metadata(sdist).get_all("Requires-Dist") or []
