"""Threads the script starts (one at a time, joined): each thread's captures, exact order.

{
    "probes": {"step": "@loop:step", "val": "@val:val", "total": "@total:total"},
    "order": [
        ("step", 0), ("val", 100), ("step", 1), ("val", 101), ("step", 2), ("val", 102),
        ("step", 0), ("val", 200), ("step", 1), ("val", 201), ("step", 2), ("val", 202),
        ("total", 906),
    ],
}
"""

import threading

results = []


def worker(base):
    for step in range(3):  # @loop
        val = base + step  # @val
        results.append(val)


for base in (100, 200):
    thread = threading.Thread(target=worker, args=(base,))
    thread.start()
    thread.join()

total = sum(results)  # @total
