"""``.tdd-prose/config.yml``: load, validate, default, hash; and the starter file."""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tddprose.errors import ConfigError
from tddprose.identity import sha256_tag
from tddprose.ir import DEFAULT_ANCHOR_TAG
from tddprose.model import BEHAVIOR, ELIGIBILITIES

STATE_DIR = ".tdd-prose"
CONFIG_PATH = f"{STATE_DIR}/config.yml"
SNAPSHOT_PATH = f"{STATE_DIR}/mapping.snapshot.json"
REPORTS_DIR = f"{STATE_DIR}/reports"
DEFAULT_INTERNAL_PATTERNS = ("**/*_snapshot*", "**/snapshots/**", "**/bench*/**")
SPLITS = ("block", "domain")
FRAMEWORKS = ("pytest", "jest", "vitest")


@dataclass(frozen=True)
class Framework:
    name: str
    collect_cmd: str


@dataclass(frozen=True)
class Config:
    spec_output: str
    test_globs: tuple[str, ...]
    frameworks: tuple[Framework, ...]
    exclude_globs: tuple[str, ...] = ()
    block_default: str = "{suite_path.0}"
    block_overrides: dict[str, str] = field(default_factory=dict)
    eligibility_default: str = BEHAVIOR
    internal_patterns: tuple[str, ...] = DEFAULT_INTERNAL_PATTERNS
    anchor_tag: str = DEFAULT_ANCHOR_TAG
    allow_multiple_anchors: bool = False
    needs_review_max: int = 0
    orphaned_max: int = 0
    wrap_column: int = 88
    split: str = "block"
    block_titles: dict[str, str] = field(default_factory=dict)
    min_domain_behaviors: int = 3
    max_file_bytes: int = 2_000_000

    @property
    def single_file(self) -> bool:
        return self.spec_output.endswith(".md")

    def digest(self) -> str:
        """Changes whenever any setting that affects output changes (cache key)."""
        return sha256_tag(json.dumps(asdict(self), sort_keys=True), 32)


# key -> (type check, description used in error messages)
_SCHEMA: dict[str, dict[str, tuple[str, ...]]] = {
    "": (
        "spec_output",
        "test_globs",
        "frameworks",
        "exclude_globs",
        "block_rules",
        "eligibility",
        "anchors",
        "ci",
        "render",
        "coverage",
        "limits",
        "validate",
    ),
    "block_rules": ("default", "overrides"),
    "eligibility": ("default", "internal_patterns"),
    "anchors": ("tag", "allow_multiple"),
    "ci": ("needs_review_max", "orphaned_max"),
    "render": ("wrap_column", "split", "block_titles"),
    "coverage": ("min_domain_behaviors",),
    "limits": ("max_file_bytes",),
    # `tddprose validate` reads these itself (gates.py): they change no output, so they
    # stay out of Config and its digest (the cache key).
    "validate": ("lint_cmd", "test_cmd"),
}


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {problem}; {fix}")

    def known(self, section: str, data: dict) -> None:
        allowed = _SCHEMA[section]
        for key in data:
            if key not in allowed:
                name = f"{section}.{key}" if section else str(key)
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = (
                    f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(allowed)}"
                )
                raise self.fail(name, "unknown key", hint)

    def mapping(self, data: dict, key: str) -> dict:
        value = data.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(
                key, f"expected a mapping, got {type(value).__name__}", "see `tddprose init`"
            )
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {value!r}", "quote the value")
        return value

    def strings(self, value: Any, key: str, *, required: bool = False) -> tuple[str, ...]:
        if value is None and not required:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(
                key, f"expected a list of strings, got {value!r}", 'write e.g. ["tests/**/*.py"]'
            )
        if required and not value:
            raise self.fail(key, "must list at least one pattern", 'e.g. "tests/**/*.py"')
        return tuple(value)

    def whole(self, value: Any, key: str, low: int, high: int | None = None) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            bounds = f">= {low}" if high is None else f"between {low} and {high}"
            raise self.fail(
                key, f"expected a whole number {bounds}, got {value!r}", "fix the value"
            )
        return value

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(key, f"expected one of {', '.join(choices)}, got {value!r}", "pick one")
        return value

    def string_map(self, value: Any, key: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
        ):
            raise self.fail(
                key,
                f"expected a mapping of strings to strings, got {value!r}",
                "quote keys and values",
            )
        return dict(value)


def parse_config(text: str, path: Path) -> Config:
    import yaml

    reader = _Reader(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise ConfigError(
            f"{path}: not valid YAML ({where}): {getattr(exc, 'problem', exc)}; fix the syntax"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of settings, got {type(data).__name__}; "
            "run `tddprose init` for a starter file"
        )
    reader.known("", data)
    for required in ("spec_output", "test_globs", "frameworks"):
        if required not in data:
            raise reader.fail(
                required, "missing (required)", "see `tddprose init` for a starter file"
            )
    frameworks = data["frameworks"]
    if not isinstance(frameworks, list) or not frameworks:
        raise reader.fail(
            "frameworks",
            "expected a list with one entry per framework",
            "e.g. [{name: pytest, collect_cmd: ...}]",
        )
    parsed = []
    for index, entry in enumerate(frameworks):
        key = f"frameworks[{index}]"
        if not isinstance(entry, dict):
            raise reader.fail(
                key, f"expected a mapping, got {entry!r}", "give name and collect_cmd"
            )
        unknown = set(entry) - {"name", "collect_cmd"}
        if unknown:
            raise reader.fail(
                f"{key}.{sorted(unknown)[0]}", "unknown key", "known keys: name, collect_cmd"
            )
        name = reader.choice(entry.get("name"), f"{key}.name", FRAMEWORKS)
        if "collect_cmd" not in entry:
            raise reader.fail(
                f"{key}.collect_cmd",
                "missing (required)",
                'e.g. "python -m pytest --collect-only -q"',
            )
        if any(f.name == name for f in parsed) or (
            name in ("jest", "vitest") and any(f.name in ("jest", "vitest") for f in parsed)
        ):
            raise reader.fail(
                f"{key}.name",
                f"{name!r}: only one pytest and one JS framework (jest or vitest) per config",
                "remove the extra entry",
            )
        parsed.append(Framework(name, reader.string(entry["collect_cmd"], f"{key}.collect_cmd")))
    spec_output = reader.string(data["spec_output"], "spec_output")
    if Path(spec_output).is_absolute() or ".." in Path(spec_output).parts:
        raise reader.fail(
            "spec_output",
            f"must be a path inside the repository, got {spec_output!r}",
            "e.g. spec/ or SPEC.md",
        )
    values: dict[str, Any] = {
        "spec_output": spec_output,
        "test_globs": reader.strings(data["test_globs"], "test_globs", required=True),
        "frameworks": tuple(parsed),
        "exclude_globs": reader.strings(data.get("exclude_globs"), "exclude_globs"),
    }
    blocks = reader.mapping(data, "block_rules")
    reader.known("block_rules", blocks)
    if "default" in blocks:
        values["block_default"] = reader.string(blocks["default"], "block_rules.default")
    values["block_overrides"] = reader.string_map(blocks.get("overrides"), "block_rules.overrides")
    eligibility = reader.mapping(data, "eligibility")
    reader.known("eligibility", eligibility)
    if "default" in eligibility:
        values["eligibility_default"] = reader.choice(
            eligibility["default"], "eligibility.default", ELIGIBILITIES
        )
    if "internal_patterns" in eligibility:
        values["internal_patterns"] = reader.strings(
            eligibility["internal_patterns"], "eligibility.internal_patterns"
        )
    anchors = reader.mapping(data, "anchors")
    reader.known("anchors", anchors)
    if "tag" in anchors:
        values["anchor_tag"] = reader.string(anchors["tag"], "anchors.tag")
    if "allow_multiple" in anchors:
        if not isinstance(anchors["allow_multiple"], bool):
            raise reader.fail(
                "anchors.allow_multiple",
                f"expected true or false, got {anchors['allow_multiple']!r}",
                "write true or false",
            )
        values["allow_multiple_anchors"] = anchors["allow_multiple"]
    ci = reader.mapping(data, "ci")
    reader.known("ci", ci)
    for key in ("needs_review_max", "orphaned_max"):
        if key in ci:
            values[key] = reader.whole(ci[key], f"ci.{key}", 0)
    render = reader.mapping(data, "render")
    reader.known("render", render)
    if "wrap_column" in render:
        values["wrap_column"] = reader.whole(render["wrap_column"], "render.wrap_column", 40, 400)
    if "split" in render:
        values["split"] = reader.choice(render["split"], "render.split", SPLITS)
    values["block_titles"] = reader.string_map(render.get("block_titles"), "render.block_titles")
    coverage = reader.mapping(data, "coverage")
    reader.known("coverage", coverage)
    if "min_domain_behaviors" in coverage:
        values["min_domain_behaviors"] = reader.whole(
            coverage["min_domain_behaviors"], "coverage.min_domain_behaviors", 0
        )
    limits = reader.mapping(data, "limits")
    reader.known("limits", limits)
    if "max_file_bytes" in limits:
        values["max_file_bytes"] = reader.whole(
            limits["max_file_bytes"], "limits.max_file_bytes", 1
        )
    gates = reader.mapping(data, "validate")
    reader.known("validate", gates)
    if "lint_cmd" in gates and gates["lint_cmd"] is not False:
        reader.string(gates["lint_cmd"], "validate.lint_cmd")
    if "test_cmd" in gates:
        reader.string(gates["test_cmd"], "validate.test_cmd")
    return Config(**values)


def load_config(root: Path) -> Config:
    path = root / CONFIG_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: not found; run `tddprose init` to write a starter config"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: unreadable ({exc}); save it as UTF-8 text") from None
    return parse_config(text, Path(CONFIG_PATH))


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``.tdd-prose/config.yml``."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / CONFIG_PATH).is_file():
            return candidate
    raise ConfigError(
        f"{start}: no {CONFIG_PATH} here or in any parent directory; "
        "run `tddprose init` in the repository root"
    )


STATE_GITIGNORE = (
    "# tddprose: local caches and run overlays are never committed\n"
    "state.sqlite*\ncache/\nreports/\n*.lock\n"
)


def starter_config(root: Path) -> str:
    tests_dir = next((d for d in ("tests", "test", "testing") if (root / d).is_dir()), "tests")
    text = f"""\
# tddprose: compiles this repository's tests into a behavior ledger.
# Committed: this file, mapping.snapshot.json and the spec output.

# Where the ledger goes: a directory (one markdown file per block) or a single .md file.
spec_output: spec/

# Which files hold tests (** matches any number of directories).
test_globs:
  - "{tests_dir}/**/*.py"

# Files to ignore (helpers, fixtures data).
exclude_globs:
  - "**/fixtures/**"

# How the runner lists tests; tddprose adds its own collection plugin.
# `tddprose sync --no-runner` reads the tests statically only.
frameworks:
  - name: pytest
    collect_cmd: "python -m pytest --collect-only -q"

# block_id of a behavior. {{suite_path.N}} is the N-th suite segment, slugged
# (directories below the test root, then the module without test_, then classes).
block_rules:
  default: "{{suite_path.0}}"
  overrides: {{}}

# behavior: rendered in the ledger; internal: in coverage reports only.
# Snapshot, benchmark and property/fuzz tests are internal by convention.
eligibility:
  default: behavior
  internal_patterns:
    - "**/*_snapshot*"

# `# @tdd-prose:behavior some.id` above or inside a test (or @pytest.mark.tdd_prose("some.id")).
anchors:
  tag: "@tdd-prose:behavior"
  allow_multiple: false

# `tddprose check` fails above these counts.
ci:
  needs_review_max: 0
  orphaned_max: 0

render:
  wrap_column: 88
  split: block
"""
    from tddprose.adapters.dispatch import js_starter

    return js_starter(root, text)


def write_starter(root: Path, *, force: bool = False) -> list[Path]:
    from tddprose.files import write_if_changed

    path = root / CONFIG_PATH
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; edit it, or pass --force to replace it")
    written = [path] if write_if_changed(path, starter_config(root)) else []
    ignore = root / STATE_DIR / ".gitignore"
    if write_if_changed(ignore, STATE_GITIGNORE):
        written.append(ignore)
    return written
