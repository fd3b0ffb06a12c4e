"""A 16-QAM link, block by block: bits -> symbols -> RRC -> channel -> matched filter -> bits.

Probe `rx_symbols` to watch the constellation, `mf_symbols` to see it spin before the
phase loop corrects it, and `ber` to watch the bit error rate settle.
"""

import cmath
import math
import time

import numpy as np

rng = np.random.default_rng(16)

N_BLOCKS, N_SYMS = 40, 512  # 40 blocks of 512 symbols
SPS = 8  # samples per symbol
BETA = 0.25  # roll-off of the root-raised-cosine pulse
SPAN = 8  # RRC length in symbols; the two filters together delay the stream by SPAN symbols
EBN0_DB = 10.0
CFO = 1e-4  # carrier frequency offset, cycles per sample
CARRIER_PHASE = 0.3  # radians
KP, KI = 0.03, 0.0005  # phase loop gains: proportional and integral

# Gray mapping per axis: bits 00, 01, 11, 10 -> levels -3, -1, +1, +3 (neighbours differ in 1 bit)
GRAY_BITS = np.array([[0, 0], [0, 1], [1, 1], [1, 0]])  # row = level index 0..3
LEVEL_OF = np.array([-3, -1, 3, 1])  # level for the bit pair read as a number 2*b0 + b1
SCALE = math.sqrt(10)  # the 16 points then have average energy 1

# Root-raised-cosine taps, t in symbol periods; t = 0 and |t| = 1/(4 BETA) use their limits.
t = np.arange(-SPAN * SPS // 2, SPAN * SPS // 2 + 1) / SPS
with np.errstate(divide="ignore", invalid="ignore"):
    rrc = np.sin(np.pi * t * (1 - BETA)) + 4 * BETA * t * np.cos(np.pi * t * (1 + BETA))
    rrc /= np.pi * t * (1 - (4 * BETA * t) ** 2)
rrc[t == 0] = 1 - BETA + 4 * BETA / np.pi
q = np.pi / (4 * BETA)
rrc[np.isclose(abs(t), 1 / (4 * BETA))] = (
    BETA / math.sqrt(2) * ((1 + 2 / np.pi) * np.sin(q) + (1 - 2 / np.pi) * np.cos(q))
)
rrc /= np.sqrt(np.sum(rrc**2))  # unit energy: matched-filter output is on the symbol scale


def nearest(z):
    """The 16-QAM point closest to z: the nearest odd level in -3..3 on each axis."""
    i_lvl = min(3, max(-3, 2 * math.floor(z.real * SCALE / 2) + 1))
    q_lvl = min(3, max(-3, 2 * math.floor(z.imag * SCALE / 2) + 1))
    return complex(i_lvl, q_lvl) / SCALE


def stream_filter(x, tail):
    """Convolve one block with the RRC; the tail carries into the next block (overlap-add)."""
    y = np.convolve(x, rrc)
    y[: len(tail)] += tail
    return y[: len(x)], y[len(x) :]


n0 = 1 / (4 * 10 ** (EBN0_DB / 10))  # noise density for Es = 1 and 4 bits per symbol
tx_tail = rx_tail = np.zeros(len(rrc) - 1, complex)
sent = np.zeros((0, 4), int)  # bits sent but not decided yet
phase = freq = 0.0  # the phase loop's state: phase (rad) and its step per symbol
errors = counted = 0
for block in range(N_BLOCKS):
    bits = rng.integers(0, 2, size=(N_SYMS, 4))
    pairs = 2 * bits[:, 0::2] + bits[:, 1::2]  # (b0 b1) and (b2 b3) as numbers 0..3
    tx_symbols = (LEVEL_OF[pairs[:, 0]] + 1j * LEVEL_OF[pairs[:, 1]]) / SCALE
    upsampled = np.zeros(N_SYMS * SPS, complex)
    upsampled[::SPS] = tx_symbols
    tx, tx_tail = stream_filter(upsampled, tx_tail)
    # Channel: carrier offset and phase, plus complex white Gaussian noise.
    n = np.arange(block * len(tx), (block + 1) * len(tx))
    noise = math.sqrt(n0 / 2) * (rng.standard_normal(len(tx)) + 1j * rng.standard_normal(len(tx)))
    received = tx * np.exp(1j * (2 * np.pi * CFO * n + CARRIER_PHASE)) + noise
    matched, rx_tail = stream_filter(received, rx_tail)
    mf_symbols = matched[::SPS]  # one sample per symbol, at the pulse peaks
    # Decision-directed phase loop: rotate back, measure the angle to the decided point.
    corrected = []
    for y in mf_symbols:
        z = y * cmath.exp(-1j * phase)
        err = cmath.phase(z * nearest(z).conjugate())
        freq += KI * err  # integral path: learns the frequency offset
        phase += KP * err + freq
        corrected.append(z)
    rx_symbols = np.array(corrected)
    # Decisions back to bits; compare with the bits sent SPAN symbols earlier.
    i = np.clip(np.round((rx_symbols.real * SCALE + 3) / 2), 0, 3).astype(int)
    k = np.clip(np.round((rx_symbols.imag * SCALE + 3) / 2), 0, 3).astype(int)
    decided = np.hstack([GRAY_BITS[i], GRAY_BITS[k]])
    if block == 0:
        decided = decided[SPAN:]  # filter start-up: these came before the first symbol
    sent = np.concatenate([sent, bits])
    errors += np.count_nonzero(decided != sent[: len(decided)])
    counted += decided.size
    sent = sent[len(decided) :]
    ber = errors / counted
    time.sleep(0.03)  # slow enough to watch live

print(f"16-QAM at Eb/N0 {EBN0_DB} dB: {errors} bit errors in {counted} bits, BER {ber:.2e}")
