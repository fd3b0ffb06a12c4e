"""``if c: x = ...`` where c is false on some iterations: no stale captures on those.

{
    "probes": {
        "x": "@odd:x",
        "best": "@best:best",
        "hits": "@hits:v",
        "flag": "@flag:flag",
    },
    "order": [
        ("x", 10), ("x", 30),
        ("hits", 1), ("best", 3), ("hits", 3), ("hits", 2), ("best", 5), ("hits", 5),
        ("flag", True), ("flag", True),
    ],
}
"""


def pick(values):
    best = None
    hits = []
    for v in values:
        if v > 2:
            best = v  # @best
        hits.append(v)  # @hits
    return hits, best


def check(n):
    flag = False
    if n % 3 == 0:
        flag = True  # @flag
    return flag


for i in range(5):
    if i % 2:
        x = i * 10  # @odd

pick([1, 3, 2, 5])
check(3)
check(5)
check(6)
