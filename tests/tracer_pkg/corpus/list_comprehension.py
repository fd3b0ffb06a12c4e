"""List comprehensions: the iteration variable (target and uses) and the result.

Module level and in a function, with a filter.

{
    "probes": {
        "v": "@mod:v:3",
        "v_left": "@mod:v:1",
        "v_right": "@mod:v:2",
        "squares": "@mod:squares",
        "k": "@fn:k:2",
        "k_cond": "@fn:k:3",
        "k_item": "@fn:k:1",
        "evens": "@res:evens",
    },
    "order": [
        ("v", 1), ("v_left", 1), ("v_right", 1),
        ("v", 2), ("v_left", 2), ("v_right", 2),
        ("v", 3), ("v_left", 3), ("v_right", 3),
        ("squares", [1, 4, 9]),
        ("k", 0), ("k_cond", 0), ("k_item", 0),
        ("k", 1), ("k_cond", 1),
        ("k", 2), ("k_cond", 2), ("k_item", 2),
        ("k", 3), ("k_cond", 3),
        ("k", 4), ("k_cond", 4), ("k_item", 4),
        ("evens", [0, 2, 4]),
    ],
}
"""


def even_numbers(limit):
    return [k for k in range(limit) if k % 2 == 0]  # @fn


data = [1, 2, 3]
squares = [v * v for v in data]  # @mod
evens = even_numbers(5)  # @res
