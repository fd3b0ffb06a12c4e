"""Chained assignment ``a = b = expr``: the targets are stored left to right, same value.

{
    "probes": {"n": "@chain:n", "a": "@chain:a", "b": "@chain:b"},
    "order": [("n", 0), ("a", 0), ("b", 0), ("n", 1), ("a", 2), ("b", 2)],
}
"""

for n in range(2):
    a = b = n * 2  # @chain
