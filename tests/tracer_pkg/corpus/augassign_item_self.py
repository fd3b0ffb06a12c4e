"""Augmented item/attribute assignment whose target also appears on the right.

``x[0] -= x[1]`` mutates ``x``: the target is captured after the item store (the new
content), the right-hand ``x`` before it is read (the old content). Its relatives:
a subscript that reads the target (``x[x[2]] += 1``), an attribute (``p.a += p.b``),
and a plain item assignment reading the target (``x[1] = x[0]``).

{
    "probes": {
        "sub": "@sub:x:1",
        "sub_rhs": "@sub:x:2",
        "idx": "@idx:x:1",
        "attr": "@attr:p:1",
        "copy": "@copy:x:1",
        "pa": "@show:a",
    },
    "order": [
        ("sub_rhs", [10, 3, 0]), ("sub", [7, 3, 0]),
        ("sub_rhs", [7, 3, 0]), ("sub", [4, 3, 0]),
        ("idx", [5, 3, 0]),
        ("copy", [5, 5, 0]),
        ("attr", {"object": "__main__.Pair"}),
        ("pa", 5),
    ],
}
"""


class Pair:
    def __init__(self):
        self.a = 2
        self.b = 3


x = [10, 3, 0]
for _ in range(2):
    x[0] -= x[1]  # @sub
x[x[2]] += 1  # @idx
x[1] = x[0]  # @copy
p = Pair()
p.a += p.b  # @attr
a = p.a  # @show
