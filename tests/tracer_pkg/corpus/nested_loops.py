"""Nested loops: outer and inner targets and their uses in the body, in execution order.

The function version skips with ``continue`` and leaves the inner loop with ``break``.

{
    "probes": {
        "i": "@outer:i",
        "j": "@inner:j",
        "bi": "@body:i",
        "bj": "@body:j",
        "r": "@rows:r",
        "c": "@cols:c",
        "cell": "@cell:cell",
    },
    "order": [
        ("i", 0), ("i", 1), ("j", 0), ("bi", 1), ("bj", 0),
        ("i", 2), ("j", 0), ("bi", 2), ("bj", 0), ("j", 1), ("bi", 2), ("bj", 1),
        ("r", 0), ("c", 0), ("c", 1), ("cell", 1), ("c", 2), ("cell", 2),
        ("r", 1), ("c", 0), ("c", 1), ("cell", 11), ("c", 2), ("cell", 12),
        ("r", 2), ("c", 0), ("c", 1), ("cell", 21),
    ],
}
"""


def table(rows, cols):
    cells = []
    for r in range(rows):  # @rows
        for c in range(cols):  # @cols
            if c == 0:
                continue
            cell = r * 10 + c  # @cell
            if cell > 20:
                break
            cells.append(cell)
    return cells


pairs = []
for i in range(3):  # @outer
    for j in range(i):  # @inner
        pairs.append((i, j))  # @body

table(3, 3)
