"""The order captures come out in follows the script, not the order the probes were added in.

Probes are deliberately listed right to left. Reads done by different instructions keep
their order; reads fused into one instruction (3.13's LOAD_FAST_LOAD_FAST for ``a + b``)
and the stores of a swap of locals (which CPython may reorder) form groups.

{
    "probes": {
        "b_new": "@swap:b:1",
        "a_new": "@swap:a:1",
        "b_old": "@swap:b:2",
        "a_old": "@swap:a:2",
        "sum_b": "@sum:b",
        "sum_a": "@sum:a",
        "lin_b": "@lin:b",
        "lin_a": "@lin:a",
        "lin_total": "@lin:total",
    },
    "order": [
        [("sum_a", 1), ("sum_b", 2)],
        ("lin_a", 1), ("lin_b", 2), ("lin_total", 12),
        [("b_old", 2), ("a_old", 1)],
        [("a_new", 2), ("b_new", 1)],
    ],
}
"""


def mix(a, b):
    total = a + b  # @sum
    total = a * 10 + b  # @lin
    a, b = b, a  # @swap
    return total, a, b


mix(1, 2)
