"""A measured test run: pytest under coverage (line + branch), then the coverage data
combined (xdist workers and other child processes write their own) into
``coverage.xml``. `tpr baseline` makes one; `tpr run --coverage` is CI's run, where
hard fail-fast mode skips the measuring altogether (the plan's "fast exit")."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .config import TprConfig
from .events import EventLog
from .ladder import COVERAGE_XML
from .pytest_process import PytestResult, run_pytest

COVERAGE_DATA = ".coverage"


class CoverageRunError(RuntimeError):
    """coverage could not combine or report the run's data; names the step and the fix."""


def _coverage(args: Sequence[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args], cwd=root, capture_output=True, text=True
    )


def run_under_coverage(
    root: Path,
    config: TprConfig,
    log: EventLog,
    pytest_args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
) -> PytestResult:
    """pytest under coverage with the artifacts in ``config.artifacts(root)``; writes
    ``coverage.xml`` there from whatever ran (a stopped run gives partial coverage)."""
    artifacts = config.artifacts(root)
    artifacts.mkdir(parents=True, exist_ok=True)
    data_file = artifacts / COVERAGE_DATA
    for stale in artifacts.glob(COVERAGE_DATA + "*"):
        stale.unlink()
    prefix = ["-m", "coverage", "run", "--branch", "--parallel-mode", f"--data-file={data_file}"]
    if config.coverage_source:
        prefix.append("--source=" + ",".join(config.coverage_source))
    result = run_pytest(
        [f"--tpr-dir={artifacts}", *pytest_args],
        root=root,
        log=log,
        env=env,
        capture=capture,
        prefix=[*prefix, "-m", "pytest"],
    )
    combine = _coverage(["combine", f"--data-file={data_file}"], root)
    if combine.returncode != 0 and "No data to combine" not in combine.stdout + combine.stderr:
        raise CoverageRunError(f"coverage combine failed: {combine.stderr.strip()}")
    xml = _coverage(["xml", f"--data-file={data_file}", "-o", str(artifacts / COVERAGE_XML)], root)
    if xml.returncode != 0:
        raise CoverageRunError(
            f"coverage xml failed: {(xml.stderr or xml.stdout).strip()}; was any code measured? "
            "Set [tool.coverage.run] source_pkgs or [tool.tpr] coverage_source"
        )
    return result


def run_measured(
    root: Path,
    config: TprConfig,
    log: EventLog,
    pytest_args: Sequence[str],
    *,
    capture: bool = False,
) -> PytestResult:
    """CI's run: validated, under coverage, in the configured fail-fast mode. Hard mode
    runs plain pytest: no coverage, no report (the emergency path)."""
    args = ["--tpr-validate", "--failfast-mode", config.failfast_mode, *pytest_args]
    if config.failfast_mode == "hard":
        return run_pytest(
            [f"--tpr-dir={config.artifacts(root)}", *args], root=root, log=log, capture=capture
        )
    return run_under_coverage(root, config, log, args, capture=capture)
