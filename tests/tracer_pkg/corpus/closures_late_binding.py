"""Closures made in a loop all read the loop variable's final value when called later.

{
    "probes": {"i": "@make:i:2", "inner": "@make:i:1", "got": "@call:got"},
    "order": [
        ("i", 0), ("i", 1), ("i", 2),
        ("inner", 2), ("got", 2), ("inner", 2), ("got", 2), ("inner", 2), ("got", 2),
    ],
}
"""


def make():
    return [lambda: i for i in range(3)]  # @make  # noqa: B023


for fn in make():
    got = fn()  # @call
