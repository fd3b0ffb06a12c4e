"""Find the Python interpreters the nox sessions run on.

nox only sees interpreters on PATH, and pyenv puts only its *active* versions
there: the shims of the others exit with "command not found". So each
version is looked for on PATH first, then under pyenv's ``versions/``
directory. Every candidate is asked for its version before it is trusted.
Nothing is ever downloaded: a missing interpreter is reported with where we
looked and how to install it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")

_VERSION_PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"
_RELEASE_DIR = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def _pyenv_versions_dir(env: Mapping[str, str]) -> Path:
    root = env.get("PYENV_ROOT") or os.path.join(env.get("HOME", "~"), ".pyenv")
    return Path(root).expanduser() / "versions"


def _reports_version(executable: Path, version: str) -> bool:
    try:
        probe = subprocess.run(
            [str(executable), "-c", _VERSION_PROBE],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0 and probe.stdout.strip() == version


def _pyenv_candidates(version: str, env: Mapping[str, str]) -> list[Path]:
    """Final releases of ``version`` under pyenv, newest patch first."""
    versions_dir = _pyenv_versions_dir(env)
    releases = []
    for entry in versions_dir.glob(f"{version}.*"):
        match = _RELEASE_DIR.fullmatch(entry.name)
        if match and f"{match[1]}.{match[2]}" == version:
            releases.append((int(match[3]), entry / "bin" / f"python{version}"))
    return [path for _, path in sorted(releases, reverse=True)]


def find_python(version: str, *, env: Mapping[str, str] | None = None) -> Path | None:
    """The absolute path of a working ``python<version>``, or None."""
    env = os.environ if env is None else env
    on_path = shutil.which(f"python{version}", path=env.get("PATH", ""))
    candidates = [Path(on_path).absolute()] if on_path else []
    candidates += _pyenv_candidates(version, env)
    for candidate in candidates:
        if candidate.is_file() and _reports_version(candidate, version):
            return candidate
    return None


def missing_python_message(version: str, *, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    pattern = _pyenv_versions_dir(env) / f"{version}.*" / "bin"
    return (
        f"Python {version} was not found. Looked for python{version} on PATH and in "
        f"{pattern}. Install it (for example `pyenv install {version}`) and run again; "
        f"PyProbe never downloads interpreters"
    )
