"""tpr overhead: this repository's tests with the tpr plugins against plain pytest.

Plain is ``python -m pytest`` with every tpr plugin switched off
(``tpr.plugins.plain_pytest_args()``); with tpr is the same command with them on,
artifacts in a temporary ``--tpr-dir``. Both in the same run, interleaved, medians.
Target: with tpr at most 1.10x plain (no coverage).

``--many-fast N`` runs a generated suite of N trivial tests instead (50 files, a third
of them parametrized cases): there pytest's own per-test work is smallest, so the
plugins' per-test cost shows most.

Coverage's own overhead, separately, on the same selection and against the same plain
runs: ``python -m coverage run --branch -m pytest`` (tpr plugins off), and on Python
3.12+ also with COVERAGE_CORE=sysmon. The core coverage really used is printed:
coverage falls back to ctrace where sys.monitoring cannot measure branches.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import coverage
import pytest

from tpr.plugins import plain_pytest_args

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.10
# A representative in-process part of the suite: ~15 s per run, no tracer subprocesses
# (e2e) and not test_pytest_run.py, whose tests mostly wait for pytest subprocesses.
DEFAULT_SELECTION = (
    "tests/ipc tests/pipelines --ignore=tests/pipelines/test_pytest_run.py "
    "-m 'not slow and not e2e and not packaging'"
)
COMMON = ["-q", "-p", "no:cacheprovider"]
OUTCOME = re.compile(r"\d+ (passed|failed|errors?|skipped|deselected)\b.* in [\d.]+s")


@dataclass
class Arm:
    name: str
    command: list[str]
    env: dict[str, str]
    walls: list[float] = field(default_factory=list)
    core: str = ""


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COVERAGE_CORE", "TPR_RUN_ID")}
    env.update(TPR_ENV_VALIDATE="skip", PYTEST_ADDOPTS="")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def coverage_core(env: dict[str, str], tmp: Path, name: str) -> str:
    """The core coverage picks with this environment and the repo's configuration, and
    why (``--debug=core``, coverage 7.11.1+; else its no-sysmon warning)."""
    debug = tmp / f"core-{name}.txt"
    command = [sys.executable, "-m", "coverage", "run", "--branch", "--debug=core"]
    command += [f"--data-file={tmp / f'.coverage.core-{name}'}", "-m", "pytest", "--version"]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**env, "COVERAGE_DEBUG_FILE": str(debug)},
        capture_output=True,
        text=True,
    )
    text = (debug.read_text() if debug.exists() else "") + result.stderr
    used = re.search(r"Using core=(\w+)", text)
    reason = re.search(r"sysmon not usable: (.+)|Can't use core=sysmon: ([^,]+)", text)
    core = used.group(1) if used else "unknown (coverage has no --debug=core)"
    if reason:
        core += f", fell back from sysmon: {(reason.group(1) or reason.group(2)).strip()}"
    return core


def many_fast_tests(root: Path, count: int) -> Path:
    """A suite of ``count`` trivial tests in 50 files under ``root``; its directory."""
    suite = root / "many_fast"
    (suite / "tests").mkdir(parents=True)
    (suite / "pyproject.toml").write_text("[tool.pytest.ini_options]\ntestpaths = ['tests']\n")
    per_file = max(count // 50, 1)
    for number in range(50):
        plain, cases = per_file - per_file // 3, per_file // 3
        body = ["import pytest", ""]
        body += [f"def test_{n}():\n    assert {n} + 1 == {n + 1}\n" for n in range(plain)]
        body += [
            f"@pytest.mark.parametrize('x', range({cases}))",
            "def test_case(x):\n    assert x >= 0\n",
        ]
        (suite / "tests" / f"test_fast_{number:02d}.py").write_text("\n".join(body))
    return suite


def run(arm: Arm) -> tuple[int, float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        arm.command, cwd=ROOT, env=arm.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    wall = time.perf_counter() - start
    return result.returncode, wall, result.stdout.decode(errors="replace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--selection",
        default=DEFAULT_SELECTION,
        help=f"pytest arguments choosing the tests (default: {DEFAULT_SELECTION}; "
        "'tests' for the whole suite)",
    )
    parser.add_argument("--repeats", "--repeat", type=int, default=5, help="runs per case")
    parser.add_argument("--no-coverage", action="store_true", help="skip the coverage cases")
    parser.add_argument("--quiet", action="store_true", help="no per-run progress on stderr")
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET}x")
    parser.add_argument(
        "--many-fast", type=int, metavar="N", help="a generated suite of N trivial tests instead"
    )
    args = parser.parse_args()
    selection = shlex.split(args.selection)

    with tempfile.TemporaryDirectory(prefix="tpr-bench-") as name:
        tmp = Path(name)
        if args.many_fast:
            selection = [str(many_fast_tests(tmp, args.many_fast))]
            args.selection = f"{args.many_fast} generated trivial tests"
        env = base_env()
        pytest_cmd = [sys.executable, "-m", "pytest", *COMMON]
        plain = Arm("pytest.plain", [*pytest_cmd, *plain_pytest_args(), *selection], env)
        tpr_dir = ["--tpr-dir", str(tmp / "tpr")]
        arms = [plain, Arm("pytest.tpr", [*pytest_cmd, *tpr_dir, *selection], env)]
        skipped = []
        if not args.no_coverage:
            cov = [sys.executable, "-m", "coverage", "run", "--branch"]
            cov += [f"--data-file={tmp / '.coverage'}", "-m", "pytest", *COMMON]
            cov += [*plain_pytest_args(), *selection]
            arms.append(Arm("coverage.branch", cov, env, core=coverage_core(env, tmp, "default")))
            if sys.version_info >= (3, 12):
                sysmon = {**env, "COVERAGE_CORE": "sysmon"}
                core = coverage_core(sysmon, tmp, "sysmon")
                arms.append(Arm("coverage.branch_sysmon", cov, sysmon, core=core))
            else:
                skipped.append(
                    f"coverage.branch_sysmon: skipped (Python {platform.python_version()}: "
                    "sys.monitoring needs 3.12+)"
                )

        warm = subprocess.run(
            [*plain.command, "--collect-only"], cwd=ROOT, env=env, capture_output=True
        )
        if warm.returncode != 0:
            print(f"collecting {args.selection!r} failed:\n{warm.stdout.decode()[-3000:]}")
            return 2
        total = args.repeats * len(arms)
        for repeat in range(args.repeats):
            for index, arm in enumerate(arms):
                code, wall, output = run(arm)
                if code not in (0, 1):
                    print(f"{arm.name} exited with {code}:\n{output[-3000:]}")
                    return 2
                arm.walls.append(wall)
                if not args.quiet:
                    summary = next(
                        (line for line in reversed(output.splitlines()) if OUTCOME.search(line)),
                        "",
                    )
                    number = repeat * len(arms) + index + 1
                    print(
                        f"[{number}/{total}] {arm.name}: {wall:.2f} s, exit {code}: {summary}",
                        file=sys.stderr,
                        flush=True,
                    )

    base = statistics.median(plain.walls)
    print(
        f"# {args.selection}; {args.repeats} runs per case, interleaved, medians; Python "
        f"{platform.python_version()}, pytest {pytest.__version__}, coverage "
        f"{coverage.__version__}"
    )
    print(f"{plain.name}: {base:.2f} s (1.00x plain)")
    ratio = None
    for arm in arms[1:]:
        wall = statistics.median(arm.walls)
        text = f"{arm.name}: {wall:.2f} s ({wall / base:.3f}x plain {base:.2f} s"
        if arm.name == "pytest.tpr":
            ratio = wall / base
            text += f"; target <= {TARGET:.2f}x"
        else:
            text += f"; core {arm.core}"
        print(text + ")")
    for line in skipped:
        print(line)
    met = ratio <= TARGET
    print(
        f"verdict: tpr target <= {TARGET:.2f}x {'met' if met else 'MISSED'} "
        f"({ratio:.3f}x, median of {args.repeats})"
    )
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
