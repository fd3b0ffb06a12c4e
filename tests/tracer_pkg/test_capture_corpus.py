"""The capture corpus: small temporal scripts with the exact values their probes must see.

Every ``tests/tracer_pkg/corpus/*.py`` not starting with ``_`` is a case. Its module
docstring is a one-line summary, optional prose, then a Python literal (parsed with
``ast.literal_eval``) starting on the first line that begins with ``{``::

    {
        "probes": {"new": "@inc:x:1", "old": "@inc:x:2"},
        "order": [("old", 0), ("new", 1), ("old", 1), ("new", 2)],
    }

Keys:

``probes``   name -> probe. ``LINE:SYMBOL[:N]``, where LINE is a number or ``@tag``,
             the line carrying the comment ``# @tag`` (tags keep specs independent of
             line numbers). ``FILE::LINE:SYMBOL[:N]`` probes
             another file, FILE relative to the corpus directory (helper modules live
             in ``corpus/_corpus_helpers/``).
``values``   name -> the exact list of values that probe captures, in order.
``order``    the exact interleaved sequence of ``(name, value)`` over every probe of
             the case (``values`` is derived from it). An element that is a *list* of
             pairs (of different probes) is a group of consecutive captures in any order:
             targets of one statement that CPython may store in either order (it
             reorders ``a, b = b, a`` on locals), or reads fused into one instruction.
``threads``  name -> a list of per-thread value lists: the probe's captures must be an
             interleaving of them (values of different lists are distinct), for threads
             that run concurrently.
``dtypes``   name -> the ``dtype`` every record of that probe must have.
``args``     script arguments (default none); ``exit_code`` (default 0).
``xfail``    known engine bugs: a list of ``{"reason", "python": ["3.13", ...],
             "backends": [...], "test": "capture" | "agree"}``; omitted keys match every
             version / backend, ``test`` defaults to ``capture``.

Values are compared strictly (``1`` does not match ``1.0`` or ``True``): a scalar as the
Python scalar (numpy scalars as ``.item()``), an array as ``.tolist()``, a waveform as
its snapshot dict, any other builtin value by its type and repr (the engine snapshots
those as ``{"type", "repr"}``), and ``{"object": "module.QualName"}`` matches an
instance of a non-builtin class.
"""

from __future__ import annotations

import ast
import itertools
import re
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from pyprobe_tracer.engine import (
    CaptureManager,
    ProbeAnchor,
    VariableTracer,
    anchor_for,
    available_backends,
    parse_probe_spec,
    trace_script,
)
from pyprobe_tracer.engine.script_main import run_script

CORPUS = Path(__file__).parent / "corpus"
CASE_PATHS = sorted(p for p in CORPUS.glob("*.py") if not p.name.startswith("_"))
BACKENDS = available_backends()
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SPEC_KEYS = {"probes", "values", "order", "threads", "dtypes", "args", "exit_code", "xfail"}
TAG = re.compile(r"#\s*@(\w+)\b")


# -- loading a case ---------------------------------------------------------------


@dataclass
class Case:
    path: Path
    spec: dict[str, Any]
    anchors: dict[str, ProbeAnchor] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    def xfail_reason(self, backend: str | None, test: str) -> str | None:
        for entry in self.spec.get("xfail", []):
            if entry.get("test", "capture") != test:
                continue
            if PYTHON not in entry.get("python", [PYTHON]):
                continue
            if backend is not None and backend not in entry.get("backends", [backend]):
                continue
            if backend is None and not set(entry.get("backends", BACKENDS)) & set(BACKENDS):
                continue
            return entry["reason"]
        return None


def _tags(path: Path) -> dict[str, int]:
    tags: dict[str, int] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for tag in TAG.findall(text):
            assert tag not in tags, f"{path.name}: tag @{tag} is used twice"
            tags[tag] = number
    return tags


def _anchor(case_path: Path, probe: str) -> ProbeAnchor:
    path = case_path
    if "::" in probe:
        relative, probe = probe.split("::", 1)
        path = CORPUS / relative
    line, _, rest = probe.partition(":")
    if line.startswith("@"):
        tags = _tags(path)
        assert line[1:] in tags, f"{path.name}: no line is tagged {line}"
        line = str(tags[line[1:]])
    return anchor_for(path, parse_probe_spec(f"{line}:{rest}"))


@cache
def load_case(path: Path) -> Case:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=True)
    assert docstring, f"{path.name}: no docstring holding the spec"
    lines = docstring.splitlines()
    start = next((i for i, text in enumerate(lines) if text.startswith("{")), None)
    assert start is not None, f"{path.name}: the docstring has no line starting with '{{'"
    spec = ast.literal_eval("\n".join(lines[start:]))
    assert isinstance(spec, dict) and set(spec) <= SPEC_KEYS, f"{path.name}: bad spec keys"
    assert spec.get("probes"), f"{path.name}: no probes"
    case = Case(path, spec)
    case.anchors = {name: _anchor(path, probe) for name, probe in spec["probes"].items()}
    assert len(set(case.anchors.values())) == len(case.anchors), f"{path.name}: duplicate probe"
    if "order" in spec:
        derived: dict[str, list] = {name: [] for name in case.anchors}
        for element in spec["order"]:
            group = element if isinstance(element, list) else [element]
            assert len({name for name, _ in group}) == len(group), f"{path.name}: {group}"
            for name, value in group:
                derived[name].append(value)
        if "values" in spec:
            for name, values in spec["values"].items():
                assert derived[name] == values, f"{path.name}: values/order disagree on {name}"
        spec["values"] = {**derived, **spec.get("values", {})}
    for name in [*spec.get("values", {}), *spec.get("threads", {}), *spec.get("dtypes", {})]:
        assert name in case.anchors, f"{path.name}: no probe named {name!r}"
    return case


# -- running and comparing ----------------------------------------------------------


_results: dict[tuple[Path, str], Any] = {}


def run_case(case: Case, backend: str):
    """Trace the case once per backend (the tests below share the result)."""
    key = (case.path, backend)
    if key not in _results:
        before = set(sys.modules)
        try:
            _results[key] = trace_script(
                case.path,
                list(case.anchors.values()),
                backend=backend,
                script_args=tuple(case.spec.get("args", ())),
            )
        finally:
            # Helper modules must be imported afresh by the next run.
            for name in set(sys.modules) - before:
                module_file = getattr(sys.modules[name], "__file__", None) or ""
                if Path(module_file).resolve().is_relative_to(CORPUS.resolve()):
                    del sys.modules[name]
    return _results[key]


def canonical(record) -> Any:
    """The record's value in the form the specs write it (see the module docstring)."""
    if record.dtype == "unknown":
        assert isinstance(record.value, dict) and set(record.value) == {"type", "repr"}
        return record.value
    return plain(record.value)


def plain(value: Any) -> Any:
    """Arrays as lists, numpy scalars as Python scalars, inside lists and dicts too."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _type_names(kind: type) -> set[str]:
    # The classifier names built-in types by their bare name ("list"); accept the
    # qualified spelling too, the corpus is about when values are captured.
    return {kind.__qualname__, f"{kind.__module__}.{kind.__qualname__}"}


def strict_equal(got: Any, expected: Any) -> bool:
    if isinstance(expected, dict) and set(expected) == {"object"}:
        name = expected["object"]
        short = name.rsplit(".", 1)[-1]
        return (
            isinstance(got, dict)
            and got.get("type") == name
            and got.get("repr") in (f"<{name} object>", f"<{short} object>")
        )
    if isinstance(got, dict) and set(got) == {"type", "repr"}:
        return got["type"] in _type_names(type(expected)) and got["repr"] == repr(expected)
    if type(got) is not type(expected):
        return False
    if isinstance(expected, (list, tuple)):
        return len(got) == len(expected) and all(map(strict_equal, got, expected))
    if isinstance(expected, float) and expected != expected:
        return got != got
    return got == expected


def sequences_equal(got: list, expected: list) -> bool:
    return len(got) == len(expected) and all(map(strict_equal, got, expected))


def is_interleaving(got: list, parts: list[list]) -> bool:
    """Whether ``got`` interleaves ``parts`` (each kept in order); their values are distinct."""
    positions = [0] * len(parts)
    for value in got:
        for index, part in enumerate(parts):
            if positions[index] < len(part) and strict_equal(value, part[positions[index]]):
                positions[index] += 1
                break
        else:
            return False
    return positions == [len(part) for part in parts]


def matches_order(got: list[tuple[str, Any]], order: list) -> bool:
    position = 0
    for element in order:
        group = element if isinstance(element, list) else [element]
        chunk = got[position : position + len(group)]
        position += len(group)
        if len(chunk) < len(group):
            return False
        want = dict(group)
        if sorted(name for name, _ in chunk) != sorted(want):
            return False
        if not all(strict_equal(value, want[name]) for name, value in chunk):
            return False
    return position == len(got)


def by_probe(case: Case, result) -> dict[str, list]:
    names = {anchor: name for name, anchor in case.anchors.items()}
    captured: dict[str, list] = {name: [] for name in case.anchors}
    for record in result.records:
        captured[names[record.anchor]].append(canonical(record))
    return captured


def named_sequence(case: Case, result) -> list[tuple[str, Any]]:
    names = {anchor: name for name, anchor in case.anchors.items()}
    return [(names[record.anchor], canonical(record)) for record in result.records]


# -- the tests ------------------------------------------------------------------------


def _params(test: str, per_backend: bool = True):
    """(case, backend) params, or (case,) ones, each marked with its known engine bug."""
    params = []
    for path in CASE_PATHS:
        case = load_case(path)
        for backend in BACKENDS if per_backend else [None]:
            reason = case.xfail_reason(backend, test)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            if backend is None:
                params.append(pytest.param(case, marks=marks, id=case.name))
            else:
                params.append(pytest.param(case, backend, marks=marks, id=f"{case.name}-{backend}"))
    return params


def test_corpus_is_large_enough():
    assert len(CASE_PATHS) >= 30


@pytest.mark.parametrize(("case", "backend"), _params("capture"))
def test_case_captures(case: Case, backend: str):
    result = run_case(case, backend)
    spec = case.spec
    assert result.exit_code == spec.get("exit_code", 0)
    assert not result.dropped
    captured = by_probe(case, result)
    expected_values = spec.get("values", {})
    for name in case.anchors:
        if name in expected_values:
            assert sequences_equal(captured[name], expected_values[name]), (
                f"{name} ({spec['probes'][name]}): expected {expected_values[name]!r}, "
                f"got {captured[name]!r}"
            )
    names = {anchor: name for name, anchor in case.anchors.items()}
    for record in result.records:
        want = spec.get("dtypes", {}).get(names[record.anchor])
        assert want is None or record.dtype == want, f"{names[record.anchor]}: {record.dtype}"
    for name, parts in spec.get("threads", {}).items():
        assert is_interleaving(captured[name], parts), (
            f"{name}: {captured[name]!r} does not interleave {parts!r}"
        )
    if "order" in spec:
        got = named_sequence(case, result)
        assert matches_order(got, spec["order"]), f"order: expected {spec['order']!r}, got {got!r}"
    unchecked = set(case.anchors) - set(expected_values) - set(spec.get("threads", {}))
    assert not unchecked, f"probes without expectations: {sorted(unchecked)}"


@pytest.mark.parametrize(("case", "backend"), _params("seq"))
def test_seq_strictly_increasing(case: Case, backend: str):
    seqs = [record.seq for record in run_case(case, backend).records]
    assert all(a < b for a, b in itertools.pairwise(seqs)), seqs


@pytest.mark.skipif(len(BACKENDS) < 2, reason=f"one backend on Python {PYTHON}: {BACKENDS}")
@pytest.mark.parametrize("case", _params("agree", per_backend=False))
def test_backends_agree(case: Case):
    first, *others = BACKENDS
    reference = named_sequence(case, run_case(case, first))
    threaded = set(case.spec.get("threads", {}))
    for backend in others:
        got = named_sequence(case, run_case(case, backend))
        if threaded:  # cross-thread order may differ between runs: compare per probe
            for name in case.anchors:
                a = [repr(v) for n, v in reference if n == name]
                b = [repr(v) for n, v in got if n == name]
                if name in threaded:
                    a, b = sorted(a), sorted(b)
                assert a == b, f"{name}: {first} {a!r} != {backend} {b!r}"
        else:
            assert list(map(repr, got)) == list(map(repr, reference)), (
                f"{first}: {reference!r}\n{backend}: {got!r}"
            )
        exit_codes = run_case(case, backend).exit_code, run_case(case, first).exit_code
        assert exit_codes[0] == exit_codes[1], f"exit codes differ: {exit_codes}"


WINDOWS_TICK_NS = 15_625_000  # time.monotonic() on Windows before 3.13 (GetTickCount64)


@pytest.mark.parametrize("backend", BACKENDS)
def test_order_does_not_depend_on_clock_resolution(backend: str):
    case = load_case(CORPUS / "assign_rhs_same_line.py")
    manager = CaptureManager(clock=lambda: time.monotonic_ns() // WINDOWS_TICK_NS * WINDOWS_TICK_NS)
    tracer = VariableTracer(manager, backend)
    for anchor in case.anchors.values():
        tracer.add_probe(anchor)
    with tracer:
        assert run_script(case.path, []) == 0
    result = SimpleNamespace(records=[record for batch in manager.drain() for record in batch])
    got = named_sequence(case, result)
    assert matches_order(got, case.spec["order"]), f"got {got!r}"
