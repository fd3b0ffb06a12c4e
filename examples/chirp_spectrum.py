"""A linear chirp, frame by frame: Hann window, FFT, magnitude in dB, strongest frequency.

Probe `frame` to see the samples, `spectrum_db` to watch the peak sweep up the spectrum,
and `peak_hz` to see it climb in a straight line.
"""

import time

import numpy as np

rng = np.random.default_rng(3)

FS = 8000.0  # sample rate, Hz
F_START = 200.0  # chirp start frequency, Hz
F_STOP = 3400.0  # chirp stop frequency, Hz
DURATION = 2.0  # seconds
N_FFT = 256  # samples per frame; bins are FS / N_FFT = 31.25 Hz apart
HOP = 256  # frame step, samples

# Linear chirp: the frequency F_START + RATE * t rises at RATE Hz/s; the phase is its integral.
RATE = (F_STOP - F_START) / DURATION
t = np.arange(int(DURATION * FS)) / FS
chirp = np.cos(2 * np.pi * (F_START * t + RATE * t**2 / 2))
signal = chirp + 0.05 * rng.standard_normal(len(t))

window = np.hanning(N_FFT)  # tapers the frame edges: less leakage from the cut
freqs = np.fft.rfftfreq(N_FFT, d=1 / FS)  # the frequency of each FFT bin, Hz
peaks = []
for start in range(0, len(signal) - N_FFT + 1, HOP):
    frame = signal[start : start + N_FFT]
    spectrum = np.fft.rfft(frame * window)
    # dB relative to a full-scale sine (amplitude 1), which reads as 0 dB at its bin.
    spectrum_db = 20 * np.log10(np.abs(spectrum) / (window.sum() / 2) + 1e-12)
    peak_hz = freqs[np.argmax(spectrum_db)]
    peaks.append(peak_hz)
    time.sleep(0.02)  # slow enough to watch live

# Fit a line to the peaks: its slope is the measured chirp rate.
centres = (np.arange(len(peaks)) * HOP + N_FFT / 2) / FS  # each frame's middle, seconds
measured_rate = np.polyfit(centres, peaks, 1)[0]
print(f"{len(peaks)} frames, chirp rate {measured_rate:.0f} Hz/s (true {RATE:.0f} Hz/s)")
