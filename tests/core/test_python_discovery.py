"""M6: which Python runs the user's script, whether it runs, whether the tracer is there.

Every test builds its own world in tmp_path: PATH is a directory of its own, and
VIRTUAL_ENV, CONDA_PREFIX, PYENV_ROOT, HOME and PYTHONPATH are set or removed, so the
tests pass the same on any machine. The interpreters are symlinks to the test's own
Python, venvs made here without pip (so without the tracer), or small shell scripts: a
wrapper that runs the test's Python (which imports pyprobe_tracer), or a fake that fails,
hangs or pretends to be pip.
"""

from __future__ import annotations

import os
import pickle
import platform
import re
import shlex
import stat
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

import pyprobe.exceptions
import pyprobe_tracer
from pyprobe.core import python_discovery
from pyprobe.core.python_discovery import (
    Candidate,
    PythonDiscovery,
    clear_cache,
    install_tracer,
    tracer_install_command,
)
from pyprobe.exceptions import PyProbeError, PythonNotFoundError, TracerNotInstalledError

PYTHON = sys.executable  # the test run's interpreter: pyprobe_tracer is importable there
ORIGINAL_PATH = os.environ.get("PATH", os.defpath)  # for the tools the fake scripts use
PYTHON_VERSION = platform.python_version()


@pytest.fixture(autouse=True)
def own_world(monkeypatch, tmp_path):
    """Discovery sees only what the test builds; no probe is remembered across tests."""
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYENV_VERSION", "PYTHONPATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    clear_cache()
    yield
    clear_cache()


def script_in(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "dsp.py"
    script.write_text("import math\nphase = math.pi / 4\n")
    return script


def shell_script(path: Path, body: str) -> Path:
    """An executable /bin/sh script; it sees the PATH the test run started with."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nPATH={shlex.quote(ORIGINAL_PATH)}\nexport PATH\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def python_link(path: Path) -> Path:
    """A symlink to the test's Python: it runs (as its base interpreter, outside its venv)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(PYTHON)
    return path


def python_wrapper(path: Path, log: Path | None = None, before: str = "") -> Path:
    """A Python that is the test's own, venv and tracer included; ``before`` runs first,
    then ``log`` gets a line."""
    record = f"echo started >> {shlex.quote(str(log))}\n" if log else ""
    return shell_script(path, f'{before}\n{record}exec {shlex.quote(PYTHON)} "$@"')


def make_venv(directory: Path) -> Path:
    """A real venv (symlinks to the base interpreter, no pip, so no tracer)."""
    venv.create(directory, with_pip=False, symlinks=True)
    return directory / "bin" / "python"


def starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def runs(python: str) -> bool:
    return subprocess.run([python, "--version"], capture_output=True).returncode == 0


def by_source(found: list[Candidate]) -> dict[str, Candidate]:
    return {candidate.source: candidate for candidate in found}


# --------------------------------------------------------------- the seed's tests


def test_discover_system_python(tmp_path):
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    found = PythonDiscovery.discover(script)

    assert found == str(python3)
    assert runs(found)


def test_discover_venv_python(tmp_path):
    python_link(tmp_path / "bin" / "python3")
    venv_python = make_venv(tmp_path / "project" / ".venv")
    next_to_it = script_in(tmp_path / "project")
    below_it = script_in(tmp_path / "project" / "src" / "filters")

    assert PythonDiscovery.discover(next_to_it) == str(venv_python)
    found = PythonDiscovery.discover(below_it)
    assert found == str(venv_python)
    # The venv's own path, not the base interpreter its symlink points to: only started
    # through the venv path does Python see the venv.
    assert Path(found).is_symlink() and os.path.realpath(found) != found
    prefix = subprocess.run(
        [found, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True
    ).stdout.strip()
    assert os.path.samefile(prefix, tmp_path / "project" / ".venv")


def test_discover_returns_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "bin")  # a relative PATH entry
    python_link(tmp_path / "bin" / "python3")
    script_in(tmp_path / "project")

    found = PythonDiscovery.discover("project/dsp.py")
    assert os.path.isabs(found)
    assert found == str(tmp_path / "bin" / "python3")

    python_link(tmp_path / "project" / ".venv" / "bin" / "python")
    clear_cache()
    found = PythonDiscovery.discover(Path("project") / "dsp.py")
    assert os.path.isabs(found)
    assert found == str(tmp_path / "project" / ".venv" / "bin" / "python")


def test_discover_validates_executable(tmp_path):
    # A .venv whose python is a plain file, and a pyenv-like shim that fails: both are
    # found first, neither runs, so both are skipped for the python on PATH.
    not_runnable = tmp_path / "project" / ".venv" / "bin" / "python"
    not_runnable.parent.mkdir(parents=True)
    not_runnable.write_text("not a program\n")
    shim = "echo 'pyenv: python3: command not found' >&2\nexit 127"
    shell_script(tmp_path / "bin" / "python3", shim)
    python = python_link(tmp_path / "bin" / "python")
    script = script_in(tmp_path / "project")

    found = PythonDiscovery.discover(script)

    assert found == str(python)
    assert runs(found)
    skipped = by_source(PythonDiscovery.candidates(script))
    assert not skipped[".venv"].usable and "not executable" in skipped[".venv"].reason
    assert not skipped["PATH python3"].usable
    assert "exited with code 127" in skipped["PATH python3"].reason


def test_manual_override(tmp_path):
    python_link(tmp_path / "bin" / "python3")
    python_link(tmp_path / "project" / ".venv" / "bin" / "python")
    chosen = python_link(tmp_path / "chosen" / "bin" / "python")
    script = script_in(tmp_path / "project")
    # Not normalised, not resolved: exactly the string the user gave.
    override = f"{tmp_path}/chosen/../chosen/bin/python"

    found = PythonDiscovery.discover(script, override=override)

    assert found == override
    assert os.path.samefile(found, chosen)
    assert PythonDiscovery.discover(script, override=chosen) == str(chosen)


def test_invalid_override_raises(tmp_path):
    python_link(tmp_path / "bin" / "python3")  # works, but a choice is never replaced
    script = script_in(tmp_path / "project")
    missing = str(tmp_path / "nowhere" / "python")

    with pytest.raises(PythonNotFoundError) as missing_error:
        PythonDiscovery.discover(script, override=missing)
    assert missing in str(missing_error.value)
    assert "does not exist" in str(missing_error.value)
    assert "Choose the full path" in str(missing_error.value)

    broken = shell_script(tmp_path / "broken" / "python", "echo 'no such module' >&2\nexit 1")
    with pytest.raises(PythonNotFoundError) as broken_error:
        PythonDiscovery.discover(script, override=broken)
    assert str(broken) in str(broken_error.value)
    assert "exited with code 1: no such module" in str(broken_error.value)


def test_tracer_not_installed_detected(tmp_path):
    """If pyprobe_tracer is not importable by the discovered Python, raises
    TracerNotInstalledError with install instructions."""
    venv_python = str(make_venv(tmp_path / "project" / ".venv"))
    script = script_in(tmp_path / "project")

    with pytest.raises(TracerNotInstalledError) as error:
        PythonDiscovery.discover(script, require_tracer=True)

    assert error.value.python == venv_python
    assert error.value.install_command == tracer_install_command(venv_python)
    assert f"{venv_python} -m pip install pyprobe-tracer" in str(error.value)
    assert PythonDiscovery.check_tracer_installed(venv_python) == (False, None)
    # The plain "which Python" question still has its answer.
    assert PythonDiscovery.discover(script) == venv_python


# --------------------------------------------------------------- more sources


def test_tracer_version_is_read_from_the_interpreter(tmp_path):
    wrapper = python_wrapper(tmp_path / "project" / ".venv" / "bin" / "python")
    script = script_in(tmp_path / "project")

    assert PythonDiscovery.check_tracer_installed(PYTHON) == (True, pyprobe_tracer.__version__)
    assert PythonDiscovery.discover(script, require_tracer=True) == str(wrapper)


def test_check_tracer_installed_raises_for_an_interpreter_that_does_not_run(tmp_path):
    with pytest.raises(PythonNotFoundError, match="does not exist"):
        PythonDiscovery.check_tracer_installed(tmp_path / "gone" / "python")


def test_activated_virtual_env_comes_before_the_project_venv(tmp_path, monkeypatch):
    activated = python_wrapper(tmp_path / "activated" / "bin" / "python")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "activated"))
    python_link(tmp_path / "project" / ".venv" / "bin" / "python")
    script = script_in(tmp_path / "project")

    assert PythonDiscovery.discover(script) == str(activated)
    sources = [c.source for c in PythonDiscovery.candidates(script)]
    assert sources == ["VIRTUAL_ENV", ".venv"]


def test_a_stale_virtual_env_is_skipped_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "removed-env"))
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    assert PythonDiscovery.discover(script) == str(python3)
    stale = by_source(PythonDiscovery.candidates(script))["VIRTUAL_ENV"]
    assert not stale.usable
    assert stale.reason == f"does not exist (VIRTUAL_ENV is {tmp_path / 'removed-env'})"


def test_conda_prefix_after_the_project_venv_before_path(tmp_path, monkeypatch):
    conda = python_link(tmp_path / "conda" / "envs" / "dsp" / "bin" / "python")
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "conda" / "envs" / "dsp"))
    python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    assert PythonDiscovery.discover(script) == str(conda)

    project_venv = python_link(tmp_path / "project" / ".venv" / "bin" / "python")
    assert PythonDiscovery.discover(script) == str(project_venv)


def test_venv_and_dot_venv_in_parents_nearest_first(tmp_path):
    # uv and poetry make .venv; `python -m venv venv` makes venv.
    outer = python_link(tmp_path / "repo" / "venv" / "bin" / "python")
    (tmp_path / "repo" / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    deep = script_in(tmp_path / "repo" / "project" / "src" / "filters")

    assert PythonDiscovery.discover(deep) == str(outer)
    assert by_source(PythonDiscovery.candidates(deep))["venv"].path == str(outer)

    inner = python_link(tmp_path / "repo" / "project" / ".venv" / "bin" / "python")
    assert PythonDiscovery.discover(deep) == str(inner)
    sibling = python_link(tmp_path / "repo" / "project" / "venv" / "bin" / "python")
    found = PythonDiscovery.candidates(deep)
    assert [c.path for c in found] == [str(inner), str(sibling), str(outer)]
    assert [c.source for c in found] == [".venv", "venv", "venv"]


def test_a_package_named_venv_is_not_an_environment(tmp_path):
    (tmp_path / "project" / "venv").mkdir(parents=True)
    (tmp_path / "project" / "venv" / "__init__.py").write_text("")
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    assert [c.source for c in PythonDiscovery.candidates(script)] == ["PATH python3"]
    assert PythonDiscovery.discover(script) == str(python3)


def test_python_version_file_picks_the_pyenv_version(tmp_path):
    versions = tmp_path / "pyenv" / "versions"
    wanted = python_wrapper(versions / "3.12.1" / "bin" / "python")
    python_wrapper(versions / "3.11.7" / "bin" / "python")
    python_link(tmp_path / "bin" / "python3")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".python-version").write_text("# pinned\n3.12.1\n3.11.7\n")
    script = script_in(tmp_path / "project" / "src")

    assert PythonDiscovery.discover(script) == str(wanted)
    pinned = by_source(PythonDiscovery.candidates(script))[".python-version"]
    assert (pinned.version, pinned.tracer_version) == (PYTHON_VERSION, pyprobe_tracer.__version__)


def test_python_version_prefix_picks_the_newest_release(tmp_path):
    versions = tmp_path / "pyenv" / "versions"
    for release in ("3.12.1", "3.12.9", "3.12.10", "3.13.0"):
        python_link(versions / release / "bin" / "python")
    script = script_in(tmp_path / "project")
    (tmp_path / "project" / ".python-version").write_text("3.12\n")

    assert PythonDiscovery.discover(script) == str(versions / "3.12.10" / "bin" / "python")


def test_python_version_under_the_default_pyenv_root(tmp_path, monkeypatch):
    monkeypatch.delenv("PYENV_ROOT")
    home_pyenv = python_link(
        tmp_path / "home" / ".pyenv" / "versions" / "3.11.4" / "bin" / "python"
    )
    script = script_in(tmp_path / "project")
    (tmp_path / "project" / ".python-version").write_text("3.11.4\n")

    assert PythonDiscovery.discover(script) == str(home_pyenv)


def test_python_version_not_installed_or_system_falls_back_to_path(tmp_path):
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")
    (tmp_path / "project" / ".python-version").write_text("3.9.99\n")

    assert PythonDiscovery.discover(script) == str(python3)
    missing = by_source(PythonDiscovery.candidates(script))[".python-version"]
    assert not missing.usable
    assert "pyenv version '3.9.99'" in missing.reason
    assert "pyenv install 3.9.99" in missing.reason

    (tmp_path / "project" / ".python-version").write_text("system\n")
    assert [c.source for c in PythonDiscovery.candidates(script)] == ["PATH python3"]


def test_full_priority_order(tmp_path, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "conda"))
    paths = [
        python_link(tmp_path / "chosen" / "python"),
        python_link(tmp_path / "active" / "bin" / "python"),
        python_link(tmp_path / "project" / ".venv" / "bin" / "python"),
        python_link(tmp_path / "project" / "venv" / "bin" / "python"),
        python_link(tmp_path / "conda" / "bin" / "python"),
        python_link(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python"),
        python_link(tmp_path / "bin" / "python3"),
        python_link(tmp_path / "bin" / "python"),
    ]
    (tmp_path / "project" / ".python-version").write_text("3.12.1\n")
    script = script_in(tmp_path / "project")

    found = PythonDiscovery.candidates(script, override=str(paths[0]))

    assert [c.source for c in found] == list(python_discovery.SOURCES)
    assert [c.path for c in found] == [str(path) for path in paths]
    assert all(c.usable and c.version == PYTHON_VERSION for c in found)


# --------------------------------------------------------------- broken candidates


def _missing(venv_dir: Path) -> str:
    (venv_dir / "bin").mkdir(parents=True)
    return "does not exist"


def _dangling(venv_dir: Path) -> str:
    (venv_dir / "bin").mkdir(parents=True)
    (venv_dir / "bin" / "python").symlink_to(venv_dir / "removed-base" / "python3")
    return "is a dangling symlink"


def _not_executable(venv_dir: Path) -> str:
    (venv_dir / "bin").mkdir(parents=True)
    (venv_dir / "bin" / "python").write_text("#!/bin/sh\n")  # no x bit
    return "is not executable"


def _failing(venv_dir: Path) -> str:
    shell_script(venv_dir / "bin" / "python", "echo 'cannot load libpython' >&2\nexit 1")
    return "exited with code 1: cannot load libpython"


def _not_python(venv_dir: Path) -> str:
    shell_script(venv_dir / "bin" / "python", "echo hello")
    return "did not report a Python version"


@pytest.mark.parametrize("breakage", [_missing, _dangling, _not_executable, _failing, _not_python])
def test_a_broken_venv_is_skipped_with_a_reason(tmp_path, breakage):
    reason = breakage(tmp_path / "project" / ".venv")
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    assert PythonDiscovery.discover(script) == str(python3)
    broken = PythonDiscovery.candidates(script)[0]
    assert broken.source == ".venv"
    assert broken.path == str(tmp_path / "project" / ".venv" / "bin" / "python")
    assert not broken.usable and broken.version is None
    assert reason in broken.reason


def test_a_hung_interpreter_is_killed_and_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(python_discovery, "PROBE_TIMEOUT", 0.3)
    # The shell waits for its child: only killing the process group ends both.
    shell_script(tmp_path / "project" / ".venv" / "bin" / "python", "sleep 30")
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    started = time.monotonic()
    found = PythonDiscovery.candidates(script)
    assert time.monotonic() - started < 10

    assert found[0].reason == "did not answer within 0.3 s"
    assert found[1].path == str(python3) and found[1].usable


def test_an_interpreter_older_than_the_minimum_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(python_discovery, "MIN_PYTHON", (3, 99))
    python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    (old,) = PythonDiscovery.candidates(script)
    assert old.version == PYTHON_VERSION and not old.usable
    assert old.reason == f"is Python {PYTHON_VERSION}; PyProbe needs 3.99 or newer"
    with pytest.raises(PythonNotFoundError, match=re.escape("needs 3.99 or newer")):
        PythonDiscovery.discover(script)


def test_nothing_usable_raises_with_what_was_tried(tmp_path):
    script = script_in(tmp_path / "project")
    with pytest.raises(PythonNotFoundError) as nothing:
        PythonDiscovery.discover(script)
    assert "no python3 or python on PATH" in str(nothing.value)
    assert "python3 -m venv .venv" in str(nothing.value)

    (tmp_path / "project" / ".venv" / "bin").mkdir(parents=True)
    with pytest.raises(PythonNotFoundError) as broken:
        PythonDiscovery.discover(script)
    venv_python = tmp_path / "project" / ".venv" / "bin" / "python"
    assert f"{venv_python} (.venv): does not exist" in str(broken.value)


def test_a_bare_override_name_suggests_its_full_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    with pytest.raises(PythonNotFoundError, match=re.escape(f"did you mean {python3}")):
        PythonDiscovery.discover(script, override="python3")


# --------------------------------------------------------------- candidates()


def test_candidates_list_sources_versions_and_tracer_status(tmp_path, monkeypatch):
    chosen = python_wrapper(tmp_path / "chosen" / "python")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    no_tracer = make_venv(tmp_path / "active")
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "conda"))  # no python in it
    python3 = python_wrapper(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    found = PythonDiscovery.candidates(script, override=chosen)

    assert found == [
        Candidate(str(chosen), "override", PYTHON_VERSION, pyprobe_tracer.__version__, True),
        Candidate(str(no_tracer), "VIRTUAL_ENV", PYTHON_VERSION, None, True),
        Candidate(
            str(tmp_path / "conda" / "bin" / "python"),
            "CONDA_PREFIX",
            reason=f"does not exist (CONDA_PREFIX is {tmp_path / 'conda'})",
        ),
        Candidate(str(python3), "PATH python3", PYTHON_VERSION, pyprobe_tracer.__version__, True),
    ]
    assert [c.tracer_installed for c in found] == [True, False, False, True]


def test_candidates_are_deduplicated_by_absolute_path(tmp_path, monkeypatch):
    venv_python = python_link(tmp_path / "project" / ".venv" / "bin" / "python")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "project" / ".venv"))
    python3 = python_link(tmp_path / "bin" / "python3")
    script = script_in(tmp_path / "project")

    found = PythonDiscovery.candidates(script, override=python3)

    assert [(c.path, c.source) for c in found] == [
        (str(python3), "override"),
        (str(venv_python), "VIRTUAL_ENV"),
    ]


@pytest.mark.timing
def test_candidates_are_probed_in_parallel_one_process_each(tmp_path, monkeypatch):
    delay = 0.7
    logs = [tmp_path / f"started-{n}.log" for n in range(3)]
    slow = f"sleep {delay}"
    python_wrapper(tmp_path / "active" / "bin" / "python", logs[0], slow)
    python_wrapper(tmp_path / "conda" / "bin" / "python", logs[1], slow)
    python_wrapper(tmp_path / "bin" / "python3", logs[2], slow)
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "conda"))
    script = script_in(tmp_path / "project")

    started = time.monotonic()
    found = PythonDiscovery.candidates(script)
    elapsed = time.monotonic() - started

    assert [c.usable and c.tracer_installed for c in found] == [True, True, True]
    assert [starts(log) for log in logs] == [1, 1, 1]  # version and tracer: one process
    assert elapsed < 2.5 * delay  # one after the other would take 3 * delay


# --------------------------------------------------------------- the cache


def test_a_warm_discover_starts_no_process(tmp_path, monkeypatch):
    log = tmp_path / "started.log"
    python3 = python_wrapper(tmp_path / "bin" / "python3", log)
    script = script_in(tmp_path / "project")
    assert PythonDiscovery.discover(script, require_tracer=True) == str(python3)
    assert starts(log) == 1

    def no_spawn(*args, **kwargs):
        raise AssertionError(f"a warm discover started {args[0]}")

    monkeypatch.setattr(python_discovery.subprocess, "Popen", no_spawn)
    assert PythonDiscovery.discover(script, require_tracer=True) == str(python3)
    assert PythonDiscovery.check_tracer_installed(python3) == (True, pyprobe_tracer.__version__)
    assert starts(log) == 1


def test_the_cache_notices_a_changed_interpreter(tmp_path):
    log = tmp_path / "started.log"
    python3 = python_wrapper(tmp_path / "bin" / "python3", log)
    script = script_in(tmp_path / "project")
    PythonDiscovery.discover(script)
    PythonDiscovery.discover(script)
    assert starts(log) == 1

    mtime = python3.stat().st_mtime_ns
    os.utime(python3, ns=(mtime, mtime + 10**9))  # the interpreter was replaced
    PythonDiscovery.discover(script)
    assert starts(log) == 2

    clear_cache()
    PythonDiscovery.discover(script)
    assert starts(log) == 3


def test_the_cache_notices_a_tracer_installed_by_hand(tmp_path):
    venv_python = make_venv(tmp_path / "env")
    assert PythonDiscovery.check_tracer_installed(venv_python) == (False, None)

    # What an install does to the venv: a new entry in its site-packages.
    (site_packages,) = (tmp_path / "env" / "lib").glob("python*/site-packages")
    before = site_packages.stat().st_mtime_ns
    tracer_root = Path(pyprobe_tracer.__file__).resolve().parent.parent
    (site_packages / "pyprobe_tracer_dev.pth").write_text(f"{tracer_root}\n")
    if site_packages.stat().st_mtime_ns == before:  # a file system with coarse times
        os.utime(site_packages, ns=(before, before + 10**9))

    assert PythonDiscovery.check_tracer_installed(venv_python) == (
        True,
        pyprobe_tracer.__version__,
    )


# --------------------------------------------------------------- installing the tracer


def fake_pip_python(path: Path, log: Path, argv_file: Path, go_file: Path) -> Path:
    """Answers probes as the test's Python; as ``-m pip`` it prints a line, waits until
    the test has seen it (else exits 9), prints two more and exits 3."""
    argv, go = shlex.quote(str(argv_file)), shlex.quote(str(go_file))
    pip = f"""if [ "$1" = "-m" ]; then
    echo "$@" > {argv}
    echo "Collecting pyprobe-tracer"
    i=0
    while [ ! -e {go} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
    [ -e {go} ] || exit 9
    echo "WARNING: something on stderr" >&2
    echo "Successfully installed pyprobe-tracer-0.1.0"
    exit 3
fi"""
    return python_wrapper(path, log, before=pip)


def test_install_tracer_streams_pip_output_and_returns_its_code(tmp_path, monkeypatch):
    monkeypatch.setattr(python_discovery, "_checkout_root", lambda package_dir=None: None)
    log, argv_file, go_file = tmp_path / "started.log", tmp_path / "argv", tmp_path / "go"
    python = fake_pip_python(tmp_path / "env" / "bin" / "python", log, argv_file, go_file)
    PythonDiscovery.check_tracer_installed(python)
    assert starts(log) == 1

    lines: list[str] = []

    def on_output(line: str) -> None:
        lines.append(line)
        go_file.touch()  # the fake pip goes on only once its first line arrived here

    code = install_tracer(python, on_output=on_output)

    assert code == 3
    assert lines == [
        "Collecting pyprobe-tracer",
        "WARNING: something on stderr",
        "Successfully installed pyprobe-tracer-0.1.0",
    ]
    assert argv_file.read_text().split() == ["-m", "pip", "install", "pyprobe-tracer"]
    # The interpreter's cached probe was dropped: the next check asks it again.
    PythonDiscovery.check_tracer_installed(python)
    assert starts(log) == 2


def test_install_tracer_raises_when_the_interpreter_cannot_start(tmp_path):
    with pytest.raises(PythonNotFoundError, match="could not be started"):
        install_tracer(tmp_path / "gone" / "python")


def test_install_command_from_pypi_or_from_this_checkout(tmp_path, monkeypatch):
    monkeypatch.setattr(python_discovery, "_checkout_root", lambda package_dir=None: None)
    assert tracer_install_command("/env/bin/python") == [
        "/env/bin/python",
        "-m",
        "pip",
        "install",
        "pyprobe-tracer",
    ]
    monkeypatch.setattr(python_discovery, "_checkout_root", lambda package_dir=None: tmp_path)
    assert tracer_install_command("/env/bin/python") == [
        "/env/bin/python",
        "-m",
        "pip",
        "install",
        str(tmp_path / "packages" / "wire"),
        str(tmp_path / "packages" / "transport"),
        str(tmp_path / "packages" / "tracer"),
    ]


def test_checkout_root_needs_the_repository_layout(tmp_path):
    package = tmp_path / "repo" / "packages" / "gui" / "src" / "pyprobe"
    package.mkdir(parents=True)
    assert python_discovery._checkout_root(package) is None
    (tmp_path / "repo" / "packages" / "tracer").mkdir()
    (tmp_path / "repo" / "packages" / "tracer" / "pyproject.toml").write_text("")
    assert python_discovery._checkout_root(package) == tmp_path / "repo"

    installed = tmp_path / "env" / "lib" / "python3.12" / "site-packages" / "pyprobe"
    installed.mkdir(parents=True)
    assert python_discovery._checkout_root(installed) is None
    assert python_discovery._checkout_root(Path("/pyprobe")) is None


def test_tracer_not_installed_error_names_the_interpreter_and_the_command():
    error = TracerNotInstalledError("/opt/dsp env/bin/python")

    assert isinstance(error, PyProbeError)
    assert error.python == "/opt/dsp env/bin/python"
    assert error.install_command == [
        "/opt/dsp env/bin/python",
        "-m",
        "pip",
        "install",
        "pyprobe-tracer",
    ]
    message = str(error)
    assert "is not installed for /opt/dsp env/bin/python" in message
    assert "\n    '/opt/dsp env/bin/python' -m pip install pyprobe-tracer\n" in message
    assert "uv pip install --python '/opt/dsp env/bin/python' pyprobe-tracer" in message
    assert "release from PyPI" not in message

    copy = pickle.loads(pickle.dumps(error))
    assert (copy.python, copy.install_command, str(copy)) == (
        error.python,
        error.install_command,
        message,
    )


def test_tracer_not_installed_error_with_a_checkout_command_also_shows_pypi(tmp_path):
    command = ["/env/bin/python", "-m", "pip", "install", "/repo/packages/tracer"]
    message = str(TracerNotInstalledError("/env/bin/python", command))

    assert "\n    /env/bin/python -m pip install /repo/packages/tracer\n" in message
    assert "(or the release from PyPI: /env/bin/python -m pip install pyprobe-tracer)" in message


# --------------------------------------------------------------- the package surface


def test_errors_are_the_packages_and_core_has_no_qt():
    assert python_discovery.PythonNotFoundError is pyprobe.exceptions.PythonNotFoundError
    assert python_discovery.TracerNotInstalledError is TracerNotInstalledError
    assert issubclass(PythonNotFoundError, PyProbeError)
    check = (
        "import sys, pyprobe.core; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PyQt6', 'pyqtgraph')))"
    )
    loaded = subprocess.run([PYTHON, "-c", check], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
