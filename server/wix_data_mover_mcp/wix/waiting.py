"""Whether anyone still waits for a request to Wix, so that one nobody waits for any more makes
no further attempt and takes nothing more from the rate budget.

The Upstream runs each request in a task of the server's own, for `Waiters` it counts, and
makes them current there (`waiting_for`); the Sender (http.py) asks `current()` before each
attempt and waits through it: for a free connection, for the budget, for a retry's backoff.
Those waits end in `Abandoned` once nobody waits. A request already sent is never cut: cancelled
inside httpcore's pool, it would leak its connection slot (encode/httpcore#1093).
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar

import anyio


class Abandoned(Exception):
    """Everyone waiting for a request left before it was sent (or sent again), so it was not."""


class Waiters:
    """How many wait for the answer to a request, and its waits before sending, to end once
    nobody does."""

    def __init__(self, count: int = 0) -> None:
        self.count = count
        self._waits: set[anyio.CancelScope] = set()

    def joined(self) -> None:
        self.count += 1

    def left(self) -> None:
        self.count -= 1
        if not self.count:
            for scope in self._waits:
                scope.cancel()

    def check(self) -> None:
        """Abandoned, when nobody waits any more."""
        if not self.count:
            raise Abandoned

    @contextmanager
    def unsent(self) -> Generator[None]:
        """A wait before a request is sent, safe to end: Abandoned once nobody waits."""
        self.check()
        with anyio.CancelScope() as scope:
            self._waits.add(scope)
            try:
                yield
            finally:
                self._waits.discard(scope)
        if scope.cancelled_caught:
            raise Abandoned  # even if someone joined since: they ask again

    async def pause(self, seconds: float) -> None:
        """Sleep before sending (a backoff, room in the budget); Abandoned once nobody waits."""
        with self.unsent():
            await anyio.sleep(seconds)


ALWAYS = Waiters(count=1)  # requests made outside any Upstream task (the CLI, tests): wanted

_current: ContextVar[Waiters] = ContextVar("wix_data_mover_waiters", default=ALWAYS)


def current() -> Waiters:
    """Who waits for the requests this task makes."""
    return _current.get()


def waiting_for(waiters: Waiters) -> None:
    """Make `waiters` current for the rest of this task (each task has its own context)."""
    _current.set(waiters)
