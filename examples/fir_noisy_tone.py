"""A noisy 440 Hz tone through a windowed-sinc low-pass FIR, one block at a time.

Probe `noisy` and `filtered` to see the noise go, `snr_db` to follow the output SNR per block.
"""

import math
import time

import numpy as np

rng = np.random.default_rng(440)

FS = 16000.0  # sample rate, Hz
F_TONE = 440.0  # the tone, Hz
NOISE_STD = 0.5  # white noise; the tone has amplitude 1 (power 0.5), so about 3 dB SNR
CUTOFF = 1000.0  # low-pass cutoff, Hz
N_TAPS = 129  # odd: a whole-sample delay of (N_TAPS - 1) / 2
BLOCK = 512
N_BLOCKS = 40

# Windowed sinc: the ideal low-pass impulse response, cut to N_TAPS and tapered by a
# Hamming window (less ripple than a plain cut), scaled to gain 1 at DC.
m = np.arange(N_TAPS) - (N_TAPS - 1) / 2
h = 2 * CUTOFF / FS * np.sinc(2 * CUTOFF / FS * m) * np.hamming(N_TAPS)
h /= h.sum()
delay = (N_TAPS - 1) // 2  # the filter's group delay, samples

history = np.zeros(N_TAPS - 1)  # the last inputs of the previous block: the filter state
noise_in = noise_out = signal_power = 0.0
for block in range(N_BLOCKS):
    n = np.arange(block * BLOCK, (block + 1) * BLOCK)
    clean = np.sin(2 * np.pi * F_TONE * n / FS)
    noisy = clean + NOISE_STD * rng.standard_normal(BLOCK)
    # Prepend the state so the filter sees one continuous signal across blocks.
    extended = np.concatenate([history, noisy])
    filtered = np.convolve(extended, h, mode="valid")  # exactly BLOCK outputs
    history = extended[-(N_TAPS - 1) :]
    # The filtered tone lags by `delay` samples: compare with the clean tone delayed as much.
    reference = np.sin(2 * np.pi * F_TONE * (n - delay) / FS)
    snr_db = 10 * math.log10(np.sum(reference**2) / np.sum((filtered - reference) ** 2))
    if block > 0:  # block 0 holds the filter's start-up transient: leave it out of the totals
        signal_power += np.sum(clean**2)
        noise_in += np.sum((noisy - clean) ** 2)
        noise_out += np.sum((filtered - reference) ** 2)
    time.sleep(0.02)  # slow enough to watch live

snr_in = 10 * math.log10(signal_power / noise_in)
snr_out = 10 * math.log10(signal_power / noise_out)
print(f"SNR {snr_in:.2f} dB -> {snr_out:.2f} dB: improvement {snr_out - snr_in:.2f} dB")
