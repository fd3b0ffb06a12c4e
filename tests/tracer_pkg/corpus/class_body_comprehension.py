"""A comprehension in a class body: its variable, and the class attribute it builds.

{
    "probes": {"t": "@taps:t:2", "t_use": "@taps:t:1", "taps": "@taps:taps"},
    "order": [
        ("t", 0), ("t_use", 0), ("t", 1), ("t_use", 1), ("t", 2), ("t_use", 2),
        ("taps", [0, 2, 4]),
    ],
    "xfail": [
        {
            "python": ["3.12"],
            "backends": ["settrace"],
            "reason": (
                "engine bug (3.12 settrace): reading frame.f_locals from the trace function "
                "writes the locals back, which breaks inlined (PEP 709) comprehensions at "
                "module/class level: the comprehension variable reads None or the shadowed "
                "global"
            ),
        },
        {
            "python": ["3.12"],
            "test": "agree",
            "reason": (
                "the 3.12 settrace backend diverges from monitoring here (see the capture "
                "xfail)"
            ),
        },
    ],
}
"""


class Filter:
    taps = [t * 2 for t in range(3)]  # @taps  # noqa: RUF012


coefficients = Filter.taps
