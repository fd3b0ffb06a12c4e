"""The tracer command line beyond the seed's M2 table: addresses, connecting, running."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from pyprobe_transport import SocketServer
from tests._support.sockets import closed_port


def run_tracer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyprobe_tracer", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def listening():
    """A server that accepts one tracer connection in the background."""
    with SocketServer() as server:
        accepted = []
        thread = threading.Thread(target=lambda: accepted.append(server.accept(timeout=20)))
        thread.start()
        host, port = server.address
        yield f"{host}:{port}"
        thread.join()
        for transport in accepted:
            transport.close()


@pytest.fixture
def empty_script(tmp_path):
    script = tmp_path / "empty.py"
    script.write_text("")
    return script


@pytest.mark.parametrize("bad", ["nonsense", "127.0.0.1:http", "127.0.0.1:70000", "unix:"])
def test_malformed_socket_address_is_a_usage_error(empty_script, bad):
    result = run_tracer("--socket", bad, str(empty_script))
    assert result.returncode == 2
    assert "argument --socket:" in result.stderr
    assert repr(bad) in result.stderr or "port" in result.stderr


def test_unreachable_gui_exits_1_with_the_address(empty_script):
    port = closed_port()
    address = f"127.0.0.1:{port}"
    result = run_tracer("--socket", address, "--connect-timeout", "2", str(empty_script))
    assert result.returncode == 1
    assert f"cannot connect to the GUI at 127.0.0.1:{port}" in result.stderr


def test_script_runs_as_main_with_its_arguments(tmp_path, listening):
    script = tmp_path / "show_args.py"
    script.write_text(
        "import sys\n"
        "assert __name__ == '__main__'\n"
        "print(sys.argv[1:], sys.path[0] == __import__('os').path.dirname(__file__))\n"
    )
    result = run_tracer("--socket", listening, str(script), "--n", "4096", "-v")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['--n', '4096', '-v'] True\n"


def test_script_exit_code_is_passed_through(tmp_path, listening):
    script = tmp_path / "exits.py"
    script.write_text("raise SystemExit(7)\n")
    assert run_tracer("--socket", listening, str(script)).returncode == 7


def test_script_exception_prints_traceback_and_exits_1(tmp_path, listening):
    script = tmp_path / "boom.py"
    script.write_text("def f():\n    raise ValueError('bad sample rate')\nf()\n")
    result = run_tracer("--socket", listening, str(script))
    assert result.returncode == 1
    assert "ValueError: bad sample rate" in result.stderr
    assert "Traceback" in result.stderr
