"""Holding up under load: no wedged pool, one request per job, Wix's rate budget kept, on one
instance or several sharing Redis."""

from __future__ import annotations

import gzip
import json
import logging
import random
import socket
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from wix_data_mover_mcp.emulator import DEMO_SITE_ID, Emulator, JobTimeline
from wix_data_mover_mcp.errors import BudgetExhausted, WixApiError
from wix_data_mover_mcp.serve.app import build_server, connect_upstream
from wix_data_mover_mcp.serve.connections import REQUEST_TIMEOUT_SECONDS
from wix_data_mover_mcp.serve.http_app import http_app
from wix_data_mover_mcp.serve.http_server import BackgroundServer
from wix_data_mover_mcp.wix.budget import (
    AnswerCache,
    RateBudget,
    SharedRedis,
    key_fingerprint,
)
from wix_data_mover_mcp.wix.client import WixDataMoverClient, create_http_client
from wix_data_mover_mcp.wix.upstream import Upstream

from . import payloads
from .conftest import FAST_RETRY, free_port, settings_for, texts

pytestmark = pytest.mark.anyio

FAST_POLLS = (0.05, 0.1, 0.2)


def job_id(n: int) -> str:
    return f"55555555-0000-4000-8000-{n:012x}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seeded=False) as running:
        for n in range(1, 4):
            running.state.add_job(
                JobTimeline(
                    DEMO_SITE_ID,
                    {"id": job_id(n), "name": f"Import {n}", "source": {}, "destination": {}},
                    submitted_at=running.state.now() - 3600,
                    running=30,
                )
            )
        yield running


def running_job(emulator: Emulator, n: int, seconds: float) -> str:
    emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {"id": job_id(n), "name": f"Long import {n}", "source": {}, "destination": {}},
            submitted_at=emulator.state.now(),
            pending=0,
            initializing=0,
            running=seconds,
            items=1000,
        )
    )
    return job_id(n)


@asynccontextmanager
async def upstream(emulator: Emulator, **overrides: Any) -> AsyncGenerator[Upstream]:
    async with anyio.create_task_group() as tasks:
        wix = connect_upstream(
            settings_for(emulator, **overrides), tasks, retry=FAST_RETRY, poll_delays=FAST_POLLS
        )
        try:
            yield wix
        finally:
            tasks.cancel_scope.cancel()
            with anyio.CancelScope(shield=True):
                await wix.aclose()


async def test_callers_cancelled_in_storms_never_wedge_the_pool(emulator):
    # Each caller gives up at a random moment, as clients under load do. Before requests ran
    # in the server's own tasks, such storms leaked every pool slot within a few bursts and
    # every later call timed out without reaching Wix.
    async def impatient(wix: Upstream, n: int) -> None:
        # The jobs do not exist: a caller quick enough to hear back gets Wix's 404.
        with anyio.move_on_after(random.uniform(0, 0.05)), suppress(WixApiError):
            await wix.call(lambda: wix.client.get_job(job_id(1000 + n)))

    async with upstream(emulator, rate_limit_per_minute=10_000) as wix:
        for _ in range(10):
            async with anyio.create_task_group() as burst:
                for n in range(300):
                    burst.start_soon(impatient, wix, n)
        before = emulator.state.requests["get_job"]
        with anyio.fail_after(5):
            assert (await wix.call(lambda: wix.client.get_job(job_id(1))))["id"] == job_id(1)
        assert emulator.state.requests["get_job"] > before
        assert not wix.stalled()


async def test_concurrent_calls_for_one_job_share_one_request(emulator):
    before = emulator.state.requests["get_job"]
    server = build_server(settings_for(emulator), retry=FAST_RETRY)
    async with Client(server) as client:
        results: list[bool] = []

        async def ask() -> None:
            result = await client.call_tool("get_data_movement_job", {"job_id": job_id(2)})
            results.append(result.is_error)

        async with anyio.create_task_group() as tasks:
            for _ in range(50):
                tasks.start_soon(ask)
    assert results == [False] * 50
    assert emulator.state.requests["get_job"] - before == 1


async def test_many_waits_on_one_job_share_one_poll_loop_each_with_its_own_answer(emulator):
    # The short waits (1 s, the least a wait takes) end a full second before the job does,
    # so a busy machine cannot make them see it finish.
    job = running_job(emulator, 100, seconds=2.0)
    before = emulator.state.requests["get_job"]
    server = build_server(settings_for(emulator), retry=FAST_RETRY, poll_delays=FAST_POLLS)
    seen: dict[int, list[float]] = {}
    finals: dict[int, str] = {}
    async with Client(server) as client:

        async def wait(n: int, seconds: float) -> None:
            seen[n] = []

            async def on_progress(
                progress: float, total: float | None, message: str | None
            ) -> None:
                seen[n].append(progress)

            result = await client.call_tool(
                "wait_for_data_movement_job",
                {"job_id": job, "timeout_seconds": seconds},
                progress_callback=on_progress,
            )
            finals[n] = (result.structured_content or {})["status"]

        async with anyio.create_task_group() as tasks:
            for n in range(40):
                tasks.start_soon(wait, n, 1 if n % 2 else 20)
    polls = emulator.state.requests["get_job"] - before
    # One loop at 0.05, 0.1, 0.2, 0.2 ... s over about 2 s (11 polls), not one per waiter.
    assert polls <= 16
    assert all(seen[n] for n in range(40))
    assert {finals[n] for n in range(0, 40, 2)} == {"COMPLETED"}
    assert {finals[n] for n in range(1, 40, 2)} == {"IN_PROGRESS"}


async def test_calls_beyond_the_rate_budget_are_refused_with_when_to_try_again(emulator):
    async with upstream(emulator, rate_limit_per_minute=3) as wix:
        for n in range(1, 4):
            await wix.get_job(job_id(n))
        before = emulator.state.requests["get_job"]
        with pytest.raises(WixApiError) as refused:
            await wix.call(lambda: wix.client.get_job(job_id(1)))
    assert emulator.state.requests["get_job"] == before
    message = str(refused.value)
    assert message.startswith(
        "Wix's rate budget for this key is used up (3 requests a minute, "
        "WIX_RATE_LIMIT_PER_MINUTE); try again in "
    )
    assert 50 <= int(message.rsplit("in ", 1)[1].removesuffix(" s.")) <= 60


async def test_a_double_gzip_answer_is_bounded_before_it_is_decompressed(settings):
    bomb = gzip.compress(gzip.compress(b"\0" * (64 * 1024 * 1024)))
    assert len(bomb) < 100_000

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept-encoding"] == "gzip, deflate"
        headers = {"content-encoding": "gzip, gzip", "content-type": "application/json"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(bomb))

    http = create_http_client(settings, transport=httpx.MockTransport(handler))
    async with WixDataMoverClient(http, settings, FAST_RETRY) as wix:
        with pytest.raises(WixApiError) as refused:
            await wix.get_job(payloads.CSV_IMPORT_ID)
    assert str(refused.value).startswith("Wix's answer was larger than 4 MiB and was not read.")


async def test_a_gzip_answer_within_bounds_is_read(settings):
    body = gzip.compress(b'{"job": {"id": "%s"}}' % payloads.CSV_IMPORT_ID.encode())

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    http = create_http_client(settings, transport=httpx.MockTransport(handler))
    async with WixDataMoverClient(http, settings, FAST_RETRY) as wix:
        assert (await wix.get_job(payloads.CSV_IMPORT_ID))["id"] == payloads.CSV_IMPORT_ID


def test_get_on_the_mcp_path_is_refused_at_once_and_health_answers(emulator):
    server = build_server(settings_for(emulator))
    app = http_app(server, host="127.0.0.1", token=None)
    with BackgroundServer(app) as running, httpx.Client(base_url=running.url, timeout=5) as http:
        refused = http.get("/mcp", headers={"accept": "text/event-stream"})
        health = http.get("/healthz")
    assert refused.status_code == 405
    assert health.status_code == 200 and health.json()["status"] == "ok"


def begun(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A connection from `source` that has begun a request and not finished its headers."""
    connection = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    connection.sendall(b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n")
    return connection


def closed_by_server(connection: socket.socket) -> bool:
    connection.settimeout(5)
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True


def test_at_the_cap_a_new_connection_takes_the_place_of_one_that_sent_nothing(emulator):
    server = build_server(settings_for(emulator))
    app = http_app(server, host="127.0.0.1", token=None)
    with BackgroundServer(app, max_connections=5, max_per_peer=5) as running:
        silent = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(5)]
        started = time.monotonic()
        with httpx.Client(base_url=running.url, timeout=5) as http:
            while True:  # refused while they are new (their first bytes may be on the way)
                try:
                    health = http.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() - started < 3
                    time.sleep(0.05)
        answered_within = time.monotonic() - started
        oldest_closed = closed_by_server(silent[0])
        for connection in silent:
            connection.close()
    assert health.status_code == 200
    assert answered_within < 3 < REQUEST_TIMEOUT_SECONDS  # one gave way: it did not time out
    assert oldest_closed


def test_at_the_cap_with_none_idle_a_new_connection_is_closed_at_once_and_service_recovers(
    emulator,
):
    server = build_server(settings_for(emulator))
    app = http_app(server, host="127.0.0.1", token=None)
    with BackgroundServer(app, max_connections=5, max_per_peer=5) as running:
        busy = [begun(running.port) for _ in range(5)]
        extra = socket.create_connection(("127.0.0.1", running.port))
        assert closed_by_server(extra)  # closed at once, not left waiting
        extra.close()
        for connection in busy:
            connection.close()
        with httpx.Client(base_url=running.url, timeout=5) as http:
            deadline = time.monotonic() + 5
            while (status := http.get("/healthz").status_code) != 200:
                assert time.monotonic() < deadline, status
    assert status == 200


def test_one_client_address_holds_at_most_half_the_connections_and_others_get_in(emulator):
    server = build_server(settings_for(emulator))
    app = http_app(server, host="127.0.0.1", token=None)
    with BackgroundServer(app, max_connections=10) as running:
        busy = [begun(running.port, source="127.0.0.2") for _ in range(10)]
        refused = [closed_by_server(c) for c in busy[5:]]
        with httpx.Client(base_url=running.url, timeout=5) as http:
            health = http.get("/healthz")
        for connection in busy:
            connection.close()
    assert refused == [True] * 5
    assert health.status_code == 200


def test_a_proxys_pool_of_connections_from_one_address_is_served_whole(emulator):
    server = build_server(settings_for(emulator))
    app = http_app(server, host="127.0.0.1", token=None)
    with BackgroundServer(app, max_connections=64) as running:
        pool = httpx.Limits(max_connections=32, max_keepalive_connections=32)

        async def rounds() -> list[int]:
            statuses: list[int] = []
            async with httpx.AsyncClient(base_url=running.url, timeout=5, limits=pool) as http:
                for _ in range(3):
                    async with anyio.create_task_group() as group:
                        for _ in range(32):

                            async def ask() -> None:
                                statuses.append((await http.get("/healthz")).status_code)

                            group.start_soon(ask)
            return statuses

        statuses = anyio.run(rounds)
    assert statuses == [200] * 96


def test_a_connection_that_sends_no_request_is_closed_after_the_request_timeout(emulator):
    server = build_server(settings_for(emulator))
    app = http_app(server, host="127.0.0.1", token=None)
    with BackgroundServer(app, request_timeout=0.2) as running:
        silent = socket.create_connection(("127.0.0.1", running.port))
        silent.settimeout(5)
        started = time.monotonic()
        assert silent.recv(1) == b""
        assert time.monotonic() - started < 4
        silent.close()


def test_a_second_request_trickled_on_a_kept_alive_connection_is_closed_at_its_deadline(
    emulator,
):
    server = build_server(settings_for(emulator))
    app = http_app(server, host="127.0.0.1", token=None)
    with (
        BackgroundServer(app, request_timeout=0.3) as running,
        socket.create_connection(("127.0.0.1", running.port)) as connection,
    ):
        connection.sendall(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        connection.settimeout(5)
        assert connection.recv(65536).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        connection.settimeout(0.05)
        closed = False
        for byte in b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: " + b"a" * 200:
            try:
                connection.sendall(bytes([byte]))
                closed = connection.recv(1) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
            if closed or time.monotonic() - started > 4:
                break
    assert closed and time.monotonic() - started < 3


# Redis: a real server on loopback (the redis_url fixture, in conftest.py).


async def test_two_instances_on_redis_share_one_rate_budget(emulator, redis_url):
    shared = {"mcp_redis_url": redis_url, "rate_limit_per_minute": 4, "job_cache_seconds": 0}
    key = f"IST.instances-{random.getrandbits(32)}"  # a budget of its own
    async with (
        upstream(emulator, api_key=key, **shared) as first,
        upstream(emulator, api_key=key, **shared) as second,
    ):
        emulator.state.api_keys.add(key)
        for wix in (first, second, first, second):
            await wix.call(lambda wix=wix: wix.client.get_job(job_id(1)))
        with pytest.raises(WixApiError, match="rate budget for this key is used up"):
            await second.call(lambda: second.client.get_job(job_id(1)))


async def test_two_instances_on_redis_share_a_job_answer(emulator, redis_url):
    shared = {"mcp_redis_url": redis_url, "job_cache_seconds": 30}
    async with upstream(emulator, **shared) as first, upstream(emulator, **shared) as second:
        before = emulator.state.requests["get_job"]
        assert (await first.get_job(job_id(3)))["id"] == job_id(3)
        assert (await second.get_job(job_id(3)))["id"] == job_id(3)
    assert emulator.state.requests["get_job"] - before == 1


async def test_without_redis_an_instance_keeps_its_own_budget_and_says_so(emulator, caplog):
    down = f"redis://127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, "wix_data_mover_mcp")
    async with upstream(emulator, mcp_redis_url=down, rate_limit_per_minute=2) as wix:
        assert (await wix.get_job(job_id(1)))["id"] == job_id(1)
        assert (await wix.get_job(job_id(2)))["id"] == job_id(2)
        with pytest.raises(WixApiError, match="rate budget for this key is used up"):
            await wix.get_job(job_id(3))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("this instance keeps its own rate budget" in w for w in warnings)
    assert not any(down in w for w in warnings)


def deeply_nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"id": job_id(2)}
    for _ in range(depth):
        value = {"job": value}
    return value


DAMAGED_ENTRIES = {
    "not UTF-8": b"garbage\x00\xff",
    "a list nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "an object nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "an object deeper than any answer": json.dumps(deeply_nested(100)).encode(),
    "not an object": b'"a job"',
}


async def redis_keys(url: str, pattern: str) -> list[bytes]:
    from redis.asyncio import Redis

    async with Redis.from_url(url) as redis:  # pyright: ignore[reportUnknownMemberType]
        return [key async for key in redis.scan_iter(match=pattern)]


async def overwrite(url: str, keys: list[bytes], value: bytes) -> None:
    from redis.asyncio import Redis

    async with Redis.from_url(url) as redis:  # pyright: ignore[reportUnknownMemberType]
        for key in keys:
            await redis.set(key, value, px=30_000)


@pytest.mark.parametrize("damage", list(DAMAGED_ENTRIES))
async def test_a_damaged_job_answer_in_redis_is_a_miss_said_once(
    emulator, redis_url, caplog, damage
):
    key = f"IST.damaged-{random.getrandbits(32)}"  # answers of its own
    emulator.state.api_keys.add(key)
    shared = {"mcp_redis_url": redis_url, "job_cache_seconds": 30, "api_key": key}
    async with upstream(emulator, **shared) as first:
        await first.get_job(job_id(2))
    kept = await redis_keys(redis_url, f"wix-data-mover-mcp:job:{key_fingerprint(key)}:*")
    assert kept
    await overwrite(redis_url, kept, DAMAGED_ENTRIES[damage])
    caplog.set_level(logging.WARNING, "wix_data_mover_mcp")
    before = emulator.state.requests["get_job"]
    async with upstream(emulator, **shared) as second, upstream(emulator, **shared) as third:
        assert (await second.get_job(job_id(2)))["id"] == job_id(2)
        assert (await third.get_job(job_id(2)))["id"] == job_id(2)
    assert emulator.state.requests["get_job"] - before == 1  # fetched again once, then shared
    ignored = [r for r in caplog.records if "Ignored an entry in Redis" in r.getMessage()]
    assert len(ignored) == 1 and ignored[0].exc_info is None


@pytest.mark.parametrize(
    "memory",
    [{"id": 5}, {"id": "not-a-job"}, {"caveats": "text"}, {"id": job_id(1), "caveats": 3}],
)
async def test_a_retry_remembered_in_redis_in_the_wrong_shape_is_not_taken_as_submitted(
    emulator, redis_url, memory
):
    key = f"IST.retry-{random.getrandbits(32)}"
    emulator.state.api_keys.add(key)
    settings = settings_for(
        emulator, api_key=key, mcp_redis_url=redis_url, allow_writes=True, job_cache_seconds=0
    )
    arguments = {"job_id": job_id(1)}
    async with Client(build_server(settings, retry=FAST_RETRY)) as client:
        first = await client.call_tool("retry_data_movement_job", arguments)
    kept = await redis_keys(redis_url, f"wix-data-mover-mcp:job:retry:{key_fingerprint(key)}:*")
    await overwrite(redis_url, kept, json.dumps(memory).encode())
    async with Client(build_server(settings, retry=FAST_RETRY)) as client:
        again = await client.call_tool("retry_data_movement_job", arguments)
    assert first.is_error is False and again.is_error is False, texts(again)
    assert (again.structured_content or {})["repeated"] is False
    assert texts(again)[0].startswith(f"Submitted a retry of job {job_id(1)} as job ")


@pytest.mark.anyio
async def test_many_redis_reads_at_once_queue_for_a_connection_and_share_one_budget(
    redis_url, caplog
):
    # A wait storm reads and counts on Redis for hundreds of callers at the same moment; more
    # at once than the pool holds must wait their turn, not take Redis for gone and leave the
    # shared budget for one of this instance's own.
    redis = SharedRedis(redis_url)
    cache = AnswerCache(5, "storm", redis=redis)
    budget = RateBudget(60, f"storm-{random.random()}", redis=redis)
    try:
        async with anyio.create_task_group() as readers:
            for n in range(300):
                readers.start_soon(cache.get, f"job-{n}")
        assert redis.available
        for _ in range(60):
            assert await budget.take(time.monotonic() + 10) is None
        with pytest.raises(BudgetExhausted):
            await budget.take(time.monotonic())  # the 61st of the minute, on the shared count
    finally:
        await redis.aclose()
    assert "cannot be reached" not in caplog.text
