"""for-loop targets: one capture per item; exhaustion, ``break`` and empty loops add none.

{
    "probes": {
        "i": "@plain:i",
        "j": "@brk:j",
        "e": "@empty:e",
        "k": "@else:k",
        "k_after": "@after:k",
        "w": "@guard:w",
        "w_dec": "@dec:w",
    },
    "order": [
        ("i", 0), ("i", 1), ("i", 2),
        ("j", 0), ("j", 1), ("j", 2),
        ("k", 0), ("k", 1), ("k_after", 1),
        ("w", 0), ("w", 1), ("w_dec", 0), ("w", 2), ("w_dec", 1), ("w_dec", 0),
    ],
}
"""


def drain(n):
    for w in range(n):  # @guard
        while w > 0:
            w -= 1  # @dec
    return n


seen = []
for i in range(3):  # @plain
    seen.append(i)

for j in range(10):  # @brk
    if j == 2:
        break

for e in []:  # @empty
    seen.append(e)

for k in range(2):  # @else
    seen.append(k)
else:
    last = k  # @after

drain(3)
