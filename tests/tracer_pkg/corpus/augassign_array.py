"""In-place operators on numpy arrays: ``arr *= 2`` is captured after the store, new content.

{
    "probes": {
        "mul": "@mul:arr",
        "add": "@add:arr",
        "div": "@div:f",
        "grid": "@grid:grid",
        "param": "@param:a",
    },
    "order": [
        ("mul", [2, 4, 6]),
        ("mul", [4, 8, 12]),
        ("add", [5, 9, 13]),
        ("div", [0.25, 0.75]),
        ("grid", [[1, 0], [0, 1]]),
        ("param", [4, 8, 12]),
    ],
    "dtypes": {"mul": "array_1d", "grid": "array_2d"},
}
"""

import numpy as np


def shrink(a):
    a -= 1  # @param


arr = np.array([1, 2, 3])
for _ in range(2):
    arr *= 2  # @mul
arr += 1  # @add

f = np.array([0.5, 1.5])
f /= 2  # @div

grid = np.zeros((2, 2), dtype=np.int64)
grid += np.eye(2, dtype=np.int64)  # @grid

shrink(arr)
