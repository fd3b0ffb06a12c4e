"""``invoke milestone`` (tasks.py) takes the gate lock before nox touches any environment.

invoke is not part of the test environment, so tasks.py is loaded with a stand-in
for the two names it takes from invoke (``task`` and ``Exit``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

from pipelines.atomic import LOCK_HOLDER_ENV, gate_lock
from pipelines.gate import LOCK_FILE
from tests._support.plans import MINIMAL_PLAN

REPO = Path(__file__).resolve().parents[2]
PLAN = MINIMAL_PLAN


class Exit(Exception):
    def __init__(self, message=None, code=None):
        super().__init__(message)
        self.message, self.code = message, code


def task(*args, **kwargs):
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda function: function


class Context:
    def __init__(self, during_run=None):
        self.calls = []
        self.during_run = during_run

    def run(self, command, **kwargs):
        self.calls.append((command, kwargs))
        if self.during_run is not None:
            self.during_run(kwargs.get("env") or {})


@pytest.fixture
def tasks(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "invoke", types.SimpleNamespace(Exit=Exit, task=task))
    spec = importlib.util.spec_from_file_location("tasks_under_test", REPO / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "packages" / "calc").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_add.py").write_text("def test_add():\n    pass\n")
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "M1.yaml").write_text(yaml.safe_dump(PLAN))
    monkeypatch.setattr(module, "ROOT", tmp_path)
    return module


def test_invoke_milestone_refuses_before_starting_nox_while_another_gate_runs(tasks):
    lock = tasks.ROOT / LOCK_FILE
    other = subprocess.Popen(["sleep", "30"])
    try:
        lock.write_text(str(other.pid))
        c = Context()
        with pytest.raises(Exit) as refused:
            tasks.milestone(c, "m1")
    finally:
        other.kill()
        other.wait()
    assert c.calls == []  # nox never ran, so .nox/milestone was not touched
    assert refused.value.code == 1
    assert "another milestone gate is running" in refused.value.message
    assert f"pid {other.pid}" in refused.value.message
    assert lock.read_text() == str(other.pid)


def test_invoke_milestone_holds_the_lock_while_nox_runs_the_gate_under_it(tasks, monkeypatch):
    lock = tasks.ROOT / LOCK_FILE
    seen = []

    def inner_gate(env):
        assert lock.read_text() == str(os.getpid())
        monkeypatch.setenv(LOCK_HOLDER_ENV, env[LOCK_HOLDER_ENV])
        with gate_lock(lock):  # the gate inside nox, started with nox's environment
            seen.append("ran")

    c = Context(inner_gate)
    tasks.milestone(c, "m1", step="next")
    assert seen == ["ran"]
    assert "-s milestone -- milestone M1 --failfast-mode off --step next" in c.calls[0][0]
    assert not lock.exists()
