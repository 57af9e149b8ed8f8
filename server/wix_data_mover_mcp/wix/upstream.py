"""Between the tools and the Wix client: what keeps many callers from becoming many requests.

- Every request to Wix runs in a task of the server's own, never in the caller's: a caller that
  is cancelled (a client gave up, a wait ran out) stops waiting, but never cancels a request
  half-way through the HTTP pool, which is what leaks pool slots in httpcore
  (encode/httpcore#1093) until no request can leave at all. Once nobody waits for it, a request
  is not sent, or sent again (waiting.py): it gives its slot back at the end of the attempt in
  flight, if any, and takes nothing more from the rate budget.
- Concurrent calls for one job share one request in flight and, for a moment after, its answer.
- Everyone waiting for one job shares one poll loop, each with its own deadline and progress.
- A write (a retry's submit) is claimed, made and remembered as one unit in a task of the
  server's own, so it finishes, and is remembered, even when its caller leaves half-way; a
  repeat joins it or finds its record (claims.py), in this process or across instances. On
  shutdown the writes in flight are let finish, within a call's deadline, before the rest is
  cancelled.

That task group is shared by every caller, so nothing may escape a task into it: each task hands
its outcome (a value, or an exception as a sentence) to those waiting for it and ends. A bug in
one request's work becomes an incident for its waiters, never the end of the group.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import anyio
from anyio.abc import TaskGroup

from ..errors import BudgetExhausted, WixApiError, incident
from .claims import (
    CLEANUP_SECONDS,
    RETRY_MEMORY_SECONDS,
    OutcomeUnknown,
    WriteClaims,
    WriteOnce,
    Written,
)
from .models import FINISHED_STATUSES
from .waiting import ALWAYS, Abandoned, Waiters, waiting_for

if TYPE_CHECKING:
    from .budget import AnswerCache, RateBudget
    from .client import WixDataMoverClient
    from .http import Observer

T = TypeVar("T")


class SupportsAclose(Protocol):
    async def aclose(self) -> None: ...


# No one exchange with Wix may run this long: each is bounded by the client's deadline (30 s)
# and timeouts. A call may make many (a search reads up to 5 pages), so it is each exchange that
# is timed, never the call.
STALLED_AFTER_SECONDS = 120.0
FIRST_ANSWER_GRACE = 5.0
BUDGET_BACKOFF_MAX = 15.0


@dataclass
class _Outcome(Generic[T]):
    """One request to Wix and those waiting for it. A request nobody waits for any more is not
    sent, or sent again; one in flight is never cut."""

    done: anyio.Event = field(default_factory=anyio.Event)
    value: T | None = None
    error: BaseException | None = None
    waiters: Waiters = field(default_factory=Waiters)
    unit: anyio.CancelScope | None = None  # a write's whole unit, cancelled only at shutdown

    async def wait(self) -> T:
        self.waiters.joined()
        try:
            await self.done.wait()
        finally:
            self.waiters.left()
        if self.error is not None:
            raise self.error
        return self.value  # pyright: ignore[reportReturnType]


@dataclass
class _Watch:
    """One poll loop for one job, and what it saw last."""

    subscribers: int = 0
    latest: dict[str, Any] | None = None
    error: WixApiError | None = None
    version: int = 0
    ended: bool = False
    changed: anyio.Event = field(default_factory=anyio.Event)
    asking: anyio.CancelScope | None = None  # the loop's wait for an answer, while it lasts

    def publish(self) -> None:
        self.version += 1
        self.changed.set()
        self.changed = anyio.Event()


class _Unobserved:
    """No one to tell of requests and shared answers (no metrics)."""

    def request_started(self) -> None: ...

    def request_ended(self, status: int | None, seconds: float) -> None: ...

    def answer_shared(self) -> None: ...


async def _write_once(
    claims: WriteClaims,
    key: str,
    write: WriteOnce,
    flight: _Outcome[Written],
    flights: dict[str, _Outcome[Written]],
) -> None:
    """A write's unit, run in the server's task group: claimed, made and remembered (or found
    made already), its outcome handed to those waiting, nothing raised into the group. Only a
    shutdown cancels it, after letting it run its course (Upstream.finish_writes)."""
    try:
        with anyio.CancelScope() as unit:
            flight.unit = unit
            flight.value = await claims.make_once(key, write)
        if unit.cancelled_caught:
            flight.error = OutcomeUnknown(claims.seconds)
    except WixApiError as exc:
        flight.error = exc
    except Exception as exc:  # noqa: BLE001 - a bug: its waiters get a sentence
        flight.error = incident(exc, "making a change at Wix")
    finally:
        del flights[key]
        flight.done.set()


class _Slots:
    """The requests to Wix sent at once, and since when (by `clock`) each request waiting for
    a slot has waited."""

    def __init__(self, size: int, clock: Callable[[], float]) -> None:
        self.size = size
        self._limiter = anyio.CapacityLimiter(size)
        self._clock = clock
        self._queued: dict[object, float] = {}

    async def run(self, request: Callable[[], Awaitable[T]], outcome: _Outcome[T]) -> None:
        """Run `request` in a slot, for those waiting for `outcome`, and hand it to them."""
        waiting_for(outcome.waiters)  # the Sender asks them before each attempt
        try:
            try:
                await self.take(outcome.waiters)
            except Abandoned as exc:
                outcome.error = exc
                return
            try:
                outcome.value = await request()
            except (WixApiError, Abandoned) as exc:
                outcome.error = exc
            except Exception as exc:  # noqa: BLE001 - a bug: its waiters get a sentence
                outcome.error = incident(exc, "asking Wix")
            finally:
                self._limiter.release()
        finally:
            outcome.done.set()

    async def take(self, waiters: Waiters) -> None:
        """Wait for a free slot while anyone waits for the answer; Abandoned once nobody does
        (anyone who joins just then asks again)."""
        try:
            self._limiter.acquire_nowait()  # a free slot: no turn of the event loop spent
            return
        except anyio.WouldBlock:
            pass
        ticket = object()
        self._queued[ticket] = self._clock()
        try:
            with waiters.unsent():
                await self._limiter.acquire()
        finally:
            del self._queued[ticket]

    @property
    def free(self) -> int:
        return int(self._limiter.available_tokens)

    def starved(self, *, longer_than: float) -> float | None:
        """How long the oldest request has waited, when every slot is taken and it has waited
        `longer_than`; None otherwise."""
        if self._limiter.available_tokens or not self._queued:
            return None
        waited = self._clock() - min(self._queued.values())
        return waited if waited > longer_than else None


async def _all_done(flights: dict[str, _Outcome[Written]]) -> None:
    while flights:
        await next(iter(flights.values())).done.wait()


class Upstream:
    def __init__(
        self,
        client: WixDataMoverClient,
        tasks: TaskGroup,
        *,
        cache: AnswerCache,
        budget: RateBudget,
        poll_delays: Sequence[float],
        resources: Sequence[SupportsAclose] = (),
        max_in_flight: int = 20,
        claims: WriteClaims | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.client = client
        self._observer = observer or _Unobserved()
        # Writes made in the last few minutes (retries submitted, jobs terminated), so a
        # repeated call does not make them again and a summary can say who stopped a job.
        self.claims = claims or WriteClaims(RETRY_MEMORY_SECONDS, "local")
        self._writes: dict[str, _Outcome[Written]] = {}
        self._resources = resources
        self._tasks = tasks
        self._cache = cache
        self.budget = budget
        self._poll_delays = poll_delays
        self._flights: dict[str, _Outcome[dict[str, Any]]] = {}
        self._watches: dict[str, _Watch] = {}
        self._slots = _Slots(max_in_flight, client.clock)

    async def call(self, request: Callable[[], Awaitable[T]]) -> T:
        """Run one request to Wix in the server's own task; the caller only waits for it."""
        outcome: _Outcome[T] = _Outcome()
        self._spawn(self._slots.run, request, outcome)
        return await outcome.wait()

    async def get_job(
        self, job_id: str, *, site: str | None = None, fresh: bool = False
    ) -> dict[str, Any]:
        """The job, shared with every concurrent caller and (unless `fresh`) for a moment
        after."""
        key = f"{site or ''}:{job_id}"
        if not fresh and (cached := await self._cache.get(key)) is not None:
            self._observer.answer_shared()
            return cached
        while True:
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = _Outcome()
                self._spawn(self._fetch_job, key, job_id, site, flight)
            else:
                self._observer.answer_shared()
            try:
                return await flight.wait()
            except Abandoned:
                continue  # joined just as its last caller left it: ask again

    async def follow(
        self,
        job_id: str,
        *,
        site: str | None = None,
        deadline: float,
        on_answer: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> dict[str, Any] | None:
        """Answers about the job until it finishes or the deadline passes; the last one seen.

        Joins the job's poll loop, starting one if there is none."""
        key = f"{site or ''}:{job_id}"
        watch = self._watches.get(key)
        if watch is None or watch.ended:
            watch = self._watches[key] = _Watch()
            self._spawn(self._poll, key, job_id, site, watch)
        watch.subscribers += 1
        seen = 0
        try:
            while True:
                if watch.version > seen:
                    seen = watch.version
                    if watch.error is not None:
                        raise watch.error
                    if watch.latest is not None:
                        await on_answer(watch.latest)
                        if watch.latest.get("status") in FINISHED_STATUSES:
                            return watch.latest
                # Without any answer yet, a slow Wix gets a little grace past the deadline.
                until = deadline if watch.latest is not None else deadline + FIRST_ANSWER_GRACE
                if watch.ended or time.monotonic() >= until:
                    return watch.latest
                changed = watch.changed
                with anyio.move_on_after(until - time.monotonic()):
                    await changed.wait()
        finally:
            watch.subscribers -= 1
            if not watch.subscribers and watch.asking is not None:
                watch.asking.cancel()  # the loop leaves its request: nobody else may want it

    async def aclose(self) -> None:
        await self.client.aclose()
        for resource in self._resources:
            await resource.aclose()

    async def once(self, key: str, write: WriteOnce) -> Written:
        """Make the write `key` names once (claims.py), as one unit in the server's own task
        that the caller only waits for; a call joining one in flight gets it as a repeat."""
        if joined := self._writes.get(key):
            return Written((await joined.wait()).record, None, repeated=True)
        flight = self._writes[key] = _Outcome[Written]()
        self._spawn(_write_once, self.claims, key, write, flight, self._writes)
        return await flight.wait()

    async def finish_writes(self, within: float | None = None) -> None:
        """For a shutdown: let the writes in flight end, for up to `within` seconds (a call's
        deadline by default), then cancel those left, which remember their outcome as unknown
        (claims.py) before this returns."""
        with anyio.move_on_after(self.client.deadline + 1.0 if within is None else within):
            await _all_done(self._writes)
        for flight in list(self._writes.values()):
            if flight.unit is not None:
                flight.unit.cancel()
        with anyio.move_on_after(CLEANUP_SECONDS + 1.0):
            await _all_done(self._writes)

    async def remember_stopped(self, job_id: str, *, site: str | None) -> None:
        """Note, for a few minutes and beside the retries made, that this server terminated
        the job: Wix gives no status or code that says so."""
        await self.claims.remember(f"stopped:{site or ''}:{job_id}", {"id": job_id})

    async def stopped_here(self, job_id: str, *, site: str | None) -> bool:
        return await self.claims.recent(f"stopped:{site or ''}:{job_id}") is not None

    def stalled(self) -> bool:
        """True when an exchange with Wix has run far longer than any can: the pool is stuck."""
        return self.client.longest_exchange() > STALLED_AFTER_SECONDS

    def trouble(self) -> str | None:
        """Why calls cannot be served through Wix right now, for health; None when they can."""
        if self.stalled():
            return "requests to Wix are not completing"
        # Each request ends within the client's deadline: a longer wait for one means requests
        # are not getting through.
        if (waited := self._slots.starved(longer_than=self.client.deadline)) is not None:
            return (
                f"every one of the {self._slots.size} requests to Wix this server sends at once "
                f"is taken, and calls have waited {waited:.0f} s for one: Wix is slow or not "
                "answering, or there are more calls than this server can serve"
            )
        return None

    def _spawn(self, work: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Start `work` in the server's task group, which nothing may escape: `work` hands its
        own outcome to its waiters; this only keeps a bug in it from ending the group."""

        async def supervised() -> None:
            waiting_for(ALWAYS)  # not the spawning request's waiters: a write must finish
            try:
                await work(*args)
            except Exception as exc:  # noqa: BLE001 - logged as an incident, never raised
                incident(exc, "running a request to Wix")

        self._tasks.start_soon(supervised)

    async def _fetch_job(
        self, key: str, job_id: str, site: str | None, flight: _Outcome[dict[str, Any]]
    ) -> None:
        try:
            await self._slots.run(lambda: self.client.get_job(job_id, site=site), flight)
            if flight.error is None and flight.value is not None:
                await self._cache.put(key, flight.value)
        finally:
            del self._flights[key]

    async def _poll(self, key: str, job_id: str, site: str | None, watch: _Watch) -> None:
        delays = chain(self._poll_delays, repeat(self._poll_delays[-1]))
        try:
            while watch.subscribers:
                try:
                    latest = None
                    with anyio.CancelScope() as asking:
                        watch.asking = asking
                        try:
                            latest = await self.get_job(job_id, site=site, fresh=True)
                        finally:
                            watch.asking = None
                    if latest is None:
                        continue  # everyone left (so it ends), or someone came back
                    watch.latest = latest
                except BudgetExhausted as exc:
                    # Waiting is no reason to fail: poll again once the budget has room.
                    await anyio.sleep(max(next(delays), min(exc.retry_in, BUDGET_BACKOFF_MAX)))
                    continue
                except WixApiError as exc:
                    watch.error = exc
                    return
                except Exception as exc:  # noqa: BLE001 - a bug: the waiters get a sentence
                    watch.error = incident(exc, f"following job {job_id}")
                    return
                watch.publish()
                if watch.latest.get("status") in FINISHED_STATUSES:
                    return
                await anyio.sleep(next(delays) * await self._slowdown())
        finally:
            watch.ended = True
            watch.publish()
            if self._watches.get(key) is watch:
                del self._watches[key]

    async def _slowdown(self) -> float:
        """Poll less often as the rate budget runs short, so waits never use it all."""
        left = await self.budget.remaining_share()
        return 1.0 if left > 0.5 else 2.0 if left > 0.25 else 4.0
