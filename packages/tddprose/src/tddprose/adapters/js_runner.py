"""The Jest and Vitest adapters' runner half: the frameworks' own listing, reconciled.

``collect_cmd`` is how the project invokes its framework (``npx jest``, ``npx vitest``,
``yarn jest``...); tddprose appends the listing arguments:

- Jest has no collect-only mode (``--listTests`` lists files only), so it runs
  ``<cmd> --json --outputFile=FILE --testLocationInResults --testNamePattern=<a
  pattern nothing matches> --passWithNoTests``: Jest loads every test file and
  runs its ``describe`` callbacks (as pytest imports modules to collect them), then
  skips every test because no name matches; no test body or hook runs. The report's
  ``ancestorTitles`` / ``title`` are the real names, ``.each`` titles formatted.
- Vitest: ``<cmd> list --json=FILE``, its collect-only listing (``a > b > title``),
  which leaves skipped and todo tests out: those keep their static facts. A file
  Vitest cannot load makes it list nothing: it is excluded (``--exclude``) for a
  second listing and reported as a collection error.

The same environment rules as pytest's collection apply (secret-looking variables
removed; ``--no-runner`` runs nothing).
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
from dataclasses import replace
from pathlib import Path

from tddprose.adapters.js_static import PLACEHOLDER, js_title, suite_path_for, unique_cases
from tddprose.errors import RunnerError
from tddprose.identity import make_test_id, sha256_tag
from tddprose.ir import ACTIVE, SKIP, SKIPPED_BY_RUNNER, Diagnostic, Locator, Parameter, TestIR
from tddprose.runner import run_collect_command, scrubbed_env

NOTHING_MATCHES = "^(?!)$"  # a test name pattern that matches no name
SEPARATOR = " > "


def listing_command(framework: str, collect_cmd: str, output: Path) -> list[str]:
    command = shlex.split(collect_cmd)
    if framework == "jest":
        return [
            *command,
            "--json",
            f"--outputFile={output}",
            "--testLocationInResults",
            f"--testNamePattern={NOTHING_MATCHES}",
            "--passWithNoTests",
            "--ci",
        ]
    return [*command, "list", f"--json={output}"]


def collect(root: Path, framework: str, collect_cmd: str) -> dict:
    """Run the framework's listing; return the manifest (items and errors).

    ``vitest list`` writes nothing when a file fails to load: the files it names
    (``File: ...``) are then excluded for a second listing and reported as errors."""
    root = root.resolve()
    with tempfile.TemporaryDirectory(prefix="tddprose-") as scratch:
        output = Path(scratch, "listing.json")
        command = listing_command(framework, collect_cmd, output)
        completed = _run(command, root, framework, collect_cmd)
        errors = []
        if framework == "vitest" and not output.exists():
            text = _ANSI.sub("", completed.stdout + completed.stderr)
            failing = sorted({_relative(f, root) for f in re.findall(r"File: (\S+)", text)})
            if failing:
                errors = [{"path": f, "message": _message_for(text, f)} for f in failing]
                command += [f"--exclude={f}" for f in failing]
                completed = _run(command, root, framework, collect_cmd)
        if not output.exists():
            tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
            raise RunnerError(
                f"collect_cmd {collect_cmd!r} ({framework}) exited {completed.returncode} "
                "without writing its JSON listing; fix the command (it should run the "
                f"{framework} CLI, e.g. `npx {framework}`) or use --no-runner. "
                f"Its output ended with:\n{_ANSI.sub('', tail)}"
            )
        try:
            data = json.loads(output.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunnerError(f"the {framework} listing is unreadable ({exc})") from None
    if framework == "jest":
        return jest_manifest(data, root)
    manifest = vitest_manifest(data, root)
    manifest["errors"] = errors
    return manifest


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _message_for(text: str, path: str) -> str:
    """The error lines of a failed Vitest listing (the first few, for the diagnostic)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:3]) if lines else f"{path} failed to load"


def _run(command: list[str], root: Path, framework: str, collect_cmd: str):
    env = {**scrubbed_env(), "CI": "1", "FORCE_COLOR": "0", "NO_COLOR": "1"}
    return run_collect_command(
        command,
        root,
        env,
        collect_cmd,
        f"frameworks ({framework}).collect_cmd",
        "install Node.js and the project's packages (npm install), fix the "
        "command in .tdd-prose/config.yml, or use --no-runner",
    )


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return Path(path).as_posix()


def jest_manifest(data: dict, root: Path) -> dict:
    """Items from ``jest --json`` (also what ``vitest --reporter=json`` writes)."""
    items, errors = [], []
    for result in data.get("testResults", []) if isinstance(data, dict) else []:
        path = _relative(str(result.get("name", "")), root)
        assertions = result.get("assertionResults") or []
        if not assertions and (result.get("status") == "failed" or result.get("message")):
            errors.append({"path": path, "message": str(result.get("message", ""))})
        for entry in assertions:
            names = [*entry.get("ancestorTitles", []), entry.get("title", "")]
            location = entry.get("location") or {}
            items.append(
                {
                    "path": path,
                    "full": SEPARATOR.join(names),
                    "segments": names,
                    "line": int(location.get("line") or 0),
                    "status": SKIP if entry.get("status") == "todo" else ACTIVE,
                }
            )
    return {"items": items, "errors": errors}


def vitest_manifest(data, root: Path) -> dict:
    """Items from ``vitest list --json`` (``[{"name": "a > b > title", "file": ...}]``)."""
    items = []
    for entry in data if isinstance(data, list) else []:
        full = str(entry.get("name", ""))
        location = entry.get("location") or {}
        items.append(
            {
                "path": _relative(str(entry.get("file", "")), root),
                "full": full,
                "segments": full.split(SEPARATOR),
                "line": int(location.get("line") or 0),
                "status": ACTIVE,
            }
        )
    return {"items": items, "errors": []}


def _segments(test: TestIR, suite_roots: dict[str, str]) -> list[str]:
    file_suite = suite_path_for(test.locator.path, suite_roots.get(test.locator.path, ""))
    return [*test.suite_path[len(file_suite) :], test.name]


def _segment_pattern(segment: str) -> str:
    if not PLACEHOLDER.search(segment):
        return re.escape(segment)
    pieces = re.split(r"\$\{.*?\}|%[sdifjoOpc#$]|\$[\w#][\w.]*", segment)
    return "(?:" + ".*?".join(re.escape(p) for p in pieces) + ")"


def reconcile(
    static_tests: list[TestIR], manifest: dict, suite_roots: dict[str, str], framework: str
) -> tuple[list[TestIR], list[Diagnostic]]:
    """Merge the runner's items into the static tests; mark who saw what (``source``)."""
    diagnostics = [
        Diagnostic(
            "error",
            "runner_collection_error",
            f"{framework} could not load {error['path'] or 'a test file'}: "
            f"{_headline(error['message'])}",
            error["path"],
            0,
            f"run {framework} on the file yourself to see the error, fix it",
        )
        for error in manifest.get("errors", [])
    ]
    exact: dict[tuple[str, str], list[tuple[int, str | None]]] = {}
    patterns: dict[str, list[tuple[int, re.Pattern, int]]] = {}
    for index, test in enumerate(static_tests):
        path = test.locator.path
        segments = _segments(test, suite_roots)
        for parameter in test.parameters:
            parts = parameter.name.split("::")
            concrete = segments[: len(segments) - len(parts)] + parts
            exact.setdefault((path, SEPARATOR.join(concrete)), []).append((index, parameter.name))
        templated = [i for i, s in enumerate(segments) if PLACEHOLDER.search(s)]
        if not test.parameters and not templated:
            exact.setdefault((path, SEPARATOR.join(segments)), []).append((index, None))
        if templated or test.dynamic_parameters or test.parameters:
            regex = re.compile(
                SEPARATOR.join("(" + _segment_pattern(s) + ")" for s in segments), re.S
            )
            first = templated[0] if templated else len(segments) - 1
            patterns.setdefault(path, []).append((index, regex, first))
    found: dict[int, list[tuple[str | None, dict]]] = {}
    seen: dict[tuple[str, str], int] = {}
    leftover = []
    for item in manifest.get("items", []):
        key = (item["path"], item["full"])
        seen[key] = seen.get(key, 0) + 1
        nth = seen[key]
        entries = exact.get(key, [])
        target = None
        if nth <= len(entries):
            target = entries[nth - 1]
        elif nth > 1 and (item["path"], f"{item['full']} ({nth})") in exact:
            target = exact[(item["path"], f"{item['full']} ({nth})")][0]
        if target is None:
            for index, regex, first in patterns.get(item["path"], []):
                match = regex.fullmatch(item["full"])
                if match:
                    target = (index, "::".join(match.groups()[first:]))
                    break
        if target is None:
            leftover.append(item)
        else:
            found.setdefault(target[0], []).append((target[1], item))
    merged = []
    for index, test in enumerate(static_tests):
        hits = found.get(index)
        if not hits:
            # Vitest's listing leaves skipped and todo tests out on purpose.
            unlisted = framework == "vitest" and test.status == SKIP
            merged.append(replace(test, source=SKIPPED_BY_RUNNER if unlisted else "static"))
            continue
        if test.parameters or test.dynamic_parameters or any(c is not None for c, _ in hits):
            names = unique_cases([c if c is not None else test.name for c, _ in hits])
            hashes = {p.name: p.hash for p in test.parameters}
            parameters = tuple(Parameter(n, hashes.get(n) or sha256_tag(n, 16)) for n in names)
            merged.append(
                replace(test, source="both", parameters=parameters, dynamic_parameters=False)
            )
        else:
            merged.append(replace(test, source="both"))
    groups: dict[tuple[str, str], list[dict]] = {}
    for item in leftover:
        groups.setdefault((item["path"], item["full"]), []).append(item)
    for (path, _full), items in sorted(groups.items()):
        first = items[0]
        segments = list(first["segments"])
        suite_path = (*suite_path_for(path, suite_roots.get(path, "")), *segments[:-1])
        merged.append(
            TestIR(
                test_id=make_test_id(framework, suite_path, segments[-1]),
                suite_path=suite_path,
                name=segments[-1],
                title=js_title(segments[-1]),
                nodeid="::".join((path, *segments)),
                locator=Locator(path, first["line"], first["line"]),
                status=first["status"],
                source="runner",
            )
        )
    return merged, diagnostics


def _headline(message: str) -> str:
    """The first telling line of a framework's error (not Jest's "● Test suite ...")."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("●")] or lines
    return lines[0] if lines else ""
