"""Risk triggers (seed section 10): the rollback actions and the ``risk_trigger`` event.

A leaf module: flake, ladder and rollback all report through it, so none of them needs
another to log a trigger (rollback reads flake and ladder; flake never reads rollback).
"""

from __future__ import annotations

from typing import Any

from .events import EventLog

ACTIONS = (
    "disable fail-fast (TPR_FAILFAST_MODE=off)",
    "re-run baseline metrics with the seed locked (tpr baseline)",
    "review the risk_trigger entries in events.log.jsonl with the artifacts they name",
    "re-evaluate the coverage ladder targets",
)


def emit_trigger(log: EventLog, trigger: str, **fields: Any) -> None:
    """One ``risk_trigger`` event: what fired, its figures, and the rollback actions."""
    log.emit("risk_trigger", trigger=trigger, **fields, actions=list(ACTIONS))
