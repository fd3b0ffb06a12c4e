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
}
"""

data = [1, 2, 3]
squares = [v * v for v in data]  # @mod
