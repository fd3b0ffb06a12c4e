"""TestIR: the framework-agnostic facts an adapter extracts from one test file.

Plain frozen data; adapters build it, the behavior graph reads it, the state
cache stores it as JSON (``to_json`` / ``from_json`` round-trip exactly).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ACTIVE = "active"
SKIP = "skip"
XFAIL = "xfail"
# TestIR.source of a test the runner skipped at collection (see TestIR.source).
SKIPPED_BY_RUNNER = "skipped_by_runner"
# The anchor comment's tag, for every framework: ``# @tdd-prose:behavior some.id``.
DEFAULT_ANCHOR_TAG = "@tdd-prose:behavior"


@dataclass(frozen=True)
class Assertion:
    """One check a test makes: its kind, the matcher used, and a literal when trivial.

    ``structure`` is a short hash of the assertion's syntax with whitespace and
    comments removed, so reformatting never changes it.
    """

    kind: str
    matcher: str
    expected_literal: str | None = None
    structure: str = ""


@dataclass(frozen=True)
class Parameter:
    """One parametrize case: its pytest id and a hash of its values' source."""

    name: str
    hash: str


@dataclass(frozen=True)
class Locator:
    path: str
    start_line: int
    end_line: int


@dataclass(frozen=True)
class TestIR:
    __test__ = False  # not a pytest test class

    test_id: str
    suite_path: tuple[str, ...]
    name: str
    title: str
    nodeid: str
    locator: Locator
    parameters: tuple[Parameter, ...] = ()
    assertions: tuple[Assertion, ...] = ()
    anchors: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    fixtures: tuple[str, ...] = ()
    status: str = ACTIVE
    # "static", "runner" or "both": who saw this test (the reconciliation's verdict);
    # "skipped_by_runner": static facts, for a test the runner does not collect on purpose
    # (its module skipped at collection, e.g. a missing optional dependency).
    source: str = "static"
    # Set when the parametrize cases could not be read statically (not literal lists).
    dynamic_parameters: bool = False

    def to_json(self) -> dict[str, Any]:
        # Hand-written: dataclasses.asdict's deep copy dominated cold syncs.
        return {
            "test_id": self.test_id,
            "suite_path": list(self.suite_path),
            "name": self.name,
            "title": self.title,
            "nodeid": self.nodeid,
            "locator": {
                "path": self.locator.path,
                "start_line": self.locator.start_line,
                "end_line": self.locator.end_line,
            },
            "parameters": [{"name": p.name, "hash": p.hash} for p in self.parameters],
            "assertions": [
                {
                    "kind": a.kind,
                    "matcher": a.matcher,
                    "expected_literal": a.expected_literal,
                    "structure": a.structure,
                }
                for a in self.assertions
            ],
            "anchors": list(self.anchors),
            "markers": list(self.markers),
            "fixtures": list(self.fixtures),
            "status": self.status,
            "source": self.source,
            "dynamic_parameters": self.dynamic_parameters,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestIR:
        # Explicit and positional: this runs for every cached test on every sync.
        locator = data["locator"]
        return cls(
            data["test_id"],
            tuple(data["suite_path"]),
            data["name"],
            data["title"],
            data["nodeid"],
            Locator(locator["path"], locator["start_line"], locator["end_line"]),
            tuple(Parameter(p["name"], p["hash"]) for p in data["parameters"]),
            tuple(
                Assertion(a["kind"], a["matcher"], a["expected_literal"], a["structure"])
                for a in data["assertions"]
            ),
            tuple(data["anchors"]),
            tuple(data["markers"]),
            tuple(data["fixtures"]),
            data["status"],
            data["source"],
            data["dynamic_parameters"],
        )


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in the inputs. ``severity`` is info, warn or error."""

    severity: str
    code: str
    message: str
    path: str = ""
    line: int = 0
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        return cls(**data)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.code, self.message)

    def describe(self) -> str:
        """``path:line: message (fix)`` for terminals."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}" + (f" ({self.fix})" if self.fix else "")


@dataclass(frozen=True)
class TestFileIR:
    """Everything one adapter pass learned about one file."""

    __test__ = False

    framework: str
    file: str
    file_fingerprint: str
    tests: tuple[TestIR, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    # True when the file could not be parsed cleanly (its last-known behaviors are kept).
    parse_error: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "file": self.file,
            "file_fingerprint": self.file_fingerprint,
            "tests": [t.to_json() for t in self.tests],
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "parse_error": self.parse_error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestFileIR:
        return cls(
            framework=data["framework"],
            file=data["file"],
            file_fingerprint=data["file_fingerprint"],
            tests=tuple(TestIR.from_json(t) for t in data["tests"]),
            diagnostics=tuple(Diagnostic.from_json(d) for d in data["diagnostics"]),
            parse_error=data["parse_error"],
        )
