"""How `nox -s tests-3.x` runs the whole suite: two pytest passes.

Most tests wait on processes, sockets and sleeps rather than on the CPU, so they run
in parallel (pytest-xdist, one worker per core, at most four). The few that assert on
wall-clock time (marker ``timing``) would measure their neighbours' load there; they
run afterwards, alone. ``benchmarks/bench_suite.py`` measures both ways in one run.
"""

from __future__ import annotations

PARALLEL = ("-n", "auto", "--maxprocesses", "4", "-m", "not timing")
TIMING = ("-m", "timing")
PASSES = (PARALLEL, TIMING)
