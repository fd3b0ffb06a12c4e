"""Script arguments reach ``sys.argv`` (``sys.argv[0]`` is the script itself).

{
    "probes": {
        "args": "@args:args",
        "count": "@count:count",
        "a": "@loop:a",
        "total": "@sum:total",
    },
    "order": [
        ("args", ["3", "4", "--scale"]),
        ("count", 4),
        ("a", "3"), ("total", 3), ("a", "4"), ("total", 7), ("a", "--scale"),
    ],
    "args": ["3", "4", "--scale"],
}
"""

import sys

args = sys.argv[1:]  # @args
count = len(sys.argv)  # @count
total = 0
for a in args:  # @loop
    if a.isdigit():
        total += int(a)  # @sum
