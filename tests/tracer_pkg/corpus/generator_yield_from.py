"""A recursive generator with ``yield from``: targets of every frame, in the order they run.

{
    "probes": {"child": "@child:child", "leaf": "@leaf:node", "flat": "@flat:flat"},
    "order": [
        ("child", 1), ("leaf", 1),
        ("child", [2, [3]]), ("child", 2), ("leaf", 2),
        ("child", [3]), ("child", 3), ("leaf", 3),
        ("child", 4), ("leaf", 4),
        ("flat", [1, 2, 3, 4]),
    ],
}
"""


def walk(node):
    if isinstance(node, list):
        for child in node:  # @child
            yield from walk(child)
    else:
        yield node  # @leaf


flat = list(walk([1, [2, [3]], 4]))  # @flat
