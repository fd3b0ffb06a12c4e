"""The errors the PyProbe GUI package raises on purpose: one hierarchy, rooted at PyProbeError.

Catch ``PyProbeError`` to catch them all. Every message names the thing that is wrong
and the fix, so the GUI can show it as it is. A new kind of error is a new subclass
here (of ``PyProbeError``, or of the class it refines), with its own docstring saying
when it is raised.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

#: The distribution that runs scripts for the GUI, installed into the user's interpreter.
TRACER_DISTRIBUTION = "pyprobe-tracer"

__all__ = [
    "TRACER_DISTRIBUTION",
    "PyProbeError",
    "PythonNotFoundError",
    "TracerNotInstalledError",
    "pypi_install_command",
]


class PyProbeError(Exception):
    """Base of every error the PyProbe GUI package raises on purpose."""


class PythonNotFoundError(PyProbeError):
    """No Python interpreter can run the script: the one chosen does not exist or does not
    run, or none was found. The message says where PyProbe looked and what to do."""


class TracerNotInstalledError(PyProbeError):
    """The interpreter that will run the script cannot import ``pyprobe_tracer``.

    ``python`` is that interpreter's path; ``install_command`` is the argv that installs
    the tracer into exactly that interpreter (default: ``[python, "-m", "pip", "install",
    "pyprobe-tracer"]``). The message names the interpreter and shows the command as a
    shell line.
    """

    def __init__(self, python: str, install_command: Sequence[str] | None = None) -> None:
        self.python = python
        if install_command is None:
            install_command = pypi_install_command(python)
        self.install_command = list(install_command)
        super().__init__(self._message())

    def _message(self) -> str:
        command = shlex.join(self.install_command)
        from_pypi = shlex.join(pypi_install_command(self.python))
        lines = [
            f"{TRACER_DISTRIBUTION} is not installed for {self.python}, the Python that "
            "runs the script (PyProbe runs scripts through it). Install it into that "
            f"interpreter:\n    {command}"
        ]
        if command != from_pypi:
            lines.append(f"(or the release from PyPI: {from_pypi})")
        if self.install_command[1:4] == ["-m", "pip", "install"]:
            uv_form = ["uv", "pip", "install", "--python", self.python, *self.install_command[4:]]
            lines.append(f"In an environment without pip (uv makes them): {shlex.join(uv_form)}")
        lines.append("Or choose another interpreter for the script.")
        return "\n".join(lines)

    def __reduce__(self):
        return type(self), (self.python, self.install_command)


def pypi_install_command(python: str) -> list[str]:
    """The argv that installs the tracer's release from PyPI into ``python``."""
    return [python, "-m", "pip", "install", TRACER_DISTRIBUTION]
