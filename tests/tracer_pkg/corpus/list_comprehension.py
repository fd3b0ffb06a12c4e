"""A list comprehension at module level: the iteration variable (target, both reads), result.

{
    "probes": {
        "v": "@mod:v:3",
        "v_left": "@mod:v:1",
        "v_right": "@mod:v:2",
        "squares": "@mod:squares",
    },
    "order": [
        ("v", 1), ("v_left", 1), ("v_right", 1),
        ("v", 2), ("v_left", 2), ("v_right", 2),
        ("v", 3), ("v_left", 3), ("v_right", 3),
        ("squares", [1, 4, 9]),
    ],
    "xfail": [
        {
            "python": ["3.13"],
            "reason": (
                "engine bug (3.13): the first read of v in `[v * v for v in ...]` is fused into "
                "STORE_FAST_LOAD_FAST, whose position is the target's column (right of the "
                "read); _choose finds no candidate at or left of the read's column and drops "
                "the probe"
            ),
        },
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

data = [1, 2, 3]
squares = [v * v for v in data]  # @mod
