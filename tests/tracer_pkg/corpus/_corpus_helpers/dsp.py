"""A helper module imported by ``imported_helper.py``; its probes live in that case's spec."""

TAPS = [1, 2, 3]  # @taps


def moving_sum(samples, width):
    out = []
    acc = 0
    for i, s in enumerate(samples):
        acc += s  # @acc
        if i >= width:
            acc -= samples[i - width]  # @drop
        out.append(acc)
    return out
