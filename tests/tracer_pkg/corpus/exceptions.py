"""Exceptions: a store that happened before a raise is kept; a line raising before its store
captures nothing, though the names it read before raising are captured.

{
    "probes": {
        "q": "@div:q",
        "q_use": "@after:q",
        "r": "@after:r",
        "q_index": "@raise:q",
        "check": "@raise:check",
        "q_zero": "@zero:q",
        "n": "@parse:n",
        "doubled": "@call:doubled",
        "fallback": "@fallback:doubled",
    },
    "order": [
        ("q", 4), ("q_use", 4), ("r", 5), ("q_index", 4),
        ("q_zero", None),
        ("q", 5), ("q_use", 5), ("r", 6), ("q_index", 5),
        ("n", 1), ("doubled", 2), ("fallback", 0), ("n", 3), ("doubled", 6),
    ],
}
"""


def parse(text):
    n = int(text)  # @parse
    return n * 2


for d in (5, 0, 4):
    try:
        q = 20 // d  # @div
        r = q + 1  # @after
        check = [][q]  # @raise
    except ZeroDivisionError:
        q = None  # @zero
    except IndexError:
        pass

for text in ("1", "x", "3"):
    try:
        doubled = parse(text)  # @call
    except ValueError:
        doubled = 0  # @fallback
