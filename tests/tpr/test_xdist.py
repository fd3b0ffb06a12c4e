"""Under pytest-xdist (-n 2) the controller merges every worker's durations, outcomes
and marker counts, and only the controller writes events."""

from __future__ import annotations

import pytest

from tests._support.tpr_repo import artifact, event_names, make_repo, run_pytest

pytest.importorskip("xdist")

TESTS = {
    f"test_part{part}.py": "\n".join(
        f"import pytest\n@pytest.mark.fast\ndef test_{part}_{n}():\n    assert {n} != 3\n"
        for n in range(6)
    )
    for part in range(3)
}


def test_workers_results_are_merged_on_the_controller(tmp_path):
    root = make_repo(tmp_path / "repo", TESTS, pyproject='markers = ["fast: quick"]\n')
    result = run_pytest(root, "-n", "2", "-q")
    assert result.returncode == 1, result.stdout + result.stderr  # three tests fail
    durations = artifact(root, "durations.json")
    assert durations["tests"] == 18
    assert len(durations["per_test_s"]) == 18
    history = next((root / ".tpr" / "history").glob("*.json"))
    outcomes = artifact(root, f"history/{history.name}")["outcomes"]
    assert len(outcomes) == 18
    assert sorted(k for k, v in outcomes.items() if v["outcome"] == "failed") == [
        f"test_part{part}.py::test_{part}_3" for part in range(3)
    ]
    markers = artifact(root, "markers.usage.json")
    assert markers["usage"]["fast"] == 18 and markers["items_collected"] == 18
    names = event_names(root)
    assert names.count("test_run_start") == 1 and names.count("failfast_mode_applied") == 1


def test_soft_mode_stops_the_workers_after_the_first_failure(tmp_path):
    slow = {
        "test_slow.py": "import time\nimport pytest\n"
        + "@pytest.mark.parametrize('n', range(40))\n"
        + "def test_n(n):\n    time.sleep(0.05)\n    assert n != 2\n"
    }
    root = make_repo(tmp_path / "repo", slow)
    result = run_pytest(root, "-n", "2", "-q", "--failfast-mode", "soft")
    assert result.returncode == 2  # xdist reports a maxfail stop as an interruption
    assert "stopping after 1 failures" in result.stdout
    summary = artifact(root, "failfast.summary.json")
    assert summary["first_failure"] == "test_slow.py::test_n[2]"
    assert summary["tests_run"] < 40
    assert "early_exit_detected" in event_names(root)
