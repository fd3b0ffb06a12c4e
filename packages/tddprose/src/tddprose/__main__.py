import sys

from tddprose.cli import main

sys.exit(main())
