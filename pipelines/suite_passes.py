"""How `nox -s tests-3.x` runs the whole suite: two pytest passes.

Most tests wait on processes, sockets and sleeps rather than on the CPU, so they run
in parallel (pytest-xdist, one worker per core, at most four; idle workers steal
queued tests, so one long test does not leave a core idle). The few that assert on
wall-clock time (marker ``timing``) would measure their neighbours' load there; they
run afterwards, alone. ``benchmarks/bench_suite.py`` measures both ways in one run.
"""

from __future__ import annotations

PARALLEL = ("-n", "auto", "--maxprocesses", "4", "--dist", "worksteal", "-m", "not timing")
TIMING = ("-m", "timing")
PASSES = (PARALLEL, TIMING)
