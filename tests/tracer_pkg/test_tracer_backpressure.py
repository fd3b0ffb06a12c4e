"""A GUI that stops reading never makes the script wait, and never loses values silently."""

from __future__ import annotations

import textwrap
import threading
import time

import pytest

from pyprobe_tracer.engine import anchor_for, parse_probe_spec
from pyprobe_wire import MessageType
from tests._support.fake_gui import FakeGUI, add_probe, probe_values, start_tracer

pytestmark = pytest.mark.e2e


def script_file(tmp_path, source: str):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(source))
    return path


def wait_for(path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_sample_mode_script_runs_on_while_the_gui_is_stalled(tmp_path):
    done = tmp_path / "done"
    script = script_file(
        tmp_path,
        f"""\
        import numpy as np
        for i in range(300):
            big = np.full(1_000_000, float(i))
        open({str(done)!r}, "w").close()
        """,
    )
    stall = threading.Event()
    probe = add_probe(anchor_for(script, parse_probe_spec("3:big")), mode="sample")
    with FakeGUI([probe], stall=stall) as gui:
        tracer = start_tracer("--socket", gui.address, script, env=gui.env())
        try:
            wait_for(done, seconds=30)
            # 300 arrays of 8 MB went through the probe; the GUI read none of them.
            assert done.exists(), "the script waited for the stalled GUI"
        finally:
            stall.set()
        assert tracer.wait(30) == 0
        gui.wait_for(MessageType.DATA_SCRIPT_END)
    values = probe_values(gui.messages, "big")
    assert 1 <= len(values) < 300
    assert all(len(v) == 1_000_000 for v in values)


def test_all_mode_overflow_while_stalled_is_reported_as_dropped(tmp_path):
    total = 700_000
    done = tmp_path / "done"
    script = script_file(
        tmp_path,
        f"""\
        for i in range({total}):
            v = i
        open({str(done)!r}, "w").close()
        """,
    )
    stall = threading.Event()
    probe = add_probe(anchor_for(script, parse_probe_spec("2:v")))
    with FakeGUI([probe], stall=stall) as gui:
        tracer = start_tracer("--socket", gui.address, script, env=gui.env())
        try:
            # The GUI reads nothing for the whole loop: far more values than the
            # socket buffers and the queue bound can hold.
            wait_for(done, seconds=60)
        finally:
            stall.set()
        assert tracer.wait(60) == 0
        gui.wait_for(MessageType.DATA_SCRIPT_END, timeout=60)
    values = probe_values(gui.messages, "v")
    dropped = sum(m.payload["count"] for m in gui.of_type(MessageType.DATA_DROPPED))
    assert dropped > 0, "the queue bound was never reached: make the loop longer"
    assert len(values) + dropped == total
    assert values == sorted(values)
    assert len(set(values)) == len(values)
