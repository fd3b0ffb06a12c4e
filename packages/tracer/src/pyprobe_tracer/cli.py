"""Command line: ``python -m pyprobe_tracer --socket ADDR script.py [args...]``."""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from pyprobe_tracer import __version__

EXIT_ERROR = 1
EXIT_USAGE = 2

DESCRIPTION = """\
Run a Python script in this interpreter and stream the variables the PyProbe
GUI asks for back to it over a socket. The GUI starts this command for you;
run it by hand only to debug the connection, or with --record to capture
probes headless (no GUI) into a file."""

EPILOG = """\
examples:
  python -m pyprobe_tracer --socket 127.0.0.1:50123 filter.py
  python -m pyprobe_tracer --socket unix:/run/user/1000/pyprobe/s.sock fft.py --n 4096
  python -m pyprobe_tracer --probe 12:y --probe 14:x:2 --record run.ppr filter.py

The GUI passes the session token through an inherited pipe (--token-fd); run by
hand, the tracer reads it from $PYPROBE_SESSION_TOKEN instead.
A recording is a sequence of wire frames; read it with pyprobe_wire.FrameReader."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pyprobe_tracer",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"pyprobe-tracer {__version__} (Python {platform.python_version()})",
    )
    parser.add_argument(
        "--socket",
        metavar="ADDR",
        help="where the GUI listens: HOST:PORT for TCP, or unix:PATH for a Unix socket",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="give up connecting to the GUI after this long (default: %(default)s)",
    )
    parser.add_argument(
        "--token-fd",
        type=int,
        metavar="N",
        help="read the session token from inherited file descriptor N (a pipe the GUI "
        "writes it to), then close it; without this, $PYPROBE_SESSION_TOKEN is used",
    )
    parser.add_argument(
        "--probe",
        action="append",
        default=[],
        metavar="LINE:SYMBOL[:N]",
        help="capture SYMBOL on LINE of the script (the N-th occurrence on that line, "
        "counted from the left; default 1). Repeat for more probes",
    )
    parser.add_argument(
        "--mode",
        choices=("all", "sample"),
        default="all",
        help="for --probe: every value (all, the default) or the latest at most 60 per "
        "second (sample)",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="write every message to FILE as wire frames; with no --socket, run without a GUI",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "monitoring", "settrace"),
        default="auto",
        help="how to trace: sys.monitoring (Python 3.12+) or sys.settrace "
        "(default: the best this Python has)",
    )
    parser.add_argument("script", help="the Python script to run")
    parser.add_argument(
        "script_args",
        nargs=argparse.REMAINDER,
        metavar="args",
        help="arguments passed on to the script as sys.argv[1:]",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # First of all: the descriptor is closed, and the variable gone, before anything
    # can fail or the script can run (it and its children must not find the token).
    token = None
    if args.token_fd is not None:
        from .ipc.handshake import token_from_fd

        try:
            token = token_from_fd(args.token_fd)
        except (OSError, ValueError) as exc:
            print(
                f"pyprobe-tracer: cannot read the session token from --token-fd "
                f"{args.token_fd}: {exc}. That descriptor is passed by the PyProbe GUI; "
                "run by hand, leave out --token-fd and set PYPROBE_SESSION_TOKEN.",
                file=sys.stderr,
            )
            return EXIT_ERROR
    if args.socket is None and args.record is None:
        parser.error(
            "give --socket ADDR (run for the GUI) or --record FILE (run headless), or both"
        )

    # Imported here so that --help and --version stay fast.
    from pyprobe_transport import AddressError, parse_address

    address = None
    if args.socket is not None:
        try:
            address = parse_address(args.socket)
        except AddressError as exc:
            parser.error(f"argument --socket: {exc}")

    if args.backend != "auto":
        from .engine.backends import unavailable_reason

        reason = unavailable_reason(args.backend)
        if reason is not None:
            print(f"pyprobe-tracer: {reason}", file=sys.stderr)
            return EXIT_ERROR

    from .engine.script_main import ScriptNotRunnable, script_entry

    script = Path(args.script)
    try:
        entry = script_entry(script)  # a directory runs its __main__.py, as `python DIR`
    except ScriptNotRunnable as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR

    from .engine.anchor import ScriptSyntaxError, resolve_probes
    from .engine.errors import EngineError

    try:
        anchors = resolve_probes(entry, args.probe)
    except ScriptSyntaxError as exc:  # the script's fault, not the probe's: as Python says it
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    except EngineError as exc:
        parser.error(f"argument --probe: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"pyprobe-tracer: cannot read {script}: {exc}", file=sys.stderr)
        return EXIT_ERROR

    from .launch import Launch

    launch = Launch(script, args.script_args, anchors, mode=args.mode, backend=args.backend)
    return launch.run(
        address=address, record=args.record, connect_timeout=args.connect_timeout, token=token
    )
