"""The names a ``while`` condition reads, captured each time the condition is tested.

CPython compiles the condition twice (before the loop and at the end of the body), so
every test after the first runs the second copy.

{
    "probes": {"cond": "@cond:n", "limit": "@cond:limit", "mod": "@mod:i"},
    "order": [
        ("cond", 6), ("limit", 1), ("cond", 3), ("limit", 1), ("cond", 1), ("limit", 1),
        ("mod", 0), ("mod", 1), ("mod", 2), ("mod", 3),
    ],
}
"""


def shrink(n, limit):
    while n > limit:  # @cond
        n = n // 2
    return n


shrink(6, 1)

i = 0
while i < 3:  # @mod
    i += 1
