"""``a if cond else b`` reads the condition first, then only the branch it takes.

Source order is not evaluation order here: ``a`` (the result) is left of ``a > b``.

{
    "xfail": [{"python": ["3.10"], "reason": (
        "known limit on Python 3.10 only: its bytecode has line numbers but no "
        "columns, so several uses of one name on a line are told apart by source "
        "order, which differs from evaluation order here"
    )}],
    "probes": {
        "a_taken": "@pick:a:1",
        "a_cond": "@pick:a:2",
        "b_cond": "@pick:b:1",
        "b_taken": "@pick:b:2",
        "m": "@pick:m",
    },
    "order": [
        ("a_cond", 3), ("b_cond", 1), ("a_taken", 3), ("m", 3),
        ("a_cond", 1), ("b_cond", 5), ("b_taken", 5), ("m", 5),
    ],
}
"""

for a, b in ((3, 1), (1, 5)):
    m = a if a > b else b  # @pick
