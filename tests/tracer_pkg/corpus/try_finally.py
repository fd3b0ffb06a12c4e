"""``finally`` runs on the normal path and on the exception path: its stores are captured on
both (CPython compiles the ``finally`` body once per path).

{
    "probes": {"attempt": "@try:attempt", "cleanup": "@fin:cleanup"},
    "order": [
        ("attempt", 10), ("cleanup", 1),
        ("cleanup", 2),
        ("attempt", 30), ("cleanup", 3),
    ],
}
"""

import contextlib


def work(n):
    try:
        if n == 2:
            raise ValueError(n)
        attempt = n * 10  # @try
    finally:
        cleanup = n  # @fin
    return attempt + cleanup


for n in (1, 2, 3):
    with contextlib.suppress(ValueError):
        work(n)
