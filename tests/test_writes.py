"""The writing tools: a retry submitted exactly once (a caller that leaves, instances racing on
Redis), dry runs that send nothing, and confirmations asked of the person."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client

from wix_data_mover_mcp.emulator import Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server

from .conftest import FAST_RETRY, settings_for, texts

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def server(emulator: Emulator, **settings: Any):
    return build_server(settings_for(emulator, allow_writes=True, **settings), retry=FAST_RETRY)


async def until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await anyio.sleep(0.01)


def own_key(emulator: Emulator) -> str:
    """An API key of the test's own, so what is remembered for it is the test's alone."""
    key = f"IST.writes-{random.getrandbits(48):012x}"
    emulator.state.api_keys.add(key)
    return key


async def test_a_retry_whose_caller_leaves_during_the_submit_is_still_remembered(emulator):
    # The submit and remembering it are one unit: the caller leaving half-way (a client
    # timeout) must not leave a submitted job that a repeated call does not know about.
    async with Client(server(emulator, api_key=own_key(emulator))) as client:
        before = emulator.state.requests["submit_job"]
        jobs_before = len(emulator.state.jobs)
        emulator.state.inject("latency", count=2, delay=0.3)  # the read, then the submit
        async with anyio.create_task_group() as group:
            group.start_soon(
                client.call_tool, "retry_data_movement_job", {"job_id": demo.ORDERS_EXPORT}
            )
            await until(lambda: emulator.state.requests["submit_job"] > before)
            group.cancel_scope.cancel()  # the caller gives up while the submit is in flight
        await until(lambda: len(emulator.state.jobs) > jobs_before)
        again = await client.call_tool("retry_data_movement_job", {"job_id": demo.ORDERS_EXPORT})
    assert emulator.state.requests["submit_job"] == before + 1
    structured = again.structured_content or {}
    assert structured["repeated"] is True
    assert structured["job"]["id"] in emulator.state.jobs
    assert "was already submitted a moment ago" in texts(again)[0]


async def test_ten_identical_retries_across_two_instances_on_redis_submit_one_job(
    emulator, redis_url
):
    shared = {"api_key": own_key(emulator), "mcp_redis_url": redis_url}
    before = emulator.state.requests["submit_job"]
    results: list[dict[str, Any]] = []

    async def retry(client: Client) -> None:
        result = await client.call_tool("retry_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL})
        assert not result.is_error, texts(result)
        results.append(result.structured_content or {})

    async with (
        Client(server(emulator, **shared)) as first,
        Client(server(emulator, **shared)) as second,
        anyio.create_task_group() as group,
    ):
        for n in range(10):
            group.start_soon(retry, first if n % 2 else second)
    assert emulator.state.requests["submit_job"] == before + 1
    assert len({r["job"]["id"] for r in results}) == 1
    assert sorted(r["repeated"] for r in results) == [False] + [True] * 9


async def test_a_retry_whose_submit_failed_can_be_made_again_from_another_instance(
    emulator, redis_url
):
    shared = {"api_key": own_key(emulator), "mcp_redis_url": redis_url}
    async with (
        Client(server(emulator, **shared)) as first,
        Client(server(emulator, **shared)) as second,
    ):
        before = emulator.state.requests["submit_job"]
        # The read answers (a fault of its own, of no delay); the submit gets a 503.
        emulator.state.inject("latency", job_id=demo.BLOG_IMPORT_FAILED, count=1, delay=0)
        emulator.state.inject("server_error", count=1)
        failed = await first.call_tool(
            "retry_data_movement_job", {"job_id": demo.BLOG_IMPORT_FAILED}
        )
        again = await second.call_tool(
            "retry_data_movement_job", {"job_id": demo.BLOG_IMPORT_FAILED}
        )
    assert failed.is_error and "503" in texts(failed)[0]
    assert not again.is_error and (again.structured_content or {})["repeated"] is False
    assert emulator.state.requests["submit_job"] == before + 2
