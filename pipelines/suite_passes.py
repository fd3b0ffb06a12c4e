"""How `nox -s tests-3.x` runs the whole suite: two pytest passes.

Most tests wait on processes, sockets and sleeps rather than on the CPU, so they run
in parallel (pytest-xdist; idle workers steal queued tests, so one long test does not
leave a core idle). One worker more than there are cores, at most four, keeps the
cores busy while other workers wait: on 2 cores, 3 workers took the parallel pass
from 132 s to 110 s. The few tests that assert on wall-clock time (marker ``timing``)
would measure their neighbours' load there; they run afterwards, alone.
``benchmarks/bench_suite.py`` measures the whole session against the one before.
"""

from __future__ import annotations

import os

MAX_WORKERS = 4


def usable_cores() -> int:
    """The cores this process may run on (a container's share, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parallel_workers(cores: int | None = None) -> int:
    return min((cores or usable_cores()) + 1, MAX_WORKERS)


PARALLEL = ("-n", str(parallel_workers()), "--dist", "worksteal", "-m", "not timing")
TIMING = ("-m", "timing")
PASSES = (PARALLEL, TIMING)
