"""Run pytest in a child process for the tpr commands, with the run's correlation id."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .events import RUN_ID_ENV, EventLog

# pytest's exit codes that mean the run did not go through the tests (1 means it did,
# with failures).
INCOMPLETE_EXIT_CODES = {
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no tests collected",
}


@dataclass(frozen=True)
class PytestResult:
    exit_code: int
    wall_s: float
    output: str

    def tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the captured output (for error messages)."""
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


def run_pytest(
    args: Sequence[str],
    *,
    root: Path,
    log: EventLog,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
    prefix: Sequence[str] | None = None,
) -> PytestResult:
    """``python -m pytest args`` in ``root``; ``prefix`` replaces ``-m pytest`` (for
    ``-m coverage run -m pytest``). Output is captured, or streamed when not ``capture``."""
    child_env = {**os.environ, **(env or {}), RUN_ID_ENV: log.run_id}
    command = [sys.executable, *(prefix or ["-m", "pytest"]), *args]
    start = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=root,
        env=child_env,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        text=True,
    )
    return PytestResult(result.returncode, time.perf_counter() - start, result.stdout or "")
