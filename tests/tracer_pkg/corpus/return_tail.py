"""A store followed by ``return``: CPython copies the short tail into each branch.

``label = x if c else y; return label`` and ``if c: r = ...  else: r = ...; return r``
must capture on every call, whichever branch ran.

{
    "probes": {
        "label": "@label:label",
        "out": "@out:out",
        "out2": "@out2:out",
        "ret": "@ret:out",
    },
    "order": [
        ("label", "small"), ("out", 3), ("ret", 3),
        ("label", "big"), ("out2", -5), ("ret", -5),
        ("label", "big"), ("out", 6), ("ret", 6),
    ],
}
"""


def check(n):
    label = "big" if n > 4 else "small"  # @label
    return label


def signed(n):
    if n % 3 == 0:  # noqa: SIM108 - the two branches are the point
        out = n  # @out
    else:
        out = -n  # @out2
    return out  # @ret


for n in (3, 5, 6):
    check(n)
    signed(n)
