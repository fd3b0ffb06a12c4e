"""pyprobe_tracer."""

__version__ = "0.1.0"
