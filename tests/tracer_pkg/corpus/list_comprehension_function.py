"""A list comprehension with a filter, in a function: the filter reads each item before the
result expression reads the kept ones (the result is left of the filter in the source).

{
    "probes": {
        "k": "@fn:k:2",
        "k_cond": "@fn:k:3",
        "k_item": "@fn:k:1",
        "evens": "@res:evens",
    },
    "order": [
        ("k", 0), ("k_cond", 0), ("k_item", 0),
        ("k", 1), ("k_cond", 1),
        ("k", 2), ("k_cond", 2), ("k_item", 2),
        ("k", 3), ("k_cond", 3),
        ("k", 4), ("k_cond", 4), ("k_item", 4),
        ("evens", [0, 2, 4]),
    ],
    "xfail": [
        {
            "python": ["3.10"],
            "reason": (
                "engine bug (3.10): without columns the matcher pairs the N-th occurrence in "
                "source order with the N-th load instruction, but here evaluation order differs "
                "from source order, so the probes swap"
            ),
        },
    ],
}
"""


def even_numbers(limit):
    return [k for k in range(limit) if k % 2 == 0]  # @fn


evens = even_numbers(5)  # @res
