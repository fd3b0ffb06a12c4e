"""Hardening of the tracer: probes that capture nothing, forks, stalled GUIs, huge values."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
import time

import pytest

from pyprobe_tracer.engine import anchor_for, parse_probe_spec
from pyprobe_wire import MessageType
from tests._support.fake_gui import FakeGUI, add_probe, probe_values, run_tracer, start_tracer


def script_file(tmp_path, source: str, name: str = "script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


# -- probes that resolve to no capture site --------------------------------------------


def test_augmented_item_assignment_reading_its_target_is_captured(tmp_path):
    from pyprobe_tracer.engine.anchor import resolve_probes
    from pyprobe_tracer.engine.anchor_matcher import find_sites, nested_code_objects

    script = script_file(tmp_path, "x = [10, 3]\nx[0] -= x[1]\n")
    (anchor,) = resolve_probes(script, ["2:x"])
    code = compile(script.read_text(), str(script), "exec")
    sites = find_sites(nested_code_objects(code), anchor)
    assert len(sites) == 1 and sites[0].after


def test_probe_resolving_to_no_capture_site_is_a_usage_error(tmp_path):
    script = script_file(tmp_path, "x = 1\ndel x\n")
    result = run_tracer("--probe", "2:x", "--record", tmp_path / "run.ppr", script)
    assert result.returncode == 2
    assert "resolves to no capture site" in result.stderr
    assert "2:x" in result.stderr


# -- os.fork() in the script ----------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork() here")
def test_forked_child_stays_quiet_and_the_parent_runs_on(tmp_path):
    script = script_file(
        tmp_path,
        """\
        import os, time
        x = 0
        pid = os.fork()
        if pid == 0:
            x = 1
            print("child says hi")
            raise SystemExit(0)
        os.waitpid(pid, 0)
        time.sleep(0.3)  # the GUI would have seen the child's end and shutdown by now
        for i in range(3):
            x = i + 10
        print("parent done")
        """,
    )
    anchors = [anchor_for(script, parse_probe_spec(spec)) for spec in ("5:x", "11:x")]
    with FakeGUI([add_probe(a) for a in anchors]) as gui:
        tracer = start_tracer("--socket", gui.address, script, env=gui.env())
        _out, err = tracer.communicate(timeout=60)
        end = gui.wait_for(MessageType.DATA_SCRIPT_END)
    assert tracer.returncode == 0, err
    assert end.payload == {"exit_code": 0, "stopped": False}
    assert len(gui.of_type(MessageType.DATA_SCRIPT_END)) == 1
    assert probe_values(gui.messages, "x") == [10, 11, 12]
    forwarded = "".join(m.payload["text"] for m in gui.of_type(MessageType.DATA_STDOUT))
    assert "parent done" in forwarded and "child says hi" not in forwarded


# -- a stalled GUI never keeps the tracer from ending ----------------------------------


@pytest.mark.e2e
def test_tracer_exits_within_its_wrap_up_deadline_when_the_gui_never_reads(tmp_path):
    script = script_file(
        tmp_path,
        """\
        import numpy as np
        for i in range(100):
            big = np.full(1_000_000, float(i))
        """,
    )
    stall = threading.Event()  # set only after the check: the GUI reads nothing
    probe = add_probe(anchor_for(script, parse_probe_spec("3:big")), mode="sample")
    with FakeGUI([probe], stall=stall) as gui:
        env = gui.env(PYPROBE_TRACER_WRAP_UP_SECONDS="1")
        tracer = start_tracer("--socket", gui.address, script, env=env)
        try:
            # The FakeGUI stalls for 30 s at most: the tracer must be gone well before.
            code = tracer.wait(20)
        finally:
            stall.set()
            if tracer.poll() is None:
                tracer.kill()
            tracer.communicate()
    assert code == 0


# -- values and output larger than a frame the GUI accepts -----------------------------


def _anchor(tmp_path, symbol="v"):
    from pyprobe_wire import ProbeAnchor

    return ProbeAnchor(str(tmp_path / "s.py"), 1, 0, symbol, "<module>", True)


def _streamed(manager, **streamer_options):
    from pyprobe_tracer.streaming import Streamer

    sent = []
    streamer = Streamer(
        manager, lambda kind, payload: sent.append((kind, payload)), **streamer_options
    )
    streamer.flush()
    return sent


def test_value_over_the_frame_limit_is_sent_as_a_summary_and_counted_dropped(tmp_path):
    import numpy as np

    from pyprobe_tracer.engine import CaptureManager
    from pyprobe_tracer.engine.capture_manager import Probe

    manager = CaptureManager(max_value_bytes=1_000_000)
    probe = Probe(_anchor(tmp_path))
    manager.attach(probe)
    big = np.arange(200_000, dtype=np.float64)  # 1.6 MB: over the limit
    small = np.ones(1000)
    manager.capture(probe, big)
    manager.capture(probe, small)
    sent = _streamed(manager, max_frame_bytes=1_000_000)
    (batch,) = [p for k, p in sent if k is MessageType.DATA_PROBE_VALUE_BATCH]
    summary, whole = batch["values"]
    assert summary["dtype"] == "unknown"
    assert summary["value"]["shape"] == [200_000] and summary["value"]["dtype"] == "float64"
    assert (summary["value"]["min"], summary["value"]["max"]) == (0.0, 199_999.0)
    assert summary["value"]["bytes"] == big.nbytes
    assert np.array_equal(whole["value"], small)
    (dropped,) = [p for k, p in sent if k is MessageType.DATA_DROPPED]
    assert dropped["count"] == 1 and dropped["bytes"] == big.nbytes


def test_the_default_value_limit_is_the_transports_frame_limit():
    from pyprobe_tracer.engine import CaptureManager
    from pyprobe_transport import DEFAULT_MAX_FRAME_BYTES

    limit = CaptureManager().max_value_bytes
    assert DEFAULT_MAX_FRAME_BYTES - 2**20 <= limit < DEFAULT_MAX_FRAME_BYTES


def test_batches_of_many_values_stay_under_the_frame_limit(tmp_path):
    import numpy as np

    from pyprobe_tracer.engine import CaptureManager
    from pyprobe_tracer.engine.capture_manager import Probe

    manager = CaptureManager(max_value_bytes=1_000_000)
    probe = Probe(_anchor(tmp_path))
    manager.attach(probe)
    for i in range(10):
        manager.capture(probe, np.full(50_000, float(i)))  # 400 kB each, 4 MB in all
    sent = _streamed(manager, max_frame_bytes=1_000_000)
    batches = [p["values"] for k, p in sent if k is MessageType.DATA_PROBE_VALUE_BATCH]
    assert sum(map(len, batches)) == 10
    assert all(sum(e["value"].nbytes for e in batch) <= 1_000_000 for batch in batches)


def test_long_output_is_split_into_messages_under_the_limit(tmp_path):
    from pyprobe_tracer.engine import CaptureManager
    from pyprobe_tracer.streaming import MAX_TEXT_CHARS, Streamer

    sent = []
    streamer = Streamer(CaptureManager(), lambda kind, payload: sent.append((kind, payload)))
    text = "\u00e9\U0001f600" * (MAX_TEXT_CHARS + 10)
    streamer.output(MessageType.DATA_STDOUT, text)
    streamer.flush()
    texts = [p["text"] for k, p in sent if k is MessageType.DATA_STDOUT]
    assert len(texts) >= 2 and "".join(texts) == text
    assert all(len(t) <= MAX_TEXT_CHARS for t in texts)


# -- all mode: the queue is bounded in bytes ------------------------------------------


def test_all_mode_queue_is_bounded_in_bytes_and_drops_report_count_and_bytes(tmp_path):
    import numpy as np

    from pyprobe_tracer.engine import CaptureManager
    from pyprobe_tracer.engine.capture_manager import Probe

    manager = CaptureManager(queue_bytes=10 * 8_000_000)
    probe = Probe(_anchor(tmp_path))
    manager.attach(probe)
    for _ in range(30):
        manager.capture(probe, np.zeros(1_000_000))  # 8 MB each
    assert manager.held_bytes <= 10 * 8_000_000
    assert manager.take_dropped_bytes() == {probe.anchor: (20, 20 * 8_000_000)}
    _series, records = manager.take()
    assert len(records) == 10 and manager.held_bytes == 0


def test_default_queue_byte_budget_is_256_mib():
    from pyprobe_tracer.engine import CaptureManager
    from pyprobe_tracer.engine.capture_manager import DEFAULT_QUEUE_BYTES

    assert DEFAULT_QUEUE_BYTES == 256 * 2**20 == CaptureManager().queue_bytes


def _peak_rss_bytes(status_text: str) -> int:
    line = next(line for line in status_text.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_stalled_gui_tracer_peak_memory_stays_within_the_byte_budget(tmp_path):
    budget = 64 * 2**20
    status = tmp_path / "status"
    script = script_file(
        tmp_path,
        f"""\
        import numpy as np
        for i in range(60):
            big = np.full(1_000_000, float(i))
        open({str(status)!r}, "w").write(open("/proc/self/status").read())
        """,
    )
    stall = threading.Event()
    probe = add_probe(anchor_for(script, parse_probe_spec("3:big")))
    with FakeGUI([probe], stall=stall) as gui:
        env = gui.env(PYPROBE_TRACER_QUEUE_BYTES=str(budget))
        tracer = start_tracer("--socket", gui.address, script, env=env)
        try:
            end = time.monotonic() + 60
            while not status.exists() and time.monotonic() < end:
                time.sleep(0.05)
            # 60 arrays of 8 MB (480 MB) went through the probe; the GUI read none.
            assert status.exists()
        finally:
            stall.set()
        assert tracer.wait(60) == 0
        gui.wait_for(MessageType.DATA_SCRIPT_END, timeout=60)
    peak = _peak_rss_bytes(status.read_text())
    # The interpreter with numpy, the script's own array and its snapshot come on top.
    assert peak < budget + 160 * 2**20, f"peak RSS {peak / 2**20:.0f} MiB"
    dropped = gui.of_type(MessageType.DATA_DROPPED)
    assert sum(m.payload["count"] for m in dropped) > 0
    assert all(m.payload["bytes"] > 0 for m in dropped)
    assert len(probe_values(gui.messages, "big")) + sum(m.payload["count"] for m in dropped) == 60


def test_add_probe_command_resolving_to_no_capture_site_is_refused_with_a_message(tmp_path, capfd):
    from pyprobe_tracer.commands import Commands
    from pyprobe_tracer.engine import VariableTracer
    from pyprobe_wire import Message

    script = script_file(tmp_path, "x = 1\ndel x\n")
    (anchor,) = [a for a in _occurrence_anchors(script) if a.line == 2]
    tracer = VariableTracer()
    Commands(tracer).apply(Message(MessageType.CMD_ADD_PROBE, {"anchor": anchor}))
    assert tracer.probes == []
    assert "resolves to no capture site" in capfd.readouterr().err


def _occurrence_anchors(script):
    from pyprobe_tracer.engine.anchor import ProbeAnchor, occurrences

    return [
        ProbeAnchor(str(script.resolve()), o.line, o.col, o.symbol, o.func, o.is_assignment)
        for o in occurrences(script.read_text(), str(script))
    ]


def test_summary_of_an_array_with_nan_leaves_out_min_and_max_and_encodes(tmp_path):
    import numpy as np

    from pyprobe_tracer.engine.capture_manager import summary
    from pyprobe_tracer.ipc.payloads import probe_value_payload
    from pyprobe_wire import Message, decode_message, encode_message

    big = np.full(10, np.nan)
    out = summary(big, big.nbytes, 8)
    assert "min" not in out and out["shape"] == [10] and out["bytes"] == 80
    payload = probe_value_payload(_anchor(tmp_path), out, dtype="unknown")
    sent = decode_message(encode_message(Message(MessageType.DATA_PROBE_VALUE, payload)))
    assert sent.payload["value"] == out
