"""invoke tasks: thin wrappers over the nox sessions in noxfile.py.

invoke test                    the whole suite on Python 3.12
invoke test --python all       ... on every supported Python (3.10-3.13)
invoke test --pytest "tests/ipc -k roundtrip"
invoke lint | invoke bench | invoke build
"""

from __future__ import annotations

import shlex
import sys

from invoke import Exit, task

from pipelines.interpreters import SUPPORTED_PYTHONS

NOX = f"{shlex.quote(sys.executable)} -m nox"


def nox(c, *sessions: str, posargs: str = "") -> None:
    command = f"{NOX} " + " ".join(f"-s {shlex.quote(s)}" for s in sessions)
    if posargs:
        command += " -- " + posargs
    c.run(command, pty=sys.stdout.isatty())


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
def lint(c):
    """Run ruff over the whole repo (nox lint)."""
    nox(c, "lint")


@task(help={"args": "arguments passed to every benchmark script, e.g. '--repeat 50'"})
def bench(c, args=""):
    """Run every benchmark in benchmarks/ and print figures with ratios (nox bench)."""
    nox(c, "bench", posargs=args)


@task
def build(c):
    """Build release sdists and wheels of every package into dist/ (nox build)."""
    nox(c, "build")
