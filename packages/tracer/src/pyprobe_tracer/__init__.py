"""pyprobe-tracer: run a Python script in this interpreter for the PyProbe GUI.

Start it as ``python -m pyprobe_tracer --socket ADDR script.py [args...]``.
"""

__version__ = "0.1.0"
