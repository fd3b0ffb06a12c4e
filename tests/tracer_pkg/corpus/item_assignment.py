"""``arr[i] = v`` mutates ``arr``: the base is captured after the item store, new content.

On ``arr[i] = arr[i - 1] + i`` the right-hand ``arr`` is read (old content) before the
target's mutation is captured.

{
    "xfail": [{"python": ["3.10"], "reason": (
        "known limit on Python 3.10 only: its bytecode has line numbers but no "
        "columns, so several uses of one name on a line are told apart by source "
        "order, which differs from evaluation order here"
    )}],
    "probes": {
        "first": "@first:arr",
        "target": "@fill:arr:1",
        "source": "@fill:arr:2",
        "index": "@fill:i:1",
    },
    "order": [
        ("first", [5, 0, 0, 0]),
        ("source", [5, 0, 0, 0]), ("index", 1), ("target", [5, 6, 0, 0]),
        ("source", [5, 6, 0, 0]), ("index", 2), ("target", [5, 6, 8, 0]),
        ("source", [5, 6, 8, 0]), ("index", 3), ("target", [5, 6, 8, 11]),
    ],
}
"""

import numpy as np

arr = np.zeros(4, dtype=np.int64)
arr[0] = 5  # @first
for i in range(1, 4):
    arr[i] = arr[i - 1] + i  # @fill
