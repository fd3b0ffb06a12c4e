"""Run the user's script as ``__main__``, the way ``python script.py`` would.

In the engine so that ``trace_script`` can run a whole script without importing the
tracer's outer layers (docs/ARCHITECTURE.md: the engine imports nothing outward); the
session and the command line use it from here.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

EXIT_INTERRUPTED = 130  # what a shell reports after Ctrl-C
MAIN_FILE = "__main__.py"


class ScriptNotRunnable(Exception):
    """The path given as the script is not something Python can run; says why."""


def script_entry(script: Path) -> Path:
    """The file ``python SCRIPT`` runs: ``script`` itself, or a directory's ``__main__.py``.

    ScriptNotRunnable says what is wrong: missing, or a directory with no ``__main__.py``.
    """
    if script.is_dir():
        entry = script / MAIN_FILE
        if not entry.is_file():
            raise ScriptNotRunnable(
                f"{script} is a directory with no {MAIN_FILE}; give a script, or a "
                f"directory with a {MAIN_FILE} to run it as `python {script}` would"
            )
        return entry
    if not script.exists():
        raise ScriptNotRunnable(f"File not found: {script}")
    if not script.is_file():
        raise ScriptNotRunnable(f"{script} is not a file Python can run")
    return script


def exit_code_of(exc: SystemExit) -> int:
    """The process exit code ``python script.py`` would give for ``exc``."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def script_traceback(exc: BaseException):
    """``exc``'s traceback from the script's first frame on, without the runner's
    and runpy's frames, as ``python script.py`` would show it."""
    tb = exc.__traceback__
    here = __file__
    while tb is not None and (
        tb.tb_frame.f_code.co_filename == here
        or tb.tb_frame.f_code.co_filename.startswith("<frozen")
        or tb.tb_frame.f_globals.get("__name__") == "runpy"
    ):
        tb = tb.tb_next
    if tb is None and isinstance(exc, SyntaxError):
        # The script (or its __main__.py) did not compile: Python reports where, with
        # a caret, and shows no frames at all.
        return None
    return tb if tb is not None else exc.__traceback__


def as_python_names_it(exc: SyntaxError) -> None:
    """Name the file of ``exc`` as ``python script.py`` does: an absolute path."""
    name = exc.filename
    if name and not name.startswith("<") and not os.path.isabs(name):
        exc.filename = os.path.abspath(name)


def run_script(
    script: Path,
    script_args: list[str],
    on_exception: Callable[[BaseException], None] | None = None,
) -> int:
    """Run ``script`` with ``sys.argv`` and ``sys.path[0]`` set as Python sets them.

    A directory runs its ``__main__.py`` with the directory first on ``sys.path``,
    as ``python DIR`` does. A script that does not compile is reported as Python
    reports it (file, line, caret; no frames of the tracer), exit code 1.

    Returns the exit code: 0 on success, the script's own ``SystemExit`` code,
    1 after printing the traceback of an uncaught exception (130 for Ctrl-C).
    ``on_exception`` is told about that exception first.
    """
    saved_argv, saved_path0 = sys.argv, sys.path[0]
    sys.argv = [str(script), *script_args]
    # runpy puts a directory (or zip) first on sys.path itself, for the run only.
    sys.path[0] = str(script.resolve() if script.is_dir() else script.resolve().parent)
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        return exit_code_of(exc)
    except (Exception, KeyboardInterrupt) as exc:
        if isinstance(exc, SyntaxError) and script_traceback(exc) is None:
            as_python_names_it(exc)
        if on_exception is not None:
            on_exception(exc)
        traceback.print_exception(type(exc), exc, script_traceback(exc))
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv, sys.path[0] = saved_argv, saved_path0
    return 0
