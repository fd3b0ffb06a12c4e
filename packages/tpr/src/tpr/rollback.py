"""Rollback evaluation (seed section 10): which triggers fire on the data at hand.
Each firing trigger is logged as ``risk_trigger``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import TprConfig
from .events import EventLog
from .flake import latest_flake_rate
from .ladder import coverage_drop
from .risk import ACTIONS, emit_trigger

__all__ = ["ACTIONS", "emit_trigger", "evaluate_rollback"]


def evaluate_rollback(
    root: Path, config: TprConfig, log: EventLog, *, coverage: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``coverage``: a comparison already made (by the gate); else the latest artifacts."""
    triggers = []
    drop = coverage if coverage is not None else coverage_drop(root, config)
    if drop is not None and drop["exceeds_tolerance"]:
        triggers.append({"trigger": "coverage_drop", **drop})
    flake = latest_flake_rate(root, config)
    if flake is not None and flake["rate"] > config.flake_rate_threshold:
        triggers.append({"trigger": "flake_rate_spike", **flake})
    for trigger in triggers:
        emit_trigger(log, **trigger)
    return {"triggers": triggers, "actions": list(ACTIONS) if triggers else []}
