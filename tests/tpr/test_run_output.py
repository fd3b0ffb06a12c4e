"""`tpr run` shows what pytest prints, as pytest prints it."""

from __future__ import annotations

from tests._support.tpr_repo import make_repo, run_tpr

TESTS = {
    "test_sample.py": """
    def test_passes():
        assert True

    def test_fails_with_a_message():
        assert 1 == 2, "one is not two"
    """
}


def test_tpr_run_streams_the_output_of_pytest_and_a_failing_run_shows_its_failure(tmp_path):
    root = make_repo(tmp_path / "repo", TESTS)
    result = run_tpr(root, "run", "--", "-q", TPR_ENV_VALIDATE="skip")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_fails_with_a_message" in result.stdout
    assert "one is not two" in result.stdout
    assert "1 failed, 1 passed" in result.stdout


def test_tpr_run_of_a_passing_selection_prints_the_summary_of_pytest(tmp_path):
    root = make_repo(tmp_path / "repo", TESTS)
    result = run_tpr(
        root, "run", "--", "-q", "test_sample.py::test_passes", TPR_ENV_VALIDATE="skip"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
