"""What a gate run produced: plain frozen data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StageResult:
    name: str
    ok: bool
    summary: str
    duration: float
    details: tuple[str, ...] = ()
    skipped: bool = False


@dataclass(frozen=True)
class TestResult:
    step: int
    file: str
    name: str
    items: int = 0  # collected items (parametrized tests have several)
    red: str = "not run"  # "failed" | "vacuous" | "not RED" | "skipped (mode none)" | "not run"
    red_evidence: str = ""
    green: str = "not run"  # "passed" | "failed" | "not run"
    duration: float = 0.0  # GREEN seconds, all items


@dataclass(frozen=True)
class GateReport:
    plan_id: str
    steps_run: tuple[int, ...]
    started: str  # ISO 8601 with the local UTC offset
    finished: str
    stages: tuple[StageResult, ...]
    tests: tuple[TestResult, ...]
    green_counts: tuple[int, int] = (0, 0)  # (passed items, items)
    regression_counts: dict = field(default_factory=dict)  # outcome -> count
    pytest_seconds: float = 0.0  # the sum of the pytest runs' wall times
    wall_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(stage.ok for stage in self.stages)

    @property
    def failed_stage(self) -> StageResult | None:
        return next((stage for stage in self.stages if not stage.ok), None)
