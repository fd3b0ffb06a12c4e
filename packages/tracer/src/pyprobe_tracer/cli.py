"""Command line: ``python -m pyprobe_tracer --socket ADDR script.py [args...]``."""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from pyprobe_tracer import __version__
from pyprobe_tracer.runner import run_script

EXIT_ERROR = 1

DESCRIPTION = """\
Run a Python script in this interpreter and stream the variables the PyProbe
GUI asks for back to it over a socket. The GUI starts this command for you;
run it by hand only to debug the connection."""

EPILOG = """\
examples:
  python -m pyprobe_tracer --socket 127.0.0.1:50123 filter.py
  python -m pyprobe_tracer --socket unix:/run/user/1000/pyprobe/s.sock fft.py --n 4096"""


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
        required=True,
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

    # Imported here so that --help and --version stay fast.
    from pyprobe_transport import AddressError, connect, parse_address

    try:
        address = parse_address(args.socket)
    except AddressError as exc:
        parser.error(f"argument --socket: {exc}")

    script = Path(args.script)
    if not script.is_file():
        print(f"File not found: {script}", file=sys.stderr)
        return EXIT_ERROR

    try:
        transport = connect(address, timeout=args.connect_timeout)
    except OSError as exc:
        print(f"pyprobe-tracer: cannot connect to the GUI at {address}: {exc}", file=sys.stderr)
        return EXIT_ERROR

    with transport:
        return run_script(script, args.script_args)
