"""pytest plugin (loaded through the pytest11 entry point).

Registers the ``tdd_prose`` marker (``@pytest.mark.tdd_prose("some.behavior")``,
the marker form of an anchor comment). When ``TDDPROSE_MANIFEST`` names a file,
writes what pytest collected there at ``pytest_collection_finish``: node ids,
parametrize ids, markers, anchors, unconditional skip/xfail, collection errors; also
the items the run deselected (``-m``/``-k`` in the project's ``addopts``) and the
modules it skipped at collection (``pytest.skip(allow_module_level=True)``,
``pytest.importorskip``), so that those tests are not mistaken for uncollectable ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST_ENV = "TDDPROSE_MANIFEST"
ROOT_ENV = "TDDPROSE_ROOT"
MANIFEST_VERSION = 2
_errors: list[dict] = []
_skipped: list[dict] = []
_deselected: list = []


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "tdd_prose(behavior_id): anchor this test to a tddprose behavior id"
    )


def pytest_sessionstart(session) -> None:
    # One manifest per session, even when pytest runs in-process twice.
    _errors.clear()
    _skipped.clear()
    _deselected.clear()


def pytest_collectreport(report) -> None:
    if not os.environ.get(MANIFEST_ENV):
        return
    if report.failed:
        _errors.append({"nodeid": report.nodeid, "message": str(report.longrepr)[-2000:]})
    elif report.skipped and report.nodeid:
        _skipped.append({"nodeid": report.nodeid, "reason": _skip_reason(report.longrepr)})


def pytest_deselected(items) -> None:
    if os.environ.get(MANIFEST_ENV):
        _deselected.extend(items)


def _skip_reason(longrepr) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr).strip().splitlines()[-1] if str(longrepr).strip() else ""


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _item(item, root: Path) -> dict:
    marks = list(item.iter_markers())
    names = sorted({m.name for m in marks})
    anchors = [m.args[0] for m in marks if m.name == "tdd_prose" and m.args]
    skip = any(m.name == "skip" for m in marks)
    xfail = any(m.name == "xfail" and not m.args and "condition" not in m.kwargs for m in marks)
    callspec = getattr(item, "callspec", None)
    nodeid = item.nodeid
    if callspec is not None and nodeid.endswith(f"[{callspec.id}]"):
        nodeid = nodeid[: -len(callspec.id) - 2]  # ids may contain "::"
    parts = nodeid.split("::")
    location = item.location
    cls = getattr(item, "cls", None)
    return {
        "path": _relative(Path(item.path), root),
        "classes": parts[1:-1],
        "function": getattr(item, "originalname", None) or parts[-1].split("[", 1)[0],
        "case": callspec.id if callspec is not None else "",
        # An empty case id is a case too (``test_x[]``).
        "parametrized": callspec is not None,
        "unittest": cls is not None and _is_unittest(cls),
        "markers": names,
        "anchors": sorted(set(anchors)),
        "status": "skip" if skip else ("xfail" if xfail else "active"),
        "line": (location[1] or 0) + 1 if location else 0,
    }


def _is_unittest(cls) -> bool:
    import unittest

    return isinstance(cls, type) and issubclass(cls, unittest.TestCase)


def pytest_collection_finish(session) -> None:
    target = os.environ.get(MANIFEST_ENV)
    if not target:
        return
    root = Path(os.environ.get(ROOT_ENV) or session.config.rootpath).resolve()
    manifest = {
        "version": MANIFEST_VERSION,
        "items": [_item(item, root) for item in session.items],
        "deselected": [_item(item, root) for item in _deselected],
        "skipped": [
            {
                **entry,
                "path": _relative(session.config.rootpath / entry["nodeid"].split("::")[0], root),
            }
            for entry in _skipped
        ],
        "errors": list(_errors),
    }
    Path(target).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
