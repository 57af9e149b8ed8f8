"""The work run for callers is supervised: a bug in one request's work reaches its waiters as a
sentence with an incident id, never ends the task group that serves everyone; /healthz proves
the serving path by running work through that group; if the group ends anyway, the server
says why and exits non-zero for its supervisor to restart it."""

from __future__ import annotations

import logging
import re
import threading

import anyio
import httpx
import pytest
from mcp import Client
from mcp.types import ToolAnnotations
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.serve.http_app import serve_http
from wix_data_mover_mcp.serve.server import FATAL_EXIT_STATUS, WixDataMoverServer

from . import payloads
from .conftest import FAST_RETRY, free_port, texts

pytestmark = pytest.mark.anyio

INCIDENT = re.compile(r"\(incident ([0-9a-f]{8})\)")


def crashing_transport() -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise ZeroDivisionError("a bug deep in the request path")

    return httpx.MockTransport(handler)


def answering_transport() -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"job": payloads.csv_import_completed()})

    return httpx.MockTransport(handler)


async def test_a_bug_in_a_request_reaches_its_callers_as_a_sentence_and_the_server_goes_on(
    settings: Settings, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.ERROR)
    server = build_server(settings, transport=crashing_transport(), retry=FAST_RETRY)
    async with Client(server) as client:
        answers = []
        async with anyio.create_task_group() as group:
            for _ in range(3):

                async def ask() -> None:
                    answers.append(
                        await client.call_tool(
                            "get_data_movement_job", {"job_id": payloads.CSV_IMPORT_ID}
                        )
                    )

                group.start_soon(ask)
        after = await client.call_tool("list_data_movement_jobs", {})
    for result in [*answers, after]:
        assert result.is_error
        text = texts(result)[0]
        assert "Something went wrong inside this server while asking Wix" in text
        assert INCIDENT.search(text), text
        assert "ZeroDivisionError" not in text and "a bug deep" not in text
    # Each incident is logged once, with its traceback, under the id the caller was given.
    ids = {INCIDENT.search(texts(result)[0]).group(1) for result in answers}  # type: ignore[union-attr]
    for ident in ids:
        records = [r for r in caplog.records if ident in r.getMessage()]
        assert len(records) == 1
        assert records[0].exc_info is not None


async def test_a_crash_in_a_tool_body_is_a_sentence_with_an_incident_id(
    settings: Settings, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.ERROR)
    server = build_server(settings, transport=answering_transport())

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def with_a_bug() -> str:  # pyright: ignore[reportUnusedFunction]
        """A tool only this test has, whose body has a bug."""
        return str(1 // 0)

    async with Client(server) as client:
        result = await client.call_tool("with_a_bug", {})
    assert result.is_error
    text = texts(result)[0]
    assert text != "Error executing tool with_a_bug"
    match = INCIDENT.search(text)
    assert match and "while running with_a_bug" in text
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


def with_breaker(server: WixDataMoverServer) -> None:
    """A route only this test has, that ends the serving task group the way an escaped
    exception would."""

    @server.custom_route("/_break", methods=["POST"])
    async def _break(_: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        async def escape() -> None:
            raise RuntimeError("escaped into the group")

        assert server.live and server.live[0].tasks is not None
        server.live[0].tasks.start_soon(escape)
        return JSONResponse({})


async def test_healthz_runs_work_through_the_group_and_is_503_once_it_has_ended(
    settings: Settings, caplog: pytest.LogCaptureFixture
):
    server = build_server(settings, transport=answering_transport())
    assert await server.health() == "the server is not running: it has not started or has stopped"
    async with Client(server):
        assert await server.health() is None
    assert await server.health() is not None


async def test_if_the_group_ends_anyway_the_http_server_says_why_and_exits_non_zero(
    settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("WIX_MCP_AUTH_TOKEN", raising=False)
    server = build_server(settings, transport=answering_transport())
    with_breaker(server)
    port = free_port()
    status: list[int] = []
    thread = threading.Thread(
        target=lambda: status.append(
            serve_http(
                server, host="127.0.0.1", port=port, allowed_hosts=[], insecure_no_auth=False
            )
        )
    )
    thread.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        with anyio.fail_after(10):
            while True:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await anyio.sleep(0.02)
        await http.post("/_break")
    await anyio.to_thread.run_sync(thread.join, 15)
    assert not thread.is_alive()
    assert status == [FATAL_EXIT_STATUS]
    assert server.fatal is not None
    assert any("task group stopped" in r.getMessage() for r in caplog.records)
