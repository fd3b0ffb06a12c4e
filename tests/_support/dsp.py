"""A real DSP script for the GUI tests, and its truth computed independently in numpy.

A 16-tap Hann FIR filter run block by block over 2048 noise samples, carrying its
state across blocks, with a running energy.
"""

from __future__ import annotations

import numpy as np

FIR_ENERGY = """\
import numpy as np

taps = np.hanning(16)
taps /= taps.sum()
signal = np.random.default_rng(3).standard_normal(2048)
state = np.zeros(15)
energy = 0.0
for start in range(0, 2048, 256):
    padded = np.concatenate([state, signal[start:start + 256]])
    y = np.convolve(padded, taps, mode="valid")
    state = padded[-15:]
    energy = energy + float(np.sum(y ** 2))
print("filtered", len(signal), "samples")
"""
Y_LINE, ENERGY_LINE, START_LINE = 10, 12, 8

# A filter design that raises: an even tap count where it needs an odd one (line 6).
CRASH = """\
import numpy as np


def design(n_taps):
    if n_taps % 2 == 0:
        raise ValueError(f"need an odd tap count, got {n_taps}")
    return np.ones(n_taps) / n_taps


taps = design(16)
"""


def fir_energy_truth() -> tuple[np.ndarray, np.ndarray]:
    """(the 8 filtered blocks as rows, the running energy after each block)."""
    taps = np.hanning(16)
    taps /= taps.sum()
    signal = np.random.default_rng(3).standard_normal(2048)
    blocks = np.convolve(signal, taps)[:2048].reshape(8, 256)
    return blocks, np.cumsum((blocks**2).sum(axis=1))
