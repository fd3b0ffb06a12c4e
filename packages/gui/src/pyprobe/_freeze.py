"""What the frozen GUI binary (PyInstaller, ``packages/gui/pyprobe.spec``) must hold and leave out.

The one list: the spec reads it to build the binary, and
``tests/packaging/test_tracer_package.py`` reads it to check the binary it built.
Plain data, no imports, so the spec can import it before anything else.

The binary runs scripts in socket mode only: it starts ``python -m pyprobe_tracer`` in
the user's own interpreter, where pyprobe-tracer is pip-installed, and talks to it
through pyprobe_wire frames over pyprobe_transport sockets. Legacy mode (the tracer's
engine in a multiprocessing child of the GUI's own interpreter) needs pyprobe_tracer
inside the GUI, so it is not available in the binary (``pyprobe.ipc.legacy_channel``
says so when asked for it).
"""

from __future__ import annotations

#: Modules the binary must contain. PyInstaller follows the static imports from
#: ``pyprobe.app`` and would find these too; they are listed so that the socket path is
#: guaranteed by name (the GUI reaches it through ScriptRunner only when a run starts)
#: and checked in the built archive. pyqtgraph's Qt templates need no entry: pyqtgraph
#: 0.13+ imports its ``*Template_generic`` modules statically, and the pyqtgraph hook of
#: pyinstaller-hooks-contrib collects every ``*Template*`` module anyway.
HIDDEN_IMPORTS: tuple[str, ...] = (
    "pyprobe_wire",
    "pyprobe_transport",
    "pyprobe.ipc.socket_channel",
    "pyprobe.ipc.handshake",
)

#: Top-level modules the binary must not contain.
#:
#: - ``pyprobe_tracer``: installed into the user's environment, never frozen into the
#:   GUI. Without this entry PyInstaller would bundle it, following the lazy import in
#:   ``pyprobe.ipc.legacy_channel``.
#: - ``tkinter``: used by nothing the GUI needs (Qt draws every window), but collected
#:   with its Tcl/Tk data whenever some module mentions it.
#: - ``yaml``: only numpy.show_config() would use it (it prints plainer without); the
#:   build environment has it from the test group, and it would add 2.6 MB.
EXCLUDES: tuple[str, ...] = (
    "pyprobe_tracer",
    "tkinter",
    "yaml",
)

#: The name of the binary and of its folder under the dist path (``dist/pyprobe/pyprobe``).
NAME = "pyprobe"

#: The script PyInstaller freezes: the same as ``python -m pyprobe`` (pyprobe.__main__),
#: plus ``freeze_support`` so that a multiprocessing child started by the binary (a
#: library's, never PyProbe's own: legacy mode is not available here) runs its task
#: instead of a second window.
ENTRY_SCRIPT = """\
import multiprocessing
import sys

from pyprobe.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
"""
