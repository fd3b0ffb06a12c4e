"""Closures: cell variables written with ``nonlocal`` and read by the inner function.

Two counters share the code but not the cells.

{
    "probes": {
        "init": "@init:count",
        "step": "@bump:step",
        "count": "@bump:count",
        "ret": "@ret:count",
    },
    "order": [
        ("init", 0), ("step", 2), ("count", 2), ("ret", 2),
        ("step", 2), ("count", 4), ("ret", 4),
        ("init", 0), ("step", 5), ("count", 5), ("ret", 5),
        ("step", 2), ("count", 6), ("ret", 6),
    ],
}
"""


def make_counter(step):
    count = 0  # @init

    def bump():
        nonlocal count
        count += step  # @bump
        return count  # @ret

    return bump


c = make_counter(2)
c()
c()
d = make_counter(5)
d()
c()
