"""One exception hierarchy; every message names the file, the problem and the fix."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What ``tddprose`` exits with (modelled on pytest's ``ExitCode``)."""

    OK = 0  #: success
    FAILED = 1  #: a check failed (drift, error diagnostics, CI thresholds)
    BAD_INPUT = 2  #: config, snapshot, spec regions, results file, usage
    LOCKED = 3  #: another run holds the lock
    RUNNER_FAILED = 4  #: the runner collection failed
    INTERRUPTED = 130  #: stopped with Ctrl-C


class TddProseError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class ConfigError(TddProseError):
    """The config file is missing, unreadable or has a bad value."""


class SpecError(TddProseError):
    """A spec file's owned regions are broken, so rewriting it could lose text."""


class SnapshotError(TddProseError):
    """The mapping snapshot is unreadable or malformed."""


class LockBusy(TddProseError):
    """Another tddprose run holds the lock."""

    exit_code = ExitCode.LOCKED


class RunnerError(TddProseError):
    """The runner collection (pytest --collect-only) failed."""

    exit_code = ExitCode.RUNNER_FAILED
