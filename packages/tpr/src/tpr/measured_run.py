"""A measured test run: pytest under coverage (line + branch), then the coverage data
combined (xdist workers and other child processes write their own) into
``coverage.xml``. `tpr baseline` makes one; `tpr run --coverage` is CI's run, where
hard fail-fast mode skips the measuring altogether (the plan's "fast exit")."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .config import TprConfig
from .errors import ExitCode, TprError
from .events import EventLog
from .ladder import COVERAGE_XML
from .pytest_process import PytestResult, run_pytest

COVERAGE_DATA = ".coverage"


class CoverageRunError(TprError, RuntimeError):
    """coverage could not combine or report the run's data; names the step and the fix."""

    exit_code = ExitCode.FAILED


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
    report_if: Callable[[PytestResult], bool] = lambda result: True,
    stream: bool = False,
) -> PytestResult:
    """pytest under coverage with the artifacts in ``config.artifacts(root)``; when
    ``report_if(result)``, the data is combined into ``coverage.xml`` there."""
    artifacts = config.artifacts(root)
    artifacts.mkdir(parents=True, exist_ok=True)
    data_file = artifacts / COVERAGE_DATA
    for stale in [*artifacts.glob(COVERAGE_DATA + "*"), artifacts / COVERAGE_XML]:
        stale.unlink(missing_ok=True)
    prefix = ["-m", "coverage", "run", "--branch", "--parallel-mode", f"--data-file={data_file}"]
    if config.coverage_source:
        prefix.append("--source=" + ",".join(config.coverage_source))
    result = run_pytest(
        [f"--tpr-dir={artifacts}", *pytest_args],
        root=root,
        log=log,
        env=env,
        prefix=[*prefix, "-m", "pytest"],
        stream=stream,
    )
    if not report_if(result):
        return result
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
    coverage: bool = True,
    stream: bool = False,
) -> PytestResult:
    """`tpr run`: validated, in the configured fail-fast mode, and (``coverage``, CI's
    run) under coverage. Hard mode runs plain pytest: no coverage, no report (the
    emergency path). Soft mode, once it
    stopped at a failure, keeps the partial coverage data but skips the combine and XML
    steps (the plan's "minimal metrics"): ``coverage combine`` + ``coverage xml`` with
    ``--data-file=.tpr/.coverage`` report it later. ``stream``: show pytest's output as
    it runs (the `tpr run` command), besides keeping it in the result."""
    artifacts = config.artifacts(root)
    args = ["--tpr-validate", "--failfast-mode", config.failfast_mode, *pytest_args]
    if not coverage or config.failfast_mode == "hard":
        return run_pytest([f"--tpr-dir={artifacts}", *args], root=root, log=log, stream=stream)

    def complete(result: PytestResult) -> bool:
        # Soft mode stops at the first failure (exit 1; 2 when xdist interrupts).
        return not (config.failfast_mode == "soft" and result.exit_code in (1, 2))

    return run_under_coverage(root, config, log, args, report_if=complete, stream=stream)
