"""Run pytest in a subprocess and read what it collected and how each test ended.

The ``pipelines_report`` plugin (in ``_hooks/report/``) writes a JSON report that this module turns
into a PytestRun. pytest's own exit code is kept as it is (5: no tests collected), and a
collection error in one file does not stop the other files from running
(``--continue-on-collection-errors``), so every test has an outcome of its own.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines._hooks import REPORT_DIR, with_path_entry
from pipelines.mask import LABEL_ENV, MASK_ENV

REPORT_ENV = "PIPELINES_PYTEST_REPORT"  # read by _hooks/report/pipelines_report.py
FAILFAST_MODES = ("off", "soft", "hard")
TAIL_LINES = 50
PROGRESS_EVERY = 15.0  # seconds between progress lines of a long pytest run
_DRAIN_SECONDS = 10.0


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    nodeid: str
    file: str
    name: str  # the test function: no file, no class, no [param]
    outcome: str  # passed | failed | error | skipped | xfailed | xpassed
    duration: float  # seconds: setup + call + teardown
    message: str  # one line for failed, error and skipped; "" otherwise


@dataclass(frozen=True)
class CollectionError:
    file: str
    # "syntax": in the test file itself. "import": an ImportError, a SyntaxError in a module
    # the test file imports, or a name missing from a module (`module.name` at import time).
    # "other": anything else.
    kind: str
    message: str


@dataclass(frozen=True)
class PytestRun:
    args: tuple[str, ...]  # the command line
    exit_code: int
    wall_time: float
    collected: tuple[str, ...]  # node ids
    outcomes: tuple[TestOutcome, ...]
    collection_errors: tuple[CollectionError, ...]
    output_tail: str = ""  # the last TAIL_LINES lines of pytest's stdout and stderr

    def by_name(self) -> dict[tuple[str, str], list[TestOutcome]]:
        """(file, test function name) -> the outcomes of its items (several if parametrized)."""
        grouped: dict[tuple[str, str], list[TestOutcome]] = {}
        for outcome in self.outcomes:
            grouped.setdefault((outcome.file, outcome.name), []).append(outcome)
        return grouped


class PytestTimeout(RuntimeError):
    """pytest did not finish within the timeout; it was killed with its whole process group."""


def split_node_id(nodeid: str) -> tuple[str, str]:
    """``tests/a.py::Class::test_x[p]`` -> (``tests/a.py``, ``test_x``)."""
    file, _, rest = nodeid.partition("::")
    # The [param] part may contain "::" itself; the names before it never contain "[".
    return file, rest.split("[", 1)[0].split("::")[-1]


@functools.cache
def _tpr_failfast_modes(python: str, pythonpath: str) -> tuple[str, ...]:
    env = {k: v for k, v in os.environ.items() if k not in (MASK_ENV, LABEL_ENV)}
    env["PYTHONPATH"] = pythonpath
    probe = "import tpr; print(','.join(tpr.FAILFAST_MODES))"
    try:
        result = subprocess.run(
            [python, "-c", probe], env=env, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    if result.returncode != 0:
        return ()
    return tuple(mode for mode in result.stdout.strip().split(",") if mode)


def tpr_available(python: str | None = None, *, env: Mapping[str, str] | None = None) -> bool:
    """Whether ``python`` (default this one) has tpr's failfast modes; cached.

    The contract: a ``tpr`` package that defines ``FAILFAST_MODES`` (containing "soft" and
    "hard") also installs a pytest plugin, loaded automatically, that accepts
    ``--failfast-mode <mode>``. Without it both modes fall back to pytest's ``-x``.
    """
    env = os.environ if env is None else env
    modes = _tpr_failfast_modes(python or sys.executable, env.get("PYTHONPATH", ""))
    return "soft" in modes and "hard" in modes


def _tpr_masked(env: Mapping[str, str]) -> bool:
    return any(name.split(".")[0] == "tpr" for name in env.get(MASK_ENV, "").split(","))


def failfast_args(mode: str, *, python: str, env: Mapping[str, str]) -> list[str]:
    if mode not in FAILFAST_MODES:
        raise ValueError(f"failfast must be one of {', '.join(FAILFAST_MODES)}, not {mode!r}")
    if mode == "off":
        return []
    if not _tpr_masked(env) and tpr_available(python, env=env):
        return ["--failfast-mode", mode]
    return ["-x"]


def _kill(proc: subprocess.Popen) -> None:
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def _run(
    args: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float | None,
    on_output: Callable[[str], None] | None = None,
):
    # A session of its own, so that a timeout (or Ctrl-C) kills the processes tests started
    # too: they would keep the output pipe open and hang the read.
    with subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as proc:
        chunks: list[str] = []
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        def pump() -> None:
            # raw reads: each test's outcome letter arrives as pytest writes it
            while data := os.read(proc.stdout.fileno(), 65536):
                text = decoder.decode(data)
                chunks.append(text)
                if on_output is not None:
                    on_output(text)

        reader = threading.Thread(target=pump, name="pytest-output", daemon=True)
        reader.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            reader.join(_DRAIN_SECONDS)
            raise PytestTimeout(
                f"pytest did not finish within {timeout} s: {' '.join(args)}\n"
                f"--- last lines of its output ---\n{_tail(''.join(chunks))}"
            ) from None
        except BaseException:
            _kill(proc)
            raise
        reader.join(_DRAIN_SECONDS)  # a process a test left behind may hold the pipe
    return proc.returncode, "".join(chunks)


class _Progress:
    """Follows pytest's -q progress output (``..F.s`` then `` [ 45%]`` at each line's
    end) as it is written, and reports every PROGRESS_EVERY seconds how many tests ran,
    how many failed so far, and the time. A line counts once it ends as a progress
    line; the letters of the line being written are added to what is reported."""

    _LINE = re.compile(r"^([.FEsxX]+)\s*\[\s*(\d+)%\]\s*$")
    _WRITING = re.compile(r"^([.FEsxX]+)[\s\[\]\d%]*$")  # a progress line, not yet ended

    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report
        self.began = self.last = time.monotonic()
        self.done = self.failed = 0
        self.percent = 0
        self.line = ""  # the current output line so far

    def __call__(self, text: str) -> None:
        *ended, self.line = (self.line + text).split("\n")
        for line in ended:
            match = self._LINE.match(line)
            if match:
                self.done += len(match[1])
                self.failed += match[1].count("F") + match[1].count("E")
                self.percent = int(match[2])
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        done, failed = self.done, self.failed
        writing = self._WRITING.match(self.line)
        if writing:
            done += len(writing[1])
            failed += writing[1].count("F") + writing[1].count("E")
        if done:
            self.last = now
            self.report(
                f"{done} tests run ({self.percent}%), {failed} failed so far, "
                f"{now - self.began:.0f} s"
            )


def _tail(output: str) -> str:
    return "\n".join(output.splitlines()[-TAIL_LINES:])


def _combine(nodeid: str, phases: list[dict]) -> TestOutcome:
    by_when = {phase["when"]: phase for phase in phases}
    setup, call, teardown = (by_when.get(w) for w in ("setup", "call", "teardown"))
    if setup is None or setup["outcome"] == "failed":
        outcome, message = "error", setup["message"] if setup else "setup did not report"
    elif setup["outcome"] == "skipped":
        xfailed = setup["wasxfail"]
        outcome, message = ("xfailed", "") if xfailed else ("skipped", setup["message"])
    elif call is None:
        outcome, message = "error", "the test did not run to its end"
    elif call["outcome"] == "failed":
        outcome, message = "failed", call["message"]
    elif call["outcome"] == "skipped":
        outcome, message = ("xfailed", "") if call["wasxfail"] else ("skipped", call["message"])
    else:
        outcome, message = ("xpassed", "") if call["wasxfail"] else ("passed", "")
    if (
        teardown is not None
        and teardown["outcome"] == "failed"
        and outcome not in ("failed", "error")
    ):
        outcome, message = "error", teardown["message"]
    file, name = split_node_id(nodeid)
    duration = sum(phase["duration"] for phase in phases)
    return TestOutcome(nodeid, file, name, outcome, duration, message)


def _outcomes(phases: list[dict]) -> tuple[TestOutcome, ...]:
    grouped: dict[str, list[dict]] = {}
    for phase in phases:
        grouped.setdefault(phase["nodeid"], []).append(phase)
    return tuple(_combine(nodeid, items) for nodeid, items in grouped.items())


def run_pytest(
    targets: Sequence[str],
    *,
    root: Path,
    env: Mapping[str, str] | None = None,
    collect_only: bool = False,
    failfast: str = "off",
    extra_args: Sequence[str] = (),
    python: str | None = None,
    timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> PytestRun:
    """Run ``python -m pytest <targets>`` in ``root`` and read every test's outcome.

    ``failfast``: "off"; "soft" and "hard" stop after the first failure (pytest's ``-x``),
    or mean what tpr says they mean when tpr is available (see tpr_available). Raises
    RuntimeError if pytest ends without writing its report (it crashed before the end of the
    session, e.g. on a bad option or a broken conftest), PytestTimeout after ``timeout`` s.
    ``progress(text)`` hears how far a long run is, every PROGRESS_EVERY seconds.
    """
    python = python or sys.executable
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = with_path_entry(
        child_env.get("PYTHONPATH", ""), REPORT_DIR, first=False
    )
    with tempfile.TemporaryDirectory(prefix="pipelines-pytest-") as tmp:
        report_path = Path(tmp) / "report.json"
        child_env[REPORT_ENV] = str(report_path)
        args = (
            python,
            "-m",
            "pytest",
            "-p",
            "pipelines_report",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(root),
            "--continue-on-collection-errors",
            *failfast_args(failfast, python=python, env=child_env),
            *(["--collect-only"] if collect_only else []),
            *extra_args,
            *targets,
        )
        began = time.perf_counter()
        on_output = _Progress(progress) if progress is not None else None
        if on_output is not None:
            child_env["PYTHONUNBUFFERED"] = "1"  # each outcome letter as it is written
        exit_code, output = _run(
            args, cwd=root, env=child_env, timeout=timeout, on_output=on_output
        )
        wall_time = time.perf_counter() - began
        if not report_path.is_file():
            raise RuntimeError(
                f"pytest exited with code {exit_code} without writing its report "
                f"(it stopped before the end of the session): {' '.join(args)}\n"
                f"--- last lines of its output ---\n{_tail(output)}"
            )
        report = json.loads(report_path.read_text(encoding="utf-8"))
    return PytestRun(
        args=args,
        exit_code=exit_code,
        wall_time=wall_time,
        collected=tuple(report["collected"]),
        outcomes=_outcomes(report["phases"]),
        collection_errors=tuple(CollectionError(**e) for e in report["collection_errors"]),
        output_tail=_tail(output),
    )
