"""Bad input over MCP, for every tool, prompt and resource: one sentence that says what to do,
the right JSON-RPC code, never a validation dump or a traceback."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import INVALID_PARAMS

from wix_data_mover_mcp.serve.app import build_server

from .conftest import settings_for, texts

pytestmark = pytest.mark.anyio

GUID = "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"
# Forged list cursors: a skip of Infinity, and JSON nested deeper than the parser goes.
FORGED_INFINITY = base64.urlsafe_b64encode(b'["jobs",[],null,null,Infinity]').decode()
NESTED_DEEP = base64.urlsafe_b64encode(b'["jobs",' + b"[" * 2000 + b"]" * 2000 + b"]").decode()
BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("get_data_movement_job", {}, "Bad arguments for get_data_movement_job: job_id is required."),
    ("get_data_movement_job", {"job_id": 5}, "job_id must be text"),
    ("get_data_movement_job", {"job_id": "xyz"}, '"xyz" is not a job id.'),
    ("list_data_movement_jobs", {"limit": 0}, "limit must be at least 1"),
    ("list_data_movement_jobs", {"limit": "ten"}, "limit must be a whole number"),
    ("list_data_movement_jobs", {"status": "DONE"}, '"DONE" is not a job status; use one'),
    ("list_data_movement_jobs", {"cursor": "forged"}, "That cursor was not given out by"),
    ("list_data_movement_jobs", {"cursor": FORGED_INFINITY}, "not given out by list_data_mov"),
    ("list_data_movement_jobs", {"cursor": NESTED_DEEP}, "That cursor was not given out by list"),
    ("list_data_movement_job_logs", {"job_id": GUID, "limit": 500}, "limit must be at most 100"),
    ("list_data_movement_job_logs", {"job_id": GUID, "cursor": "x"}, "That cursor was not"),
    ("wait_for_data_movement_job", {"job_id": GUID, "timeout_seconds": 0}, "at least 1"),
    ("wait_for_data_movement_job", {"job_id": "", "timeout_seconds": 5}, "is not a job id"),
]


@pytest.mark.parametrize(("tool", "arguments", "words"), BAD_CALLS)
async def test_bad_tool_arguments_get_one_sentence(emulator, tool, arguments, words):
    async with Client(build_server(settings_for(emulator))) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error is True
    text = texts(result)[0]
    assert words in text
    assert "\n" not in text and "validation error" not in text and "pydantic" not in text


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({}, "The diagnose_data_movement_job prompt needs job_id: The job's id (a GUID)."),
        ({"job_id": "xyz"}, '"xyz" is not a job id. A job id is a GUID like'),
    ],
)
async def test_bad_prompt_arguments_are_invalid_params(emulator, arguments, words):
    async with Client(build_server(settings_for(emulator))) as client:
        with pytest.raises(MCPError) as refused:
            await client.get_prompt("diagnose_data_movement_job", arguments)
    assert refused.value.error.code == INVALID_PARAMS
    assert refused.value.error.message.startswith(words)


@pytest.mark.parametrize(
    ("job_id", "code"), [("xyz", INVALID_PARAMS), ("99999999-0000-4000-8000-000000000000", -32002)]
)
async def test_a_bad_or_missing_job_resource_has_the_specs_code(emulator, job_id, code):
    async with Client(build_server(settings_for(emulator))) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource(f"wix-data-mover://jobs/{job_id}")
    assert refused.value.error.code == code
    assert "\n" not in refused.value.error.message
