"""The GUI's logic that needs no Qt: which interpreter runs the script (more to come).

Tested without an event loop; nothing here imports PyQt6.
"""

from .python_discovery import (
    MIN_PYTHON,
    PROBE_TIMEOUT,
    SOURCES,
    Candidate,
    PythonDiscovery,
    PythonNotFoundError,
    TracerNotInstalledError,
    clear_cache,
    install_tracer,
    tracer_install_command,
)

__all__ = [
    "MIN_PYTHON",
    "PROBE_TIMEOUT",
    "SOURCES",
    "Candidate",
    "PythonDiscovery",
    "PythonNotFoundError",
    "TracerNotInstalledError",
    "clear_cache",
    "install_tracer",
    "tracer_install_command",
]
