"""A comprehension in a class body: its variable, and the class attribute it builds.

{
    "probes": {"t": "@taps:t:2", "t_use": "@taps:t:1", "taps": "@taps:taps"},
    "order": [
        ("t", 0), ("t_use", 0), ("t", 1), ("t_use", 1), ("t", 2), ("t_use", 2),
        ("taps", [0, 2, 4]),
    ],
}
"""


class Filter:
    taps = [t * 2 for t in range(3)]  # @taps  # noqa: RUF012


coefficients = Filter.taps
