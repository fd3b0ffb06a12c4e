"""while loops: stores in the body, on branches that run only on some iterations.

Collatz from 6 with an if/else in the body (the condition itself is probed in
``while_condition.py``), then ``while True`` left by ``break``.

{
    "probes": {
        "parity": "@parity:n",
        "half_new": "@half:n:1",
        "half_old": "@half:n:2",
        "triple_new": "@triple:n:1",
        "triple_old": "@triple:n:2",
        "steps": "@steps:steps",
        "k": "@k:k",
    },
    "order": [
        ("parity", 6), ("half_old", 6), ("half_new", 3), ("steps", 1),
        ("parity", 3), ("triple_old", 3), ("triple_new", 10), ("steps", 2),
        ("parity", 10), ("half_old", 10), ("half_new", 5), ("steps", 3),
        ("parity", 5), ("triple_old", 5), ("triple_new", 16), ("steps", 4),
        ("parity", 16), ("half_old", 16), ("half_new", 8), ("steps", 5),
        ("parity", 8), ("half_old", 8), ("half_new", 4), ("steps", 6),
        ("parity", 4), ("half_old", 4), ("half_new", 2), ("steps", 7),
        ("parity", 2), ("half_old", 2), ("half_new", 1), ("steps", 8),
        ("k", 1), ("k", 2), ("k", 3),
    ],
}
"""


def collatz(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:  # @parity  # noqa: SIM108 - two branches on purpose
            n = n // 2  # @half
        else:
            n = 3 * n + 1  # @triple
        steps += 1  # @steps
    return steps


collatz(6)

k = 0
while True:
    k += 1  # @k
    if k >= 3:
        break
