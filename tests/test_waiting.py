"""Requests nobody waits for, and what health makes of requests that do not get through.

A request whose callers all left makes no further attempt and takes nothing more from the rate
budget (the attempt in flight, if any, is never cut). Health tells a pool that is stuck (one
exchange far past any timeout) and slots that are all taken while calls queue past a request's
deadline from a long call of many quick exchanges.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.wix.budget import AnswerCache, RateBudget
from wix_data_mover_mcp.wix.client import WixDataMoverClient, create_http_client
from wix_data_mover_mcp.wix.finder import SCAN_PAGES, find_jobs
from wix_data_mover_mcp.wix.http import RetryPolicy
from wix_data_mover_mcp.wix.upstream import STALLED_AFTER_SECONDS, Upstream

from . import payloads

pytestmark = pytest.mark.anyio

JOB = payloads.CSV_IMPORT_ID
# Backoffs long enough that a retry would still be on its way when the test looks.
PATIENT = RetryPolicy(attempts=4, first_backoff=0.4, max_backoff=0.4, deadline=10)


class Clock:
    """A clock health reads, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Wix:
    """A fake Wix: each request is recorded, told to the test, and answered by `answer`."""

    def __init__(self, answer: Callable[[httpx.Request], Any]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.asked = anyio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.asked.set()
        self.asked = anyio.Event()
        return await self.answer(request)


@asynccontextmanager
async def upstream_for(
    settings: Settings,
    wix: Wix,
    *,
    retry: RetryPolicy = PATIENT,
    budget: RateBudget | None = None,
    slots: int = 20,
    clock: Callable[[], float] | None = None,
) -> AsyncGenerator[Upstream]:
    budget = budget or RateBudget(1000, "waiting")
    async with anyio.create_task_group() as tasks:
        client = WixDataMoverClient(
            create_http_client(settings, transport=httpx.MockTransport(wix)),
            settings,
            retry,
            budget=budget,
            clock=clock or time.monotonic,
        )
        upstream = Upstream(
            client,
            tasks,
            cache=AnswerCache(0, "waiting"),
            budget=budget,
            poll_delays=(0.01,),
            max_in_flight=slots,
        )
        try:
            yield upstream
        finally:
            tasks.cancel_scope.cancel()
            with anyio.CancelScope(shield=True):
                await upstream.aclose()


async def slots_free(upstream: Upstream, slots: int = 20) -> None:
    """Until every slot to Wix is free again (the server's own tasks are done with them)."""
    with anyio.fail_after(2):
        while upstream._slots.free < slots:  # noqa: ASYNC110  # pyright: ignore[reportPrivateUsage]
            await anyio.sleep(0.01)


async def unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"message": "try later"})


async def times_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer", request=request)


@pytest.mark.parametrize("failing", [unavailable, times_out], ids=["503", "timeout"])
@pytest.mark.parametrize("how", ["get", "call"])
async def test_a_request_whose_callers_left_makes_no_further_attempt(settings, failing, how):
    wix = Wix(failing)
    budget = RateBudget(1000, "waiting")
    async with upstream_for(settings, wix, budget=budget) as upstream:
        async with anyio.create_task_group() as callers:
            if how == "get":
                callers.start_soon(upstream.get_job, JOB)
            else:
                callers.start_soon(upstream.call, lambda: upstream.client.get_job(JOB))
            await wix.asked.wait()  # the first attempt is answered: now a backoff, then a retry
            callers.cancel_scope.cancel()
        await slots_free(upstream)  # its task is done: at once, not after the retries
        left = await budget.remaining_share()
    assert len(wix.requests) == 1
    assert round(left * 1000) == 999  # the first attempt's share, nothing more


async def test_a_request_waiting_for_the_budget_when_its_callers_leave_takes_none_of_it(settings):
    async def answered(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"job": payloads.csv_import_completed()})

    wix = Wix(answered)
    # One request a minute, used up by the first; the second would wait a minute for room.
    budget = RateBudget(1, "waiting", max_wait=120)
    patient = RetryPolicy(deadline=90)
    async with upstream_for(settings, wix, budget=budget, retry=patient) as upstream:
        await upstream.get_job(JOB)
        with anyio.move_on_after(0.2):
            await upstream.call(lambda: upstream.client.get_job(JOB))
        await slots_free(upstream)  # it stopped waiting for the budget as its caller left
        assert await budget.remaining_share() == 0
    assert len(wix.requests) == 1


async def test_a_request_waiting_for_a_connection_takes_nothing_from_the_budget(
    settings, monkeypatch
):
    # A request takes its share just before it is sent: one waiting for a connection has not
    # taken it yet, and one given up while waiting never does.
    monkeypatch.setattr("wix_data_mover_mcp.wix.http.MAX_CONNECTIONS", 1)
    answer = anyio.Event()

    async def held(request: httpx.Request) -> httpx.Response:
        await answer.wait()
        return httpx.Response(200, json={"job": payloads.csv_import_completed()})

    wix = Wix(held)
    budget = RateBudget(10, "waiting")
    async with upstream_for(settings, wix, budget=budget) as upstream:
        async with anyio.create_task_group() as callers:
            callers.start_soon(upstream.call, lambda: upstream.client.get_job(JOB))
            await wix.asked.wait()  # it holds the only connection
            async with anyio.create_task_group() as waiting:
                waiting.start_soon(upstream.call, lambda: upstream.client.get_job(JOB))
                await anyio.wait_all_tasks_blocked()
                assert round(await budget.remaining_share() * 10) == 9  # the first alone
                waiting.cancel_scope.cancel()  # its caller gives up
            answer.set()
        await slots_free(upstream)
        assert round(await budget.remaining_share() * 10) == 9
    assert len(wix.requests) == 1


async def test_a_wait_whose_callers_left_stops_polling(settings):
    async def hangs(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.3)  # answered while nobody waits any more
        return httpx.Response(503, json={})

    wix = Wix(hangs)
    async with upstream_for(settings, wix) as upstream:

        async def seen(_: dict[str, Any]) -> None:
            pass

        with anyio.move_on_after(0.1):
            await upstream.follow(JOB, deadline=anyio.current_time() + 60, on_answer=seen)
        await slots_free(upstream)  # the attempt in flight ended, and no other began
    assert len(wix.requests) == 1


async def test_health_tells_slots_all_taken_past_the_deadline_but_not_a_long_quick_queue(
    settings,
):
    clock = Clock()
    release = anyio.Event()

    async def held(request: httpx.Request) -> httpx.Response:
        await release.wait()  # a fake transport knows no timeout: held until released
        return httpx.Response(200, json={"job": payloads.csv_import_completed()})

    wix = Wix(held)
    async with (
        upstream_for(settings, wix, slots=1, clock=clock) as upstream,
        anyio.create_task_group() as callers,
    ):
        callers.start_soon(upstream.call, lambda: upstream.client.get_job(JOB))
        await wix.asked.wait()
        callers.start_soon(upstream.call, lambda: upstream.client.get_job(JOB))
        await anyio.wait_all_tasks_blocked()
        clock.now += PATIENT.deadline  # queued as long as a request may take: not yet
        assert upstream.trouble() is None
        clock.now += 1
        assert upstream.trouble() == (
            "every one of the 1 requests to Wix this server sends at once is taken, and calls "
            "have waited 11 s for one: Wix is slow or not answering, or there are more calls "
            "than this server can serve"
        )
        release.set()
        await slots_free(upstream, 1)
        assert upstream.trouble() is None


async def test_a_long_search_of_quick_pages_is_not_a_stall_but_one_stuck_exchange_is(settings):
    clock = Clock()
    release = anyio.Event()
    page_seconds = STALLED_AFTER_SECONDS / (SCAN_PAGES - 1)  # each within its own deadline

    async def pages(request: httpx.Request) -> httpx.Response:
        n = len(wix.requests)
        if n == SCAN_PAGES:
            await release.wait()  # the last page is still on its way
        clock.now += page_seconds
        job = {"id": f"11111111-0000-4000-8000-{n:012d}", "name": f"job {n}"}
        paging = {"hasNext": True, "cursors": {"next": f"c{n}"}}
        return httpx.Response(200, json={"jobs": [job], "pagingMetadata": paging})

    wix = Wix(pages)
    async with (
        upstream_for(settings, wix, clock=clock) as upstream,
        anyio.create_task_group() as callers,
    ):
        search = lambda: find_jobs(upstream.client, name_contains="zzz")  # noqa: E731
        callers.start_soon(upstream.call, search)
        with anyio.fail_after(2):
            while len(wix.requests) < SCAN_PAGES:
                await wix.asked.wait()
        # The call has run for 4 pages' time (120 s); its last exchange just began.
        clock.now += 1
        assert upstream.trouble() is None
        clock.now += STALLED_AFTER_SECONDS
        assert upstream.trouble() == "requests to Wix are not completing"
        release.set()
    assert json.loads(wix.requests[-1].content)["query"]["cursorPaging"]["cursor"] == "c4"


async def test_healthz_says_why_when_every_slot_is_taken_past_the_deadline(settings):
    release = anyio.Event()

    async def held(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json={"job": payloads.csv_import_completed()})

    quick = RetryPolicy(attempts=1, deadline=0.1)
    server = build_server(settings, transport=httpx.MockTransport(held), retry=quick)
    async with Client(server) as client, anyio.create_task_group() as callers:
        for n in range(21):  # one more than the server sends at once
            job = f"55555555-0000-4000-8000-{n:012x}"
            callers.start_soon(client.call_tool, "get_data_movement_job", {"job_id": job})
        with anyio.fail_after(3):
            while (reason := await server.health()) is None:  # noqa: ASYNC110 - a probe, polled
                await anyio.sleep(0.02)
        release.set()
        assert reason.startswith("every one of the 20 requests to Wix this server sends at once")
