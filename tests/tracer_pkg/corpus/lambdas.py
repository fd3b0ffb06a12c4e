"""Lambdas: their parameters as the callers pass them, and the results.

{
    "probes": {
        "v": "@sort:v",
        "order": "@sort:order",
        "t": "@map:t",
        "k": "@map:k",
        "z1": "@iife:z:1",
        "z2": "@iife:z:2",
        "sq": "@iife:sq",
    },
    "order": [
        ("v", 3), ("v", 1), ("v", 2), ("order", [3, 2, 1]),
        ("t", 3), ("k", 10), ("t", 1), ("k", 10), ("t", 2), ("k", 10),
        ("z1", 0), ("z2", 0), ("sq", 0), ("z1", 1), ("z2", 1), ("sq", 1),
        ("z1", 2), ("z2", 2), ("sq", 4),
    ],
}
"""

data = [3, 1, 2]
order = sorted(data, key=lambda v: -v)  # @sort
scaled = list(map(lambda t, k=10: t * k, data))  # @map
for i in range(3):
    sq = (lambda z: z * z)(i)  # @iife
