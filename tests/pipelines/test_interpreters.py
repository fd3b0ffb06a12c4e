"""Finding Python 3.10-3.13 for the nox sessions with nothing exported by the user."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from pipelines.interpreters import SUPPORTED_PYTHONS, find_python, missing_python_message


def fake_python(path: Path, reports: str, exit_code: int = 0) -> Path:
    """An executable that answers the version probe like a Python would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {reports}\nexit {exit_code}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def env_with(path_dirs=(), pyenv_root: Path | None = None, home: Path | None = None) -> dict:
    env = {"PATH": os.pathsep.join(str(d) for d in path_dirs)}
    if pyenv_root is not None:
        env["PYENV_ROOT"] = str(pyenv_root)
    env["HOME"] = str(home) if home else "/nonexistent-home"
    return env


def test_supported_pythons_are_310_to_313():
    assert SUPPORTED_PYTHONS == ("3.10", "3.11", "3.12", "3.13")


def test_finds_the_running_interpreter_version():
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = find_python(version)
    assert found is not None and found.is_absolute()


def test_prefers_a_working_python_on_path(tmp_path):
    on_path = fake_python(tmp_path / "bin" / "python3.12", "3.12")
    fake_python(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python3.12", "3.12")
    env = env_with([tmp_path / "bin"], pyenv_root=tmp_path / "pyenv")
    assert find_python("3.12", env=env) == on_path


def test_skips_an_inactive_pyenv_shim_and_uses_pyenv_versions(tmp_path):
    # A pyenv shim for a version that is installed but not active exits 127.
    fake_python(tmp_path / "shims" / "python3.11", "pyenv: python3.11: command not found", 127)
    real = fake_python(tmp_path / "pyenv" / "versions" / "3.11.7" / "bin" / "python3.11", "3.11")
    env = env_with([tmp_path / "shims"], pyenv_root=tmp_path / "pyenv")
    assert find_python("3.11", env=env) == real


def test_rejects_a_python_that_reports_another_version(tmp_path):
    fake_python(tmp_path / "bin" / "python3.13", "3.11")
    assert find_python("3.13", env=env_with([tmp_path / "bin"])) is None


def test_uses_the_default_pyenv_root_under_home(tmp_path):
    real = fake_python(tmp_path / ".pyenv" / "versions" / "3.10.13" / "bin" / "python3.10", "3.10")
    assert find_python("3.10", env=env_with(home=tmp_path)) == real


def test_picks_the_newest_patch_release_and_skips_variants(tmp_path):
    versions = tmp_path / "pyenv" / "versions"
    fake_python(versions / "3.13.2" / "bin" / "python3.13", "3.13")
    newest = fake_python(versions / "3.13.10" / "bin" / "python3.13", "3.13")
    fake_python(versions / "3.13.11t" / "bin" / "python3.13", "3.13")
    fake_python(versions / "3.13-dev" / "bin" / "python3.13", "3.13")
    assert find_python("3.13", env=env_with(pyenv_root=tmp_path / "pyenv")) == newest


def test_missing_interpreter_is_none_and_the_message_says_where_we_looked(tmp_path):
    env = env_with([tmp_path / "bin"], pyenv_root=tmp_path / "pyenv")
    assert find_python("3.12", env=env) is None
    message = missing_python_message("3.12", env=env)
    assert "Python 3.12 was not found" in message
    assert "python3.12 on PATH" in message
    assert str(tmp_path / "pyenv" / "versions" / "3.12.*") in message
    assert "pyenv install 3.12" in message
    assert "never downloads" in message
