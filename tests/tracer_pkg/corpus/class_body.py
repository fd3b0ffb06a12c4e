"""Class bodies (names stored in the class namespace) and the methods defined there.

{
    "probes": {
        "gain": "@gain:gain",
        "gain_use": "@offset:gain",
        "offset": "@offset:offset",
        "t": "@taps:t:2",
        "taps": "@taps:taps",
        "x": "@apply:x",
        "y": "@apply:y",
    },
    "order": [
        ("gain", 2), ("gain_use", 2), ("offset", 6),
        ("t", 0), ("t", 1), ("t", 2), ("taps", [0, 2, 4]),
        ("x", 1), ("y", 8), ("x", 2), ("y", 10),
    ],
}
"""


class Filter:
    gain = 2  # @gain
    offset = gain * 3  # @offset
    taps = [t * 2 for t in range(3)]  # @taps

    def apply(self, x):
        y = x * self.gain + self.offset  # @apply
        return y


f = Filter()
out = [f.apply(v) for v in (1, 2)]
