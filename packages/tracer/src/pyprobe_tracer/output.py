"""Forward what the script prints while still printing it locally."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class TeeStream(io.TextIOBase):
    """A text stream writing to ``target`` and handing each write to ``forward``."""

    def __init__(self, target, forward: Callable[[str], None]) -> None:
        self._target = target
        self._forward = forward

    def write(self, text: str) -> int:
        written = self._target.write(text)
        if text:
            self._forward(text)
        return written

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._target.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")

    @property
    def errors(self):  # type: ignore[override]
        return getattr(self._target, "errors", "strict")

    def __getattr__(self, name):
        return getattr(self._target, name)


@contextmanager
def forwarded_output(
    on_stdout: Callable[[str], None], on_stderr: Callable[[str], None]
) -> Iterator[None]:
    """Tee ``sys.stdout`` and ``sys.stderr`` for the duration of the block."""
    saved = sys.stdout, sys.stderr
    sys.stdout = TeeStream(saved[0], on_stdout)
    sys.stderr = TeeStream(saved[1], on_stderr)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved
