import sys

from pyprobe_tracer.cli import main

sys.exit(main())
