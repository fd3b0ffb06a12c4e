"""``with ... as name``: the target gets what ``__enter__`` returned, after the store.

{
    "probes": {
        "w": "@with:w",
        "scaled": "@scale:w",
        "fh": "@two:fh",
        "w2": "@two:w2",
        "lo": "@pair:lo",
        "hi": "@pair:hi",
    },
    "order": [
        ("w", [1.0, 1.0, 1.0]),
        ("scaled", [2.0, 2.0, 2.0]),
        ("fh", {"object": "_io.TextIOWrapper"}),
        ("w2", [1.0, 1.0]),
        ("lo", -1), ("hi", 1),
    ],
}
"""

import numpy as np


class Window:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        return np.ones(self.n)

    def __exit__(self, *exc):
        return False


class Pair:
    def __enter__(self):
        return -1, 1

    def __exit__(self, *exc):
        return False


with Window(3) as w:  # @with
    w *= 2  # @scale

with open(__file__, encoding="utf-8") as fh, Window(2) as w2:  # @two
    first_line = fh.readline()

with Pair() as (lo, hi):  # @pair
    span = hi - lo
