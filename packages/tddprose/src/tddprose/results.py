"""Test results files: JUnit XML, pytest-json-report and CTRF JSON, read into one shape.

Every result gets a CTRF status (``passed``, ``failed``, ``skipped``, ``pending``,
``other``). pytest's outcomes map as follows, the same whichever file they come from:

=========================  =========  ===============================================
pytest outcome             status     why
=========================  =========  ===============================================
passed                     passed
failed                     failed
error (setup/teardown)     failed     the test did not hold; CTRF has no error status
skipped                    skipped
xfailed                    skipped    pytest's JUnit XML writes it as ``<skipped>``
xpassed (not strict)       passed     pytest's JUnit XML writes it as a pass
xpassed (strict)           failed     pytest itself reports it as failed
anything else              other      e.g. pytest-rerunfailures' ``rerun``
=========================  =========  ===============================================

CTRF input keeps its status; a status outside the vocabulary becomes ``other``.

JUnit XML names a test by a dotted ``classname`` (``tests.tpr.test_config.TestX``)
and a ``name``, from which the pytest node id cannot be rebuilt alone: such results
carry ``classname::name`` and :func:`match_results` resolves them against the node
ids the ledger knows.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tddprose.errors import TddProseError

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
PENDING = "pending"
OTHER = "other"
STATUSES = (PASSED, FAILED, SKIPPED, PENDING, OTHER)

PYTEST_OUTCOMES = {
    "passed": PASSED,
    "failed": FAILED,
    "error": FAILED,
    "skipped": SKIPPED,
    "xfailed": SKIPPED,
    "xpassed": PASSED,
}
# When one test has several results (duplicates, or the cases of a parametrized
# function recorded as one piece of evidence), the first status present wins.
PRECEDENCE = (FAILED, OTHER, PASSED, PENDING, SKIPPED)

FORMATS = "JUnit XML, pytest-json-report, CTRF JSON or Jest/Vitest JSON"
FIX = "pass the file pytest --junitxml writes (or pytest-json-report / CTRF JSON)"


class ResultsError(TddProseError, ValueError):
    """A results file is missing or unreadable; the message names the file and the fix."""


@dataclass(frozen=True)
class TestResult:
    """One test's outcome: a CTRF status, its duration and a short message."""

    __test__ = False  # not a pytest test class

    nodeid: str
    status: str
    duration_ms: float
    message: str


def read_results(path: Path) -> list[TestResult]:
    """The results in ``path``, whose format is recognised from its content.

    XML is parsed with the standard library, whose ElementTree expands the entities a
    document declares (the "billion laughs" blow-up). defusedxml is not a dependency,
    so a document with a DOCTYPE or ENTITY declaration is refused first: a bare expat
    pass stops at the declaration's start, before any entity is defined. pytest's
    --junitxml never writes one.
    """
    data = _read_bytes(path).removeprefix(codecs.BOM_UTF8).lstrip()
    if not data:
        raise _error(path, "is empty")
    if data.startswith(b"<"):
        return _read_junit(path, data)
    if data.startswith((b"{", b"[")):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _error(path, f"is not UTF-8 JSON ({exc.reason} at byte {exc.start})") from None
        return _read_json(path, text)
    raise _error(path, f"is not {FORMATS} (it starts with {data[:20]!r})")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ResultsError(f"{path}: results file not found; {FIX}") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read the results file ({exc}); {FIX}") from None


def _error(path: Path, what: str, fix: str = FIX) -> ResultsError:
    return ResultsError(f"{path}: {what}; {fix}")


# --- JUnit XML -----------------------------------------------------------------------


def _read_junit(path: Path, data: bytes) -> list[TestResult]:
    malformed = (
        "is truncated or malformed XML ({})",
        "rerun pytest --junitxml and let it finish writing the file",
    )
    try:
        _refuse_declarations(data)
    except _Declaration:
        raise _error(
            path,
            "has a DOCTYPE or ENTITY declaration, refused (entity expansion)",
            "remove the declaration; pytest --junitxml never writes one",
        ) from None
    except xml.parsers.expat.ExpatError as exc:
        raise _error(path, malformed[0].format(exc), malformed[1]) from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise _error(path, malformed[0].format(exc), malformed[1]) from None
    if root.tag not in ("testsuites", "testsuite"):
        raise _error(path, f"is not {FORMATS} (root element <{root.tag}>)")
    return [_junit_case(path, index, case) for index, case in enumerate(root.iter("testcase"))]


class _Declaration(Exception):
    pass


def _refuse_declarations(data: bytes) -> None:
    """Raise ``_Declaration`` at a DOCTYPE or ENTITY declaration (expat stops there)."""

    def refuse(*_: object) -> None:
        raise _Declaration

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.Parse(data, True)


def _junit_case(path: Path, index: int, case: ET.Element) -> TestResult:
    name = case.get("name")
    if not name:
        raise _error(path, f"<testcase> number {index + 1} has no name attribute")
    classname = case.get("classname", "")
    nodeid = f"{classname}::{name}" if classname else name
    status, message = PASSED, ""
    for child in case:
        if child.tag in ("failure", "error"):
            status, message = FAILED, _junit_message(child)
            break
        if child.tag == "skipped":
            status, message = SKIPPED, _junit_message(child)
    return TestResult(nodeid, status, _seconds_to_ms(case.get("time")), message)


def _junit_message(element: ET.Element) -> str:
    message = element.get("message")
    if message:
        return message
    return _first_line(element.text or "")


def _seconds_to_ms(value: Any) -> float:
    """A duration in seconds (a number or a string) as milliseconds; 0 when unusable."""
    if isinstance(value, bool):
        return 0.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0.0
    return _milliseconds(seconds * 1000)


def _milliseconds(value: Any) -> float:
    """``value`` as a finite, non-negative number of milliseconds, else 0."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return 0.0
    if not math.isfinite(value) or value < 0:
        return 0.0
    return round(float(value), 3)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return lines[0] if lines else ""


def _last_line(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --- JSON: pytest-json-report and CTRF -------------------------------------------------


def _read_json(path: Path, text: str) -> list[TestResult]:
    rerun = "rerun the tests and let the reporter finish writing the file"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise _error(path, f"is not valid JSON ({where})", rerun) from None
    except RecursionError:
        raise _error(path, "is JSON nested too deeply to read", rerun) from None
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        return _read_ctrf(path, data)
    if isinstance(data, dict) and isinstance(data.get("testResults"), list):
        return _read_jest(path, data)
    if isinstance(data, dict) and "tests" in data:
        return _read_json_report(path, data)
    shape = f"keys {sorted(data)[:8]}" if isinstance(data, dict) else type(data).__name__
    raise _error(
        path,
        f"is JSON but not pytest-json-report ({{'tests': [...]}}) or CTRF "
        f"({{'results': {{'tests': [...]}}}}); top level has {shape}",
    )


def _entries(path: Path, container: dict, where: str) -> list[dict]:
    tests = container.get("tests")
    if not isinstance(tests, list):
        raise _error(path, f"{where} is not a list")
    for index, entry in enumerate(tests):
        if not isinstance(entry, dict):
            raise _error(path, f"{where}[{index}] is not an object")
    return tests


def _string(path: Path, entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise _error(path, f"{where} has no string {key!r}")
    return value


def _read_json_report(path: Path, data: dict) -> list[TestResult]:
    results = []
    for index, entry in enumerate(_entries(path, data, "'tests'")):
        where = f"tests[{index}]"
        nodeid = _string(path, entry, "nodeid", where)
        outcome = _string(path, entry, "outcome", where)
        phases = [entry.get(p) for p in ("setup", "call", "teardown")]
        phases = [p for p in phases if isinstance(p, dict)]
        duration = sum(_seconds_to_ms(p.get("duration")) for p in phases)
        status = PYTEST_OUTCOMES.get(outcome, OTHER)
        results.append(TestResult(nodeid, status, round(duration, 3), _phase_message(phases)))
    return results


def _phase_message(phases: list[dict]) -> str:
    """The first non-passing phase's crash message, else the last line of its report."""
    for phase in phases:
        if phase.get("outcome", "passed") == "passed":
            continue
        crash = phase.get("crash")
        if isinstance(crash, dict) and isinstance(crash.get("message"), str):
            return crash["message"]
        longrepr = phase.get("longrepr")
        if isinstance(longrepr, str):
            return _last_line(longrepr)
    return ""


# Jest's --json (and Vitest's json reporter, which writes the same shape) statuses.
JEST_STATUSES = {
    "passed": PASSED,
    "failed": FAILED,
    "pending": SKIPPED,
    "skipped": SKIPPED,
    "disabled": SKIPPED,
    "focused": PASSED,
    "todo": PENDING,
}


def _read_jest(path: Path, data: dict) -> list[TestResult]:
    """``jest --json`` / ``vitest run --reporter=json``: node ids are
    ``<file>::<describe>::...::<title>`` (the file absolute, as the report writes it;
    :func:`match_results` resolves it against the ledger's relative paths)."""
    results = []
    for index, suite in enumerate(data["testResults"]):
        if not isinstance(suite, dict):
            raise _error(path, f"testResults[{index}] is not an object")
        file_name = _string(path, suite, "name", f"testResults[{index}]")
        entries = suite.get("assertionResults") or []
        if not isinstance(entries, list):
            raise _error(path, f"testResults[{index}].assertionResults is not a list")
        for number, entry in enumerate(entries):
            where = f"testResults[{index}].assertionResults[{number}]"
            if not isinstance(entry, dict):
                raise _error(path, f"{where} is not an object")
            title = entry.get("title")
            ancestors = entry.get("ancestorTitles") or []
            if not isinstance(title, str) or not all(isinstance(a, str) for a in ancestors):
                raise _error(path, f"{where} has no string 'title'")
            failures = entry.get("failureMessages") or []
            message = _first_line(failures[0]) if failures and isinstance(failures[0], str) else ""
            results.append(
                TestResult(
                    "::".join([file_name, *ancestors, title]),
                    JEST_STATUSES.get(str(entry.get("status")), OTHER),
                    _milliseconds(entry.get("duration")),
                    message,
                )
            )
    return results


def _read_ctrf(path: Path, data: dict) -> list[TestResult]:
    report_format = data.get("reportFormat", "CTRF")
    if report_format != "CTRF":
        raise _error(path, f"has reportFormat {report_format!r}, not 'CTRF'")
    results = []
    for index, entry in enumerate(_entries(path, data["results"], "'results.tests'")):
        where = f"results.tests[{index}]"
        name = _string(path, entry, "name", where)
        status = _string(path, entry, "status", where)
        file_path = entry.get("filePath")
        nodeid = name
        if "::" not in name and isinstance(file_path, str) and file_path:
            nodeid = f"{file_path}::{name}"
        message = entry.get("message")
        results.append(
            TestResult(
                nodeid,
                status if status in STATUSES else OTHER,
                _milliseconds(entry.get("duration")),
                message if isinstance(message, str) else "",
            )
        )
    return results


# --- matching results to the node ids the ledger knows -------------------------------


def match_results(
    results: Iterable[TestResult], known_nodeids: Iterable[str]
) -> tuple[dict[str, TestResult], list[TestResult]]:
    """``(matched, unmatched)``: each result resolved to one known node id, or left over.

    A result matches, in this order: a known node id exactly; a known node id written
    the way JUnit XML writes it (``tests/a/test_x.py::C::f[1]`` as
    ``tests.a.test_x.C::f[1]``); or, when the evidence was recorded per function, the
    known node id of its function (``...::f`` for ``...::f[1]``). Several results
    for one node id merge into one (the worst status, summed durations). A JUnit key
    that fits two known node ids is ambiguous and left unmatched.
    """
    known = sorted(set(known_nodeids))
    exact = set(known)
    by_key: dict[str, list[str]] = {}
    for nodeid in known:
        by_key.setdefault(_junit_key(nodeid), []).append(nodeid)
    groups: dict[str, list[TestResult]] = {}
    unmatched = []
    files = sorted({nodeid.split("::", 1)[0] for nodeid in known}, key=len, reverse=True)
    concrete = _concrete_cases(known)
    for result in results:
        target = _resolve(result.nodeid, exact, by_key)
        if target is None:
            target = _resolve_js(result.nodeid, files, exact, concrete)
        if target is None:
            unmatched.append(result)
        else:
            groups.setdefault(target, []).append(result)
    matched = {nodeid: _merge(nodeid, group) for nodeid, group in sorted(groups.items())}
    return matched, sorted(unmatched, key=_result_order)


def _resolve(nodeid: str, exact: set[str], by_key: dict[str, list[str]]) -> str | None:
    function, bracket, _ = nodeid.partition("[")
    candidates = [nodeid, function] if bracket else [nodeid]
    for candidate in candidates:
        if candidate in exact:
            return candidate
        hits = by_key.get(_junit_key(candidate), [])
        if len(hits) == 1:
            return hits[0]
    return None


def _concrete_cases(known: list[str]) -> dict[str, str]:
    """JS evidence of one ``.each`` case is ``file::suite::template[concrete::titles]``;
    the framework's results name it ``file::suite::concrete::titles``. Keys that fit
    two known node ids are left out (ambiguous)."""
    found: dict[str, set[str]] = {}
    for nodeid in known:
        if not nodeid.endswith("]"):
            continue
        for index, char in enumerate(nodeid):
            if char != "[":
                continue
            segments = nodeid[:index].split("::")
            parts = nodeid[index + 1 : -1].split("::")
            if len(segments) < 2 or len(parts) > len(segments) - 1:
                continue
            key = "::".join(segments[: len(segments) - len(parts)] + parts)
            found.setdefault(key, set()).add(nodeid)
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}


def _resolve_js(
    nodeid: str, files: list[str], exact: set[str], concrete: dict[str, str]
) -> str | None:
    """A Jest/Vitest result: its absolute file made relative to a known test file, then
    the node id itself or the ``.each`` case it is."""
    file_part, separator, rest = nodeid.partition("::")
    if file_part.startswith("/") or re.match(r"[A-Za-z]:[\\/]", file_part):
        normal = file_part.replace("\\", "/")
        relative = next((f for f in files if normal.endswith("/" + f)), None)
        if relative is None:
            return None
        nodeid = relative + separator + rest
    if nodeid in exact:
        return nodeid
    return concrete.get(nodeid)


def _junit_key(nodeid: str) -> str:
    """``nodeid`` as JUnit XML spells it, dots only: ``tests.a.test_x.C.f[1]``."""
    address, bracket, params = nodeid.partition("[")
    parts = address.split("::")
    parts[0] = re.sub(r"\.py$", "", parts[0].replace("/", "."))
    return ".".join(parts) + bracket + params


def _merge(nodeid: str, results: list[TestResult]) -> TestResult:
    """One result for ``nodeid`` from several: the worst status, durations summed."""
    statuses = {r.status for r in results}
    status = next((s for s in PRECEDENCE if s in statuses), OTHER)
    messages = []
    for result in results:
        if result.status == status and result.message and result.message not in messages:
            messages.append(result.message)
    duration = round(sum(r.duration_ms for r in results), 3)
    return TestResult(nodeid, status, duration, "\n".join(messages))


def _result_order(result: TestResult) -> tuple:
    return (result.nodeid, result.status, result.duration_ms, result.message)
