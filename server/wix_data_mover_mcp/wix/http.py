"""Sending a request to Wix: a free connection, then the rate budget, retries with backoff within
one deadline, a trace span per exchange, and the answer's body read bounded in size and decoded.
A request nobody waits for any more (waiting.py) is not sent again.
"""

from __future__ import annotations

import random
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import httpx
from opentelemetry.propagate import inject
from opentelemetry.trace import Span, SpanKind, StatusCode, get_tracer

from ..config import GUID_PATTERN, Settings
from ..errors import WixApiError
from .failures import (
    connection_error,
    json_object,
    request_id,
    retry_after,
    status_error,
    timeout_error,
)
from .waiting import Waiters, current

if TYPE_CHECKING:
    from .budget import RateBudget
    from .scrub import Scrubber

tracer = get_tracer("wix_data_mover_mcp")
_GUID_IN_PATH = re.compile("/" + GUID_PATTERN.strip("^$"))


def span_route(path: str) -> str:
    """The path as a route, ids replaced, so spans of one endpoint share a name."""
    return _GUID_IN_PATH.sub("/{id}", path)


RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_CONNECTIONS = 20


class _NotSent(TimeoutError):
    """The time ran out before the request left: Wix never saw it."""


class Observer(Protocol):
    """Told of each request to Wix and each answer shared (metrics, for operators)."""

    def request_started(self) -> None: ...

    def request_ended(self, status: int | None, seconds: float) -> None:
        """`status` is None when no answer came (a timeout, a connection that failed)."""
        ...

    def answer_shared(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """One request as it leaves for Wix, the same on each attempt."""

    method: str
    path: str
    body: dict[str, Any] | None
    params: dict[str, str | int] | None
    scope: dict[str, str]  # the site or account header


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    first_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 10.0
    deadline: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Exponential with jitter: half fixed, half random, so clients spread out."""
        ceiling = min(self.max_backoff, self.first_backoff * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class Sender:
    """Sends a request to Wix and reads the answer, retrying what may be retried. Requests wait
    for a free connection here, in front of the pool, and are bounded by httpx's own timeouts:
    nothing cancels them inside the pool. Before each attempt, and in each wait before one, it
    checks that someone still waits for the answer (waiting.py).

    It also knows when each exchange in flight began (by `clock`), for health to tell a stuck
    pool from a long call of many exchanges."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        retry: RetryPolicy,
        *,
        budget: RateBudget | None,
        scrubber: Scrubber | None,
        observer: Observer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self.clock = clock
        self._exchanges: dict[int, float] = {}  # when each exchange in flight began
        self._next_exchange = 0
        self._observer = observer
        self._settings = settings
        self._retry = retry
        self._budget = budget
        self._scrubber = scrubber
        self._slots = anyio.CapacityLimiter(MAX_CONNECTIONS)
        self._host = settings.api_base_url.host or ""

    async def attempts(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        params: dict[str, str | int] | None,
        job_id: str | None,
        idempotent: bool,
        scope: dict[str, str],
        site: str | None,
    ) -> dict[str, Any]:
        policy = self._retry
        deadline = time.monotonic() + policy.deadline
        outgoing = _Outgoing(method, path, json, params, scope)
        waiters = current()
        attempt = 0
        while True:
            attempt += 1
            waiters.check()  # nobody waits: no attempt, nothing taken from the budget
            try:
                status, headers, body = await self._send(outgoing, deadline, waiters)
            except (TimeoutError, httpx.TimeoutException) as exc:
                out_of_time = time.monotonic() >= deadline - 0.05
                failure = timeout_error(
                    None if out_of_time else exc,
                    settings=self._settings,
                    deadline=policy.deadline,
                    unsent=isinstance(exc, _NotSent | httpx.ConnectTimeout | httpx.PoolTimeout),
                )
                wait = None
                retryable = idempotent or isinstance(exc, httpx.ConnectTimeout)
            except httpx.TransportError as exc:
                failure, wait = connection_error(exc, settings=self._settings), None
                retryable = idempotent or isinstance(exc, httpx.ConnectError)
            else:
                if 200 <= status < 300:
                    return json_object(status, headers, body)
                failure = status_error(
                    status,
                    headers,
                    body,
                    path,
                    job_id,
                    site,
                    settings=self._settings,
                    scrubber=self._scrubber,
                )
                wait = retry_after(headers)
                retryable = status in RETRY_STATUSES and (idempotent or status == 429)
            if not retryable or attempt >= policy.attempts:
                raise failure.after_attempts(attempt)
            delay = policy.backoff(attempt) if wait is None else min(wait, policy.max_retry_after)
            if time.monotonic() + delay >= deadline:
                raise failure.after_attempts(attempt)
            await waiters.pause(delay)

    def longest_exchange(self) -> float:
        """How long the oldest exchange in flight has run, by `clock`; 0 with none."""
        return self.clock() - min(self._exchanges.values(), default=self.clock())

    async def _send(
        self, outgoing: _Outgoing, deadline: float, waiters: Waiters
    ) -> tuple[int, httpx.Headers, bytes]:
        await self._connection(deadline, waiters)
        remaining = max(0.01, deadline - time.monotonic())  # a slow budget may have used it up
        timeout = httpx.Timeout(min(self._settings.api_timeout, remaining))
        status: int | None = None
        started = time.monotonic()
        self._next_exchange += 1
        exchange = self._next_exchange
        self._exchanges[exchange] = self.clock()
        if self._observer is not None:
            self._observer.request_started()
        try:
            answer = await self._exchange(outgoing, deadline, timeout)
            status = answer[0]
            return answer
        finally:
            del self._exchanges[exchange]
            self._slots.release()
            if self._observer is not None:
                self._observer.request_ended(status, time.monotonic() - started)

    async def _connection(self, deadline: float, waiters: Waiters) -> None:
        """A free connection, then one request from the rate budget, taken just before the
        request is sent: one that waited for a connection and was given up took nothing.
        While the budget has no room the connection is given back."""
        budget = self._budget
        give_up = budget.give_up_at(deadline - time.monotonic()) if budget is not None else 0.0
        while True:
            await self._free_slot(deadline, waiters)
            if budget is None:
                return
            try:
                waiters.check()
                room_in = await budget.take(give_up)
            except BaseException:
                self._slots.release()
                raise
            if room_in is None:
                return
            self._slots.release()
            await waiters.pause(room_in)

    async def _free_slot(self, deadline: float, waiters: Waiters) -> None:
        """One of the connections; _NotSent if none is free before the deadline. Waiting for
        one here, not in httpx's pool, is safe to cancel."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _NotSent
        try:
            self._slots.acquire_nowait()  # a free one: no turn of the event loop spent
        except anyio.WouldBlock:
            with waiters.unsent(), anyio.move_on_after(remaining) as waiting:
                await self._slots.acquire()
            if waiting.cancelled_caught:
                raise _NotSent from None

    async def _exchange(
        self, outgoing: _Outgoing, deadline: float, limits: httpx.Timeout
    ) -> tuple[int, httpx.Headers, bytes]:
        method = outgoing.method
        attributes = {"http.request.method": method, "server.address": self._host}
        # A span carries no text from Wix or from an exception (it may echo the key): a failed
        # exchange is marked with the exception's type alone.
        with tracer.start_as_current_span(
            f"{method} {span_route(outgoing.path)}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                return await self._read(outgoing, deadline, limits, span)
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(StatusCode.ERROR)
                raise

    async def _read(
        self, outgoing: _Outgoing, deadline: float, limits: httpx.Timeout, span: Span
    ) -> tuple[int, httpx.Headers, bytes]:
        headers = dict(outgoing.scope)
        inject(headers)  # W3C traceparent: Wix's side of the trace, if it keeps one
        request = self._http.stream(
            outgoing.method,
            outgoing.path,
            json=outgoing.body,
            params=outgoing.params,
            timeout=limits,
            headers=headers,
        )
        async with request as response:
            if response.is_stream_consumed:  # built in memory (a mock transport), not streamed
                if len(response.content) > MAX_BODY_BYTES:
                    raise _too_large(response.headers)
                span.set_attribute("http.response.status_code", response.status_code)
                return response.status_code, response.headers, response.content
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large(response.headers)
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunks.append(chunk)
            content = _decoded(b"".join(chunks), response.headers)
            span.set_attribute("http.response.status_code", response.status_code)
            return response.status_code, response.headers, content


def _too_large(headers: httpx.Headers) -> WixApiError:
    return WixApiError(
        f"Wix's answer was larger than {MAX_BODY_BYTES // 1024 // 1024} MiB and was not read. "
        "Ask for fewer items (a smaller limit).",
        request_id=request_id(headers),
    )


def _decoded(body: bytes, headers: httpx.Headers) -> bytes:
    """The body with its content encodings undone, never growing past MAX_BODY_BYTES."""
    encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",")]
    for encoding in reversed([e for e in encodings if e and e != "identity"]):
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise WixApiError(
                f"Wix sent its answer in an encoding that was not asked for ({encoding[:20]!r}). "
                "A proxy may be in the way: try again shortly."
            )
        wbits = zlib.MAX_WBITS | 32 if encoding != "deflate" else zlib.MAX_WBITS
        decoder = zlib.decompressobj(wbits)
        try:
            body = decoder.decompress(body, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise WixApiError(
                "Wix's answer could not be decompressed. A proxy may be in the way: try again "
                "shortly."
            ) from None
        if len(body) > MAX_BODY_BYTES or decoder.unconsumed_tail:
            raise _too_large(headers)
    return body
