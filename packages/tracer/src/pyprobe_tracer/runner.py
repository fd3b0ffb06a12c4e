"""Run the user's script as ``__main__``, the way ``python script.py`` would."""

from __future__ import annotations

import runpy
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

EXIT_INTERRUPTED = 130  # what a shell reports after Ctrl-C


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
    return tb if tb is not None else exc.__traceback__


def run_script(
    script: Path,
    script_args: list[str],
    on_exception: Callable[[BaseException], None] | None = None,
) -> int:
    """Run ``script`` with ``sys.argv`` and ``sys.path[0]`` set as Python sets them.

    Returns the exit code: 0 on success, the script's own ``SystemExit`` code,
    1 after printing the traceback of an uncaught exception (130 for Ctrl-C).
    ``on_exception`` is told about that exception first.
    """
    saved_argv, saved_path0 = sys.argv, sys.path[0]
    sys.argv = [str(script), *script_args]
    sys.path[0] = str(script.resolve().parent)
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        return exit_code_of(exc)
    except (Exception, KeyboardInterrupt) as exc:
        if on_exception is not None:
            on_exception(exc)
        traceback.print_exception(type(exc), exc, script_traceback(exc))
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv, sys.path[0] = saved_argv, saved_path0
    return 0
