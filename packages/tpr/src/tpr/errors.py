"""tpr's exit codes and the base of every error it reports to its user.

The command line catches :class:`TprError` in one place, prints
``tpr <command>: <message>`` (the message names the file or value and the fix) and
exits with the error's ``exit_code``.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What ``tpr`` exits with (modelled on pytest's ``ExitCode``)."""

    OK = 0  #: success
    FAILED = 1  #: a check failed (tests, gate, checkpoint refused, events, targets missed)
    BAD_INPUT = 2  #: usage, configuration, a corrupt or missing file
    ENV_MISMATCH = 3  #: the environment does not match the recorded signature


class TprError(Exception):
    """Base of every error tpr reports; ``exit_code`` is what the command exits with."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class UsageError(TprError, ValueError):
    """A command-line value is out of range; the message names the option and the fix."""
