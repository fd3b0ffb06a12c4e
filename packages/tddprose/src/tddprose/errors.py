"""One exception hierarchy; every message names the file, the problem and the fix."""

from __future__ import annotations


class TddProseError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with."""

    exit_code = 2


class ConfigError(TddProseError):
    """The config file is missing, unreadable or has a bad value."""


class SpecError(TddProseError):
    """A spec file's owned regions are broken, so rewriting it could lose text."""


class SnapshotError(TddProseError):
    """The mapping snapshot is unreadable or malformed."""


class LockBusy(TddProseError):
    """Another tddprose run holds the lock."""

    exit_code = 3


class RunnerError(TddProseError):
    """The runner collection (pytest --collect-only) failed."""
