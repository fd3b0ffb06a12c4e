"""Captures follow the script's evaluation order, not the order the probes were added in.

Probes are deliberately listed right to left. On 3.13 the function's ``b, a`` loads and
``a, b`` stores are fused into one instruction each (LOAD_FAST_LOAD_FAST,
STORE_FAST_STORE_FAST); the captures must still come out left to right.

{
    "probes": {
        "sum_b": "@sum:b",
        "sum_a": "@sum:a",
        "b_new": "@swap:b:1",
        "a_new": "@swap:a:1",
        "a_old": "@swap:a:2",
        "b_old": "@swap:b:2",
    },
    "order": [
        ("sum_a", 1), ("sum_b", 2),
        ("b_old", 2), ("a_old", 1), ("a_new", 2), ("b_new", 1),
    ],
}
"""


def mix(a, b):
    total = a + b  # @sum
    a, b = b, a  # @swap
    return total, a, b


mix(1, 2)
