"""M7 version handshake: the tracer announces itself first, the GUI accepts or refuses.

The first six tests are the seed plan's M7 table. Each handshake runs over a real
loopback connection: the GUI side is pyprobe.ipc.accept_handshake, the tracer side
pyprobe_tracer.ipc.perform_handshake (or TracerIPCClient.open, as the command line
calls it), unless a test needs a misbehaving peer written by hand.
"""

from __future__ import annotations

import inspect
import os
import platform
import socket
import subprocess
import sys
import threading
import time

import pytest

import pyprobe_tracer
from pyprobe.ipc import (
    HANDSHAKE_TIMEOUT,
    TOKEN_ENV_VAR,
    HandshakeOutcome,
    HandshakeResult,
    accept_handshake,
    check_compatibility,
    new_session_token,
)
from pyprobe.ipc.handshake import HANDSHAKE_MAX_BYTES, _first_frame
from pyprobe_tracer.ipc import TOKEN_ENV_VAR as TRACER_TOKEN_ENV_VAR
from pyprobe_tracer.ipc import (
    HandshakeError,
    HandshakeRejected,
    TracerIPCClient,
    handshake_payload,
    perform_handshake,
    token_from_environment,
)
from pyprobe_transport import (
    ConnectionClosed,
    FrameTooLarge,
    SocketServer,
    TransportTimeout,
)
from pyprobe_wire import PROTOCOL_VERSION, Message, MessageType, decode_message, encode_message
from tests._support.fake_gui import FakeGUI
from tests._support.sockets import TIMEOUT, Background, transport_pair

TOKEN = "s3ssion-t0ken-for-tests_0123456789abcdef"
UPGRADE_TRACER = "pip install --upgrade pyprobe-tracer"


def tracer_side(transport, **kwargs):
    """perform_handshake's ack payload, or the HandshakeError it raised."""
    try:
        return perform_handshake(transport, **kwargs)
    except HandshakeError as exc:
        return exc


def handshake(gui_version=PROTOCOL_VERSION, tracer_version=PROTOCOL_VERSION, **tracer_kwargs):
    """(GUI outcome, tracer result) of one handshake over loopback TCP."""
    tracer_kwargs.setdefault("token", TOKEN)
    with transport_pair() as (gui, tracer):
        tracing = Background(
            lambda: tracer_side(
                tracer, protocol_version=tracer_version, timeout=TIMEOUT, **tracer_kwargs
            )
        )
        outcome = accept_handshake(gui, token=TOKEN, protocol_version=gui_version, timeout=TIMEOUT)
        return outcome, tracing.result()


def receive(transport) -> Message:
    return decode_message(transport.recv_frame(timeout=TIMEOUT))


def send(transport, msg_type: MessageType, payload=None) -> None:
    transport.send_frame(encode_message(Message(msg_type, payload)))


# --------------------------------------------------------------- seed plan, M7


# @tdd-prose:behavior handshake.version.compatible
def test_handshake_compatible():
    outcome, ack = handshake("1.0", "1.0")

    assert isinstance(outcome, HandshakeOutcome)
    assert outcome.result is HandshakeResult.OK
    assert outcome.ok
    assert outcome.message == ""
    assert ack == {"protocol_version": "1.0", "accepted": True, "message": ""}
    assert outcome.peer["protocol_version"] == "1.0"
    assert outcome.peer["tracer_version"] == pyprobe_tracer.__version__
    assert outcome.peer["python_version"] == platform.python_version()
    assert outcome.peer["platform"] == sys.platform
    assert outcome.peer["pid"] == os.getpid()
    assert "token" not in outcome.peer  # the secret is never handed on


# @tdd-prose:behavior handshake.version.minor_difference_is_compatible
def test_handshake_minor_version_compat():
    outcome, ack = handshake(gui_version="1.2", tracer_version="1.0")

    assert outcome.result is HandshakeResult.OK
    assert ack["accepted"] is True
    assert ack["protocol_version"] == "1.2"


# @tdd-prose:behavior handshake.version.major_mismatch_is_refused
def test_handshake_major_mismatch():
    outcome, rejected = handshake(gui_version="2.0", tracer_version="1.0")

    assert outcome.result is HandshakeResult.INCOMPATIBLE
    assert not outcome.ok
    assert isinstance(rejected, HandshakeRejected)
    assert rejected.ack["accepted"] is False
    assert rejected.ack["protocol_version"] == "2.0"


def test_handshake_result_has_upgrade_message():
    outcome, rejected = handshake(gui_version="2.0", tracer_version="1.0")

    assert UPGRADE_TRACER in outcome.message
    assert "1.0" in outcome.message and "2." in outcome.message
    # The tracer gets the same words, to print before it exits.
    assert rejected.message == outcome.message
    assert str(rejected) == outcome.message


# @tdd-prose:behavior handshake.timeout
def test_handshake_timeout():
    assert HANDSHAKE_TIMEOUT == 5.0
    assert inspect.signature(accept_handshake).parameters["timeout"].default == HANDSHAKE_TIMEOUT

    with transport_pair() as (gui, tracer):  # a tracer that says nothing
        started = time.monotonic()
        outcome = accept_handshake(gui, token=TOKEN, timeout=0.2)
        elapsed = time.monotonic() - started

        assert outcome.result is HandshakeResult.TIMEOUT
        assert "0.2 s" in outcome.message
        assert 0.15 <= elapsed < 3.0
        # A late tracer still learns why: the refusal was sent anyway.
        reply = receive(tracer)
        assert reply.msg_type is MessageType.HANDSHAKE_ACK
        assert reply.payload["accepted"] is False


# @tdd-prose:behavior handshake.is_the_first_message
def test_handshake_is_first_message():
    with SocketServer() as server:
        opening = Background(
            lambda: TracerIPCClient.open(server.address_string, token=TOKEN, timeout=TIMEOUT)
        )
        with server.accept(timeout=TIMEOUT) as gui:
            first = receive(gui)

            assert first.msg_type is MessageType.HANDSHAKE
            assert set(first.payload) == {
                "protocol_version",
                "tracer_version",
                "python_version",
                "platform",
                "pid",
                "capabilities",
                "token",
            }
            assert first.payload["protocol_version"] == PROTOCOL_VERSION
            assert first.payload["token"] == TOKEN

            ack = {"protocol_version": PROTOCOL_VERSION, "accepted": True, "message": ""}
            send(gui, MessageType.HANDSHAKE_ACK, ack)
            with opening.result() as client:
                assert client.handshake_ack == ack
                client.send_script_start("/tmp/dsp/filter.py", os.getpid())
                assert receive(gui).msg_type is MessageType.DATA_SCRIPT_START


# --------------------------------------------------------------- versions


def test_handshake_newer_minor_tracer_is_compatible_too():
    outcome, ack = handshake(gui_version="1.0", tracer_version="1.7")

    assert outcome.result is HandshakeResult.OK
    assert ack["accepted"] is True


def test_newer_major_tracer_says_to_upgrade_the_gui():
    outcome, rejected = handshake(gui_version="1.0", tracer_version="2.0")

    assert outcome.result is HandshakeResult.INCOMPATIBLE
    assert "pip install --upgrade pyprobe-gui" in outcome.message
    assert UPGRADE_TRACER not in outcome.message
    assert "GUI" in outcome.message
    assert isinstance(rejected, HandshakeRejected)


@pytest.mark.parametrize(
    ("gui", "tracer", "result"),
    [
        ("1.0", "1.0", HandshakeResult.OK),
        ("1.2", "1.0", HandshakeResult.OK),
        ("1.0", "1.2", HandshakeResult.OK),
        ("1.10", "1.9", HandshakeResult.OK),
        ("2.0", "1.0", HandshakeResult.INCOMPATIBLE),
        ("1.0", "2.0", HandshakeResult.INCOMPATIBLE),
        ("10.0", "9.0", HandshakeResult.INCOMPATIBLE),  # as ints: "10" < "9" as strings
        ("0.1", "1.1", HandshakeResult.INCOMPATIBLE),
    ],
)
def test_compatibility_compares_major_versions_as_numbers(gui, tracer, result):
    outcome = check_compatibility(gui, tracer)

    assert outcome.result is result
    assert (outcome.message == "") == (result is HandshakeResult.OK)


def test_compatibility_says_which_side_to_upgrade():
    older_tracer = check_compatibility("10.0", "9.3").message
    older_gui = check_compatibility("9.3", "10.0").message

    assert UPGRADE_TRACER in older_tracer and "9.3" in older_tracer
    assert UPGRADE_TRACER not in older_gui and "upgrade pyprobe" in older_gui
    assert "10.0" in older_gui


@pytest.mark.parametrize(
    "bad",
    ["1", "1.x", "", "v1.0", "1.0.0", " 1.0", "1.0\n", "１.0", "-1.0", None, 1.0, 1, ["1", "0"]],
)
def test_malformed_tracer_version_is_incompatible_and_shown(bad):
    outcome = check_compatibility("1.0", bad)

    assert outcome.result is HandshakeResult.INCOMPATIBLE
    assert repr(bad) in outcome.message
    assert UPGRADE_TRACER in outcome.message


def test_malformed_gui_version_is_incompatible_and_shown():
    outcome = check_compatibility("one", "1.0")

    assert outcome.result is HandshakeResult.INCOMPATIBLE
    assert "'one'" in outcome.message and "GUI" in outcome.message


def test_huge_malformed_version_is_shown_shortened():
    outcome = check_compatibility("1.0", "9" * 10_000)

    assert outcome.result is HandshakeResult.INCOMPATIBLE
    assert len(outcome.message) < 500


def test_malformed_version_over_the_socket_is_refused():
    outcome, rejected = handshake(tracer_version="one.zero")

    assert outcome.result is HandshakeResult.INCOMPATIBLE
    assert "'one.zero'" in outcome.message
    assert isinstance(rejected, HandshakeRejected)


# --------------------------------------------------------------- the session token


def test_right_token_is_accepted_through_open():
    with SocketServer() as server:
        opening = Background(
            lambda: TracerIPCClient.open(server.address_string, token=TOKEN, timeout=TIMEOUT)
        )
        with server.accept(timeout=TIMEOUT) as gui:
            outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)
            with opening.result() as client:
                assert outcome.result is HandshakeResult.OK
                assert client.handshake_ack["accepted"] is True
                client.send_stdout("hello")
                assert receive(gui).payload == {"text": "hello"}


# @tdd-prose:behavior handshake.token.wrong_token_is_refused
def test_wrong_token_is_unauthorized_and_nothing_more_is_read():
    with transport_pair() as (gui, tracer):
        send(tracer, MessageType.HANDSHAKE, handshake_payload(token="not-" + TOKEN))
        send(tracer, MessageType.DATA_STDOUT, {"text": "sneaking in"})

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.UNAUTHORIZED
        assert "token" in outcome.message
        assert TOKEN not in outcome.message
        assert dict(outcome.peer) == {}  # nothing an unknown peer said is passed on
        reply = receive(tracer)
        assert reply.msg_type is MessageType.HANDSHAKE_ACK
        assert reply.payload["accepted"] is False
        assert reply.payload["message"] == outcome.message
        # accept_handshake read exactly one frame: the next one is still waiting.
        assert receive(gui).payload == {"text": "sneaking in"}


@pytest.mark.parametrize("token", [None, "", "missing", 12345])
def test_missing_token_is_unauthorized(token):
    payload = handshake_payload(token="placeholder")
    if token == "missing":
        del payload["token"]
    else:
        payload["token"] = token
    with transport_pair() as (gui, tracer):
        send(tracer, MessageType.HANDSHAKE, payload)

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.UNAUTHORIZED
        assert TOKEN_ENV_VAR in outcome.message
        assert receive(tracer).payload["accepted"] is False


def test_tracer_without_a_token_learns_why():
    outcome, rejected = handshake(token=None)

    assert outcome.result is HandshakeResult.UNAUTHORIZED
    assert isinstance(rejected, HandshakeRejected)
    assert TRACER_TOKEN_ENV_VAR in rejected.message


# @tdd-prose:behavior handshake.token.checked_before_the_version
def test_token_is_checked_before_the_version():
    outcome, _ = handshake(gui_version="2.0", tracer_version="1.0", token="wrong")

    assert outcome.result is HandshakeResult.UNAUTHORIZED


def test_non_ascii_token_compares_safely():
    outcome, _ = handshake(token="tökén")

    assert outcome.result is HandshakeResult.UNAUTHORIZED


def test_accept_handshake_needs_a_token():
    with transport_pair() as (gui, _), pytest.raises(ValueError, match="token"):
        accept_handshake(gui, token="", timeout=TIMEOUT)


def test_token_travels_in_the_environment(monkeypatch):
    assert TOKEN_ENV_VAR == TRACER_TOKEN_ENV_VAR == "PYPROBE_SESSION_TOKEN"
    assert token_from_environment({"PYPROBE_SESSION_TOKEN": "abc"}) == "abc"
    assert token_from_environment({}) is None
    assert token_from_environment({"PYPROBE_SESSION_TOKEN": ""}) is None
    monkeypatch.setenv("PYPROBE_SESSION_TOKEN", TOKEN)
    assert token_from_environment() == TOKEN
    monkeypatch.delenv("PYPROBE_SESSION_TOKEN")
    assert token_from_environment() is None


def test_new_session_tokens_are_random_and_printable():
    tokens = {new_session_token() for _ in range(20)}

    assert len(tokens) == 20
    for token in tokens:
        assert len(token) >= 32
        assert token.isascii() and token.isprintable() and " " not in token


# --------------------------------------------------------------- misbehaving tracers


def test_non_handshake_first_frame_is_refused():
    with transport_pair() as (gui, tracer):
        send(tracer, MessageType.DATA_SCRIPT_START, {"script": "x.py", "pid": 1})

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.INCOMPATIBLE
        assert "DATA_SCRIPT_START" in outcome.message
        assert UPGRADE_TRACER in outcome.message
        assert receive(tracer).payload["accepted"] is False


def test_garbage_first_frame_is_refused():
    with transport_pair() as (gui, tracer):
        tracer.send_frame(b"GET / HTTP/1.1\r\n\r\n")

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.INCOMPATIBLE
        assert "not a PyProbe message" in outcome.message


@pytest.mark.parametrize("payload", [None, "1.0", ["1.0"], {"tracer_version": "0.1.0"}])
def test_handshake_payload_without_a_version_is_refused(payload):
    with transport_pair() as (gui, tracer):
        if isinstance(payload, dict):
            payload = {**payload, "token": TOKEN}
        send(tracer, MessageType.HANDSHAKE, payload)

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result in (HandshakeResult.INCOMPATIBLE, HandshakeResult.UNAUTHORIZED)
        assert receive(tracer).payload["accepted"] is False


def test_oversized_first_frame_is_refused_before_it_is_read():
    with transport_pair(max_frame_bytes=64) as (gui, tracer):
        send(tracer, MessageType.HANDSHAKE, handshake_payload(token=TOKEN))

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.INCOMPATIBLE
        assert "exceeds max_frame_bytes 64" in outcome.message
        assert gui.closed


def test_tracer_that_closes_before_its_handshake_is_refused():
    with transport_pair() as (gui, tracer):
        tracer.close()

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.INCOMPATIBLE
        assert "closed the connection" in outcome.message


def test_tracer_that_stalls_mid_frame_is_cut_off():
    with (
        SocketServer() as server,
        socket.create_connection(server.address, timeout=TIMEOUT) as raw,
        server.accept(timeout=TIMEOUT) as gui,
    ):
        # A transport prefix announcing 100 bytes, then only 3 of them.
        raw.sendall(b"\x00\x00\x00\x64PPR")
        started = time.monotonic()

        outcome = accept_handshake(gui, token=TOKEN, timeout=0.2)

        assert outcome.result is HandshakeResult.TIMEOUT
        assert time.monotonic() - started < 3.0
        assert gui.closed


# --------------------------------------------------------------- tracer side


def test_the_first_frame_is_handed_back_with_its_watchdog_thread_already_ended():
    # Not a moment later: a channel's cleanup is checked for leftover threads, and a
    # loaded machine can be slow to run a cancelled timer's exit. The long switch interval
    # keeps this thread from yielding to the timer on its own.
    with transport_pair() as (gui, tracer):
        send(tracer, MessageType.HANDSHAKE, handshake_payload(token=TOKEN))
        before = set(threading.enumerate())
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1.0)
        try:
            frame = _first_frame(gui, TIMEOUT)
            running = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        finally:
            sys.setswitchinterval(interval)
    assert decode_message(frame).msg_type is MessageType.HANDSHAKE
    assert running == []


def test_tracer_raises_handshake_rejected_with_the_gui_message():
    with transport_pair() as (gui, tracer):
        tracing = Background(lambda: tracer_side(tracer, token=TOKEN, timeout=TIMEOUT))
        assert receive(gui).msg_type is MessageType.HANDSHAKE
        ack = {"protocol_version": "1.0", "accepted": False, "message": "use the other GUI"}
        send(gui, MessageType.HANDSHAKE_ACK, ack)

        rejected = tracing.result()

        assert isinstance(rejected, HandshakeRejected)
        assert rejected.message == "use the other GUI"
        assert rejected.ack == ack


def test_open_raises_handshake_rejected_and_closes():
    with SocketServer() as server:
        opening = Background(
            lambda: TracerIPCClient.open(server.address_string, token="wrong", timeout=TIMEOUT)
        )
        with server.accept(timeout=TIMEOUT) as gui:
            outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)
            with pytest.raises(HandshakeRejected) as caught:
                opening.result()

            assert outcome.result is HandshakeResult.UNAUTHORIZED
            assert caught.value.message == outcome.message
            with pytest.raises(ConnectionClosed):  # open() closed its end
                gui.recv_frame(timeout=TIMEOUT)


def test_tracer_gives_up_without_a_reply():
    with transport_pair() as (gui, tracer):
        started = time.monotonic()
        error = tracer_side(tracer, token=TOKEN, timeout=0.2)

        assert type(error) is HandshakeError
        assert "HANDSHAKE_ACK" in str(error) and "0.2 s" in str(error)
        assert time.monotonic() - started < 3.0
        assert receive(gui).msg_type is MessageType.HANDSHAKE


@pytest.mark.parametrize(
    ("msg_type", "payload", "match"),
    [
        (MessageType.CMD_START, None, "CMD_START"),
        (MessageType.HANDSHAKE_ACK, {"accepted": "yes"}, "accepted"),
        (MessageType.HANDSHAKE_ACK, {"accepted": False, "message": 3}, "message"),
        (MessageType.HANDSHAKE_ACK, [True], "payload"),
    ],
)
def test_tracer_refuses_a_bad_reply(msg_type, payload, match):
    with transport_pair() as (gui, tracer):
        tracing = Background(lambda: tracer_side(tracer, token=TOKEN, timeout=TIMEOUT))
        receive(gui)
        send(gui, msg_type, payload)

        error = tracing.result()

        assert type(error) is HandshakeError
        assert match in str(error)


def test_tracer_refuses_an_oversized_reply():
    # transport_pair puts the limit on its first (accepting) side: the tracer here.
    with transport_pair(max_frame_bytes=64) as (tracer, gui):
        tracing = Background(lambda: tracer_side(tracer, token=TOKEN, timeout=TIMEOUT))
        receive(gui)
        send(gui, MessageType.HANDSHAKE_ACK, {"accepted": True, "message": "x" * 200})

        error = tracing.result()

        assert type(error) is HandshakeError
        assert "exceeds max_frame_bytes 64" in str(error)


def test_tracer_reports_a_gui_that_hangs_up():
    with transport_pair() as (gui, tracer):
        tracing = Background(lambda: tracer_side(tracer, token=TOKEN, timeout=TIMEOUT))
        receive(gui)
        gui.close()

        error = tracing.result()

        assert type(error) is HandshakeError
        assert "closed" in str(error)


def test_handshake_payload_describes_the_tracer():
    payload = handshake_payload(token=TOKEN)

    assert payload["protocol_version"] == PROTOCOL_VERSION
    assert payload["tracer_version"] == pyprobe_tracer.__version__
    assert payload["token"] == TOKEN
    capabilities = payload["capabilities"]
    assert all(type(name) is str for name in capabilities)
    backend = "monitoring" if sys.version_info >= (3, 12) else "settrace"
    assert backend in capabilities
    assert handshake_payload(token=TOKEN, protocol_version="3.1")["protocol_version"] == "3.1"


# --------------------------------------------------------------- hardening


def raw_handshake_frame(header: str) -> bytes:
    """A wire frame with this header text and no arrays, written by hand."""
    return b"PPR*" + (len(header) + 1).to_bytes(4, "big") + header.encode() + b"\0"


def hello_header(*, timestamp="0.0", msg_type="HANDSHAKE", token=TOKEN):
    return (
        f'{{"v":1,"msg_type":"{msg_type}","timestamp":{timestamp},"payload":'
        f'{{"protocol_version":"1.0","token":"{token}"}},"arrays":[]}}'
    )


def test_handshake_frame_has_its_own_small_limit_checked_before_the_body_is_read():
    with (
        SocketServer() as server,
        socket.create_connection(server.address, timeout=TIMEOUT) as raw,
        server.accept(timeout=TIMEOUT) as gui,
    ):
        # A transport prefix announcing 20 MB (far under max_frame_bytes), then nothing.
        raw.sendall((20_000_000).to_bytes(4, "big"))
        started = time.monotonic()

        outcome = accept_handshake(gui, token=TOKEN, timeout=2.0)

        assert outcome.result is HandshakeResult.INCOMPATIBLE
        assert f"exceeds max_frame_bytes {HANDSHAKE_MAX_BYTES}" in outcome.message
        assert time.monotonic() - started < 1.0
        assert gui.closed
    assert HANDSHAKE_MAX_BYTES == 64 * 1024


def test_token_that_is_not_valid_unicode_text_is_unauthorized_not_an_error():
    with transport_pair() as (gui, tracer):
        send(tracer, MessageType.HANDSHAKE, {"protocol_version": "1.0", "token": "\ud800"})

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.UNAUTHORIZED
        assert receive(tracer).payload["accepted"] is False


def test_handshake_with_a_huge_integer_timestamp_is_incompatible_not_an_error():
    with transport_pair() as (gui, tracer):
        tracer.send_frame(raw_handshake_frame(hello_header(timestamp="9" * 400)))

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.INCOMPATIBLE
        assert "timestamp" in outcome.message
        assert receive(tracer).payload["accepted"] is False


def test_refusal_shows_only_a_bounded_part_of_what_the_peer_sent():
    with transport_pair() as (gui, tracer):
        tracer.send_frame(raw_handshake_frame(hello_header(msg_type="X" * 60_000)))

        outcome = accept_handshake(gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.result is HandshakeResult.INCOMPATIBLE
        assert "unknown message type" in outcome.message
        assert len(outcome.message) < 1000
        assert len(receive(tracer).payload["message"]) < 1000


class _RecordingTransport:
    """A transport that records the deadlines and limits each call was given."""

    def __init__(self, inner):
        self.inner = inner
        self.calls = []

    def recv_frame(self, timeout=None, **kwargs):
        self.calls.append(("recv", {"timeout": timeout, **kwargs}))
        return self.inner.recv_frame(timeout, **kwargs)

    def send_frame(self, data, **kwargs):
        self.calls.append(("send", kwargs))
        return self.inner.send_frame(data, **kwargs)

    @property
    def closed(self):
        return self.inner.closed

    def close(self):
        self.inner.close()


def test_every_handshake_send_and_receive_has_a_deadline_and_a_size_limit():
    with transport_pair() as (gui, tracer):
        spy_gui, spy_tracer = _RecordingTransport(gui), _RecordingTransport(tracer)
        tracing = Background(lambda: tracer_side(spy_tracer, token=TOKEN, timeout=TIMEOUT))

        outcome = accept_handshake(spy_gui, token=TOKEN, timeout=TIMEOUT)

        assert outcome.ok
        assert tracing.result()["accepted"] is True
    for spy in (spy_gui, spy_tracer):
        assert {kind for kind, _ in spy.calls} == {"send", "recv"}
        for kind, kwargs in spy.calls:
            assert kwargs.get("timeout") is not None, (kind, kwargs)
            if kind == "recv":
                assert kwargs.get("max_bytes") == HANDSHAKE_MAX_BYTES


def test_send_to_a_peer_that_never_reads_gives_up_at_its_deadline():
    with transport_pair() as (gui, _never_reads):
        started = time.monotonic()

        with pytest.raises(TransportTimeout, match=r"0\.3 s"):
            gui.send_frame(bytes(64 * 1024 * 1024), timeout=0.3)

        assert time.monotonic() - started < 2.0
        assert gui.closed  # part of a frame may have gone: the stream is unusable


def test_frame_over_a_per_call_max_bytes_is_refused_before_it_is_read():
    with transport_pair() as (gui, tracer):
        tracer.send_frame(bytes(1000))

        with pytest.raises(FrameTooLarge, match="exceeds max_frame_bytes 999"):
            gui.recv_frame(timeout=TIMEOUT, max_bytes=999)
        assert gui.closed


# --------------------------------------------------------------- the token's way in

FD_SCRIPT = """\
import os, subprocess, sys
fd = int(sys.argv[1])
try:
    os.fstat(fd)
    print("token fd open")
except OSError:
    print("token fd closed")
print(os.environ.get("PYPROBE_SESSION_TOKEN"))
code = "import os; print(os.environ.get('PYPROBE_SESSION_TOKEN'))"
subprocess.run([sys.executable, "-c", code], check=True)
"""


def run_tracer_with(args, *, env, pass_fds=()):
    return subprocess.run(
        [sys.executable, "-m", "pyprobe_tracer", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        pass_fds=pass_fds,
    )


def token_pipe(token: str) -> int:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, token.encode())
    os.close(write_fd)
    return read_fd


def environment_without_token():
    return {k: v for k, v in os.environ.items() if k != TOKEN_ENV_VAR}


@pytest.mark.skipif(sys.platform == "win32", reason="pass_fds is POSIX only")
def test_tracer_takes_the_token_from_its_fd_and_closes_it_before_the_script(tmp_path):
    script = tmp_path / "fd.py"
    script.write_text(FD_SCRIPT)
    with FakeGUI() as fake:
        fd = token_pipe(fake.token)
        try:
            args = ["--socket", fake.address, "--token-fd", fd, script, fd]
            result = run_tracer_with(args, env=environment_without_token(), pass_fds=(fd,))
        finally:
            os.close(fd)
        assert fake.ended.wait(TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert fake.outcome.ok
    assert result.stdout == "token fd closed\nNone\nNone\n"


def test_record_run_removes_the_token_from_the_environment_too(tmp_path):
    script = tmp_path / "fd.py"
    script.write_text(FD_SCRIPT)
    env = {**os.environ, TOKEN_ENV_VAR: TOKEN}

    result = run_tracer_with(["--record", tmp_path / "run.ppr", script, 999], env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "token fd closed\nNone\nNone\n"


def test_unreadable_token_fd_exits_1_and_says_what_to_do(tmp_path):
    script = tmp_path / "empty.py"
    script.write_text("")

    result = run_tracer_with(
        ["--record", tmp_path / "run.ppr", "--token-fd", 987, script],
        env=environment_without_token(),
    )

    assert result.returncode == 1
    assert "cannot read the session token from --token-fd 987" in result.stderr
    assert TOKEN_ENV_VAR in result.stderr
    assert "Traceback" not in result.stderr
