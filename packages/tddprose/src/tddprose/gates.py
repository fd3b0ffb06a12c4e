"""``tddprose validate``: the deterministic gates a written test must pass (seed 14.6).

Two gates, each run as a subprocess in the repository root with the runner's
scrubbed environment (secret-looking variables removed, no bytecode, no pytest
cache):

- **lint**: ``validate.lint_cmd`` from ``.tdd-prose/config.yml`` when set (the paths
  are appended; ``false`` turns lint off); else ruff (``ruff check --no-cache``) when
  the project configures ruff (``ruff.toml``, ``.ruff.toml`` or ``[tool.ruff]`` in
  ``pyproject.toml``); else no lint (the gate is skipped, and passes). Ruff configured
  but not installed fails the gate: a gate that cannot run must not pass.
- **tests**: ``validate.test_cmd`` (default ``python -m pytest``; ``python`` is the
  interpreter tddprose runs in) with ``-q`` and a JUnit XML file, on the paths; the
  JUnit file is kept in ``.tdd-prose/reports/validate.junit.xml`` for
  ``tddprose report --from``.

The paths default to the files the last ``tddprose write --apply`` wrote. The result
holds no timings and no absolute paths, so two runs on the same tree print the same
bytes.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tddprose.config import CONFIG_PATH, REPORTS_DIR
from tddprose.errors import ConfigError, TddProseError
from tddprose.results import FAILED, OTHER, PASSED, PENDING, SKIPPED, ResultsError, read_results
from tddprose.runner import scrubbed_env

LAST_WRITE = f"{REPORTS_DIR}/last-write.json"
JUNIT = f"{REPORTS_DIR}/validate.junit.xml"
DEFAULT_TEST_CMD = "python -m pytest"
GATE_TIMEOUT = 1800
OUTPUT_LINES = 60
_RUFF_SECTION = re.compile(r"^\[tool\.ruff[\].]", re.M)


class ValidateError(TddProseError):
    """Bad input to ``tddprose validate`` (no paths, a missing path); exit 2."""


def gate_settings(root: Path) -> tuple[str | bool | None, str]:
    """``(lint_cmd, test_cmd)`` from the config's ``validate`` section; lint_cmd None
    means "detect", False "off". ``load_config`` has already rejected unknown keys."""
    import yaml

    try:
        data = yaml.safe_load((root / CONFIG_PATH).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    section = (data.get("validate") or {}) if isinstance(data, dict) else {}
    lint = section.get("lint_cmd")
    test = section.get("test_cmd") or DEFAULT_TEST_CMD
    if lint is not None and lint is not False and not (isinstance(lint, str) and lint.strip()):
        raise ConfigError(
            f"{CONFIG_PATH}: validate.lint_cmd: expected a command or false, got {lint!r}; "
            'e.g. "ruff check"'
        )
    if not isinstance(test, str) or not test.strip():
        raise ConfigError(
            f"{CONFIG_PATH}: validate.test_cmd: expected a command, got {test!r}; "
            'e.g. "python -m pytest"'
        )
    return lint, test


def ruff_configured(root: Path) -> bool:
    if (root / "ruff.toml").is_file() or (root / ".ruff.toml").is_file():
        return True
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return bool(_RUFF_SECTION.search(text))


def ruff_command() -> list[str] | None:
    """ruff from this interpreter's environment, else from PATH."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    sibling = Path(sys.executable).parent / "ruff"
    if sibling.is_file():
        return [str(sibling)]
    found = shutil.which("ruff")
    return [found] if found else None


def _command(text: str) -> list[str]:
    command = shlex.split(text)
    if command and command[0] in ("python", "python3"):
        command[0] = sys.executable
    return command


def _display(command: list[str]) -> str:
    shown = list(command)
    if shown and shown[0] == sys.executable:
        shown[0] = "python"
    elif shown and Path(shown[0]).is_absolute():
        shown[0] = Path(shown[0]).name
    return shlex.join(shown)


def _tail(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) > OUTPUT_LINES:
        lines = [f"... ({len(lines) - OUTPUT_LINES} lines before)", *lines[-OUTPUT_LINES:]]
    return "\n".join(lines)


def _run(command: list[str], root: Path) -> tuple[int | None, str]:
    try:
        done = subprocess.run(
            command,
            cwd=root,
            env=scrubbed_env(),
            capture_output=True,
            text=True,
            timeout=GATE_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        return None, f"{command[0]}: command not found"
    except subprocess.TimeoutExpired:
        return None, f"ran longer than {GATE_TIMEOUT} s"
    return done.returncode, (done.stdout + done.stderr)


def lint_gate(root: Path, paths: list[str], lint_cmd: str | bool | None) -> dict[str, Any]:
    def skipped(why: str) -> dict[str, Any]:
        return {"ok": True, "skipped": True, "output": why, "tool": None}

    if lint_cmd is False:
        return skipped("lint is off (validate.lint_cmd: false)")
    if isinstance(lint_cmd, str):
        command, tool = [*_command(lint_cmd), *paths], lint_cmd
    elif ruff_configured(root):
        ruff = ruff_command()
        tool = "ruff"
        if ruff is None:
            return {
                "ok": False,
                "skipped": False,
                "output": "the project configures ruff but it is not installed; "
                "install ruff, or set validate.lint_cmd in .tdd-prose/config.yml",
                "tool": tool,
                "exit_code": None,
                "command": "ruff check",
            }
        command = [*ruff, "check", "--no-cache", *paths]
    else:
        return skipped("no lint configured (no ruff settings, no validate.lint_cmd)")
    code, output = _run(command, root)
    return {
        "ok": code == 0,
        "skipped": False,
        "output": _tail(output),
        "tool": tool,
        "exit_code": code,
        "command": _display(command),
    }


def tests_gate(root: Path, paths: list[str], test_cmd: str) -> dict[str, Any]:
    junit = root / JUNIT
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    command = [*_command(test_cmd), "-q", f"--junitxml={JUNIT}", *paths]
    code, output = _run(command, root)
    counts = {"passed": 0, "failed": 0, "skipped": 0, "other": 0}
    failures = []
    results = []
    if junit.is_file():
        try:
            results = read_results(junit)
        except ResultsError:
            results = []
    for result in results:
        if result.status == PASSED:
            counts["passed"] += 1
        elif result.status == FAILED:
            counts["failed"] += 1
        elif result.status in (SKIPPED, PENDING):
            counts["skipped"] += 1
        else:
            counts["other"] += 1
        if result.status in (FAILED, OTHER):
            failures.append({"test": result.nodeid, "message": result.message})
    failures.sort(key=lambda f: f["test"])
    return {
        "ok": code == 0,
        "exit_code": code,
        **counts,
        "failures": failures,
        "command": _display(command),
        # pytest's own words only when it produced no results (a usage or collection
        # error): its summary holds timings, which would make the output vary.
        "output": "" if results else _tail(output),
        "junit": JUNIT if junit.is_file() else None,
    }


def resolve_paths(root: Path, given: list[str], cwd: Path) -> list[str]:
    """Root-relative POSIX paths of ``given`` (relative to ``cwd``), or of the files the
    last ``tddprose write --apply`` wrote."""
    import json

    if not given:
        try:
            record = json.loads((root / LAST_WRITE).read_text(encoding="utf-8"))
            given = [str(root / p) for p in record.get("files", [])]
        except (OSError, ValueError, AttributeError):
            given = []
        if not given:
            raise ValidateError(
                "name the test files to validate (tddprose validate tests/test_x.py), "
                "or write tests first with `tddprose write INTENT --apply`"
            )
    resolved = []
    for text in given:
        path = Path(text)
        path = path if path.is_absolute() else cwd / path
        if not path.exists():
            raise ValidateError(f"{text}: no such file or directory; name existing test files")
        try:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise ValidateError(f"{text}: outside the repository {root.name}/") from None
        resolved.append(relative or ".")
    return sorted(dict.fromkeys(resolved))


def run_gates(root: Path, paths: list[str]) -> dict[str, Any]:
    lint_cmd, test_cmd = gate_settings(root)
    lint = lint_gate(root, paths, lint_cmd)
    tests = tests_gate(root, paths, test_cmd)
    return {"ok": lint["ok"] and tests["ok"], "paths": paths, "lint": lint, "tests": tests}


def gates_text(result: dict[str, Any]) -> str:
    lint, tests = result["lint"], result["tests"]
    lines = []
    if lint["skipped"]:
        lines.append(f"lint: skipped ({lint['output']})")
    else:
        state = "ok" if lint["ok"] else f"FAILED (exit {lint['exit_code']})"
        lines.append(f"lint ({lint['command']}): {state}")
        if not lint["ok"] and lint["output"]:
            lines.append(lint["output"])
    lines.append(
        f"tests ({tests['command']}): {tests['passed']} passed, {tests['failed']} failed, "
        f"{tests['skipped']} skipped" + ("" if tests["ok"] else f" (exit {tests['exit_code']})")
    )
    lines += [f"  FAILED {f['test']}: {f['message']}" for f in tests["failures"]]
    if tests["output"]:
        lines.append(tests["output"])
    failed = [name for name in ("lint", "tests") if not result[name]["ok"]]
    lines.append("tddprose validate: " + ("ok" if not failed else "FAILED: " + ", ".join(failed)))
    if tests["junit"]:
        lines.append(f"overlay: tddprose report --from {tests['junit']}")
    return "\n".join(lines) + "\n"
