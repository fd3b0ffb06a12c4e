"""The tracer command line beyond the seed's M2 table: addresses, connecting, running.

A tracer given --socket shakes hands before anything else, so the tests that run a
script do it against ``FakeGUI``, which performs the GUI's side of the handshake.
"""

from __future__ import annotations

import os
import time

import pytest

from pyprobe_tracer.engine import available_backends
from pyprobe_transport import SocketServer
from pyprobe_wire import MessageType, decode_message
from tests._support.fake_gui import TOKEN_ENV_VAR, FakeGUI, run_tracer
from tests._support.sockets import Background, closed_port

WAIT = 10.0


@pytest.fixture
def empty_script(tmp_path):
    script = tmp_path / "empty.py"
    script.write_text("")
    return script


@pytest.mark.parametrize("bad", ["nonsense", "127.0.0.1:http", "127.0.0.1:70000", "unix:"])
def test_malformed_socket_address_is_a_usage_error(empty_script, bad):
    result = run_tracer("--socket", bad, empty_script)
    assert result.returncode == 2
    assert "argument --socket:" in result.stderr
    assert repr(bad) in result.stderr or "port" in result.stderr


def test_unreachable_gui_exits_1_with_the_address(empty_script):
    port = closed_port()
    address = f"127.0.0.1:{port}"
    result = run_tracer("--socket", address, "--connect-timeout", "2", empty_script)
    assert result.returncode == 1
    assert f"cannot connect to the GUI at 127.0.0.1:{port}" in result.stderr


def test_gui_that_never_answers_the_handshake_fails_after_the_connect_timeout(tmp_path):
    """A listener that accepts but never sends HANDSHAKE_ACK: the tracer sends its
    HANDSHAKE first, gives up after --connect-timeout and never runs the script."""
    marker = tmp_path / "ran"
    script = tmp_path / "marks.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    env = {**os.environ, TOKEN_ENV_VAR: "the-token"}
    with SocketServer() as server:
        accepted = Background(server.accept, WAIT)
        started = time.monotonic()
        result = run_tracer(
            "--socket", server.address_string, "--connect-timeout", "1", script, env=env
        )
        elapsed = time.monotonic() - started
        with accepted.result() as transport:
            hello = decode_message(transport.recv_frame(WAIT))
    assert result.returncode == 1
    assert f"handshake with the GUI at {server.address_string} failed" in result.stderr
    assert "no HANDSHAKE_ACK within 1 s" in result.stderr
    assert 1.0 <= elapsed < 4.0, f"gave up after {elapsed:.2f} s with --connect-timeout 1"
    assert not marker.exists(), "the script ran without a handshake"
    assert hello.msg_type is MessageType.HANDSHAKE
    assert hello.payload["token"] == "the-token"


def test_script_runs_as_main_with_its_arguments(tmp_path):
    script = tmp_path / "show_args.py"
    script.write_text(
        "import sys\n"
        "assert __name__ == '__main__'\n"
        "print(sys.argv[1:], sys.path[0] == __import__('os').path.dirname(__file__))\n"
    )
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, "--n", "4096", "-v", env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['--n', '4096', '-v'] True\n"
    assert fake.messages[-1].payload == {"exit_code": 0, "stopped": False}


def test_script_exit_code_is_passed_through(tmp_path):
    script = tmp_path / "exits.py"
    script.write_text("raise SystemExit(7)\n")
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 7, result.stderr
    assert fake.messages[-1].msg_type is MessageType.DATA_SCRIPT_END
    assert fake.messages[-1].payload == {"exit_code": 7, "stopped": False}


def test_script_exception_prints_traceback_and_exits_1(tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("def f():\n    raise ValueError('bad sample rate')\nf()\n")
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 1
    assert "ValueError: bad sample rate" in result.stderr
    assert "Traceback" in result.stderr
    assert fake.wait_for(MessageType.DATA_EXCEPTION).payload["type"] == "ValueError"


def test_script_does_not_see_the_session_token(tmp_path):
    script = tmp_path / "token.py"
    script.write_text(
        "import os, subprocess, sys\n"
        f"print(os.environ.get({TOKEN_ENV_VAR!r}))\n"
        "code = 'import os; print(os.environ.get(%r))' % " + repr(TOKEN_ENV_VAR) + "\n"
        "subprocess.run([sys.executable, '-c', code], check=True)\n"
    )
    with FakeGUI() as fake:
        result = run_tracer("--socket", fake.address, script, env=fake.env())
        assert fake.ended.wait(WAIT)
    assert result.returncode == 0, result.stderr
    assert fake.outcome.ok
    assert result.stdout == "None\nNone\n"
    assert fake.token not in result.stdout


def test_unwritable_recording_exits_1(empty_script, tmp_path):
    record = tmp_path / "no_such_dir" / "run.ppr"
    result = run_tracer("--record", record, empty_script)
    assert result.returncode == 1
    assert f"cannot write the recording {record}" in result.stderr


@pytest.mark.skipif(
    "monitoring" in available_backends(), reason="every backend runs on this Python"
)
def test_unavailable_backend_exits_1(empty_script, tmp_path):
    result = run_tracer("--backend", "monitoring", "--record", tmp_path / "r.ppr", empty_script)
    assert result.returncode == 1
    assert "the monitoring backend cannot run on Python" in result.stderr
