"""AC-3: the property pilot runs N times under TPR_SEED; property.results.json holds the
examples run, falsifying examples, runtime statistics and the seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._support.tpr_repo import artifact, event_names, make_repo, run_pytest, run_tpr
from tpr.artifacts import embedded_hash_ok

PROPERTIES = """
    import pytest
    from hypothesis import given, settings, strategies as st

    @pytest.mark.property
    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.integers()))
    def test_sorted_is_idempotent(xs):
        assert sorted(sorted(xs)) == sorted(xs)

    @pytest.mark.property
    @settings(max_examples=25, deadline=None)
    @given(st.text())
    def test_encode_round_trip(text):
        assert text.encode("utf-8").decode("utf-8") == text

    def test_not_a_property():
        pass
"""
BROKEN = """
    import pytest
    from hypothesis import given, settings, strategies as st

    @pytest.mark.property
    @settings(max_examples=50, deadline=None, database=None)
    @given(st.integers())
    def test_small(x):
        assert x < 1000
"""


def test_ac3_results_file_has_examples_runtimes_seed_and_no_flakes(tmp_path):
    root = make_repo(tmp_path / "repo", {"test_props.py": PROPERTIES})
    result = run_tpr(root, "property", "--runs", "3", TPR_SEED="777")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "property run 3/3: 2 tests, 0 failed" in result.stdout
    results = artifact(root, "property.results.json")
    assert embedded_hash_ok(results)
    assert (results["seed"], results["runs"]) == (777, 3)
    assert sorted(results["tests"]) == [
        "test_props.py::test_encode_round_trip",
        "test_props.py::test_sorted_is_idempotent",
    ]
    for test in results["tests"].values():
        assert test["outcomes"] == ["passed"] and test["passed_all"]
        assert test["examples_run"]["per_run"] > 0  # identical in every run: seeded
        assert test["falsifying_examples"] == []
        assert test["runtime"]["runs"] == 3 and test["runtime"]["mean_ms"] > 0
        assert test["within_threshold"] and not test["flaky"]
    assert results["flakes"] == [] and results["all_passed"]
    names = event_names(root)
    assert names.index("property_test_start") < names.index("property_test_complete")


def test_ac3_a_falsified_property_is_reported_with_its_example(tmp_path):
    root = make_repo(tmp_path / "repo", {"test_broken.py": BROKEN})
    result = run_tpr(root, "property", "--runs", "2")
    assert result.returncode == 1
    test = artifact(root, "property.results.json")["tests"]["test_broken.py::test_small"]
    assert test["outcomes"] == ["failed"]
    assert test["falsifying_examples"] == ["test_small(\n    x=1000,\n)"]


def test_no_property_tests_is_a_clear_error(tmp_path):
    root = make_repo(tmp_path / "repo", {"test_a.py": "def test_a():\n    pass\n"})
    result = run_tpr(root, "property", "--runs", "1")
    assert result.returncode == 2
    assert "none carry the 'property' marker" in result.stderr


@pytest.mark.slow
def test_ac3_pilot_on_this_repo_is_deterministic(tmp_path):
    """The repo's three pilot properties, twice, seeded: same examples, all pass, <1 s."""
    repo = Path(__file__).resolve().parents[2]
    result = run_tpr(
        repo, "property", "--runs", "2", "tests/properties", TPR_ARTIFACT_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads((tmp_path / "property.results.json").read_text())
    assert len(results["tests"]) == 3 and results["seed"] == 12345
    for test in results["tests"].values():
        assert test["passed_all"] and not test["flaky"]
        assert test["runtime"]["mean_ms"] < 1000


RECORDS_FIRST_EXAMPLE = {
    "test_drawn.py": """\
        import os

        from hypothesis import given, settings, strategies as st

        @settings(database=None, max_examples=5, derandomize=False)  # CI's profile derandomizes
        @given(st.integers(0, 10**9))
        def test_drawn(n):
            with open(os.environ["DRAWN_FILE"], "a") as out:
                out.write(f"{n}\\n")
        """,
}


def drawn(root, tmp_path, *args, **env) -> list[str]:
    """The examples Hypothesis drew for the test, in order."""
    record = tmp_path / "drawn.txt"
    record.unlink(missing_ok=True)
    result = run_pytest(root, *args, DRAWN_FILE=str(record), **env)
    assert result.returncode == 0, result.stdout + result.stderr
    return record.read_text().splitlines()


def test_hypothesis_tests_are_seeded_from_tpr_seed_unless_a_seed_option_is_given(tmp_path):
    root = make_repo(tmp_path / "repo", RECORDS_FIRST_EXAMPLE)
    seven = drawn(root, tmp_path, TPR_SEED="7")
    assert len(seven) == 5 and drawn(root, tmp_path, TPR_SEED="7") == seven
    eight = drawn(root, tmp_path, TPR_SEED="8")
    assert eight != seven
    assert drawn(root, tmp_path, "--hypothesis-seed", "8", TPR_SEED="7") == eight


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_a_run_without_hypothesis_tests_does_not_pay_for_importing_hypothesis(tmp_path, workers):
    # Importing Hypothesis costs 0.2-0.7 s; every pytest run pays it if the seed is handed
    # over, or Hypothesis's terminal summary looks for output, where no property test ran.
    root = make_repo(
        tmp_path / "repo",
        {
            "test_plain.py": "def test_plain():\n    pass\n",
            "conftest.py": """\
                import os
                import sys

                def pytest_unconfigure(config):  # after the terminal summary
                    worker = getattr(config, "workerinput", {}).get("workerid", "controller")
                    with open(os.environ["IMPORTED_FILE"], "a") as out:
                        out.write(f"{worker} {'hypothesis' in sys.modules}\\n")
                """,
        },
    )
    imported = tmp_path / "imported.txt"
    result = run_pytest(root, *workers, IMPORTED_FILE=str(imported), TPR_SEED="7")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    processes = sorted(imported.read_text().splitlines())
    expected = ["controller False"] + [f"gw{n} False" for n in range(2) if workers]
    assert processes == expected


def test_a_run_with_hypothesis_tests_keeps_the_summary_hypothesis_writes(tmp_path):
    root = make_repo(tmp_path / "repo", {"test_props.py": PROPERTIES})
    result = run_pytest(root, TPR_SEED="7", HYPOTHESIS_EXPERIMENTAL_OBSERVABILITY="1")
    assert result.returncode == 0, result.stdout + result.stderr
    observed = sorted((root / ".hypothesis" / "observed").glob("*.jsonl"))
    assert observed
    for path in observed:
        assert f"observations written to {path}" in result.stdout
