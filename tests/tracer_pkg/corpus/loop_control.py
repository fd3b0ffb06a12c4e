"""``continue`` skips a store, ``break`` ends a loop before its ``else``, ``while True`` exits.

{
    "probes": {"n": "@for:n", "sq": "@sq:sq", "never": "@never:never", "k": "@k:k"},
    "order": [
        ("n", 0), ("n", 1), ("sq", 1), ("n", 2), ("sq", 4), ("n", 3), ("n", 4), ("sq", 16),
        ("k", 1), ("k", 2), ("k", 3),
    ],
    "values": {"never": []},
}
"""

kept = []
for n in range(6):  # @for
    if n % 3 == 0:
        continue
    sq = n * n  # @sq
    if sq > 10:
        break
    kept.append(sq)
else:
    never = True  # @never

k = 0
while True:
    k += 1  # @k
    if k >= 3:
        break
