"""AC-1 and AC-6: `tpr baseline` runs the suite once under coverage and writes every
baseline artifact, hashed, with the coverage ladder computed from raw counts."""

from __future__ import annotations

from fractions import Fraction

import pytest
import yaml

from tests._support.tpr_repo import artifact, event_names, make_repo, run_tpr
from tpr.artifacts import ArtifactError, embedded_hash_ok
from tpr.ladder import read_coverage_xml

ENV = {"TPR_SEED": "12345", "TPR_FAILFAST_MODE": "off"}
FILES = {
    "calc/__init__.py": """
        def clamp(x, low, high):
            if x < low:
                return low
            if x > high:
                return high
            return x

        def never_called():
            return 42
        """,
    "tests/test_calc.py": """
        import time
        import pytest
        from calc import clamp

        @pytest.mark.unit
        def test_low():
            assert clamp(-5, 0, 10) == 0

        @pytest.mark.unit
        def test_middle():
            time.sleep(0.05)
            assert clamp(5, 0, 10) == 5

        def test_fails():
            assert clamp(50, 0, 10) == 11

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass
        """,
}
PYPROJECT = """pythonpath = ["."]
markers = ["unit: fast", "unused: never used"]

[tool.coverage.run]
source = ["calc"]
"""


@pytest.fixture(scope="module")
def baseline_repo(tmp_path_factory):
    root = make_repo(tmp_path_factory.mktemp("baseline") / "repo", FILES, pyproject=PYPROJECT)
    result = run_tpr(root, "baseline", **ENV)
    return root, result


def test_ac1_baseline_writes_every_artifact_hashed(baseline_repo):
    root, result = baseline_repo
    assert result.returncode == 0, result.stdout + result.stderr
    for name in (
        "coverage.xml",
        "durations.json",
        "flake.report.json",
        "env.signature.json",
        "markers.usage.json",
        "baseline.metrics.json",
        "baseline.metrics.hash",
        "coverage-ladder.yaml",
    ):
        assert (root / ".tpr" / name).is_file(), name
    metrics = artifact(root, "baseline.metrics.json")
    assert embedded_hash_ok(metrics)
    assert (root / ".tpr" / "baseline.metrics.hash").read_text().strip() == metrics["sha256"]
    assert metrics["missing"] == [] and metrics["population_pct"] == 100.0
    assert metrics["outcomes"] == {"failed": 1, "passed": 2, "skipped": 1}
    assert metrics["pytest_exit_code"] == 1  # a failing suite still gives a baseline
    names = event_names(root)
    assert names.index("metrics_capture_start") < names.index("metrics_capture_complete")
    assert "flake_scan_complete" in names


def test_ac1_durations_have_percentiles_and_the_slowest_tests(baseline_repo):
    root, _ = baseline_repo
    durations = artifact(root, "durations.json")
    assert durations["tests"] == 4
    assert set(durations["percentiles_s"]) == {"p50", "p90", "p95", "p99"}
    assert durations["top_slow"][0]["test_id"] == "tests/test_calc.py::test_middle"
    assert durations["top_slow"][0]["duration_s"] >= 0.05
    p = durations["percentiles_s"]
    assert p["p50"] <= p["p90"] <= p["p95"] <= p["p99"]


def test_ac1_markers_usage_counts_collected_tests(baseline_repo):
    root, _ = baseline_repo
    usage = artifact(root, "markers.usage.json")
    assert usage["usage"]["unit"] == 2
    assert usage["usage"]["skip"] == 1
    assert "unused" in usage["registered_unused"]


def test_ac6_ladder_comes_from_raw_counts(baseline_repo):
    root, _ = baseline_repo
    counts = read_coverage_xml(root / ".tpr" / "coverage.xml")
    assert counts.branches_valid > 0  # branch coverage was on
    ladder = yaml.safe_load((root / ".tpr" / "coverage-ladder.yaml").read_text())
    exact = Fraction(counts.lines_covered, counts.lines_valid) * 100
    assert ladder["baseline"]["line_pct"] == round(float(exact), 4)
    assert ladder["baseline"]["lines_covered"] == counts.lines_covered
    assert ladder["target"]["line_pct"] == round(min(100.0, float(exact) + 1.0), 4)
    assert ladder["tolerance_drop_pct"] == 1.0
    assert "coverage_ladder_recorded" in event_names(root)


def test_gate_passes_on_the_baseline_and_fails_on_a_drop(baseline_repo, tmp_path):
    root, _ = baseline_repo
    result = run_tpr(root, "gate", **ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    xml = (root / ".tpr" / "coverage.xml").read_text()
    counts = read_coverage_xml(root / ".tpr" / "coverage.xml")
    worse = tmp_path / "worse.xml"
    worse.write_text(xml.replace(f'lines-covered="{counts.lines_covered}"', 'lines-covered="1"', 1))
    result = run_tpr(root, "gate", "--coverage-xml", str(worse), **ENV)
    assert result.returncode == 1
    assert "coverage regression" in result.stderr
    assert "risk_trigger" in event_names(root)


def test_missing_coverage_data_is_a_clear_error(tmp_path):
    with pytest.raises(ArtifactError, match=r"coverage data not found; run the suite under"):
        read_coverage_xml(tmp_path / "coverage.xml")
    (tmp_path / "coverage.xml").write_text("<coverage/>")
    with pytest.raises(ArtifactError, match=r"lacks a valid 'lines-valid' count"):
        read_coverage_xml(tmp_path / "coverage.xml")
