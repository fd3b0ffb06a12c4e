"""Which Python runs the user's script: find it, check that it runs, check the tracer is there.

The script runs in the user's own interpreter, through ``pyprobe-tracer``, so PyProbe
looks for the interpreter the user would expect. The candidates, in priority order (the
first that works wins):

1. ``override``: the interpreter the user chose. It is returned exactly as given, or
   PythonNotFoundError is raised when it does not exist or does not run: a choice is
   never silently replaced by another interpreter.
2. ``VIRTUAL_ENV``: the activated virtual environment's ``bin/python``. Activating an
   environment is a choice made for this shell, the nearest thing to an override.
3. ``.venv`` / ``venv``: environments in the script's directory, then in each parent
   directory (``python -m venv``, uv and poetry make them); the nearest directory first,
   and in one directory ``.venv`` before ``venv``. A ``venv`` or ``.venv`` directory
   counts when it looks like an environment (it has ``pyvenv.cfg`` or ``bin/``), so a
   source package that happens to be called ``venv`` is not mistaken for one.
4. ``CONDA_PREFIX``: the activated conda environment's ``bin/python``. It comes after the
   project's own environment because conda activates its base environment in every
   shell by default.
5. ``.python-version``: the pyenv version file nearest to the script (its directory,
   then each parent). Its first version name is looked up as
   ``$PYENV_ROOT/versions/<name>/bin/python`` (``PYENV_ROOT`` defaults to
   ``~/.pyenv``); a prefix such as ``3.12`` picks the newest installed ``3.12.x``, as
   pyenv does, and ``system`` defers to PATH.
6. ``python3`` on PATH, then 7. ``python`` on PATH.

Every candidate that exists is asked, in one subprocess with a short timeout
(``PROBE_TIMEOUT``), for its Python version and for the version of the tracer it can
import (``pyprobe_tracer.__version__``, or nothing); the candidates are probed in
parallel. A candidate that is missing, a dangling symlink, not executable, fails (a
pyenv shim for an inactive version exits 127), hangs, or is older than ``MIN_PYTHON`` is
skipped with its reason, never returned. Paths are made absolute, but symlinks are not
resolved: a venv's ``python`` is a symlink to its base interpreter and sees the venv's
packages only when started through the venv path. Candidates are deduplicated by
absolute path, the first source keeping it. POSIX layouts only (``bin/python``).

Probes are cached for the life of the process, per absolute path, and trusted while
the interpreter's resolved path, inode, size and mtime, ``PYTHONPATH`` and
``PYENV_VERSION`` are the same and none of its site-packages directories (as the probe
reported them) has changed its mtime: installing or removing a package changes its
site-packages directory, so a tracer installed by hand is noticed without a new probe
of every interpreter. ``install_tracer`` drops its interpreter's entry, and
``clear_cache`` drops them all (a pyenv shim whose target was changed by ``pyenv
global`` is not noticed otherwise).

``discover(..., require_tracer=True)`` raises TracerNotInstalledError, with the command
that installs the tracer into that interpreter, when the chosen interpreter cannot
import it; without it, ``discover`` answers only "which Python".
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import (
    TRACER_DISTRIBUTION,
    PythonNotFoundError,
    TracerNotInstalledError,
    pypi_install_command,
)

__all__ = [
    "MIN_PYTHON",
    "PROBE_TIMEOUT",
    "SOURCES",
    "Candidate",
    "PythonDiscovery",
    "PythonNotFoundError",
    "TracerNotInstalledError",
    "clear_cache",
    "install_tracer",
    "tracer_install_command",
]

#: The oldest Python the tracer runs on; older interpreters are skipped.
MIN_PYTHON = (3, 10)

#: Seconds a candidate has to answer the probe before it is killed and skipped.
PROBE_TIMEOUT = 5.0

#: Where candidates come from, in priority order (``Candidate.source``).
SOURCES = (
    "override",
    "VIRTUAL_ENV",
    ".venv",
    "venv",
    "CONDA_PREFIX",
    ".python-version",
    "PATH python3",
    "PATH python",
)

_MAX_PARALLEL_PROBES = 8
# One process answers both questions. Each answer is a line with its own prefix, so
# whatever else the interpreter prints at start-up (a noisy sitecustomize) is ignored.
# Plain enough for any Python to run it, so an old one reports its version too.
_PROBE_SCRIPT = """\
import sys
out = ["@pyprobe-version %d.%d.%d" % tuple(sys.version_info[:3])]
try:
    import pyprobe_tracer
    out.append("@pyprobe-tracer %s" % (pyprobe_tracer.__version__,))
except Exception:
    pass
try:
    import site
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
except Exception:
    dirs = []
out.extend("@pyprobe-site %s" % (d,) for d in dirs)
sys.stdout.write("\\n".join(out) + "\\n")
"""
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_RELEASE = re.compile(r"\d+")
_CHECKOUT_PACKAGES = ("wire", "transport", "tracer")


@dataclass(frozen=True)
class Candidate:
    """One interpreter discovery found, and what its probe said.

    ``path`` is absolute (an override is kept exactly as given); ``source`` is one of
    ``SOURCES``; ``version`` is its Python version (``"3.12.1"``) and ``tracer_version``
    the ``pyprobe_tracer.__version__`` it imports, None when it has none or was not
    asked. ``usable`` is False when it was skipped, and ``reason`` then says why (empty
    when usable).
    """

    path: str
    source: str
    version: str | None = None
    tracer_version: str | None = None
    usable: bool = False
    reason: str = ""

    @property
    def tracer_installed(self) -> bool:
        return self.tracer_version is not None


class PythonDiscovery:
    """Finds the interpreter for a script (see the module docstring for the order)."""

    @staticmethod
    def discover(
        script_path: str | os.PathLike[str] | None,
        override: str | os.PathLike[str] | None = None,
        *,
        require_tracer: bool = False,
    ) -> str:
        """The interpreter that runs ``script_path``: the first usable candidate.

        An ``override`` is returned exactly as given (only it is checked); one that
        does not exist or does not run raises PythonNotFoundError. With no usable
        candidate at all, PythonNotFoundError lists what was tried and why each was
        skipped. With ``require_tracer``, an interpreter that cannot import
        ``pyprobe_tracer`` raises TracerNotInstalledError carrying the install command.
        """
        if override is not None:
            chosen = _check_override(os.fspath(override))
        else:
            found = PythonDiscovery.candidates(script_path)
            chosen = next((c for c in found if c.usable), None)
            if chosen is None:
                raise PythonNotFoundError(_nothing_found(script_path, found))
        if require_tracer and chosen.tracer_version is None:
            raise TracerNotInstalledError(chosen.path, tracer_install_command(chosen.path))
        return chosen.path

    @staticmethod
    def candidates(
        script_path: str | os.PathLike[str] | None,
        override: str | os.PathLike[str] | None = None,
    ) -> list[Candidate]:
        """Every interpreter found for ``script_path``, in priority order, each probed
        (in parallel, cached) and marked usable or skipped with its reason."""
        found = _gather(script_path, override)
        probes = _probe_all(f.path for f in found if not f.problem)
        return [_candidate(f, probes.get(f.path)) for f in found]

    @staticmethod
    def check_tracer_installed(python_path: str | os.PathLike[str]) -> tuple[bool, str | None]:
        """``(installed, version)``: whether ``python_path`` can import ``pyprobe_tracer``,
        and its ``__version__`` (None when not installed). Asked in a subprocess, like
        ``<python> -c "import pyprobe_tracer; print(pyprobe_tracer.__version__)"``, and
        cached. Raises PythonNotFoundError when the interpreter does not run at all."""
        path = os.fspath(python_path)
        problem = _unrunnable(path)
        probe = None if problem else _probe_all([path])[path]
        if probe is not None and probe.error:
            problem = probe.error
        if problem:
            raise PythonNotFoundError(
                f"Cannot check whether {TRACER_DISTRIBUTION} is installed for {path}: it "
                f"{problem}. Choose a Python {_min_python()} or newer that runs."
            )
        assert probe is not None
        return probe.tracer_version is not None, probe.tracer_version


# --------------------------------------------------------------- installing the tracer


def tracer_install_command(python: str | os.PathLike[str]) -> list[str]:
    """The argv that installs the tracer into exactly ``python``.

    ``python -m pip install pyprobe-tracer`` (the release on PyPI), unless this GUI runs
    from a checkout of the PyProbe repository: then the tracer and the packages it
    depends on are installed from that checkout's ``packages/``, so the two sides match.
    """
    python = os.fspath(python)
    root = _checkout_root()
    if root is None:
        return pypi_install_command(python)
    packages = [str(root / "packages" / name) for name in _CHECKOUT_PACKAGES]
    return [python, "-m", "pip", "install", *packages]


def install_tracer(
    python: str | os.PathLike[str], on_output: Callable[[str], object] | None = None
) -> int:
    """Install the tracer into ``python`` (``tracer_install_command``); pip's exit code.

    Each line pip prints (stdout and stderr together) goes to ``on_output`` as it comes,
    without its line ending. Blocks until pip ends: call it from a worker thread.
    Afterwards the cached probe of ``python`` is dropped, so the next check asks it
    again. Raises PythonNotFoundError when ``python`` cannot be started.
    """
    python = os.fspath(python)
    command = tracer_install_command(python)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    try:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise PythonNotFoundError(
            f"Cannot install {TRACER_DISTRIBUTION}: {python} could not be started "
            f"({exc.strerror or exc}). Choose a Python {_min_python()} or newer that runs."
        ) from exc
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if on_output is not None:
                on_output(line.rstrip("\r\n"))
    finally:
        if child.stdout is not None:
            child.stdout.close()
        code = child.wait()
        clear_cache(python)
    return code


def _checkout_root(package_dir: Path | None = None) -> Path | None:
    """The repository root when ``pyprobe`` is imported from a PyProbe checkout
    (``<root>/packages/gui/src/pyprobe`` next to ``<root>/packages/tracer``), else None."""
    package = package_dir or Path(__file__).resolve().parent.parent
    src, gui, packages, *_ = (*package.parents, None, None, None)
    if packages is None or (src.name, gui.name, packages.name) != ("src", "gui", "packages"):
        return None
    root = packages.parent
    return root if (root / "packages" / "tracer" / "pyproject.toml").is_file() else None


# --------------------------------------------------------------- finding candidates


@dataclass(frozen=True)
class _Found:
    path: str
    source: str
    problem: str = ""  # why it cannot even be started; it is then not probed


def _gather(
    script_path: str | os.PathLike[str] | None, override: str | os.PathLike[str] | None
) -> list[_Found]:
    env = os.environ
    start = _start_dir(script_path)
    found: list[_Found] = []
    if override is not None:
        found.append(_Found(os.fspath(override), "override"))
    if env.get("VIRTUAL_ENV"):
        found.append(_env_python(env["VIRTUAL_ENV"], "VIRTUAL_ENV"))
    if start is not None:
        found.extend(_project_venvs(start))
    if env.get("CONDA_PREFIX"):
        found.append(_env_python(env["CONDA_PREFIX"], "CONDA_PREFIX"))
    if start is not None:
        pyenv = _pyenv_python(start)
        if pyenv is not None:
            found.append(pyenv)
    for name in ("python3", "python"):
        hit = shutil.which(name)
        if hit is not None:
            found.append(_Found(os.path.abspath(hit), f"PATH {name}"))
    unique: dict[str, _Found] = {}
    for item in found:
        key = os.path.abspath(item.path)
        if key not in unique:
            problem = item.problem or _unrunnable(item.path)
            unique[key] = _Found(item.path, item.source, problem)
    return list(unique.values())


def _start_dir(script_path: str | os.PathLike[str] | None) -> str | None:
    if script_path is None:
        return None
    path = os.path.abspath(os.fspath(script_path))
    return path if os.path.isdir(path) else os.path.dirname(path)


def _parents(start: str) -> Iterable[str]:
    current = start
    while True:
        yield current
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


def _env_python(prefix: str, source: str) -> _Found:
    path = os.path.join(os.path.abspath(prefix), "bin", "python")
    problem = "" if os.path.lexists(path) else f"does not exist ({source} is {prefix})"
    return _Found(path, source, problem)


def _project_venvs(start: str) -> list[_Found]:
    found = []
    for directory in _parents(start):
        for name in (".venv", "venv"):
            env_dir = os.path.join(directory, name)
            markers = (os.path.join(env_dir, "pyvenv.cfg"), os.path.join(env_dir, "bin"))
            if any(os.path.exists(marker) for marker in markers):
                found.append(_Found(os.path.join(env_dir, "bin", "python"), name))
    return found


def _pyenv_python(start: str) -> _Found | None:
    for directory in _parents(start):
        version_file = os.path.join(directory, ".python-version")
        if os.path.isfile(version_file):
            break
    else:
        return None
    try:
        with open(version_file, encoding="utf-8", errors="replace") as file:
            lines = [line.split("#", 1)[0].split() for line in file]
    except OSError as exc:
        return _Found(version_file, ".python-version", f"cannot be read ({exc.strerror})")
    names = [word for words in lines for word in words]
    if not names or names[0] == "system":
        return None  # "system" is whatever PATH has: the PATH candidates follow
    name = names[0]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser(os.path.join("~", ".pyenv"))
    versions = os.path.join(os.path.abspath(root), "versions")
    version_dir = os.path.join(versions, name)
    if not os.path.isdir(version_dir):
        version_dir = _newest_release(versions, name) or version_dir
    path = os.path.join(version_dir, "bin", "python")
    problem = ""
    if not os.path.lexists(path):
        problem = (
            f"does not exist: pyenv version {name!r} named in {version_file} is not "
            f"installed under {versions} (pyenv install {name})"
        )
    return _Found(path, ".python-version", problem)


def _newest_release(versions: str, prefix: str) -> str | None:
    """``versions/<prefix>.N`` with the largest N (``3.12`` -> ``3.12.10``), as pyenv does."""
    try:
        entries = os.listdir(versions)
    except OSError:
        return None
    releases = [
        (int(entry[len(prefix) + 1 :]), entry)
        for entry in entries
        if entry.startswith(prefix + ".") and _RELEASE.fullmatch(entry[len(prefix) + 1 :])
    ]
    return os.path.join(versions, max(releases)[1]) if releases else None


def _unrunnable(path: str) -> str:
    """Why ``path`` cannot be started at all ('' when it may be); no subprocess."""
    if not os.path.exists(path):
        if os.path.islink(path):
            return f"is a dangling symlink (to {os.readlink(path)})"
        return "does not exist"
    if os.path.isdir(path):
        return "is a directory"
    if not os.access(path, os.X_OK):
        return "is not executable"
    return ""


# --------------------------------------------------------------- probing, cached


@dataclass(frozen=True)
class _Probe:
    version: str | None = None
    tracer_version: str | None = None
    error: str = ""  # why it did not answer; empty when it did
    site_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Entry:
    stamp: tuple
    sites: tuple[tuple[str, int | None], ...]
    probe: _Probe


_cache: dict[str, _Entry] = {}
_cache_lock = threading.Lock()


def clear_cache(python: str | os.PathLike[str] | None = None) -> None:
    """Forget the probe of ``python`` (its absolute path), or of every interpreter."""
    with _cache_lock:
        if python is None:
            _cache.clear()
        else:
            _cache.pop(os.path.abspath(os.fspath(python)), None)


def _stamp(path: str) -> tuple | None:
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return None
    steering = (os.environ.get("PYTHONPATH", ""), os.environ.get("PYENV_VERSION", ""))
    return (real, st.st_ino, st.st_size, st.st_mtime_ns, *steering)


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _cached(key: str, stamp: tuple | None) -> _Probe | None:
    entry = _cache.get(key)
    if entry is None or stamp is None or entry.stamp != stamp:
        return None
    if any(_mtime(directory) != mtime for directory, mtime in entry.sites):
        return None
    return entry.probe


def _probe_all(paths: Iterable[str]) -> dict[str, _Probe]:
    """The probe of each path: from the cache, or asked now (in parallel)."""
    results: dict[str, _Probe] = {}
    missing: list[tuple[str, tuple | None]] = []
    for path in paths:
        stamp = _stamp(path)
        hit = _cached(os.path.abspath(path), stamp)
        if hit is not None:
            results[path] = hit
        else:
            missing.append((path, stamp))
    if len(missing) == 1:
        results[missing[0][0]] = _probe_and_keep(*missing[0])
    elif missing:
        with ThreadPoolExecutor(min(len(missing), _MAX_PARALLEL_PROBES)) as pool:
            probed = pool.map(lambda item: _probe_and_keep(*item), missing)
            results.update(zip([path for path, _ in missing], probed, strict=True))
    return results


def _probe_and_keep(path: str, stamp: tuple | None) -> _Probe:
    probe = _run_probe(path)
    if stamp is not None:
        sites = tuple((directory, _mtime(directory)) for directory in probe.site_dirs)
        with _cache_lock:
            _cache[os.path.abspath(path)] = _Entry(stamp, sites, probe)
    return probe


def _run_probe(path: str) -> _Probe:
    """Ask ``path`` for its version and its tracer's, in one subprocess."""
    try:
        child = subprocess.Popen(
            [path, "-c", _PROBE_SCRIPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a hung shim is killed with what it started
        )
    except OSError as exc:
        return _Probe(error=f"could not be started ({exc.strerror or exc})")
    try:
        out, err = child.communicate(timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            child.kill()
        child.communicate()
        return _Probe(error=f"did not answer within {PROBE_TIMEOUT:g} s")
    if child.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        said = f": {lines[-1].strip()}" if lines else ""
        return _Probe(error=f"exited with code {child.returncode}{said}")
    answers: dict[str, list[str]] = {}
    for line in out.decode("utf-8", "replace").splitlines():
        tag, _, value = line.partition(" ")
        answers.setdefault(tag, []).append(value.strip())
    version = answers.get("@pyprobe-version", [None])[0]
    if version is None or _VERSION.fullmatch(version) is None:
        return _Probe(error="did not report a Python version (is it a Python interpreter?)")
    tracer = answers.get("@pyprobe-tracer", [None])[0]
    return _Probe(version, tracer, "", tuple(answers.get("@pyprobe-site", ())))


# --------------------------------------------------------------- verdicts and messages


def _min_python() -> str:
    return ".".join(str(part) for part in MIN_PYTHON)


def _candidate(found: _Found, probe: _Probe | None) -> Candidate:
    if found.problem or probe is None:
        return Candidate(found.path, found.source, reason=found.problem or "was not probed")
    if probe.error:
        return Candidate(found.path, found.source, reason=probe.error)
    match = _VERSION.fullmatch(probe.version or "")
    assert match is not None, probe
    reason = ""
    if (int(match[1]), int(match[2])) < tuple(MIN_PYTHON):
        reason = f"is Python {probe.version}; PyProbe needs {_min_python()} or newer"
    return Candidate(
        found.path, found.source, probe.version, probe.tracer_version, not reason, reason
    )


def _check_override(override: str) -> Candidate:
    found = _Found(override, "override", _unrunnable(override))
    probes = {} if found.problem else _probe_all([override])
    chosen = _candidate(found, probes.get(override))
    if chosen.usable:
        return chosen
    on_path = shutil.which(override) if os.sep not in override else None
    hint = f" (did you mean {os.path.abspath(on_path)}?)" if on_path else ""
    raise PythonNotFoundError(
        f"The Python interpreter chosen for the script, {override}, {chosen.reason}{hint}. "
        f"Choose the full path of a Python {_min_python()} or newer (such as a project's "
        ".venv/bin/python), or clear the choice to let PyProbe find one."
    )


def _nothing_found(script_path: str | os.PathLike[str] | None, found: list[Candidate]) -> str:
    script = os.fspath(script_path) if script_path is not None else "the script"
    if found:
        tried = "Skipped:" + "".join(f"\n  {c.path} ({c.source}): {c.reason}" for c in found)
    else:
        tried = (
            "Found no VIRTUAL_ENV or CONDA_PREFIX, no .venv, venv or .python-version next "
            "to the script or above it, and no python3 or python on PATH."
        )
    return (
        f"No Python {_min_python()} or newer found to run {script}. {tried}\n"
        f"Install Python {_min_python()}+ so that python3 is on PATH, create an environment "
        "next to the script (python3 -m venv .venv), or choose an interpreter."
    )
