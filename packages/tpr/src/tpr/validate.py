"""Environment validation (AC-5): compare the environment with the recorded signature
before any test runs. ``compare`` is pure; ``run_validation`` does the I/O."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .artifacts import write_hashed_json
from .config import KEYS, ConfigError, TprConfig
from .events import EventLog
from .signature import (
    RECORD_FIX,
    SIGNATURE_NAME,
    TOOLS,
    SignatureError,
    current_signature,
    load_signature,
)

FAILURE_NAME = "env.validation.failure.json"
# Required variables that are also tpr settings: when unset, [tool.tpr] or tpr's
# default supplies the value, so they are never missing (TPR_SEED, TPR_FAILFAST_MODE).
DEFAULTED_ENV = frozenset(env for env, _ in KEYS.values() if env)


@dataclass(frozen=True)
class Reason:
    code: str
    field: str
    expected: Any
    actual: Any
    fix: str

    def __str__(self) -> str:
        if self.code.startswith("SIGNATURE_"):
            return f"{self.code}: {self.fix}"
        if self.actual is None:
            return f"{self.code}: {self.field} is missing ({self.fix})"
        return (
            f"{self.code}: {self.field} is {self.actual!r}, expected {self.expected!r} ({self.fix})"
        )


@dataclass(frozen=True)
class ValidationResult:
    status: str  # "ok", "fail" or "skipped"
    reasons: tuple[Reason, ...] = ()
    elapsed_s: float = 0.0
    signature_path: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"


def _valid_seed(text: str) -> bool:
    """What the configuration accepts (an integer, or none/random/explore)."""
    try:
        KEYS["seed"][1](text, "TPR_SEED")
    except ConfigError:
        return False
    return True


def compare(
    recorded: Mapping[str, Any],
    current: Mapping[str, Any],
    environ: Mapping[str, str],
    config: TprConfig,
) -> list[Reason]:
    reasons = []
    rerecord = "if the change is intended, " + RECORD_FIX.replace(
        "record it", "record the signature"
    )

    def check(code, name, expected, actual, fix):
        if expected != actual:
            reasons.append(Reason(code, name, expected, actual, fix))

    check(
        "PYTHON_MINOR_MISMATCH",
        "python.minor",
        recorded["python"]["minor"],
        current["python"]["minor"],
        f"run under Python {recorded['python']['minor']}, or {rerecord}",
    )
    check(
        "LOCK_HASH_MISMATCH",
        "lock.hash",
        recorded["lock"].get("hash"),
        current["lock"].get("hash"),
        "the lock/requirements files changed since the signature was recorded; "
        f"install from them and {rerecord}",
    )
    for key, code in (("os", "OS_MISMATCH"), ("arch", "ARCH_MISMATCH")):
        check(
            code,
            f"platform.{key}",
            recorded["platform"][key],
            current["platform"][key],
            f"run on {recorded['platform'][key]}, or {rerecord}",
        )
    for name in config.required_env:
        if name in DEFAULTED_ENV:
            continue  # unset: the configured value or tpr's default applies
        if not environ.get(name, "").strip():
            reasons.append(
                Reason("ENV_VAR_MISSING", f"env.{name}", "set", None, f"export {name}=...")
            )
    seed = environ.get("TPR_SEED", "").strip()
    if seed and not _valid_seed(seed):
        reasons.append(
            Reason("SEED_NOT_NUMERIC", "env.TPR_SEED", "an integer", seed, "export TPR_SEED=12345")
        )
    recorded_tools = recorded["tools"]
    for name in TOOLS:
        expected, actual = recorded_tools.get(name), current["tools"].get(name)
        if expected is not None and actual is None:
            reasons.append(
                Reason(
                    "TOOL_MISSING",
                    f"tools.{name}",
                    expected,
                    None,
                    f"pip install {name}=={expected}",
                )
            )
        else:
            check(
                "TOOL_VERSION_MISMATCH",
                f"tools.{name}",
                expected,
                actual,
                f"pip install {name}=={expected}, or {rerecord}",
            )
    return reasons


def run_validation(
    root: Path,
    config: TprConfig,
    log: EventLog,
    environ: Mapping[str, str] | None = None,
    *,
    signature_path: Path | None = None,
) -> ValidationResult:
    """Validate, log ``environment_validation_*``; on failure write the failure artifact."""
    environ = os.environ if environ is None else environ
    start = time.perf_counter()
    artifacts = config.artifacts(root)
    path = signature_path or artifacts / SIGNATURE_NAME
    if config.env_validate == "skip":
        note = "TPR_ENV_VALIDATE=skip: environment validation skipped"
        log.emit("environment_validation_ok", skipped=True, note=note)
        return ValidationResult("skipped", signature_path=str(path), note=note)
    log.emit("environment_validation_start", signature=str(path))
    current = current_signature(root, config, environ)
    try:
        recorded = load_signature(path)
    except SignatureError as exc:
        code = "SIGNATURE_MISSING" if not path.exists() else "SIGNATURE_CORRUPT"
        reasons = [Reason(code, SIGNATURE_NAME, "a recorded signature", None, str(exc))]
    else:
        reasons = compare(recorded, current, environ, config)
    elapsed = time.perf_counter() - start
    result = ValidationResult("fail" if reasons else "ok", tuple(reasons), elapsed, str(path))
    if reasons:
        codes = [r.code for r in reasons]
        failure = artifacts / FAILURE_NAME
        write_hashed_json(
            failure,
            {
                "status": "fail",
                "reason_codes": codes,
                "reasons": [r.__dict__ for r in reasons],
                "signature": str(path),
                "current": current,
                "elapsed_s": round(elapsed, 6),
                "run_id": log.run_id,
            },
        )
        log.emit(
            "environment_validation_fail",
            reason_codes=codes,
            reasons=[str(r) for r in reasons],
            failure_artifact=str(failure),
            elapsed_s=round(elapsed, 6),
        )
    else:
        # A failure artifact describes the last validation only: a pass retires it.
        (artifacts / FAILURE_NAME).unlink(missing_ok=True)
        log.emit("environment_validation_ok", elapsed_s=round(elapsed, 6), signature=str(path))
    return result


def explain(result: ValidationResult) -> str:
    if result.status == "ok":
        return (
            f"tpr: environment matches {result.signature_path} ({result.elapsed_s * 1000:.0f} ms)"
        )
    if result.status == "skipped":
        return f"tpr: {result.note}"
    lines = [f"tpr: environment validation failed against {result.signature_path}:"]
    lines += [f"  - {reason}" for reason in result.reasons]
    lines.append("  (TPR_ENV_VALIDATE=skip runs anyway, without the guarantee)")
    return "\n".join(lines)
