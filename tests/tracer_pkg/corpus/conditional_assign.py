"""``if c: x = ...`` where c is false on some iterations: no stale captures on those.

{
    "probes": {
        "x": "@odd:x",
        "best": "@best:best",
        "hits": "@hits:v",
        "flag": "@flag:flag",
        "label": "@label:label",
    },
    "order": [
        ("x", 10), ("x", 30),
        ("hits", 1), ("best", 3), ("hits", 3), ("hits", 2), ("best", 5), ("hits", 5),
        ("flag", True), ("label", "small"), ("label", "big"), ("flag", True), ("label", "big"),
    ],
}
"""


def pick(values):
    hits = []
    for v in values:
        if v > 2:
            best = v  # @best
        hits.append(v)  # @hits
    return hits


def check(n):
    if n % 3 == 0:
        flag = True  # @flag
    label = "big" if n > 4 else "small"  # @label
    return label


for i in range(5):
    if i % 2:
        x = i * 10  # @odd

pick([1, 3, 2, 5])
check(3)
check(5)
check(6)
