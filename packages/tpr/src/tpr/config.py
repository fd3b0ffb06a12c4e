"""Configuration: the seed's TPR_* keys, from ``[tool.tpr]`` in pyproject.toml and the
environment (the environment wins; a command-line flag wins over both).

In ``[tool.tpr]`` a key is written in lower case without the prefix:
``TPR_FAILFAST_MODE`` is ``failfast_mode``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import FAILFAST_MODES
from .errors import TprError
from .events import DEFAULT_SECRET_PATTERNS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ENV_VALIDATE_VALUES = ("enable", "skip")
DEFAULT_REQUIRED_ENV = ("TPR_SEED", "TPR_FAILFAST_MODE")
DEFAULT_LOCK_CANDIDATES = (
    "requirements.lock",
    "requirements.lock.txt",
    "poetry.lock",
    "uv.lock",
    "pylock.toml",
    "requirements.txt",
)


class ConfigError(TprError, ValueError):
    """A configuration value is unusable; the message names the key, the value and the fix.
    ``source`` is where the value came from: an environment variable, a [tool.tpr] key
    or a command-line flag."""

    def __init__(self, message: str, source: str = "") -> None:
        super().__init__(message)
        self.source = source


@dataclass(frozen=True)
class TprConfig:
    failfast_mode: str = "off"
    seed: int | None = 12345  # None: unseeded exploration (the nightly fuzz job)
    env_validate: str = "enable"
    soft_target_pct: float = 40.0
    hard_target_pct: float = 60.0
    coverage_baseline: float | None = None  # line %, captured by `tpr baseline` when unset
    coverage_target: float | None = None  # line %, baseline + coverage_target_delta when unset
    coverage_target_delta: float = 1.0
    coverage_tolerance_drop: float = 1.0
    property_runtime_threshold_ms: float = 1000.0
    flake_rate_threshold: float = 0.02  # a fraction; "2%" in the environment
    required_env: tuple[str, ...] = DEFAULT_REQUIRED_ENV
    lock_files: tuple[str, ...] = ()  # empty: the first of DEFAULT_LOCK_CANDIDATES that exists
    artifact_dir: str = ".tpr"
    top_n_slow: int = 10
    history_runs: int = 20  # outcome histories kept for flake detection
    property_marker: str = "property"
    coverage_source: tuple[str, ...] = ()  # empty: coverage.py's own [tool.coverage] settings
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)  # key -> origin

    def artifacts(self, root: Path) -> Path:
        return (root / self.artifact_dir).resolve()

    def origin(self, key: str) -> str:
        return self.sources.get(key, "default")


# key in [tool.tpr] -> (environment variable or None, parser)
def _mode(value: Any, where: str) -> str:
    text = str(value).strip().lower()
    if text not in FAILFAST_MODES:
        raise ConfigError(f"{where}={value!r}: unknown fail-fast mode; use one of off, soft, hard")
    return text


def _seed(value: Any, where: str) -> int | None:
    text = str(value).strip()
    if text.lower() in ("none", "random", "explore"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(
            f"{where}={value!r}: the seed must be an integer (or 'none' to explore unseeded)"
        ) from None


def _choice(choices: tuple[str, ...]):
    def parse(value: Any, where: str) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ConfigError(f"{where}={value!r}: use one of {', '.join(choices)}")
        return text

    return parse


def _number(value: Any, where: str) -> float:
    text = str(value).strip().rstrip("%")
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{where}={value!r}: expected a number") from None


def _fraction(value: Any, where: str) -> float:
    """'2%' and 2 mean 2 %; 0.02 is already a fraction."""
    text = str(value).strip()
    number = _number(text, where)
    if text.endswith("%") or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise ConfigError(f"{where}={value!r}: a rate between 0 and 100%")
    return number


def _count(value: Any, where: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{where}={value!r}: expected a whole number") from None
    if number < 1:
        raise ConfigError(f"{where}={value!r}: must be at least 1")
    return number


def _names(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(
        f"{where}={value!r}: expected a list of strings (or a comma-separated string)"
    )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}={value!r}: expected a non-empty string")
    return value.strip()


def _optional_number(value: Any, where: str) -> float | None:
    if value is None or str(value).strip().lower() in ("", "none", "captured"):
        return None
    return _number(value, where)


KEYS: dict[str, tuple[str | None, Any]] = {
    "failfast_mode": ("TPR_FAILFAST_MODE", _mode),
    "seed": ("TPR_SEED", _seed),
    "env_validate": ("TPR_ENV_VALIDATE", _choice(ENV_VALIDATE_VALUES)),
    "soft_target_pct": ("TPR_MAX_FAIL_FAST_IMPROVEMENT_TARGET", _number),
    "hard_target_pct": ("TPR_HARD_FAIL_FAST_IMPROVEMENT_TARGET", _number),
    "coverage_baseline": ("TPR_COVERAGE_BASELINE", _optional_number),
    "coverage_target": ("TPR_COVERAGE_TARGET", _optional_number),
    "coverage_target_delta": ("TPR_COVERAGE_TARGET_DELTA", _number),
    "coverage_tolerance_drop": ("TPR_COVERAGE_TOLERANCE_DROP", _number),
    "property_runtime_threshold_ms": ("TPR_PROPERTY_RUNTIME_THRESHOLD_MS", _number),
    "flake_rate_threshold": ("TPR_FLAKE_RATE_THRESHOLD", _fraction),
    "required_env": ("TPR_REQUIRED_ENV", _names),
    "lock_files": ("TPR_LOCK_FILES", _names),
    "artifact_dir": ("TPR_ARTIFACT_DIR", _text),
    "top_n_slow": ("TPR_TOP_N_SLOW", _count),
    "history_runs": ("TPR_HISTORY_RUNS", _count),
    "property_marker": ("TPR_PROPERTY_MARKER", _text),
    "coverage_source": ("TPR_COVERAGE_SOURCE", _names),
    "secret_patterns": ("TPR_SECRET_PATTERNS", _names),
}


def read_pyproject(root: Path) -> dict[str, Any]:
    """The ``[tool.tpr]`` table of ``root/pyproject.toml`` ({} when there is none)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [tool.tpr]: {exc}") from None
    table = data.get("tool", {}).get("tpr", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.tpr] must be a table")
    return table


def _parsed(parse, value: Any, where: str) -> Any:
    try:
        return parse(value, where)
    except ConfigError as exc:
        raise ConfigError(str(exc), source=where) from None


def load_config(
    root: Path,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> TprConfig:
    """Defaults < ``[tool.tpr]`` < environment < ``overrides`` (command-line flags)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    table = read_pyproject(root)
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{root / 'pyproject.toml'}: [tool.tpr] has unknown key {unknown[0]!r}; "
            f"known keys: {', '.join(KEYS)}"
        )
    for key, (env_name, parse) in KEYS.items():
        if key in table:
            values[key] = _parsed(parse, table[key], f"[tool.tpr] {key}")
            sources[key] = "pyproject.toml"
        if env_name and environ.get(env_name, "").strip():
            values[key] = _parsed(parse, environ[env_name], env_name)
            sources[key] = "environment"
    for key, value in overrides.items():
        if value is None:
            continue
        env_name, parse = KEYS[key]
        values[key] = _parsed(parse, value, f"--{key.replace('_', '-')}")
        sources[key] = "command line"
    return dataclasses.replace(TprConfig(), **values, sources=sources)
