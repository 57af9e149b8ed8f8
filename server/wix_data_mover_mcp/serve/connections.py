"""The connections of an HTTP server: how many it keeps, from which client addresses, which
are idle, and a deadline for each whole request (uvicorn's h11 protocol bounds none of it).

At `max_connections` (below the file descriptors' limit) a new connection takes the place of
the one idle longest (one that has sent nothing though it could have been read first, then one
kept alive between requests), or is closed at once when none is idle; one client address may
hold at most `max_per_peer` of them (half, by default), so one client cannot take them all.
Behind a reverse proxy every connection comes from the proxy's address: its pool of connections
to this server must stay under that share (with the defaults, 500).
"""

from __future__ import annotations

import asyncio
import resource
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_TIMEOUT_SECONDS = 10.0
LINGER_SECONDS = 1.0
# A connection kept alive between requests gives way to a new one only once idle this long: its
# client may be sending its next request.
IDLE_GRACE_SECONDS = 0.5


def default_max_connections() -> int:
    """Half the file descriptors this process may open, at most 1,000: the rest stay free
    for the connections to Wix, Redis and the logs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, min(1000, soft // 2)) if soft > 0 else 1000


class _Turns:
    """Counts turns of the event loop while something waits for them to pass: a connection
    accepted two turns ago has had its first bytes read, if they had arrived. (A clock would
    not do: a client that opens sockets fast enough keeps them all younger than any moment.)"""

    def __init__(self) -> None:
        self.now = 0
        self._waiting: list[tuple[int, Callable[[], None]]] = []

    def passed(self, turn: int) -> bool:
        return self.now >= turn + 2

    def after_two(self, loop: asyncio.AbstractEventLoop, then: Callable[[], None]) -> None:
        """Call `then` once two turns have passed from this one."""
        if not self._waiting:
            loop.call_soon(self._next, loop)
        self._waiting.append((self.now + 2, then))

    def _next(self, loop: asyncio.AbstractEventLoop) -> None:
        # Called first in a turn, before the callbacks of what that turn's poll found.
        self.now += 1
        due = [then for turn, then in self._waiting if turn <= self.now]
        self._waiting = [(turn, then) for turn, then in self._waiting if turn > self.now]
        if self._waiting:
            loop.call_soon(self._next, loop)
        for then in due:
            then()


class _Census:
    """One server's connections: how many, from which client addresses, and which are idle,
    oldest first (a dict keeps the order things were put in).

    At a cap (`most` in all, `per_peer` from one address), a new connection takes the place of
    the one idle longest: one that has sent nothing though the loop could have read it, else one
    kept alive between requests and idle past `grace`. When none is idle yet, it is let in
    provisionally (up to a quarter past `most`), and two turns later, once what had arrived has
    been read, the connections still silent are closed, oldest first, then the newest, until
    the caps hold. Beyond that, a new connection is closed at once."""

    def __init__(self, most: int, per_peer: int, grace: float) -> None:
        self.most, self.per_peer, self.grace = most, per_peer, grace
        self.hard_limit = most + max(1, most // 4)
        self.total = 0
        self.peers = Counter[str]()
        self.arrived: dict[BoundedH11Protocol, None] = {}  # every connection, oldest first
        self.fresh: dict[BoundedH11Protocol, int] = {}  # connected, nothing read: since turn
        self.kept: dict[BoundedH11Protocol, float] = {}  # kept alive: idle since (loop time)
        self.turns = _Turns()
        self._sweeping = False

    def admit(self, connection: BoundedH11Protocol) -> bool:
        """Count a new connection in; False when it must be closed at once."""
        loop, peer = connection.loop, connection.peer
        self.total += 1
        self.peers[peer] += 1
        self.arrived[connection] = None
        self.fresh[connection] = self.turns.now
        if not self._over(peer) or self._make_room(self._whose(peer), loop):
            return True
        if self.total > self.hard_limit:
            self.leave(connection)
            return False
        if not self._sweeping:
            self._sweeping = True
            self.turns.after_two(loop, lambda: self._sweep(loop))
        return True

    def leave(self, connection: BoundedH11Protocol) -> None:
        """Count a connection out, once, as it is closed."""
        if connection.counted:
            connection.counted = False
            self.busy(connection)
            del self.arrived[connection]
            self.total -= 1
            self.peers[connection.peer] -= 1
            if not self.peers[connection.peer]:
                del self.peers[connection.peer]

    def busy(self, connection: BoundedH11Protocol) -> None:
        self.fresh.pop(connection, None)
        self.kept.pop(connection, None)

    def idle(self, connection: BoundedH11Protocol) -> None:
        self.kept[connection] = connection.loop.time()

    def _over(self, peer: str) -> bool:
        return self.peers[peer] > self.per_peer or self.total > self.most

    def _whose(self, peer: str) -> str | None:
        """Whose connection gives way: the address's own when it is over its share."""
        return peer if self.peers[peer] > self.per_peer else None

    def _make_room(self, peer: str | None, loop: asyncio.AbstractEventLoop) -> bool:
        """Close the connection idle longest (of `peer`, if named). False when there is none,
        or none yet."""
        for victim, turn in self.fresh.items():
            if not self.turns.passed(turn):
                break  # it, and those after it, may have bytes on the way in
            if peer is None or victim.peer == peer:
                return self._close(victim)
        idle_since = loop.time() - self.grace
        for victim, since in self.kept.items():
            if since > idle_since:
                break
            if peer is None or victim.peer == peer:
                return self._close(victim)
        return False

    def _settled(self) -> list[BoundedH11Protocol]:
        """The connections whose first bytes, if any came, have been read: newest first."""
        return [c for c in reversed(self.arrived) if self.turns.passed(self.fresh.get(c, -2))]

    def _close(self, victim: BoundedH11Protocol) -> bool:
        self.leave(victim)
        victim.transport.close()
        return True

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        self._sweeping = False
        for peer in [peer for peer, count in self.peers.items() if count > self.per_peer]:
            while self.peers[peer] > self.per_peer and self._make_room(peer, loop):
                pass
            for newest in [c for c in self._settled() if c.peer == peer]:
                if self.peers[peer] <= self.per_peer:
                    break
                self._close(newest)  # let in over its share, and none of its own is idle
        while self.total > self.most and self._make_room(None, loop):
            pass
        for newest in self._settled()[: max(0, self.total - self.most)]:
            self._close(newest)
        over = self.total > self.most or any(n > self.per_peer for n in self.peers.values())
        newest = next(reversed(self.fresh.values()), None)
        if over and newest is not None and not self.turns.passed(newest):
            self._sweeping = True  # some came in since: their turn is next
            self.turns.after_two(loop, lambda: self._sweep(loop))


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap, a cap per client address, and a deadline
    for each whole request.

    uvicorn itself bounds none: a client that trickles a body (or headers after a first request)
    holds its connection for as long as it likes, and one that opens sockets and sends nothing
    holds them until the deadline, and can open more all the while. Each server gets a subclass
    of its own (`bounded`), whose `census` counts its connections."""

    request_timeout = REQUEST_TIMEOUT_SECONDS
    linger = LINGER_SECONDS
    census: ClassVar[_Census] = _Census(1000, 500, IDLE_GRACE_SECONDS)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
        super().connection_made(transport)  # pyright: ignore[reportArgumentType]
        self._close_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.peer = self.client[0] if self.client else ""  # "" on a Unix socket
        self.counted = True
        if not self.census.admit(self):
            transport.close()
            return
        self._close_by(self.loop.time() + self.request_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.census.leave(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.census.busy(self)
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        idle = self.cycle.response_complete and not self._arriving()  # none pipelined after
        if idle and not self.transport.is_closing():
            self.census.idle(self)  # until its next request, or keep-alive's end
        if self.conn.their_state is h11.SEND_BODY:
            # Answered before its body arrived (a refusal, a body too large): the rest is only
            # read to reuse the connection, which is not worth waiting long for.
            self._close_by(self.loop.time() + self.linger)
        else:
            self._follow()

    def shutdown(self) -> None:
        """Told to drain: an idle kept-alive connection is closed as uvicorn does, but a new one,
        or one whose next request has begun, may finish sending it and get its 503: closed
        unanswered, it would look to a load balancer like a dead server."""
        if self.cycle is None or (self.cycle.response_complete and self._arriving()):  # pyright: ignore[reportUnnecessaryComparison]
            return
        super().shutdown()

    def _arriving(self) -> bool:
        """Whether part of a request has come in, but not all of it."""
        state = self.conn.their_state
        return state is h11.SEND_BODY or (state is h11.IDLE and bool(self.conn.trailing_data[0]))

    def _follow(self) -> None:
        if not self._arriving():
            self._close_at = None  # nothing owed: idle (keep-alive's own timeout) or answering
        elif self._close_at is None:
            self._close_by(self.loop.time() + self.request_timeout)

    def _close_by(self, when: float) -> None:
        if self._close_at is not None and self._close_at <= when:
            return
        self._close_at = when
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_at(when, self._deadline_passed)

    def _deadline_passed(self) -> None:
        self._timer = None
        due, self._close_at = self._close_at, None
        if due is None or self.transport.is_closing():
            return
        if self._arriving() or self.cycle is None:  # pyright: ignore[reportUnnecessaryComparison]
            self.transport.close()


def bounded(max_connections: int | None, max_per_peer: int | None, request_timeout: float) -> Any:
    """The protocol class of one server: its caps, and its own record of its connections."""
    most = max_connections or default_max_connections()
    # Behind a reverse proxy every connection comes from the proxy's address: half the cap is
    # far more than a proxy's pool of connections to one server needs.
    per_peer = max_per_peer or max(1, most // 2)
    grace = min(IDLE_GRACE_SECONDS, request_timeout / 4)
    return type(
        "Protocol",
        (BoundedH11Protocol,),
        {
            "request_timeout": request_timeout,
            "linger": min(LINGER_SECONDS, request_timeout),
            "census": _Census(most, per_peer, grace),
        },
    )
