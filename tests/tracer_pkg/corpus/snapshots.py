"""Captured arrays are snapshots: the script mutating them later changes no record.

{
    "probes": {
        "read": "@read:buf",
        "bump": "@bump:buf",
        "acc": "@acc:acc",
        "frames": "@frames:frames",
    },
    "order": [
        ("read", [0, 1, 2]),
        ("bump", [10, 10, 10]),
        ("acc", [0.0, 0.0]),
        ("acc", [1.0, 1.0]),
        ("acc", [3.0, 3.0]),
        ("frames", [[0.0, 0.0], [1.0, 1.0]]),
    ],
    "dtypes": {"frames": "array_collection"},
}
"""

import numpy as np

buf = np.arange(3)
peak = buf.max()  # @read
buf[:] = 9
buf += 1  # @bump
buf[0] = -1

acc = np.zeros(2)
for k in range(3):
    acc += k  # @acc
acc[:] = 100.0

frames = [np.zeros(2), np.ones(2)]
count = len(frames)  # @frames
frames[0][0] = 7.0
frames[1] *= 3
