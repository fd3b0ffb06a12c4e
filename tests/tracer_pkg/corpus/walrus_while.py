"""Walrus in a ``while`` condition: the value that ends the loop is stored, so it is captured.

{
    "probes": {
        "chunk": "@loop:chunk",
        "doubled": "@body:doubled",
        "k_new": "@count:k:1",
        "k_old": "@count:k:2",
    },
    "order": [
        ("chunk", 3), ("doubled", 6), ("chunk", 1), ("doubled", 2),
        ("chunk", 4), ("doubled", 8), ("chunk", None),
        ("k_old", 3), ("k_new", 2), ("k_old", 2), ("k_new", 1), ("k_old", 1), ("k_new", 0),
    ],
}
"""

data = [3, 1, 4]


def pop_or_none():
    return data.pop(0) if data else None


def countdown(k):
    ticks = 0
    while (k := k - 1) > 0:  # @count
        ticks += 1
    return ticks


while (chunk := pop_or_none()) is not None:  # @loop
    doubled = chunk * 2  # @body

countdown(3)
