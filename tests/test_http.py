"""MCP over streamable HTTP: token, Host checks, health, size limit and progress over SSE."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator, JobTimeline
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.serve.http_app import BindRefused, http_app
from wix_data_mover_mcp.serve.http_server import BackgroundServer

from .conftest import ACCEPT, INITIALIZE, free_port, settings_for, trickled_post

TOKEN = "test-token-0123456789abcdef-never-a-real-one"


@contextmanager
def serving(
    emulator: Emulator, allowed_hosts: Sequence[str] = (), **limits: Any
) -> Iterator[BackgroundServer]:
    settings = settings_for(emulator)
    server = build_server(settings, poll_delays=(0.1, 0.2))
    app = http_app(server, host="127.0.0.1", token=TOKEN, allowed_hosts=allowed_hosts)
    with BackgroundServer(app, **limits) as running:
        yield running


@contextlib.asynccontextmanager
async def mcp_client(url: str, token: str | None = TOKEN) -> AsyncIterator[Client]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        yield client


@pytest.mark.anyio
async def test_tool_calls_and_progress_reach_an_http_client_with_the_token(emulator):
    job = emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {"id": "55555555-0000-4000-8000-000000000001", "source": {}, "destination": {}},
            submitted_at=emulator.state.now(),
            pending=0.1,
            initializing=0.1,
            running=2.0,
        )
    )
    updates: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(progress)

    with serving(emulator) as running:
        async with mcp_client(running.url) as client:
            got = await client.call_tool("get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT})
            waited = await client.call_tool(
                "wait_for_data_movement_job",
                {"job_id": job.id, "timeout_seconds": 20},
                progress_callback=on_progress,
            )
    assert (got.structured_content or {})["status"] == "COMPLETED"
    assert (waited.structured_content or {})["status"] == "COMPLETED"
    # Some progress while it ran, then the end; how many polls land depends on the machine.
    assert len(updates) >= 2 and updates[0] < 100 and updates[-1] == 100


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"bearer {TOKEN}x", TOKEN, "Bearer"]
)
def test_requests_without_the_right_token_are_refused(emulator, authorization):
    with serving(emulator) as running:
        headers = ACCEPT | ({"authorization": authorization} if authorization else {})
        response = httpx.post(f"{running.url}/mcp", json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_accepted_in_any_case(emulator, scheme):
    with serving(emulator) as running:
        headers = ACCEPT | {"authorization": f"{scheme} {TOKEN}"}
        response = httpx.post(f"{running.url}/mcp", json=INITIALIZE, headers=headers)
    assert response.status_code == 200


def test_a_slow_body_without_the_token_is_refused_from_its_headers_and_closed(emulator):
    with serving(emulator, request_timeout=0.5) as running:
        answer, held = trickled_post(running.port, {"content-type": "application/json"})
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert held < 2.5  # closed soon after the refusal, not when the body would be complete


def test_a_slow_body_with_the_token_is_closed_when_the_request_deadline_passes(emulator):
    with serving(emulator, request_timeout=0.5) as running:
        answer, held = trickled_post(running.port, ACCEPT | {"authorization": f"Bearer {TOKEN}"})
    assert answer == b""
    assert held < 2.5


@pytest.mark.anyio
async def test_many_slow_bodies_do_not_starve_a_caller_with_the_token(emulator):
    with serving(emulator, request_timeout=0.5, max_connections=40) as running:
        async with anyio.create_task_group() as slow:
            for _ in range(60):
                slow.start_soon(anyio.to_thread.run_sync, trickled_post, running.port, {})
            await anyio.sleep(0.2)  # most of them connected and trickling by now
            async with mcp_client(running.url) as client:
                with anyio.fail_after(5):
                    tools = await client.list_tools()
            assert tools.tools


def test_health_needs_no_token_and_does_not_call_wix(emulator):
    before = sum(emulator.state.requests.values())
    with serving(emulator) as running:
        response = httpx.get(f"{running.url}/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert sum(emulator.state.requests.values()) == before


def test_a_foreign_host_header_is_refused_and_a_configured_one_accepted(emulator):
    headers = ACCEPT | {"authorization": f"Bearer {TOKEN}"}
    with serving(emulator, allowed_hosts=["mcp.example.com"]) as running:
        foreign = httpx.post(
            f"{running.url}/mcp", json=INITIALIZE, headers=headers | {"host": "evil.example"}
        )
        allowed = httpx.post(
            f"{running.url}/mcp", json=INITIALIZE, headers=headers | {"host": "mcp.example.com"}
        )
        origin = httpx.post(
            f"{running.url}/mcp",
            json=INITIALIZE,
            headers=headers | {"origin": "http://evil.example"},
        )
    assert foreign.status_code == 421
    assert allowed.status_code == 200
    assert origin.status_code == 403


def test_oversized_requests_are_refused(emulator):
    headers = ACCEPT | {"authorization": f"Bearer {TOKEN}"}
    with serving(emulator) as running:
        response = httpx.post(
            f"{running.url}/mcp", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers=headers
        )
    assert response.status_code == 413


def test_a_public_address_without_a_token_is_refused(emulator):
    server = build_server(Settings())
    with pytest.raises(BindRefused, match="Set WIX_MCP_AUTH_TOKEN"):
        http_app(server, host="0.0.0.0", token=None)
    http_app(build_server(Settings()), host="0.0.0.0", token=None, insecure_no_auth=True)
    http_app(build_server(Settings()), host="0.0.0.0", token=TOKEN)


def test_the_command_line_refuses_to_bind_publicly_without_a_token(monkeypatch, caplog):
    monkeypatch.delenv("WIX_MCP_AUTH_TOKEN", raising=False)
    assert main(["serve", "--transport", "http", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "Refusing to serve 0.0.0.0 without a token" in caplog.text


def test_the_token_and_the_wix_key_appear_in_no_answer_or_log(emulator, caplog):
    caplog.set_level("DEBUG")
    with serving(emulator) as running:
        refused = httpx.post(
            f"{running.url}/mcp",
            json=INITIALIZE,
            headers=ACCEPT | {"authorization": f"Bearer {TOKEN[:-1]}"},
        )
        accepted = httpx.post(
            f"{running.url}/mcp",
            json=INITIALIZE,
            headers=ACCEPT | {"authorization": f"Bearer {TOKEN}"},
        )
    assert (refused.status_code, accepted.status_code) == (401, 200)
    seen = refused.text + accepted.text + str(refused.headers) + str(accepted.headers) + caplog.text
    assert TOKEN[-10:] not in seen
    assert DEMO_API_KEY not in seen


@pytest.mark.anyio
async def test_sigterm_lets_a_call_in_flight_finish_while_new_requests_get_503(emulator):
    emulator.state.inject("latency", job_id=demo.ORDERS_EXPORT, delay=1.5)
    port = free_port()
    env = {
        "PATH": "",
        "WIX_API_KEY": DEMO_API_KEY,
        "WIX_SITE_ID": DEMO_SITE_ID,
        "WIX_API_BASE_URL": emulator.url,
        "WIX_MCP_AUTH_TOKEN": TOKEN,
    }
    command = [
        str(Path(sys.executable).with_name("wix-data-mover-mcp")),
        "serve",
        "--transport",
        "http",
        "--port",
        str(port),
    ]
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get_data_movement_job", "arguments": {"job_id": demo.ORDERS_EXPORT}},
    }
    headers = ACCEPT | {"authorization": f"Bearer {TOKEN}", "mcp-protocol-version": "2025-11-25"}
    answers: list[httpx.Response] = []
    async with (
        await anyio.open_process(command, env=env) as process,
        httpx.AsyncClient(timeout=30) as http,
    ):
        for _ in range(100):
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    break
            await anyio.sleep(0.1)

        async def call_tool() -> None:
            answers.append(
                await http.post(f"http://127.0.0.1:{port}/mcp", json=call, headers=headers)
            )

        before = emulator.state.requests["get_job"]
        probes: list[httpx.Response] = []
        late: list[httpx.Response] = []
        async with anyio.create_task_group() as group:
            group.start_soon(call_tool)
            while emulator.state.requests["get_job"] == before:  # noqa: ASYNC110 - counted in another thread
                await anyio.sleep(0.02)
            process.send_signal(signal.SIGTERM)  # while the call waits on Wix
            # Each check on a new connection, as a load balancer's: the port must answer them
            # all, first through uvicorn, then (once it has closed its own listening socket)
            # through the drain's responder, which names no server.
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                timeout=5,
                limits=httpx.Limits(max_keepalive_connections=0),
            ) as fresh:
                with anyio.fail_after(5):
                    while not probes or "server" in probes[-1].headers:
                        probes.append(await fresh.get("/healthz"))
                        await anyio.sleep(0.02)
                late.append(await fresh.post("/mcp", json=call, headers=headers))
            assert not answers, "the call in flight was still running during these checks"
        await process.wait()
    emulator.state.clear_faults()
    draining = [probe for probe in probes if not probe.is_success]
    assert draining and all(probe.status_code == 503 for probe in draining)
    assert draining[-1].json() == {"status": "shutting down"}
    assert probes.index(draining[0]) + len(draining) == len(probes)  # 503 from the first on
    assert [response.status_code for response in late] == [503]
    [answer] = answers
    assert answer.status_code == 200
    assert '"isError":false' in answer.text and "Paid orders export" in answer.text


@pytest.mark.anyio
async def test_two_instances_serve_one_conversation_turn_by_turn(emulator):
    """Behind a load balancer each call may land on either instance: nothing may depend on
    which one answered before (here, a list cursor from one continues on the other)."""
    with serving(emulator) as first, serving(emulator) as second:
        async with mcp_client(first.url) as one, mcp_client(second.url) as other:
            page = await one.call_tool("list_data_movement_jobs", {"limit": 2})
            cursor = (page.structured_content or {})["next_cursor"]
            rest = await other.call_tool("list_data_movement_jobs", {"limit": 2, "cursor": cursor})
            job = await other.call_tool("get_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL})
    first_ids = [j["id"] for j in (page.structured_content or {})["jobs"]]
    rest_ids = [j["id"] for j in (rest.structured_content or {})["jobs"]]
    assert len(first_ids) == len(rest_ids) == 2 and not set(first_ids) & set(rest_ids)
    assert (job.structured_content or {})["status"] == "PARTIALLY_SUCCESSFUL"
