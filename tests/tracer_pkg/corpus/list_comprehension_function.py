"""A list comprehension with a filter, in a function: the filter reads each item before the
result expression reads the kept ones (the result is left of the filter in the source).

{
    "xfail": [{"python": ["3.10"], "reason": (
        "known limit on Python 3.10 only: its bytecode has line numbers but no "
        "columns, so several uses of one name on a line are told apart by source "
        "order, which differs from evaluation order here"
    )}],
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
}
"""


def even_numbers(limit):
    return [k for k in range(limit) if k % 2 == 0]  # @fn


evens = even_numbers(5)  # @res
