"""while loops: the condition's reads every time it is tested, and the body's stores.

Collatz from 6; a conditional expression reads ``n`` only in the branch it takes.

{
    "probes": {
        "cond": "@cond:n",
        "new": "@step:n:1",
        "half": "@step:n:2",
        "parity": "@step:n:3",
        "triple": "@step:n:4",
        "k": "@k:k",
    },
    "order": [
        ("cond", 6), ("parity", 6), ("half", 6), ("new", 3),
        ("cond", 3), ("parity", 3), ("triple", 3), ("new", 10),
        ("cond", 10), ("parity", 10), ("half", 10), ("new", 5),
        ("cond", 5), ("parity", 5), ("triple", 5), ("new", 16),
        ("cond", 16), ("parity", 16), ("half", 16), ("new", 8),
        ("cond", 8), ("parity", 8), ("half", 8), ("new", 4),
        ("cond", 4), ("parity", 4), ("half", 4), ("new", 2),
        ("cond", 2), ("parity", 2), ("half", 2), ("new", 1),
        ("cond", 1),
        ("k", 1), ("k", 2), ("k", 3),
    ],
}
"""


def collatz(n):
    steps = 0
    while n != 1:  # @cond
        n = n // 2 if n % 2 == 0 else 3 * n + 1  # @step
        steps += 1
    return steps


collatz(6)

k = 0
while True:
    k += 1  # @k
    if k < 3:
        continue
    break
