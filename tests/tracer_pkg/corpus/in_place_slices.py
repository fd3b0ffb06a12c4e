"""In-place item, slice and attribute stores mutate the base, captured with its new content.

{
    "probes": {
        "slice": "@slice:sig",
        "step": "@step:sig",
        "itemaug": "@itemaug:sig",
        "row": "@row:grid",
        "cell": "@cell:grid",
        "param": "@param:a",
        "attr": "@attr:wave",
    },
    "order": [
        ("slice", [0, 0, 0, 3, 4, 5]),
        ("step", [7, 0, 7, 3, 7, 5]),
        ("itemaug", [7, 0, 7, 3, 17, 5]),
        ("row", [[0, 0, 0], [1, 2, 3]]),
        ("cell", [[0, 0, 9], [1, 2, 3]]),
        ("param", [7, 0, 0, 0, 0, 0]),
        ("attr", {"samples": [0.0, 0.0, 0.0], "t0": 1.5, "dt": 0.5}),
    ],
    "dtypes": {"row": "array_2d", "attr": "waveform_real"},
}
"""

import numpy as np


class Wave:
    def __init__(self, samples, t0, dt):
        self.samples = samples
        self.t0 = t0
        self.dt = dt


def clear_tail(a):
    a[1:] = 0  # @param


sig = np.arange(6)
sig[1:3] = 0  # @slice
sig[::2] = 7  # @step
sig[4] += 10  # @itemaug

grid = np.zeros((2, 3), dtype=np.int64)
grid[1] = [1, 2, 3]  # @row
grid[0, 2] = 9  # @cell

clear_tail(sig)

wave = Wave(np.zeros(3), 0.0, 0.5)
wave.t0 = 1.5  # @attr
