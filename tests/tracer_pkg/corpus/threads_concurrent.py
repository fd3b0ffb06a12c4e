"""Threads running at the same time: per-thread order is exact, cross-thread order is free.

A barrier makes both threads start their loops together; ``join`` then waits for both.

{
    "probes": {"step": "@loop:step", "val": "@val:val", "total": "@total:total"},
    "threads": {
        "step": [[1000, 1001, 1002, 1003, 1004], [2000, 2001, 2002, 2003, 2004]],
        "val": [[1000, 1002, 1004, 1006, 1008], [2000, 2002, 2004, 2006, 2008]],
    },
    "values": {"total": [15040]},
}
"""

import threading

results = []
lock = threading.Lock()
barrier = threading.Barrier(2)


def worker(base):
    barrier.wait()
    for step in range(base, base + 5):  # @loop
        val = step * 2 - base  # @val
        with lock:
            results.append(val)


threads = [threading.Thread(target=worker, args=(base,)) for base in (1000, 2000)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

total = sum(results)  # @total
