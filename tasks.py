"""invoke tasks: thin wrappers over pipelines/ and the nox sessions in noxfile.py.

invoke milestone M3            prove a milestone: RED, GREEN, regression, results doc
invoke milestone M3 --step next
invoke status                  the status ledger and the dependency graph
invoke plan M3                 one plan as a readable document
invoke test                    the whole suite on Python 3.12
invoke test --python all       ... on every supported Python (3.10-3.13)
invoke test --pytest "tests/ipc -k roundtrip"
invoke lint | invoke bench | invoke build | invoke screenshots
invoke release tracer-v0.2.0 --dry-run   check, build and smoke-test the tracer's release
                               into dist/ (never uploads; the publish workflow does)
invoke lock                    re-pin the test tools into requirements-test.lock
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from invoke import Exit, task

from pipelines import cli as pipelines_cli
from pipelines.atomic import gate_lock
from pipelines.errors import GateBusy, PlanError
from pipelines.gate import FAILFAST_MODES, LOCK_FILE
from pipelines.interpreters import SUPPORTED_PYTHONS
from pipelines.plan import load_plans
from pipelines.release import TagError, parse_tag

ROOT = Path(__file__).resolve().parent
NOX = f"{shlex.quote(sys.executable)} -m nox"


def nox_command(*sessions: str, posargs: str = "", options: str = "") -> str:
    command = f"{NOX} " + (f"{options} " if options else "")
    command += " ".join(f"-s {shlex.quote(s)}" for s in sessions)
    return command + (" -- " + posargs if posargs else "")


def nox(c, *sessions: str, posargs: str = "", env: dict[str, str] | None = None) -> None:
    run_passing_code(c, nox_command(*sessions, posargs=posargs), env)


def run_passing_code(c, command: str, env: dict[str, str] | None = None) -> None:
    """Run ``command``; if it fails, exit with its exit code unchanged.

    invoke raises ``UnexpectedExit`` (whose ``result.exited`` is the command's code);
    raising ``Exit(code=...)`` makes ``invoke`` exit with that same code."""
    try:
        c.run(command, pty=sys.stdout.isatty(), **({"env": env} if env else {}))
    except Exception as exc:  # invoke.UnexpectedExit, without importing it at module level
        exited = getattr(getattr(exc, "result", None), "exited", None)
        if not isinstance(exited, int) or not exited:
            raise
        raise Exit(code=exited) from None


def session_python(session: str) -> Path:
    """The interpreter of nox's virtualenv for ``session`` (nox's default envdir, .nox/)."""
    scripts = ("Scripts", "python.exe") if sys.platform == "win32" else ("bin", "python")
    return ROOT / ".nox" / session / scripts[0] / scripts[1]


@task(
    help={
        "python": f"which Python to test on: one of {', '.join(SUPPORTED_PYTHONS)}, or 'all'",
        "pytest": "arguments passed to pytest, quoted as one string (test paths, -k, -x ...)",
    }
)
def test(c, python="3.12", pytest=""):
    """Install every package into a fresh venv and run the test suite (nox tests-3.x)."""
    versions = SUPPORTED_PYTHONS if python == "all" else (python,)
    unknown = [v for v in versions if v not in SUPPORTED_PYTHONS]
    if unknown:
        raise Exit(
            f"invoke test: unsupported --python {unknown[0]!r}; "
            f"use one of {', '.join(SUPPORTED_PYTHONS)} or 'all'",
            code=2,
        )
    nox(c, *(f"tests-{v}" for v in versions), posargs=pytest)


@task
def lock(c):
    """Re-pin the test tools (pyproject's `test` group) into requirements-test.lock."""
    c.run(
        f"{shlex.quote(sys.executable)} -m uv pip compile --universal --python-version 3.10 "
        "-q --no-annotate --group pyproject.toml:test --custom-compile-command 'invoke lock' "
        "-o requirements-test.lock"
    )


@task
def lint(c):
    """Run ruff over the whole repo (nox lint)."""
    nox(c, "lint")


@task(help={"args": "arguments passed to every benchmark script, e.g. '--repeat 50'"})
def bench(c, args=""):
    """Run every benchmark in benchmarks/ and print figures with ratios (nox bench)."""
    nox(c, "bench", posargs=args)


@task(help={"check": "only check that spec/ matches the tests (what CI runs)"})
def ledger(c, check=False):
    """Regenerate the behavior ledger in spec/ from the tests (nox ledger)."""
    nox(c, "ledger", posargs="check" if check else "sync --apply")


@task
def screenshots(c):
    """Screenshots of the window on every example into docs/images/ (nox screenshots)."""
    nox(c, "screenshots")


@task
def build(c):
    """Build release sdists and wheels of every package into dist/ (nox build)."""
    nox(c, "build")


@task(
    help={
        "tag": "the release tag, tracer-vX.Y.Z (its version must be the packages' version)",
        "dry_run": "rehearse on the current tree: the tag need not exist yet",
        "out_dir": "where the verified artifacts go (default: dist/)",
    }
)
def release(c, tag, dry_run=False, out_dir=""):
    """Check, build and smoke-test the tracer's release (nox release); never uploads."""
    try:
        parse_tag(tag)
    except TagError as exc:
        raise Exit(f"error: {exc}", code=2) from None
    args = ["release", tag] + (["--dry-run"] if dry_run else [])
    args += ["--out-dir", str(Path(out_dir).resolve())] if out_dir else []
    # As for `invoke milestone`: nox only builds the session's environment, then the
    # release runs in it directly, so its exit code (0, 1 a check failed, 2 bad usage)
    # passes through instead of nox's own 1.
    posargs = " ".join(shlex.quote(a) for a in args)
    command = nox_command("release", posargs=posargs, options="--install-only")
    steps = [str(session_python("release")), "-m", "pipelines", "--root", str(ROOT), *args]
    command += " && " + " ".join(shlex.quote(a) for a in steps)
    with c.cd(str(ROOT)):
        run_passing_code(c, command)


@task(
    help={
        "milestone": "the milestone to prove, e.g. M6",
        "step": "run one step only: 'next' (the first not complete) or its number",
        "force": "run even if a milestone it depends on is not DONE yet",
        "failfast_mode": f"stop GREEN and regression early: {', '.join(FAILFAST_MODES)}",
    }
)
def milestone(c, milestone, step=None, force=False, failfast_mode="off"):
    """Prove a milestone honestly: its tests fail without the code, pass with it, nothing broke."""
    try:
        plans = load_plans(ROOT)
    except PlanError as exc:
        raise Exit(f"error: {exc}", code=2) from None
    if milestone.upper() not in plans:
        raise Exit(f"error: unknown milestone {milestone!r}; plans exist for {', '.join(plans)}", 2)
    if failfast_mode not in FAILFAST_MODES:
        raise Exit(f"error: --failfast-mode {failfast_mode!r}: use {', '.join(FAILFAST_MODES)}", 2)
    args = ["milestone", milestone.upper(), "--failfast-mode", failfast_mode]
    args += ["--step", step] if step else []
    args += ["--force"] if force else []
    # Take the gate lock before nox touches .nox/milestone: a second gate started
    # while one runs must not rebuild the environment under it. The gate inside
    # nox runs under this lock (gate_lock's environment tells it so).
    #
    # nox turns any failed session into its own exit code 1, so nox only builds the
    # session's environment (--install-only) and the gate then runs in it directly: its
    # exit code (0 passed, 1 a stage failed, 2 a broken plan or bad usage) passes through.
    posargs = " ".join(shlex.quote(a) for a in args)
    gate = [str(session_python("milestone")), "-m", "pipelines", "--root", str(ROOT), *args]
    command = nox_command("milestone", posargs=posargs, options="--install-only")
    command += " && " + " ".join(shlex.quote(a) for a in gate)
    try:
        with gate_lock(ROOT / LOCK_FILE) as lock_env:
            run_passing_code(c, command, env=lock_env)
    except GateBusy as exc:
        raise Exit(f"error: {exc}", code=pipelines_cli.EXIT_FAILED) from None


@task
def status(c):
    """Print the status ledger (DONE ... Next ...) and the dependency graph as mermaid."""
    raise Exit(code=pipelines_cli.main(["--root", str(ROOT), "status"]))


@task(help={"milestone": "the milestone whose plan to show, e.g. M6"})
def plan(c, milestone):
    """Render one milestone plan as a readable document."""
    raise Exit(code=pipelines_cli.main(["--root", str(ROOT), "plan", milestone]))
