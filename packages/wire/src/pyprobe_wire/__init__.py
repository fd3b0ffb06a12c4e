"""pyprobe_wire."""

__version__ = "0.1.0"
