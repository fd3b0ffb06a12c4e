"""What every tpr plugin of one pytest run shares: the configuration, the artifact
directory, the event log, and whether this process is an xdist worker."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from ..config import ConfigError, TprConfig, load_config
from ..events import LOG_NAME, EventLog, Redactor

_KEY = pytest.StashKey["RunContext"]()


@dataclass
class RunContext:
    root: Path
    config: TprConfig
    artifacts: Path
    log: EventLog
    worker: bool
    started: float = field(default_factory=time.perf_counter)
    written: list[str] = field(default_factory=list)  # artifacts this run wrote

    @property
    def profiling(self) -> bool:
        """Durations and markers are recorded unless hard fail-fast mode skips them."""
        return self.config.failfast_mode != "hard"

    @property
    def controller(self) -> bool:
        return not self.worker


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def context(config: pytest.Config) -> RunContext:
    """The run's context, created on first use (configuration errors become usage errors)."""
    existing = config.stash.get(_KEY, None)
    if existing is not None:
        return existing
    root = config.rootpath
    try:
        tpr_config = load_config(root, failfast_mode=config.getoption("failfast_mode", None))
    except ConfigError as exc:
        raise pytest.UsageError(f"tpr: {exc}") from None
    directory = config.getoption("tpr_dir", None)
    if directory:
        # One artifact directory for every reader: hard mode's rollback check reads the config's.
        tpr_config = replace(tpr_config, artifact_dir=str(Path(directory).resolve()))
    artifacts = tpr_config.artifacts(root)
    log = EventLog(
        artifacts / LOG_NAME,
        redact=Redactor(tpr_config.secret_patterns),
        enabled=not is_worker(config),
    )
    run = RunContext(root, tpr_config, artifacts, log, worker=is_worker(config))
    config.stash[_KEY] = run
    return run
