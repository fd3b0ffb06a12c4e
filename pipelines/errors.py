"""The engine's exceptions and exit codes: one hierarchy, each naming the thing and the fix.

The command line catches :class:`PipelineError` in one place, prints
``pipelines: <message>`` and exits with the error's ``exit_code``.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What ``python -m pipelines`` exits with (modelled on pytest's ``ExitCode``)."""

    OK = 0  #: the gate passed (or the command did its job)
    GATE_FAILED = 1  #: a gate stage or a release check failed, or another gate holds the lock
    USAGE = 2  #: a broken plan or bad usage
    INTERRUPTED = 130  #: stopped with Ctrl-C; nothing was recorded


class PipelineError(Exception):
    """Base of every error the milestone engine reports to its user."""

    exit_code: ExitCode = ExitCode.USAGE


class PlanError(PipelineError):
    """A plan file is broken: ``<file>: <field>: <problem>``. Exit code 2."""

    def __init__(self, source: str, field: str, problem: str):
        self.source, self.field, self.problem = source, field, problem
        super().__init__(f"{source}: {field}: {problem}" if field else f"{source}: {problem}")


class GateBusy(PipelineError):
    """Another gate is running in the same repository. Exit code 1."""

    exit_code = ExitCode.GATE_FAILED


class UsageError(PipelineError):
    """The command line asks for something that does not exist. Exit code 2."""


class StageError(PipelineError):
    """A gate stage could not run at all (e.g. RED's ``git:<ref>`` names no commit).

    It fails the gate like a failed stage: exit code 1."""

    exit_code = ExitCode.GATE_FAILED
