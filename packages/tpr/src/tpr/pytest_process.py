"""Run pytest in a child process for the tpr commands, with the run's correlation id."""

from __future__ import annotations

import codecs
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
    stream: bool = False,
) -> PytestResult:
    """``python -m pytest args`` in ``root``; ``prefix`` replaces ``-m pytest`` (for
    ``-m coverage run -m pytest``). Output is captured, or streamed when not ``capture``;
    with ``stream`` it is both: copied to this process's stdout as it comes, and kept."""
    child_env = {**os.environ, **(env or {}), RUN_ID_ENV: log.run_id}
    command = [sys.executable, *(prefix or ["-m", "pytest"]), *args]
    start = time.perf_counter()
    if stream:
        exit_code, output = _tee(command, root, child_env)
        return PytestResult(exit_code, time.perf_counter() - start, output)
    result = subprocess.run(
        command,
        cwd=root,
        env=child_env,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        text=True,
    )
    return PytestResult(result.returncode, time.perf_counter() - start, result.stdout or "")


def _tee(command: list[str], root: Path, env: Mapping[str, str]) -> tuple[int, str]:
    """Run ``command`` with stdout and stderr merged; copy each chunk to ``sys.stdout``
    as it arrives (pytest's progress dots come without newlines) and keep the text."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    chunks: list[str] = []
    with subprocess.Popen(
        command, cwd=root, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        assert process.stdout is not None
        while True:
            data = process.stdout.read1(65536)
            text = decoder.decode(data, final=not data)
            if text:
                chunks.append(text)
                sys.stdout.write(text)
                sys.stdout.flush()
            if not data:
                break
        exit_code = process.wait()
    return exit_code, "".join(chunks)
