"""Which adapter reads which file: ``.py`` files are pytest's; JavaScript and
TypeScript files belong to the JS framework the config lists (jest or vitest)."""

from __future__ import annotations

from tddprose.adapters import pytest_static
from tddprose.adapters.js_names import EXTENSIONS, JS_FRAMEWORKS
from tddprose.ir import TestFileIR

# The JS adapters are imported only when a JS framework is configured: a pytest-only
# no-op run does not pay for them.


def js_framework(frameworks) -> str:
    """The config's JS framework name (``jest`` or ``vitest``), or ``''``."""
    return next((f.name for f in frameworks if f.name in JS_FRAMEWORKS), "")


def is_js_path(path: str) -> bool:
    return path.rsplit(".", 1)[-1] in EXTENSIONS


def framework_for(path: str, js: str) -> str:
    """Which framework's file ``path`` is, given the config's JS framework (or '')."""
    return js if js and is_js_path(path) else pytest_static.FRAMEWORK


def parse_source(
    path: str, data: bytes, suite_root: str, anchor_tag: str, js: str = ""
) -> TestFileIR:
    if framework_for(path, js) != pytest_static.FRAMEWORK:
        from tddprose.adapters import js_static

        return js_static.parse_js_file(path, data, suite_root, anchor_tag, js)
    return pytest_static.parse_test_file(path, data, suite_root, anchor_tag)


def suite_path_of(framework: str, path: str, suite_root: str) -> tuple[str, ...]:
    if framework in JS_FRAMEWORKS:
        from tddprose.adapters import js_static

        return js_static.suite_path_for(path, suite_root)
    return pytest_static.suite_path_for(path, suite_root)


def adapter_versions(js: str) -> list[str]:
    """Cache-key parts of the JS adapter (only when a JS framework is configured)."""
    if not js:
        return []
    import os

    import tree_sitter_javascript._binding as javascript
    import tree_sitter_typescript._binding as typescript

    from tddprose.adapters import js_static

    # The compiled grammars' size and mtime: they change whenever the grammar packages
    # are reinstalled (importlib.metadata would cost ~60 ms on every no-op run).
    stats = [os.stat(m.__file__) for m in (javascript, typescript)]
    return [f"js{js_static.ADAPTER_VERSION}", *(f"{s.st_size}:{s.st_mtime_ns}" for s in stats)]


def js_starter(root, text: str) -> str:
    """``tddprose init`` in a JavaScript project (a ``package.json`` depending on vitest
    or jest, and no Python test directory): the starter config's globs and framework
    for it instead of pytest's."""
    import json
    from pathlib import Path

    root = Path(root)
    try:
        package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return text
    if not isinstance(package, dict):
        return text
    names: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        if isinstance(package.get(key), dict):
            names.update(package[key])
    framework = next((f for f in ("vitest", "jest") if f in names), "")
    python_tests = any(
        (root / d).is_dir() and any((root / d).rglob("test_*.py"))
        for d in ("tests", "test", "testing")
    )
    if not framework or python_tests:
        return text
    lines = text.splitlines(keepends=True)
    out, skip = [], False
    for line in lines:
        if line.startswith("test_globs:"):
            out.append(line)
            out += ['  - "**/*.test.*"\n', '  - "**/*.spec.*"\n', '  - "**/__tests__/**"\n']
            skip = True
            continue
        if line.startswith("frameworks:"):
            out.append(line)
            out += [
                f"  - name: {framework}\n",
                f'    collect_cmd: "npx --no-install {framework}"\n',
            ]
            skip = True
            continue
        if line.startswith('  - "**/fixtures/**"'):
            out += [line, '  - "**/*.snap"\n']
            continue
        if skip and line.startswith(" "):
            continue
        skip = False
        out.append(line)
    return "".join(out)
