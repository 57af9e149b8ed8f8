"""The API key must never leave the server: not in results, errors, logs or exceptions."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from mcp import Client

from wix_data_mover_mcp.serve.app import build_server

from . import payloads
from .conftest import FAST_RETRY

pytestmark = pytest.mark.anyio

KEY_TAIL = payloads.API_KEY[-8:]
ECHO = {"message": f"bad token {payloads.API_KEY}", "details": {}}

ANSWERS = {
    "ok": httpx.Response(200, json={"job": payloads.partially_successful()}),
    "401 echoing the key": httpx.Response(401, json=ECHO),
    "403": httpx.Response(403),
    "404": httpx.Response(404, json=ECHO),
    "428": httpx.Response(428, json=ECHO),
    "429": httpx.Response(429, json=ECHO, headers={"retry-after": "0"}),
    "500 html": httpx.Response(500, html=f"<p>{payloads.API_KEY}</p>"),
    "200 not json": httpx.Response(200, content=payloads.API_KEY.encode()),
    "200 without job": httpx.Response(200, json={"token": payloads.API_KEY}),
    "connect error": httpx.ConnectError(f"cannot connect with {payloads.API_KEY}"),
    "read timeout": httpx.ReadTimeout("timed out"),
}


TOOLS = {
    "get_data_movement_job": {"job_id": payloads.PARTIAL_ID},
    "list_data_movement_jobs": {"name_contains": "members"},
    "list_data_movement_job_logs": {"job_id": payloads.PARTIAL_ID},
    "wait_for_data_movement_job": {"job_id": payloads.PARTIAL_ID, "timeout_seconds": 1},
    "terminate_data_movement_job": {"job_id": payloads.PARTIAL_ID},
}


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("name", list(ANSWERS))
async def test_the_key_appears_in_no_result_and_no_log_record(settings, caplog, tool, name):
    answer = ANSWERS[name]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == payloads.API_KEY
        if isinstance(answer, Exception):
            raise answer
        return answer

    caplog.set_level(logging.DEBUG)
    allowed = settings.model_copy(update={"allow_terminate": True})
    server = build_server(allowed, transport=httpx.MockTransport(handler), retry=FAST_RETRY)
    async with Client(server) as client:
        result = await client.call_tool(tool, TOOLS[tool])
        resource = (
            await client.session.read_resource(f"wix-data-mover://jobs/{payloads.PARTIAL_ID}")
            if name == "ok"
            else None
        )
    seen = json.dumps(result.model_dump(mode="json")) + json.dumps(
        resource.model_dump(mode="json") if resource else None
    )
    seen += "\n".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert KEY_TAIL not in seen
    if tool == "get_data_movement_job":
        assert (result.is_error is False) == (name == "ok")
