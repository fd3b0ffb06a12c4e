"""A second-order digital PLL locking onto a noisy tone, one sample at a time.

Probe `phase_error` to watch it shrink to noise, `freq_estimate` to watch it climb to the
tone's frequency, and `nco_phase` to see the oscillator's sawtooth phase.
"""

import cmath
import math
import time

import numpy as np

rng = np.random.default_rng(7)

FS = 48000.0  # sample rate, Hz
F_OFFSET = 150.0  # the tone's frequency, Hz; the oscillator starts at 0 Hz
START_PHASE = 2.0  # the tone's phase at sample 0, radians; the oscillator starts at 0
N = 20000
SNR_DB = 15.0
LOOP_BW = 0.0015  # loop noise bandwidth, as a fraction of FS
DAMPING = 0.707

# Loop filter gains from the bandwidth and damping (the usual proportional-integral design).
theta = LOOP_BW / (DAMPING + 1 / (4 * DAMPING))
KP = 4 * DAMPING * theta / (1 + 2 * DAMPING * theta + theta**2)
KI = 4 * theta**2 / (1 + 2 * DAMPING * theta + theta**2)

# The input: a complex tone plus white noise.
n = np.arange(N)
noise_std = math.sqrt(10 ** (-SNR_DB / 10) / 2)
tone = np.exp(1j * (2 * np.pi * F_OFFSET / FS * n + START_PHASE))
samples = tone + noise_std * (rng.standard_normal(N) + 1j * rng.standard_normal(N))

nco_phase = 0.0  # the oscillator's phase, radians, kept in [-pi, pi)
integrator = 0.0  # the loop filter's memory: the frequency step per sample, radians
tail_power = 0.0
for k in range(N):
    # Phase detector: the angle between the input and the oscillator.
    phase_error = cmath.phase(samples[k] * cmath.exp(-1j * nco_phase))
    integrator += KI * phase_error
    freq_estimate = integrator * FS / (2 * math.pi)  # Hz
    # The oscillator advances by its frequency plus a proportional correction.
    nco_phase = (nco_phase + integrator + KP * phase_error + math.pi) % (2 * math.pi) - math.pi
    if k >= N - N // 10:  # the last 10 %: is the phase error down to noise?
        tail_power += phase_error**2
    if k % 1000 == 0:
        time.sleep(0.05)  # slow enough to watch live

locked = math.sqrt(tail_power / (N // 10)) < 0.5 and abs(freq_estimate - F_OFFSET) < 1.5
print(f"locked: {locked}, frequency estimate {freq_estimate:.2f} Hz (true {F_OFFSET} Hz)")
