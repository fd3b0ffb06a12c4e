"""The ``pyprobe`` command: the window, or a headless run for tests, CI and bug reports."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__

EXIT_USAGE = 2
EXIT_TIMEOUT = 124

DESCRIPTION = """\
PyProbe: see what a Python DSP script computes while it runs. Open a script,
click the variables you care about, press Run (F5), and watch them live. The
script runs in its own Python (its .venv, or the one you pick) through
pyprobe-tracer."""

EPILOG = """\
examples:
  pyprobe examples/qam16_link.py
  pyprobe view run.ppr                      open a recording and scrub through it
  pyprobe --python .venv/bin/python filter.py --taps 64
  pyprobe --auto-run --auto-quit --probe 12:y --export out/ --screenshot run.png filter.py

headless: --auto-run presses Run once the window is up; --auto-quit quits when the
script ends (with its exit code), after writing --export and --screenshot. With
--auto-quit and no display, Qt runs offscreen."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyprobe",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pyprobe {__version__}")
    parser.add_argument("--python", metavar="PATH", help="the interpreter that runs the script")
    parser.add_argument(
        "--legacy-ipc",
        action="store_true",
        default=None,
        help="run the script the old way, in a multiprocessing child of this interpreter",
    )
    parser.add_argument(
        "--socket-ipc",
        dest="legacy_ipc",
        action="store_false",
        help="run the script through pyprobe-tracer in its own Python, over a socket (default)",
    )
    parser.add_argument("--auto-run", action="store_true", help="press Run at start")
    parser.add_argument(
        "--auto-quit", action="store_true", help="quit when the run ends, with its exit code"
    )
    parser.add_argument(
        "--probe",
        action="append",
        default=[],
        metavar="LINE:SYMBOL[:N]",
        help="probe the N-th SYMBOL on LINE (default 1); repeat for more",
    )
    parser.add_argument(
        "--export", metavar="DIR", help="write every captured value and summary.json to DIR"
    )
    parser.add_argument("--screenshot", metavar="FILE.png", help="save the window as a PNG")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="with --auto-quit: stop the script and exit 124 after this long (default 300)",
    )
    parser.add_argument("script", nargs="?", help="the Python script to open")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, metavar="args")
    return parser


def build_view_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyprobe view",
        description="Open a recording (python -m pyprobe_tracer --record FILE) and scrub "
        "through every captured value in order.",
        epilog="example:\n  pyprobe view run.ppr\n  pyprobe view run.ppr --at 100 "
        "--screenshot view.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("recording", help="the .ppr file the tracer wrote")
    parser.add_argument(
        "--at", type=int, metavar="N", help="show the N-th value (1 = the first; default: the last)"
    )
    parser.add_argument(
        "--screenshot", metavar="FILE.png", help="save the window as a PNG and quit"
    )
    return parser


def view(argv: list[str]) -> int:
    parser = build_view_parser()
    args = parser.parse_args(argv)
    if not Path(args.recording).is_file():
        parser.error(f"recording not found: {args.recording}")
    if args.screenshot and not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PyQt6.QtWidgets import QApplication

    from .gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = MainWindow(save_state=False)
    window.show()
    if not window.open_recording(Path(args.recording)):
        window.console.flush()
        print(window.console.text, file=sys.stderr)
        return 1
    app.processEvents()  # lay the panels out before the first value is drawn
    if args.at is not None:
        window.scrubber.go_to_index(args.at - 1)
    if args.screenshot:
        for _ in range(3):
            app.processEvents()
            window.refresh_panels()
        Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
        return 0 if window.grab().save(args.screenshot) else 1
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["view"]:
        return view(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.probe or args.export or args.auto_run) and not args.script:
        parser.error("--probe, --export and --auto-run need a script")
    if args.export and not (args.auto_run and args.auto_quit):
        parser.error("--export needs --auto-run and --auto-quit (it is written when the run ends)")
    if args.script and not Path(args.script).is_file():
        parser.error(f"script not found: {args.script}")
    if args.auto_quit and not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PyQt6.QtWidgets import QApplication

    from .gui.headless import HeadlessRun
    from .gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("PyProbe")
    app.setOrganizationName("PyProbe")
    window = MainWindow(
        legacy_ipc=args.legacy_ipc,
        python=args.python,
        keep_all=bool(args.export),
        save_state=not args.auto_quit,
    )
    window.show()
    if args.script and not window.open_script(Path(args.script), args.script_args):
        return 1
    for spec in args.probe:
        try:
            window.add_probe(window.probe_spec_site(spec))
        except ValueError as exc:
            parser.error(str(exc))
    if args.auto_quit:
        headless = HeadlessRun(window, export=args.export, screenshot=args.screenshot)
        return headless.run(app, auto_run=args.auto_run, timeout=args.timeout)
    if args.auto_run:
        window.run()
    return app.exec()
