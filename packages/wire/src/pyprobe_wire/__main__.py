"""``python -m pyprobe_wire``: the command line lives in ``pyprobe_wire.dump``."""

import sys

from pyprobe_wire.dump import main

if __name__ == "__main__":
    sys.exit(main())
