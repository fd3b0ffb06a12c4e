"""Tuple unpacking: every target is captured after its store.

Unpacked sequences are stored left to right; ``lo, hi = min(..), max(..)`` on locals may be
stored in either order by CPython (it drops the stack swap and reorders the stores).

{
    "probes": {
        "a": "@loop:a",
        "b": "@loop:b",
        "q": "@dm:q",
        "r": "@dm:r",
        "p": "@nested:p",
        "s": "@nested:s",
        "t": "@nested:t",
        "head": "@star:head",
        "rest": "@star:rest",
        "lo": "@fn:lo",
        "hi": "@fn:hi",
    },
    "order": [
        ("a", 1), ("b", 2), ("a", 3), ("b", 4),
        ("q", 3), ("r", 2),
        ("p", 7), ("s", 8), ("t", 9),
        ("head", 10), ("rest", [20, 30]), ("head", 40), ("rest", []),
        [("lo", 1), ("hi", 5)], [("lo", -2), ("hi", 0)],
    ],
}
"""


def bounds(values):
    lo, hi = min(values), max(values)  # @fn
    return hi - lo


sums = []
for a, b in [(1, 2), (3, 4)]:  # @loop
    sums.append(a + b)

q, r = divmod(17, 5)  # @dm
(p, (s, t)) = (7, (8, 9))  # @nested

for head, *rest in ([10, 20, 30], [40]):  # @star
    sums.append(head + len(rest))

bounds([3, 1, 5])
bounds([0, -2])
