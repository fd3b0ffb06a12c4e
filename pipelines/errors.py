"""The engine's exceptions: one hierarchy, each naming the thing and the fix."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error the milestone engine reports to its user."""


class PlanError(PipelineError):
    """A plan file is broken: ``<file>: <field>: <problem>``. Exit code 2."""

    def __init__(self, source: str, field: str, problem: str):
        self.source, self.field, self.problem = source, field, problem
        super().__init__(f"{source}: {field}: {problem}" if field else f"{source}: {problem}")


class GateBusy(PipelineError):
    """Another gate is running in the same repository."""


class UsageError(PipelineError):
    """The command line asks for something that does not exist. Exit code 2."""
