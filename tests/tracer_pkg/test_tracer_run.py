"""End to end: the real ``python -m pyprobe_tracer`` subprocess against a fake GUI.

Each test starts the tracer on a small script, plays the GUI's side with
``tests._support.fake_gui.FakeGUI`` (handshake, initial commands, CMD_START, then
commands at run time) and checks what arrives: script start and end, probe values,
output, exceptions, and how quickly a stop ends the script.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from pyprobe.ipc.handshake import HandshakeResult
from pyprobe_tracer.engine import anchor_for, available_backends, parse_probe_spec
from pyprobe_transport import SocketServer, TransportTimeout
from pyprobe_wire import Message, MessageType
from tests._support.fake_gui import (
    TOKEN_ENV_VAR,
    FakeGUI,
    add_probe,
    probe_values,
    read_recording,
    run_tracer,
    start_tracer,
)
from tests._support.sockets import needs_unix

pytestmark = pytest.mark.e2e

WAIT = 10.0  # generous upper bound for anything that should take well under a second
STOP_LIMIT = 1.5  # the tracer promises 1 s; leave room for a loaded machine
# A script that swallows the interrupt is ended by the tracer's watchdog after its 0.8 s
# grace period; sending the end of the run while the script spins can take a few hundred
# ms more on a loaded machine.
WATCHDOG_LIMIT = 2.0
QUIET = 0.3  # how long "no new values" is watched for

BACKENDS = available_backends()
START = MessageType.DATA_SCRIPT_START
END = MessageType.DATA_SCRIPT_END

# A script that loops until the file named by argv[1] exists, counting in n.
WAITING = """\
import os, sys, time
flag = sys.argv[1]
n = 0
while not os.path.exists(flag):
    n = n + 1
    time.sleep(0.005)
print("final", n)
"""
WAITING_PROBE = "5:n:1"  # the n assigned on line 5


def write(directory: Path, name: str, source: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(source))
    return path


def anchor(script: Path, spec: str):
    return anchor_for(script, parse_probe_spec(spec))


def kinds(messages: list[Message]) -> list[MessageType]:
    return [m.msg_type for m in messages]


def text_of(messages: list[Message], msg_type: MessageType) -> str:
    return "".join(m.payload["text"] for m in messages if m.msg_type is msg_type)


def wait_until(predicate, timeout: float = WAIT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def values_now(fake: FakeGUI, symbol: str) -> list:
    return probe_values(list(fake.messages), symbol)


def wait_values(fake: FakeGUI, symbol: str, count: int = 1) -> list:
    return wait_until(
        lambda: (v := values_now(fake, symbol)) and len(v) >= count and v,
        what=f"{count} value(s) of {symbol}",
    )


def assert_quiet(fake: FakeGUI, symbol: str) -> list:
    """No new values of ``symbol`` for QUIET seconds (after letting in-flight ones land)."""
    time.sleep(0.1)
    before = values_now(fake, symbol)
    time.sleep(QUIET)
    assert values_now(fake, symbol) == before
    return before


def assert_framed_run(messages: list[Message], exit_code: int = 0, stopped: bool = False) -> None:
    """DATA_SCRIPT_START first, DATA_SCRIPT_END last and only once."""
    types = kinds(messages)
    assert types[0] is START, types
    assert types[-1] is END, types
    assert types.count(START) == 1 and types.count(END) == 1, types
    assert messages[-1].payload == {"exit_code": exit_code, "stopped": stopped}


@pytest.fixture
def processes():
    """Tracer subprocesses started by a test; killed if the test left one running."""
    started = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=WAIT)


@pytest.fixture
def launch(processes):
    def launch_(fake: FakeGUI, *args, env=None):
        proc = start_tracer("--socket", fake.address, *args, env=env or fake.env())
        processes.append(proc)
        return proc

    return launch_


def finish(proc, timeout: float = WAIT) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


# -- values --------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_mode_values_arrive_in_order(tmp_path, backend):
    script = write(
        tmp_path,
        "ramp.py",
        """\
        total = 0
        for i in range(200):
            x = i * 3
            total = total + x
        """,
    )
    commands = [add_probe(anchor(script, "3:x")), add_probe(anchor(script, "4:total:1"))]
    with FakeGUI(commands) as fake:
        result = run_tracer("--socket", fake.address, "--backend", backend, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert_framed_run(fake.messages)
    assert probe_values(fake.messages, "x") == [i * 3 for i in range(200)]
    running = [sum(i * 3 for i in range(k + 1)) for k in range(200)]
    assert probe_values(fake.messages, "total") == running
    # Both probes share one sequence: each x comes right before the total it feeds.
    ordered = []
    for message in fake.messages:
        if message.msg_type is MessageType.DATA_PROBE_VALUE_BATCH:
            for column in message.payload["series"]:
                symbol = column["anchor"].symbol
                ordered += [(seq, symbol) for seq in column["seq"].tolist()]
            ordered += [(e["seq"], e["anchor"].symbol) for e in message.payload["values"]]
        elif message.msg_type is MessageType.DATA_PROBE_VALUE:
            ordered.append((message.payload["seq"], message.payload["anchor"].symbol))
    symbols = [symbol for _, symbol in sorted(ordered)]
    assert symbols == ["x", "total"] * 200


def test_initial_probes_apply_before_the_script_starts(tmp_path):
    """Probes from --probe and from CMD_ADD_PROBE before CMD_START both see the very
    first value; DATA_SCRIPT_START comes first and carries the script and the pid."""
    script = write(
        tmp_path,
        "first.py",
        """\
        a = 1
        b = a + 1
        for k in range(3):
            a = a * 10
        """,
    )
    commands = [
        add_probe(anchor(script, "2:b")),
        Message(MessageType.CMD_SET_THROTTLE, {"max_hz": 30.0}),
    ]
    with FakeGUI(commands) as fake:
        proc = start_tracer("--socket", fake.address, "--probe", "4:a:1", script, env=fake.env())
        code, _, err = finish(proc)
        assert fake.ended.wait(WAIT)
    assert code == 0, err
    assert fake.outcome.ok
    assert_framed_run(fake.messages)
    assert fake.messages[0].payload == {"script": str(script), "pid": proc.pid}
    assert probe_values(fake.messages, "b") == [2]
    assert probe_values(fake.messages, "a") == [10, 100, 1000]


def test_script_waits_for_cmd_start(tmp_path, launch):
    """Nothing runs and nothing is sent until CMD_START; probes added while waiting apply."""
    marker = tmp_path / "ran"
    script = write(
        tmp_path,
        "late.py",
        f"""\
        open({str(marker)!r}, "w").close()
        for i in range(3):
            z = -i
        """,
    )
    with FakeGUI(start=False) as fake:
        proc = launch(fake, script)
        wait_until(lambda: fake.outcome is not None, what="the handshake")
        assert fake.outcome.ok
        time.sleep(0.3)
        assert not marker.exists(), "the script ran before CMD_START"
        assert fake.messages == []
        fake.send(MessageType.CMD_ADD_PROBE, {"anchor": anchor(script, "3:z")})
        fake.send(MessageType.CMD_START)
        code, _, err = finish(proc)
        assert fake.ended.wait(WAIT)
    assert code == 0, err
    assert marker.exists()
    assert_framed_run(fake.messages)
    assert probe_values(fake.messages, "z") == [0, -1, -2]


def test_values_of_threads_started_by_the_script_are_captured(tmp_path):
    script = write(
        tmp_path,
        "threads.py",
        """\
        import threading
        def work(base):
            for i in range(100):
                y = base + i
        threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        work(-1000)
        """,
    )
    with FakeGUI([add_probe(anchor(script, "4:y"))]) as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    values = probe_values(fake.messages, "y")
    bases = (0, 1000, 2000, -1000)
    assert sorted(values) == sorted(base + i for base in bases for i in range(100))
    for base in bases:  # each thread's own values stay in its order
        assert [v for v in values if base <= v < base + 100] == [base + i for i in range(100)]


def test_sample_mode_sends_far_fewer_values_than_iterations(tmp_path):
    script = write(
        tmp_path,
        "hot.py",
        """\
        import time
        end = time.monotonic() + 0.5
        i = 0
        while time.monotonic() < end:
            i = i + 1
        print(i)
        """,
    )
    with FakeGUI() as fake:
        result = run_tracer(
            "--socket", fake.address, "--probe", "5:i:1", "--mode", "sample", script,
            env=fake.env(),
        )  # fmt: skip
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    iterations = int(result.stdout)
    values = probe_values(fake.messages, "i")
    assert values, "sample mode sent nothing"
    assert values == sorted(set(values)), "samples out of order or repeated"
    assert len(values) <= 60 * 0.5 * 2 + 5, f"{len(values)} samples in 0.5 s at 60 Hz"
    assert len(values) * 20 < iterations, (len(values), iterations)
    assert_framed_run(fake.messages)


def test_sample_mode_sends_the_last_value(tmp_path):
    script = write(tmp_path, "burst.py", "for i in range(1000):\n    x = i\n")
    record = tmp_path / "run.ppr"
    result = run_tracer("--probe", "2:x", "--mode", "sample", "--record", record, script)
    assert result.returncode == 0, result.stderr
    values = probe_values(read_recording(record), "x")
    # Sample mode sends the latest value: an early sample may be overwritten before it
    # goes out, but the value the probe holds when the script ends always arrives.
    assert 1 <= len(values) <= 10
    assert values[-1] == 999, f"the last sample sent is {values[-1]}, not the final 999"


# -- output, exceptions, exit codes -------------------------------------------------


def test_stdout_and_stderr_are_forwarded_and_still_printed(tmp_path):
    script = write(
        tmp_path,
        "talk.py",
        """\
        import sys
        print("hello from the script")
        sys.stderr.write("a warning\\n")
        print("bye", flush=True)
        """,
    )
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert text_of(fake.messages, MessageType.DATA_STDOUT) == "hello from the script\nbye\n"
    assert text_of(fake.messages, MessageType.DATA_STDERR) == "a warning\n"
    assert result.stdout == "hello from the script\nbye\n"
    assert result.stderr == "a warning\n"
    assert_framed_run(fake.messages)


def test_lots_of_output_arrives_whole_and_in_order(tmp_path):
    script = write(
        tmp_path,
        "chatty.py",
        """\
        print("h\u00e9llo \u2713 \u4e16\u754c")
        for i in range(5000):
            print(i, end=" " if i % 10 else "\\n")
        """,
    )
    expected = "h\u00e9llo \u2713 \u4e16\u754c\n" + "".join(
        f"{i}" + (" " if i % 10 else "\n") for i in range(5000)
    )
    with FakeGUI() as fake:
        env = fake.env(PYTHONIOENCODING="utf-8")
        result = run_tracer("--socket", fake.address, script, env=env)
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert text_of(fake.messages, MessageType.DATA_STDOUT) == expected
    assert result.stdout == expected


def test_script_exception_is_reported_with_its_traceback(tmp_path):
    script = write(
        tmp_path,
        "boom.py",
        """\
        def f(rate):
            raise ValueError(f"bad sample rate {rate}")
        x = 44100
        f(x)
        """,
    )
    with FakeGUI([add_probe(anchor(script, "3:x"))]) as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 1
    assert_framed_run(fake.messages, exit_code=1)
    types = kinds(fake.messages)
    assert types.count(MessageType.DATA_EXCEPTION) == 1
    exception = fake.wait_for(MessageType.DATA_EXCEPTION).payload
    assert exception["type"] == "ValueError"
    assert exception["message"] == "bad sample rate 44100"
    trace = exception["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert f'File "{script}", line 4, in <module>' in trace
    assert f'File "{script}", line 2, in f' in trace
    assert trace.rstrip().endswith("ValueError: bad sample rate 44100")
    # The value captured before the crash arrives before the exception.
    assert probe_values(fake.messages, "x") == [44100]
    values_at = max(i for i, t in enumerate(types) if t.name.startswith("DATA_PROBE_VALUE"))
    assert values_at < types.index(MessageType.DATA_EXCEPTION)
    # The traceback is still printed locally, and forwarded as stderr.
    assert "ValueError: bad sample rate 44100" in result.stderr
    assert "ValueError: bad sample rate 44100" in text_of(fake.messages, MessageType.DATA_STDERR)


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("import sys\nprint('x')\nsys.exit(3)\n", 3),
        ("raise SystemExit(0)\n", 0),
        ("import sys\ndef main():\n    sys.exit(42)\nmain()\n", 42),
    ],
    ids=["exit-3", "exit-0", "exit-in-function"],
)
def test_sys_exit_code_is_reported_and_kept(tmp_path, source, code):
    script = write(tmp_path, "exits.py", source)
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == code, result.stderr
    assert_framed_run(fake.messages, exit_code=code)
    assert MessageType.DATA_EXCEPTION not in kinds(fake.messages)


def test_sys_exit_with_a_message_prints_it_and_exits_1(tmp_path):
    script = write(tmp_path, "fatal.py", "import sys\nsys.exit('fatal: bad config')\n")
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 1
    assert result.stderr == "fatal: bad config\n"
    assert text_of(fake.messages, MessageType.DATA_STDERR) == "fatal: bad config\n"
    assert_framed_run(fake.messages, exit_code=1)


def test_ctrl_c_is_the_scripts_keyboard_interrupt(tmp_path, launch):
    """SIGINT from outside (Ctrl-C in a terminal) is not a GUI stop: the script gets
    KeyboardInterrupt, reported as its exception, and the run ends with 130."""
    script = write(
        tmp_path, "sleepy.py", "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n"
    )
    with FakeGUI() as fake:
        proc = launch(fake, script)
        fake.wait_for(MessageType.DATA_STDOUT)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        code, _, err = finish(proc)
        assert fake.ended.wait(WAIT)
    assert code == 130
    assert "KeyboardInterrupt" in err
    exception = fake.wait_for(MessageType.DATA_EXCEPTION).payload
    assert exception["type"] == "KeyboardInterrupt"
    assert f'File "{script}", line 3, in <module>' in exception["traceback"]
    assert_framed_run(fake.messages, exit_code=130, stopped=False)


def test_exception_traceback_starts_at_the_script(tmp_path):
    script = write(tmp_path, "boom.py", "def f():\n    raise ValueError('bad')\nf()\n")
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    expected = f'Traceback (most recent call last):\n  File "{script}", line 3, in <module>\n'
    assert fake.wait_for(MessageType.DATA_EXCEPTION).payload["traceback"].startswith(expected)
    assert result.stderr.startswith(expected)


def test_non_daemon_thread_outliving_the_main_module_is_still_traced(tmp_path):
    script = write(
        tmp_path,
        "worker.py",
        """\
        import threading, time
        def work():
            for i in range(50):
                y = i
                time.sleep(0.002)
            print("worker done", flush=True)
        threading.Thread(target=work).start()
        """,
    )
    with FakeGUI([add_probe(anchor(script, "4:y"))]) as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "worker done\n", result.stderr
    assert text_of(fake.messages, MessageType.DATA_STDOUT) == "worker done\n"
    assert probe_values(fake.messages, "y") == list(range(50))


def test_probe_in_a_module_the_script_imports(tmp_path):
    helper = write(
        tmp_path,
        "helper.py",
        """\
        def scale(values, k):
            out = []
            for v in values:
                scaled = v * k
                out.append(scaled)
            return out
        """,
    )
    script = write(tmp_path, "main.py", "import helper\nprint(helper.scale([1, 2, 3], 10))\n")
    with FakeGUI([add_probe(anchor(helper, "4:scaled"))]) as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[10, 20, 30]\n"
    assert probe_values(fake.messages, "scaled") == [10, 20, 30]


# -- commands while the script runs ----------------------------------------------------


def test_probe_added_at_run_time_starts_capturing(tmp_path, launch):
    script = write(tmp_path, "waiting.py", WAITING)
    flag = tmp_path / "flag"
    with FakeGUI() as fake:
        proc = launch(fake, script, flag)
        fake.wait_for(START)
        time.sleep(0.1)
        assert values_now(fake, "n") == []
        fake.send(MessageType.CMD_ADD_PROBE, {"anchor": anchor(script, WAITING_PROBE)})
        wait_values(fake, "n", 5)
        flag.touch()
        code, out, err = finish(proc)
        assert fake.ended.wait(WAIT)
    assert code == 0, err
    final = int(out.split()[-1])
    values = probe_values(fake.messages, "n")
    assert values[0] > 1, "captured from before the probe was added"
    assert values == list(range(values[0], final + 1))
    assert_framed_run(fake.messages)


def test_removed_probe_stops_capturing(tmp_path, launch):
    script = write(tmp_path, "waiting.py", WAITING)
    flag = tmp_path / "flag"
    probe = anchor(script, WAITING_PROBE)
    with FakeGUI([add_probe(probe)]) as fake:
        proc = launch(fake, script, flag)
        wait_values(fake, "n", 5)
        fake.send(MessageType.CMD_REMOVE_PROBE, {"anchor": probe})
        captured = assert_quiet(fake, "n")
        flag.touch()
        code, out, err = finish(proc)
        assert fake.ended.wait(WAIT)
    assert code == 0, err
    final = int(out.split()[-1])
    assert probe_values(fake.messages, "n") == captured == list(range(1, len(captured) + 1))
    assert final > captured[-1], "the script did not go on running after the removal"


# The waiting loop in a thread the script starts.
WAITING_IN_THREAD = """\
import os, sys, threading, time
def wait_for(flag):
    n = 0
    while not os.path.exists(flag):
        n = n + 1
        time.sleep(0.005)
    print("final", n)
worker = threading.Thread(target=wait_for, args=(sys.argv[1],))
worker.start()
worker.join()
"""


def check_pause_and_resume(fake: FakeGUI, proc, flag: Path) -> None:
    wait_values(fake, "n", 5)
    fake.send(MessageType.CMD_PAUSE)
    paused = assert_quiet(fake, "n")
    fake.send(MessageType.CMD_RESUME)
    wait_values(fake, "n", len(paused) + 5)
    flag.touch()
    code, out, err = finish(proc)
    assert fake.ended.wait(WAIT)
    assert code == 0, err
    final = int(out.split()[-1])
    # Pausing holds the script; it loses nothing.
    assert probe_values(fake.messages, "n") == list(range(1, final + 1))
    assert_framed_run(fake.messages)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pause_holds_a_script_thread_and_resume_lets_it_go_on(tmp_path, launch, backend):
    script = write(tmp_path, "waiting.py", WAITING_IN_THREAD)
    flag = tmp_path / "flag"
    with FakeGUI([add_probe(anchor(script, WAITING_PROBE))]) as fake:
        proc = launch(fake, "--backend", backend, script, flag)
        check_pause_and_resume(fake, proc, flag)


def test_pause_holds_the_main_thread_and_resume_lets_it_go_on(tmp_path, launch):
    script = write(tmp_path, "waiting.py", WAITING)
    flag = tmp_path / "flag"
    with FakeGUI([add_probe(anchor(script, WAITING_PROBE))]) as fake:
        proc = launch(fake, script, flag)
        check_pause_and_resume(fake, proc, flag)


# -- stopping ---------------------------------------------------------------------------

ENDLESS = {
    "busy-loop": "i = 0\nwhile True:\n    i += 1\n",
    "busy-loop-probed": "i = 0\nwhile True:\n    i += 1\n",
    "sleep": "import time\ntime.sleep(60)\n",
    "loop-in-function": "def spin():\n    while True:\n        pass\nspin()\n",
    "swallows-interrupt": (
        "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n"
        "        pass\n"
    ),
}


@pytest.mark.timing
@pytest.mark.parametrize("kind", list(ENDLESS))
def test_stop_ends_an_endless_script_within_a_second(tmp_path, launch, kind, record_property):
    script = write(tmp_path, "endless.py", "print('running', flush=True)\n" + ENDLESS[kind])
    commands = [add_probe(anchor(script, "4:i"))] if kind == "busy-loop-probed" else []
    with FakeGUI(commands) as fake:
        proc = launch(fake, script)
        fake.wait_for(MessageType.DATA_STDOUT)
        time.sleep(0.2)  # well inside the loop (or the sleep)
        sent = time.monotonic()
        fake.send(MessageType.CMD_STOP)
        code, _, err = finish(proc)
        latency = time.monotonic() - sent
        assert fake.ended.wait(WAIT)
    record_property("stop_latency_s", round(latency, 3))
    print(f"stop latency ({kind}): {latency:.3f} s")
    limit = WATCHDOG_LIMIT if kind == "swallows-interrupt" else STOP_LIMIT
    assert latency < limit, f"the script took {latency:.2f} s to stop"
    assert code == 130, err
    assert_framed_run(fake.messages, exit_code=130, stopped=True)
    assert MessageType.DATA_EXCEPTION not in kinds(fake.messages)


def test_stop_while_paused_ends_the_script(tmp_path, launch):
    script = write(tmp_path, "waiting.py", WAITING)
    with FakeGUI([add_probe(anchor(script, WAITING_PROBE))]) as fake:
        proc = launch(fake, script, tmp_path / "never")
        wait_values(fake, "n", 3)
        fake.send(MessageType.CMD_PAUSE)
        time.sleep(0.2)
        sent = time.monotonic()
        fake.send(MessageType.CMD_STOP)
        code, _, err = finish(proc)
        latency = time.monotonic() - sent
        assert fake.ended.wait(WAIT)
    print(f"stop latency (paused): {latency:.3f} s")
    assert latency < STOP_LIMIT
    assert code == 130, err
    assert_framed_run(fake.messages, exit_code=130, stopped=True)


def test_stop_sent_with_start_ends_the_run_cleanly(tmp_path, launch):
    """CMD_STOP right behind CMD_START (a user pressing Stop at once). The race loses
    most of the time; a few tries make the failure all but certain."""
    script = write(tmp_path, "endless.py", ENDLESS["busy-loop"])
    for _ in range(8):
        commands = [Message(MessageType.CMD_START), Message(MessageType.CMD_STOP)]
        with FakeGUI(commands, start=False) as fake:
            proc = launch(fake, script)
            code, _, err = finish(proc)
            assert fake.ended.wait(WAIT)
        assert "Traceback" not in err, err
        assert code == 130, err
        assert_framed_run(fake.messages, exit_code=130, stopped=True)


def test_gui_disconnecting_stops_the_script(tmp_path, launch):
    script = write(tmp_path, "endless.py", "print('running', flush=True)\n" + ENDLESS["busy-loop"])
    with FakeGUI() as fake:
        proc = launch(fake, script)
        fake.wait_for(MessageType.DATA_STDOUT)
        closed = time.monotonic()
        fake.transport.close()
        code, _, err = finish(proc)
        latency = time.monotonic() - closed
    print(f"exit after disconnect: {latency:.3f} s")
    assert latency < STOP_LIMIT
    assert code == 130, err


# -- refusing, stopping before the start --------------------------------------------------


@pytest.mark.parametrize("token", ["not-the-token", None], ids=["wrong-token", "no-token"])
def test_refused_tracer_exits_1_without_running_the_script(tmp_path, token):
    marker = tmp_path / "ran"
    script = write(tmp_path, "marks.py", f"open({str(marker)!r}, 'w').close()\n")
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV_VAR}
    if token is not None:
        env[TOKEN_ENV_VAR] = token
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=env)
        assert fake.ended.wait(WAIT)
    assert result.returncode == 1
    assert fake.outcome.result is HandshakeResult.UNAUTHORIZED
    assert "the GUI refused this tracer" in result.stderr
    assert fake.outcome.message in result.stderr
    assert not marker.exists(), "the script ran although the GUI refused the tracer"
    assert fake.messages == []


def test_stop_before_start_exits_0_without_running(tmp_path):
    marker = tmp_path / "ran"
    script = write(tmp_path, "marks.py", f"open({str(marker)!r}, 'w').close()\n")
    commands = [add_probe(anchor(script, "1:open")), Message(MessageType.CMD_STOP)]
    with FakeGUI(commands, start=False) as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env(), timeout=WAIT)
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert fake.messages == []


# -- recording ------------------------------------------------------------------------------

RECORDED = """\
import sys
for i in range(5):
    x = i * i
    print(x)
sys.exit(4)
"""


def test_headless_recording_reads_back(tmp_path):
    script = write(tmp_path, "rec.py", RECORDED)
    record = tmp_path / "run.ppr"
    result = run_tracer("--probe", "3:x", "--record", record, script)
    assert result.returncode == 4, result.stderr
    assert result.stdout == "0\n1\n4\n9\n16\n"
    messages = read_recording(record)
    assert_framed_run(messages, exit_code=4)
    assert messages[0].payload["script"] == str(script)
    assert probe_values(messages, "x") == [0, 1, 4, 9, 16]
    assert text_of(messages, MessageType.DATA_STDOUT) == "0\n1\n4\n9\n16\n"
    assert set(kinds(messages)) <= {
        START,
        END,
        MessageType.DATA_STDOUT,
        MessageType.DATA_PROBE_VALUE,
        MessageType.DATA_PROBE_VALUE_BATCH,
    }


def test_recording_alongside_the_gui_holds_what_the_gui_got(tmp_path):
    script = write(tmp_path, "rec.py", RECORDED)
    record = tmp_path / "run.ppr"
    with FakeGUI([add_probe(anchor(script, "3:x"))]) as fake:
        result = run_tracer("--socket", fake.address, "--record", record, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 4, result.stderr
    recorded = read_recording(record)
    assert_framed_run(recorded, exit_code=4)
    assert kinds(recorded) == kinds(fake.messages)
    assert probe_values(recorded, "x") == probe_values(fake.messages, "x") == [0, 1, 4, 9, 16]


# -- addresses and usage errors ---------------------------------------------------------------


@needs_unix
def test_unix_socket_address(tmp_path):
    script = write(tmp_path, "unix.py", "for i in range(4):\n    v = -i\n")
    with FakeGUI([add_probe(anchor(script, "2:v"))], unix=True) as fake:
        assert fake.address.startswith("unix:")
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert_framed_run(fake.messages)
    assert probe_values(fake.messages, "v") == [0, -1, -2, -3]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("2:nosuch", "no 'nosuch' on this line (it has: x, i)"),
        ("2:x:2", "'x' appears 1 time(s), so occurrence 2 does not exist"),
        ("99:x", "no 'x' on this line (it has: no names)"),
        ("2", "expected LINE:SYMBOL or LINE:SYMBOL:N"),
        ("two:x", "LINE must be a positive line number, got 'two'"),
        ("0:x", "LINE must be a positive line number, got '0'"),
        ("2:1x", "SYMBOL must be a Python name, got '1x'"),
        ("2:x:0", "N must be a positive occurrence number"),
        ("2:x:1:1", "expected LINE:SYMBOL or LINE:SYMBOL:N"),
    ],
)
def test_bad_probe_is_a_usage_error(tmp_path, spec, problem):
    marker = tmp_path / "ran"
    source = f"for i in range(3):\n    x = i\nopen({str(marker)!r}, 'w').close()\n"
    script = write(tmp_path, "probed.py", source)
    record = tmp_path / "run.ppr"
    result = run_tracer("--probe", spec, "--record", record, script)
    assert result.returncode == 2
    assert result.stderr.startswith("usage:")
    assert "argument --probe:" in result.stderr
    assert problem in result.stderr
    assert not marker.exists()
    assert not record.exists()


def test_bad_probe_is_refused_before_connecting(tmp_path):
    script = write(tmp_path, "probed.py", "x = 1\n")
    with SocketServer() as server:
        result = run_tracer("--socket", server.address_string, "--probe", "1:y", script)
        assert result.returncode == 2
        assert "no 'y' on this line" in result.stderr
        with pytest.raises(TransportTimeout):  # the tracer never connected
            server.accept(timeout=0.1)
