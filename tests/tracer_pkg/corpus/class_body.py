"""Class bodies (names stored in the class namespace) and the methods defined there.

``level = level + 1`` in a class body reads the global and stores the class attribute.

{
    "probes": {
        "level_old": "@level:level:2",
        "level_new": "@level:level:1",
        "gain": "@gain:gain",
        "gain_use": "@offset:gain",
        "offset": "@offset:offset",
        "taps": "@taps:taps",
        "x": "@apply:x",
        "y": "@apply:y",
    },
    "order": [
        ("level_old", 1), ("level_new", 2),
        ("gain", 2), ("gain_use", 2), ("offset", 6),
        ("taps", (0, 2, 4)),
        ("x", 1), ("y", 8), ("x", 2), ("y", 10),
    ],
}
"""

level = 1


class Stage:
    level = level + 1  # @level


class Filter:
    gain = 2  # @gain
    offset = gain * 3  # @offset
    taps = tuple(range(0, 6, gain))  # @taps

    def apply(self, x):
        y = x * self.gain + self.offset  # @apply
        return y


f = Filter()
out = [f.apply(v) for v in (1, 2)]
