"""Generator expressions: the variable per item as the consumer pulls, and the result.

``any`` stops pulling at the first true item; ``next`` pulls one at a time.

{
    "probes": {
        "g": "@sum:g:2",
        "g_use": "@sum:g:1",
        "total": "@sum:total",
        "x": "@any:x:2",
        "n": "@lazy:n:3",
        "first": "@first:first",
    },
    "order": [
        ("g", 0), ("g_use", 0), ("g", 1), ("g_use", 1),
        ("g", 2), ("g_use", 2), ("g", 3), ("g_use", 3),
        ("total", 60),
        ("x", 1), ("x", 3),
        ("n", 0), ("first", 0), ("n", 1),
    ],
}
"""

total = sum(g * 10 for g in range(4))  # @sum
found = any(x > 2 for x in [1, 3, 5])  # @any
squares = (n * n for n in range(10))  # @lazy
first = next(squares)  # @first
second = next(squares)
