"""The pytest adapter's runner half: ask pytest what it collects, then reconcile.

The collect command from the config runs with the tddprose plugin writing a
manifest; secret-looking environment variables are removed, bytecode and the
pytest cache are not written. ``--no-runner`` skips all of this.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from tddprose.adapters.pytest_static import FRAMEWORK, suite_path_for
from tddprose.errors import RunnerError
from tddprose.identity import humanise, make_test_id, sha256_tag, unittest_title
from tddprose.ir import SKIPPED_BY_RUNNER, Diagnostic, Locator, Parameter, TestIR
from tddprose.pytest_plugin import MANIFEST_ENV, ROOT_ENV

SECRET_NAMES = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_KEY", re.I)
COLLECT_TIMEOUT = 600


def scrubbed_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not SECRET_NAMES.search(k)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_ADDOPTS"] = (env.get("PYTEST_ADDOPTS", "") + " -p no:cacheprovider").strip()
    return env


def run_collect_command(
    command: list[str], root: Path, env: dict[str, str], collect_cmd: str, where: str, fix: str
) -> subprocess.CompletedProcess:
    """Run a framework's collect command in ``root`` (output captured, bounded by
    COLLECT_TIMEOUT); a missing program (``where`` names the setting, ``fix`` what to
    do) or a timeout is a RunnerError."""
    try:
        return subprocess.run(
            command,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=COLLECT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise RunnerError(f"{where}: {command[0]!r} not found; {fix}") from None
    except subprocess.TimeoutExpired:
        raise RunnerError(
            f"collect_cmd {collect_cmd!r} ran longer than {COLLECT_TIMEOUT} s; use --no-runner"
        ) from None


def collect(root: Path, collect_cmd: str) -> dict:
    """Run the collect command; return the manifest pytest wrote."""
    command = shlex.split(collect_cmd)
    if command and command[0] in ("python", "python3"):
        # "python" means the interpreter tddprose runs in (the one it is installed in).
        command[0] = sys.executable
    with tempfile.TemporaryDirectory(prefix="tddprose-") as scratch:
        manifest_path = Path(scratch, "manifest.json")
        env = {**scrubbed_env(), MANIFEST_ENV: str(manifest_path), ROOT_ENV: str(root)}
        completed = run_collect_command(
            command,
            root,
            env,
            collect_cmd,
            "frameworks[0].collect_cmd",
            "fix the command in .tdd-prose/config.yml, or use --no-runner",
        )
        if not manifest_path.exists():
            tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
            raise RunnerError(
                f"collect_cmd {collect_cmd!r} exited {completed.returncode} without a manifest "
                "(is tddprose installed in the interpreter it runs?); "
                f"fix the command or use --no-runner. Its output ended with:\n{tail}"
            )
        try:
            return json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RunnerError(f"the runner's manifest is unreadable ({exc})") from None


def reconcile(
    static_tests: list[TestIR], manifest: dict, suite_roots: dict[str, str]
) -> tuple[list[TestIR], list[Diagnostic]]:
    """Merge runner facts into the static tests; mark who saw what (``source``)."""
    diagnostics = [
        Diagnostic(
            "error",
            "runner_collection_error",
            f"pytest could not collect {error['nodeid'] or 'a module'}: "
            f"{error['message'].strip().splitlines()[-1] if error['message'].strip() else ''}",
            error["nodeid"].split("::", 1)[0],
            0,
            "run the collect command yourself to see the error, fix the import",
        )
        for error in manifest.get("errors", [])
    ]
    skipped = _skipped_paths(manifest)
    for path, reason in sorted(skipped.items()):
        diagnostics.append(
            Diagnostic(
                "info",
                "runner_skipped_module",
                f"pytest skipped {path} at collection ({reason}); its tests are read statically",
                path,
                0,
                "",
            )
        )
    grouped: dict[tuple, list[dict]] = {}
    # Deselected items (the project's own -m/-k) are tests of the project like any other.
    for item in [*manifest.get("items", []), *manifest.get("deselected", [])]:
        key = (item["path"], tuple(item["classes"]), item["function"])
        grouped.setdefault(key, []).append(item)
    merged = []
    for test in static_tests:
        key = (test.locator.path, tuple(test.nodeid.split("::")[1:-1]), test.name)
        items = grouped.pop(key, None)
        if items is None:
            source = SKIPPED_BY_RUNNER if _under(test.locator.path, skipped) else "static"
            merged.append(replace(test, source=source))
            continue
        static_hashes = {p.name: p.hash for p in test.parameters}
        cases = _cases(items)
        parameters = tuple(
            Parameter(case, static_hashes.get(case) or sha256_tag(case, 16)) for case in cases
        )
        anchors = tuple(dict.fromkeys([*test.anchors, *(a for i in items for a in i["anchors"])]))
        merged.append(
            replace(
                test,
                source="both",
                parameters=parameters,
                anchors=anchors,
                dynamic_parameters=False,
            )
        )
    for (path, classes, function), items in sorted(grouped.items()):
        first = items[0]
        suite_path = (*suite_path_for(path, suite_roots.get(path, "")), *classes)
        nodeid = "::".join((path, *classes, function))
        cases = sorted(_cases(items))
        title = (
            unittest_title(classes[-1], function)
            if classes and first.get("unittest")
            else humanise(function)
        )
        merged.append(
            TestIR(
                test_id=make_test_id(FRAMEWORK, suite_path, function),
                suite_path=suite_path,
                name=function,
                title=title,
                nodeid=nodeid,
                locator=Locator(path, first["line"], first["line"]),
                parameters=tuple(Parameter(c, sha256_tag(c, 16)) for c in cases),
                anchors=tuple(sorted({a for i in items for a in i["anchors"]})),
                markers=tuple(m for m in first["markers"] if m != "tdd_prose"),
                status=first["status"],
                source="runner",
            )
        )
    return merged, diagnostics


def _cases(items: list[dict]) -> list[str]:
    """The parametrize ids of one function's items; ``""`` (``test_x[]``) is one too.
    Manifests written before ``parametrized`` existed only knew non-empty ids."""
    return [i["case"] for i in items if i.get("parametrized", bool(i["case"]))]


def _skipped_paths(manifest: dict) -> dict[str, str]:
    """Modules (or directories) pytest skipped at collection -> the reason it gave."""
    return {entry["path"]: entry.get("reason", "") for entry in manifest.get("skipped", [])}


def _under(path: str, skipped: dict[str, str]) -> bool:
    return any(path == s or path.startswith(s.rstrip("/") + "/") for s in skipped)
