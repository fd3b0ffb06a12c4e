"""``python -m pyprobe``: the same as the ``pyprobe`` command."""

import sys

from .app import main

if __name__ == "__main__":
    sys.exit(main())
