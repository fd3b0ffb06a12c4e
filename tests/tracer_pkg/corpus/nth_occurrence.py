"""A name several times on one line, selected by N: each occurrence at its own moment.

``buf`` is mutated between its occurrences (captures are snapshots); ``x`` is rebound by a
walrus in the middle of the line: reads left of it see 1, reads right of it see 11.

{
    "probes": {
        "buf1": "@three:buf:1",
        "buf2": "@three:buf:2",
        "buf3": "@three:buf:3",
        "total": "@three:total",
        "x1": "@walrus:x:1",
        "x2": "@walrus:x:2",
        "x3": "@walrus:x:3",
        "x4": "@walrus:x:4",
        "r": "@walrus:r",
        "y1": "@cube:y:1",
        "y2": "@cube:y:2",
        "y3": "@cube:y:3",
    },
    "order": [
        ("buf1", [0]), ("buf2", [1]), ("buf3", [2]), ("total", 5),
        ("x1", 1), ("x3", 1), ("x2", 11), ("x4", 11), ("r", 23),
        ("y1", 3), ("y2", 3), ("y3", 3),
    ],
}
"""

import numpy as np


def bump(a):
    a[0] += 1
    return int(a[0])


def cube(y):
    return y * y * y  # @cube


buf = np.zeros(1, dtype=np.int64)
total = bump(buf) + bump(buf) + buf[0]  # @three
x = 1
r = x + (x := x + 10) + x  # @walrus
cube(3)
