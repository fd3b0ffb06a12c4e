"""Augmented assignment on ints: the target is captured after the store, with the new value.

{
    "probes": {"i": "@acc:i", "total": "@acc:total", "s": "@mul:s"},
    "order": [
        ("i", 1), ("total", 1), ("i", 2), ("total", 3),
        ("i", 3), ("total", 6), ("i", 4), ("total", 10),
        ("s", 3), ("s", 9), ("s", 27), ("s", 81),
    ],
}
"""


def grow(k):
    s = 1
    while s < 50:
        s *= k  # @mul
    return s


total = 0
for i in range(1, 5):
    total += i  # @acc

grow(3)
