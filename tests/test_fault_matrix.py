"""Every fault the emulator can inject, against every read tool, over real loopback HTTP:
the outcome, the number of attempts made (and seen by Wix), the time it took, and that the
server still serves afterwards."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from mcp import Client

from wix_data_mover_mcp.cli.demo import demo_settings
from wix_data_mover_mcp.emulator import Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.emulator.state import FaultKind
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.wix.http import RetryPolicy

from .conftest import texts

pytestmark = pytest.mark.anyio

RETRY = RetryPolicy(first_backoff=0.005, max_backoff=0.02, max_retry_after=0.05, deadline=8)
TOOLS: dict[str, dict[str, Any]] = {
    "get_data_movement_job": {"job_id": demo.PRODUCTS_IMPORT},
    "list_data_movement_jobs": {"limit": 3},
    "list_data_movement_job_logs": {"job_id": demo.MEMBERS_PARTIAL},
    "wait_for_data_movement_job": {"job_id": demo.PRODUCTS_IMPORT, "timeout_seconds": 5},
}
GONE = "Gave up after 4 attempts."

# name, fault options, faulty requests (None: all), attempts, words of the error (None: success)
FAULTS: list[tuple[FaultKind, dict[str, Any], int | None, int, str | None]] = [
    ("rate_limit", {"retry_after": "0.02"}, None, 4, "rate limiting"),
    ("rate_limit", {}, None, 4, "rate limiting"),
    ("rate_limit", {"retry_after": "0.02"}, 2, 3, None),
    ("server_error", {"status": 500}, None, 4, "server error (500)"),
    ("server_error", {"status": 502}, 3, 4, None),
    ("server_error", {"status": 503}, None, 4, "server error (503)"),
    ("server_error", {"status": 504}, 1, 2, None),
    ("reset", {}, None, 4, "connection to Wix broke"),
    ("hang", {"delay": 1}, None, 4, "did not answer within 0.25 s"),
    ("latency", {"delay": 0.03}, None, 1, None),
    ("html", {}, None, 4, "HTML page"),
    ("malformed_json", {}, None, 1, "JSON that was cut short"),
    ("empty", {}, None, 1, "an empty answer"),
    ("oversized", {}, None, 1, "larger than 4 MiB"),
]
# A 200 without the expected field: an error for one job, an empty page for a list (Wix
# leaves out empty arrays).
NO_FIELD = {
    "get_data_movement_job": "no 'job' object",
    "wait_for_data_movement_job": "no 'job' object",
    "list_data_movement_jobs": None,
    "list_data_movement_job_logs": None,
}


# Only a hang is about time: it waits out a short timeout. Every other fault gets a timeout no
# attempt reaches even on a loaded machine, so none of them times out instead of meeting it.
HANG_TIMEOUT, TIMEOUT = 0.25, 10.0


class Counting(httpx.AsyncBaseTransport):
    """The network, counting the requests sent through it: the attempts made, where they are
    made, whether or not an attempt reached the emulator before it timed out."""

    def __init__(self) -> None:
        self.sent = 0
        self._network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return await self._network.handle_async_request(request)

    async def aclose(self) -> None:
        await self._network.aclose()


def server(base_url: str, *, timeout: float = TIMEOUT, transport: Counting | None = None):
    settings = demo_settings(base_url, api_timeout=timeout)
    return build_server(settings, retry=RETRY, transport=transport)


async def check(
    emulator: Emulator,
    tool: str,
    kind: FaultKind,
    options: dict[str, Any],
    count: int | None,
    attempts: int,
    words: str | None,
) -> None:
    emulator.state.clear_faults()
    emulator.state.inject(kind, count=count, **options)
    before = sum(emulator.state.requests.values())
    network = Counting()
    timeout = HANG_TIMEOUT if kind == "hang" else TIMEOUT
    async with Client(server(emulator.url, timeout=timeout, transport=network)) as client:
        started = time.monotonic()
        result = await client.call_tool(tool, TOOLS[tool])
        elapsed = time.monotonic() - started
        made, seen = network.sent, sum(emulator.state.requests.values()) - before
        emulator.state.clear_faults()
        after = await client.call_tool(tool, TOOLS[tool])
    # Logs that name items by number make the logs tool read the job too: are they CSV rows?
    groups = (result.structured_content or {}).get("groups") or []
    reads_job = any(i.isdigit() for group in groups for i in group["example_item_ids"])
    assert made == attempts + reads_job
    if kind != "hang":  # every attempt was answered, so the emulator saw each one
        assert seen == made
    assert elapsed < RETRY.deadline + 1
    assert after.is_error is False, "the server still serves once Wix recovers"
    if words is None:
        assert result.is_error is False, texts(result)[0]
    else:
        assert result.is_error is True
        assert words in texts(result)[0]
        if attempts > 1:
            assert GONE in texts(result)[0]


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize(
    ("kind", "options", "count", "attempts", "words"),
    FAULTS,
    ids=[f"{f[0]}-{f[2] or 'all'}-{f[1].get('status', '')}" for f in FAULTS],
)
async def test_fault_against_tool(emulator, tool, kind, options, count, attempts, words):
    await check(emulator, tool, kind, options, count, attempts, words)


@pytest.mark.parametrize("tool", list(TOOLS))
async def test_a_200_without_the_expected_field(emulator, tool):
    await check(emulator, tool, "no_job", {}, None, 1, NO_FIELD[tool])


@pytest.mark.parametrize("tool", list(TOOLS))
async def test_connection_refused_is_retried_then_explained(tool):
    with Emulator(seeded=False) as closed:
        url = closed.url  # a port nothing listens on once it stops
    async with Client(server(url)) as client:
        started = time.monotonic()
        result = await client.call_tool(tool, TOOLS[tool])
    assert time.monotonic() - started < RETRY.deadline + 1
    assert result.is_error is True
    assert f"Could not connect to Wix at {url}." in texts(result)[0]
    assert GONE in texts(result)[0]
