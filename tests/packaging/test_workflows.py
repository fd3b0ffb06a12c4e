"""The GitHub workflows release from tags, with least privilege and pinned actions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_text(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


ALL = sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def test_the_tracer_publishes_on_its_tags_or_by_hand_to_testpypi():
    triggers = load("publish-tracer.yml")["on"]
    assert triggers["push"] == {"tags": ["tracer-v*"]}
    dispatch = triggers["workflow_dispatch"]["inputs"]
    assert dispatch["index"]["default"] == "testpypi"
    assert set(dispatch["index"]["options"]) == {"testpypi", "pypi"}


def test_the_gui_binary_is_released_on_its_tags():
    assert load("release.yml")["on"] == {"push": {"tags": ["gui-v*"]}}


@pytest.mark.parametrize("name", ALL)
def test_no_workflow_grants_permissions_at_the_top(name):
    assert load(name)["permissions"] == {}


@pytest.mark.parametrize("name", ALL)
def test_every_action_is_pinned_to_a_commit_with_its_version(name):
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    uses = [step["uses"] for step in steps(load(name)) if "uses" in step]
    assert uses
    for action in uses:
        assert PINNED.match(action), action
        assert re.search(re.escape(action) + r" # v\d+\.\d+\.\d+\n", text), action


@pytest.mark.parametrize("name", ALL)
def test_checkout_never_keeps_the_token(name):
    checkouts = [s for s in steps(load(name)) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_only_the_publish_job_gets_an_id_token_in_the_pypi_environment():
    jobs = load("publish-tracer.yml")["jobs"]
    with_token = [name for name, job in jobs.items() if "id-token" in job.get("permissions", {})]
    assert with_token == ["publish"]
    publish = jobs["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["needs"] == "build"
    assert "'pypi'" in publish["environment"]["name"]  # pypi, or testpypi when asked
    assert jobs["build"]["permissions"] == {"contents": "read"}


def test_the_build_job_runs_the_release_pipeline_and_uploads_dist_once():
    build = load("publish-tracer.yml")["jobs"]["build"]
    assert "nox -s release" in run_text(build)
    uploads = [
        s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert [s["with"]["path"] for s in uploads] == ["dist/"]


def test_wire_then_transport_then_tracer_are_published_each_from_its_folder():
    publish = load("publish-tracer.yml")["jobs"]["publish"]
    uploads = [
        s for s in publish["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@")
    ]
    assert [s["with"]["packages-dir"] for s in uploads] == [
        "dist/pyprobe-wire/",
        "dist/pyprobe-transport/",
        "dist/pyprobe-tracer/",
    ]
    for step in uploads:
        assert step["with"]["attestations"] is True
        assert not {"password", "user"} & set(step["with"])  # trusted publishing only


def test_the_gui_release_smoke_tests_the_binary_before_only_its_last_job_can_write():
    jobs = load("release.yml")["jobs"]
    binary, attach = jobs["binary"], jobs["attach"]
    assert binary["permissions"] == {"contents": "read"}
    assert attach["permissions"] == {"contents": "write"}
    assert attach["needs"] == "binary"
    script = run_text(binary)
    assert "nox -s freeze" in script
    assert "nox -s release" in script and "--dry-run" in script
    assert "--auto-run --auto-quit" in script and "--export" in script
    assert "gh release" in run_text(attach)


def test_ci_reads_only():
    jobs = load("ci.yml")["jobs"]
    assert jobs
    assert all(job["permissions"] == {"contents": "read"} for job in jobs.values())
