"""The structured event log: one JSON object per line in ``events.log.jsonl``.

Every line holds ``timestamp`` (UTC, ISO 8601), ``event``, ``run_id`` (one
correlation id per run, shared with the pytest processes a command starts through
``TPR_RUN_ID``) and ``fields``. Secrets are redacted before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import TprError

LOG_NAME = "events.log.jsonl"
RUN_ID_ENV = "TPR_RUN_ID"
ROTATE_BYTES = 8 << 20  # the log is rolling: past this size it moves to .1
REDACTED = "***redacted***"
DEFAULT_SECRET_PATTERNS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "AUTH")

# A complete foundation cycle (validate, baseline, fail-fast scenario, property pilot,
# flake scan, checkpoint) emits every LIFECYCLE event; CONDITIONAL ones are emitted
# when their condition occurs, and their absence is not a deficit.
LIFECYCLE_EVENTS = (
    "environment_validation_start",
    "environment_validation_ok",
    "metrics_capture_start",
    "metrics_capture_complete",
    "failfast_mode_applied",
    "early_exit_detected",
    "property_test_start",
    "property_test_complete",
    "flake_scan_complete",
    "coverage_ladder_recorded",
    "foundation_checkpoint_emitted",
)
CONDITIONAL_EVENTS = ("environment_validation_fail", "logging_deficit", "risk_trigger")
TAXONOMY = LIFECYCLE_EVENTS + CONDITIONAL_EVENTS


class EventsLogError(TprError, ValueError):
    """The events log has a line that is not an event; names the file and the line."""


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


def run_id_from_env(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(RUN_ID_ENV) or new_run_id()


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


class Redactor:
    """Hides values of secret-looking keys, and secret environment values wherever they
    appear in a string."""

    def __init__(self, patterns: Iterable[str], environ: Mapping[str, str] | None = None):
        self._key = re.compile("|".join(re.escape(p) for p in patterns), re.IGNORECASE)
        environ = os.environ if environ is None else environ
        secrets = {v for k, v in environ.items() if self._key.search(k) and len(v) >= 4}
        self._secrets = sorted(secrets, key=len, reverse=True)

    def secret_key(self, key: str) -> bool:
        return bool(self._key.search(key))

    def __call__(self, value: Any, key: str = "") -> Any:
        if key and self.secret_key(key) and value not in (None, "", [], {}):
            return REDACTED
        if isinstance(value, Mapping):
            return {str(k): self(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self(v) for v in value]
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, REDACTED)
            return value
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self(str(value))


@dataclass
class EventLog:
    """Appends events to ``path``; ``enabled=False`` (an xdist worker) records nothing."""

    path: Path
    run_id: str = field(default_factory=run_id_from_env)
    redact: Redactor = field(default_factory=lambda: Redactor(DEFAULT_SECRET_PATTERNS))
    enabled: bool = True

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {
            "timestamp": _utc_now(),
            "event": event,
            "run_id": self.run_id,
            "fields": self.redact(fields),
        }
        self.append([json.dumps(record, sort_keys=True, ensure_ascii=False)])
        return record

    def append(self, lines: list[str]) -> None:
        """Append JSON lines (one event each), rolling the log over past ROTATE_BYTES."""
        if not self.enabled or not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size > ROTATE_BYTES:
            os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every event in the log, in order; a bad line raises EventsLogError naming it."""
    if not path.exists():
        return []
    events = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EventsLogError(
                    f"{path}:{number}: not a JSON object ({exc.msg}); the log is one JSON "
                    "object per line: remove or repair that line"
                ) from None
            missing = [
                k
                for k in ("timestamp", "event", "run_id")
                if not isinstance(record, dict) or k not in record
            ]
            if missing:
                raise EventsLogError(
                    f"{path}:{number}: event has no {missing[0]!r}; every line needs "
                    "timestamp, event, run_id and fields"
                )
            events.append(record)
    return events


@dataclass(frozen=True)
class AuditResult:
    seen: dict[str, int]  # taxonomy event -> how many times
    missing: tuple[str, ...]  # lifecycle events never seen
    unknown: tuple[str, ...]  # events outside the taxonomy

    @property
    def ok(self) -> bool:
        return not self.missing

    @property
    def coverage(self) -> float:
        """Share of the lifecycle events seen (AC-7 wants 1.0)."""
        return 1 - len(self.missing) / len(LIFECYCLE_EVENTS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lifecycle_events": list(LIFECYCLE_EVENTS),
            "conditional_events": list(CONDITIONAL_EVENTS),
            "seen": dict(sorted(self.seen.items())),
            "missing": list(self.missing),
            "unknown": list(self.unknown),
            "coverage": round(self.coverage, 4),
        }


def audit(events: Iterable[Mapping[str, Any]], *, ignore: Iterable[str] = ()) -> AuditResult:
    counts: dict[str, int] = {}
    for record in events:
        counts[record["event"]] = counts.get(record["event"], 0) + 1
    ignored = set(ignore)
    missing = tuple(e for e in LIFECYCLE_EVENTS if e not in counts and e not in ignored)
    unknown = tuple(sorted(e for e in counts if e not in TAXONOMY))
    seen = {e: counts.get(e, 0) for e in TAXONOMY}
    return AuditResult(seen, missing, unknown)
