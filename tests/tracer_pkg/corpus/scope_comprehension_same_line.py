"""A name read inside a comprehension and outside it on the same line.

``n`` in ``n * k`` is read once per item (inside the comprehension); ``n`` in ``range(n)``
once (outside it). Each probe sees only its own reads.

{
    "probes": {"inside": "@line:n:1", "outside": "@line:n:2", "k": "@line:k:2"},
    "order": [
        ("outside", 3),
        ("k", 0), ("inside", 3), ("k", 1), ("inside", 3), ("k", 2), ("inside", 3),
    ],
}
"""

n = 3
out = [n * k for k in range(n)]  # @line
