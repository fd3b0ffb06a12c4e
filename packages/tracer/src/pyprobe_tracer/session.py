"""One run of a script under the tracer, from DATA_SCRIPT_START to DATA_SCRIPT_END.

The session owns the order of events: start streaming, announce the script,
trace and run it with its output forwarded, report an uncaught exception, flush,
and always end with DATA_SCRIPT_END, also after ``sys.exit``, an exception or a
stop. A stop (CMD_STOP, or the GUI going away) interrupts the script in its main
thread; if the script does not end within the grace period, the process exits
anyway after the end of the run was sent.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyprobe_wire import MessageType

from .engine import MODE_SAMPLE, VariableTracer
from .engine.script_main import run_script, script_traceback
from .ipc import payloads
from .output import forwarded_output
from .streaming import Send, Streamer

EXIT_STOPPED = 130  # what a shell reports for a script ended by SIGINT
STOP_GRACE_SECONDS = 0.6  # CMD_STOP must end the run within 1 s, wrap-up included
#: The longest the end of a run (flushing what is queued, DATA_EXCEPTION and
#: DATA_SCRIPT_END) may wait for a GUI that stopped reading; then the tracer gives
#: up on the GUI and exits. Overridden by the environment variable below.
WRAP_UP_DEADLINE_SECONDS = 10.0
WRAP_UP_DEADLINE_ENV_VAR = "PYPROBE_TRACER_WRAP_UP_SECONDS"


def wrap_up_deadline() -> float:
    """The wrap-up deadline in seconds: ``PYPROBE_TRACER_WRAP_UP_SECONDS`` if set to a
    positive number, else ``WRAP_UP_DEADLINE_SECONDS``."""
    try:
        value = float(os.environ.get(WRAP_UP_DEADLINE_ENV_VAR, ""))
    except ValueError:
        return WRAP_UP_DEADLINE_SECONDS
    return value if value > 0 else WRAP_UP_DEADLINE_SECONDS


class ScriptStopped(BaseException):
    """Raised in the script's main thread when the run is stopped from outside."""


class Session:
    def __init__(
        self,
        script: Path,
        script_args: list[str],
        tracer: VariableTracer,
        send: Send,
        *,
        stop_grace: float = STOP_GRACE_SECONDS,
        wrap_up_seconds: float | None = None,
    ) -> None:
        self.script = script
        self.script_args = script_args
        self.tracer = tracer
        self._send = send
        self._stop_grace = stop_grace
        self._wrap_up_deadline = (
            wrap_up_seconds if wrap_up_seconds is not None else wrap_up_deadline()
        )
        self._stop_requested = threading.Event()
        self._ended = threading.Event()
        self._end_lock = threading.Lock()
        self._end_sent = False
        self._main_ident: int | None = None
        self._script_done = False
        self._forked = False  # this process is a fork of the traced one: stay quiet
        self.streamer = Streamer(
            tracer.manager,
            self._send_quietly,
            rearm=tracer.rearm,
            sample_hz=self._sample_hz,
            on_thread_start=tracer.exempt_current_thread,
        )
        if hasattr(os, "register_at_fork"):
            this = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _quiet_after_fork(this))

    # -- os.fork() in the script ------------------------------------------------------

    def after_fork_in_child(self) -> None:
        """The script forked and this is the child: the connection is the parent's.

        The child never sends (no SCRIPT_END, no output or captures), never shuts
        the shared socket down, and is not traced; the parent's run goes on.
        """
        self._forked = True
        self._ended.set()
        self.streamer.go_quiet()
        self.tracer.silence_after_fork()

    # -- commands (called from the command thread) ------------------------------

    def request_stop(self) -> None:
        """End the run soon: interrupt the script, and exit regardless after the grace period."""
        if self._forked or self._stop_requested.is_set() or self._ended.is_set():
            return
        self._stop_requested.set()
        self.tracer.resume()
        if self._main_ident is not None and threading.get_ident() != self._main_ident:
            signal.pthread_kill(self._main_ident, signal.SIGINT)
        watchdog = threading.Timer(self._stop_grace, self._force_exit)
        watchdog.daemon = True
        watchdog.start()

    def _force_exit(self) -> None:
        if self._ended.is_set():
            return
        print(
            f"pyprobe-tracer: the script did not stop within {self._stop_grace:.1f} s; exiting",
            file=sys.__stderr__,
        )
        self._finish(EXIT_STOPPED)
        os._exit(EXIT_STOPPED)

    @property
    def stopped(self) -> bool:
        """Whether the run was ended by a stop (CMD_STOP or a lost GUI)."""
        return self._stop_requested.is_set()

    # -- the run ----------------------------------------------------------------------

    def run(self, on_ready: Callable[[], None] | None = None) -> int:
        """Run the script; returns its exit code (EXIT_STOPPED when stopped).

        ``on_ready`` is called once a stop can be honoured (the interrupt handler is
        in place): start taking commands from there, not before.
        """
        self._main_ident = threading.get_ident()
        previous_sigint = signal.signal(signal.SIGINT, self._on_sigint)
        exit_code = EXIT_STOPPED
        try:
            try:
                self.streamer.start()
                self._send_quietly(
                    MessageType.DATA_SCRIPT_START,
                    payloads.script_start(str(self.script), os.getpid()),
                )
                if on_ready is not None:
                    on_ready()
                if not self._stop_requested.is_set():
                    exit_code = self._run_traced()
            except ScriptStopped:
                exit_code = EXIT_STOPPED
            self._script_done = True
            if self._stop_requested.is_set() and exit_code != 0:
                exit_code = EXIT_STOPPED
            self._finish(exit_code)
        finally:
            signal.signal(signal.SIGINT, previous_sigint)
        return exit_code

    def _run_traced(self) -> int:
        with forwarded_output(self._stdout, self._stderr):
            before = set(threading.enumerate())
            self.tracer.start()
            try:
                exit_code = run_script(self.script, self.script_args, on_exception=self._exception)
                # Like the interpreter at exit: the script has not ended while its
                # non-daemon threads still run.
                for thread in threading.enumerate():
                    if thread not in before and not thread.daemon:
                        thread.join()
            finally:
                self.tracer.stop()
        return exit_code

    def _finish(self, exit_code: int) -> None:
        if self._forked:
            return  # the parent reports the end of the run
        with self._end_lock:
            if self._end_sent:
                return
            self._end_sent = True

        def wrap_up() -> None:
            self.streamer.stop(timeout=self._wrap_up_deadline)
            self._send_quietly(
                MessageType.DATA_SCRIPT_END, payloads.script_end(exit_code, self.stopped)
            )

        self._within_deadline(wrap_up, "send the end of the run")
        self._ended.set()

    def _within_deadline(self, work: Callable[[], None], what: str) -> bool:
        """Run ``work`` (which sends) but wait for it at most the wrap-up deadline: a GUI
        that stopped reading must not keep the tracer from ending. False on timeout (the
        caller then closes the connection, which wakes the stuck send)."""
        done = threading.Event()

        def run() -> None:
            try:
                work()
            finally:
                done.set()

        started = time.monotonic()
        thread = threading.Thread(target=run, name="pyprobe-wrap-up", daemon=True)
        thread.start()
        if done.wait(self._wrap_up_deadline):
            return True
        print(
            f"pyprobe-tracer: the GUI read nothing for {time.monotonic() - started:.1f} s; "
            f"giving up trying to {what}",
            file=sys.__stderr__,
        )
        return False

    def _on_sigint(self, signum, frame) -> None:
        if self._script_done:
            return  # the run is being wrapped up: nothing left to interrupt
        if self._stop_requested.is_set():
            raise ScriptStopped("the run was stopped")
        raise KeyboardInterrupt

    def _exception(self, exc: BaseException) -> None:
        if isinstance(exc, ScriptStopped):
            return
        text = "".join(traceback.format_exception(type(exc), exc, script_traceback(exc)))

        def report() -> None:
            self.streamer.flush()  # values captured before the crash go first
            self._send_quietly(
                MessageType.DATA_EXCEPTION, payloads.exception(type(exc).__name__, str(exc), text)
            )

        self._within_deadline(report, "report the exception")

    def _stdout(self, text: str) -> None:
        self.streamer.output(MessageType.DATA_STDOUT, text)

    def _stderr(self, text: str) -> None:
        self.streamer.output(MessageType.DATA_STDERR, text)

    def _sample_hz(self) -> float:
        rates = [p.max_hz for p in self.tracer.probes if p.mode == MODE_SAMPLE]
        return max(rates) if rates else 0.0

    def _send_quietly(self, msg_type: MessageType, payload: Any) -> None:
        """Send, but never let a dead receiver crash the script: a lost GUI stops the run."""
        if self._forked:
            return
        try:
            self._send(msg_type, payload)
        except (OSError, ConnectionError) as exc:
            if not self._stop_requested.is_set():
                print(
                    f"pyprobe-tracer: lost the GUI ({exc}); stopping the script",
                    file=sys.__stderr__,
                )
                self.request_stop()


def _quiet_after_fork(ref: weakref.ref) -> None:
    session = ref()
    if session is not None:
        session.after_fork_in_child()
