"""Monotonic sequence numbers shared by every thread that captures."""

from __future__ import annotations

import itertools


class SequenceCounter:
    """Hands out 0, 1, 2, ... from any thread; no number is given twice.

    ``next()`` on an ``itertools.count`` is a single C call, atomic under the GIL
    and under free-threaded builds' per-object locking, so no Python lock is needed.
    """

    __slots__ = ("_counter", "next")

    def __init__(self, start: int = 0) -> None:
        self._counter = itertools.count(start)
        self.next = self._counter.__next__

    def __next__(self) -> int:
        return self.next()

    def __iter__(self):
        return self
