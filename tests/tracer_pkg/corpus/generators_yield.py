"""Generators: values across yields, a target stored right before a ``yield``, early close.

The first generator is closed after two items: nothing after that point is captured.

{
    "probes": {
        "k": "@k:k",
        "value": "@val:value",
        "yielded": "@yield:value",
        "tail": "@tail:tail",
        "item": "@consume:item",
    },
    "order": [
        ("k", 1), ("value", 10), ("yielded", 10),
        ("k", 2), ("value", 20), ("yielded", 20),
        ("k", 1), ("value", 1), ("yielded", 1), ("item", 1),
        ("k", 2), ("value", 2), ("yielded", 2), ("item", 2),
        ("k", 3), ("value", 3), ("yielded", 3), ("item", 3),
        ("tail", -1), ("item", -1),
    ],
}
"""


def ramp(base):
    for k in range(1, 4):  # @k
        value = base * k  # @val
        yield value  # @yield
    tail = -1  # @tail
    yield tail


gen = ramp(10)
got = [next(gen), next(gen)]
gen.close()

items = []
for item in ramp(1):  # @consume
    items.append(item)
