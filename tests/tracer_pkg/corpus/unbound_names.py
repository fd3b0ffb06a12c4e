"""Unbound names capture nothing: a deleted global, a local the code did not assign.

{
    "probes": {
        "ret": "@ret:value",
        "gone": "@gone:temp",
        "last": "@last:it",
        "kept": "@kept:temp2",
    },
    "order": [("ret", 1), ("ret", 1), ("last", 5), ("kept", 6)],
    "values": {"gone": []},
}
"""

import contextlib


def maybe(flag):
    if flag:
        value = 1
    try:
        return value  # @ret
    except UnboundLocalError:
        return None


def last_of(items):
    count = 0
    for it in items:
        count += it
    try:
        return it  # @last
    except UnboundLocalError:
        return None


maybe(True)
maybe(False)
maybe(True)

temp = 5
del temp
with contextlib.suppress(NameError):
    seen = temp  # @gone  # noqa: F821

last_of([4, 5])
last_of([])

temp2 = 6
shown = temp2  # @kept
