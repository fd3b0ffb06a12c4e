"""How the test sessions split the suite into a parallel pass and a timing pass."""

from __future__ import annotations

from pipelines.suite_passes import PARALLEL, PASSES, parallel_workers


def test_the_parallel_pass_runs_one_worker_more_than_the_cores_at_most_four():
    assert [parallel_workers(cores) for cores in (1, 2, 3, 8)] == [2, 3, 4, 4]
    assert PARALLEL[:2] == ("-n", str(parallel_workers()))


def test_the_two_passes_together_select_every_test_once():
    # the parallel pass leaves out exactly the tests the timing pass runs alone
    assert [extra[extra.index("-m") + 1] for extra in PASSES] == ["not timing", "timing"]
