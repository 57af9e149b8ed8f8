"""The installed console script, spawned the way an assistant spawns it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from .conftest import texts

pytestmark = pytest.mark.anyio

SCRIPT = Path(sys.executable).with_name("wix-data-mover-mcp")


def server_params(**env: str) -> StdioServerParameters:
    names = ("PATH", "HOME", "SYSTEMROOT", "WIX_DEMO_STATE")  # the test's own demo, not $HOME's
    base = {name: os.environ[name] for name in names if name in os.environ}
    return StdioServerParameters(command=str(SCRIPT), args=[], env=base | env)


async def test_console_script_serves_mcp_over_stdio_and_explains_a_missing_key():
    async with Client(server_params(), read_timeout_seconds=30) as client:
        tools = (await client.list_tools()).tools
        assert "get_data_movement_job" in {tool.name for tool in tools}
        result = await client.call_tool(
            "get_data_movement_job", {"job_id": "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"}
        )
    assert result.is_error is True
    assert "WIX_API_KEY is not set" in texts(result)[0]


async def test_bad_settings_do_not_stop_the_server():
    async with Client(server_params(WIX_API_TIMEOUT="-1"), read_timeout_seconds=30) as client:
        result = await client.call_tool(
            "get_data_movement_job", {"job_id": "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"}
        )
    assert result.is_error is True
    assert "WIX_API_TIMEOUT: must be a number of seconds above 0" in texts(result)[0]


async def test_demo_flag_serves_the_emulator_and_says_so():
    params = StdioServerParameters(command=str(SCRIPT), args=["--demo"], env=server_params().env)
    async with Client(params, read_timeout_seconds=30) as client:
        result = await client.call_tool(
            "get_data_movement_job", {"job_id": "11111111-0000-4000-8000-000000000003"}
        )
    assert result.is_error is False
    assert texts(result)[0].startswith("[Demo data from the built-in emulator")
    assert "470 of 500 items moved (470 created), 30 rejected." in texts(result)[0]


def test_an_over_long_line_is_refused_and_the_server_reads_on():
    import json
    import subprocess

    def message(ident: int | None, method: str, params: dict) -> bytes:
        body = {"jsonrpc": "2.0", "method": method, "params": params}
        return json.dumps(body | ({"id": ident} if ident is not None else {})).encode() + b"\n"

    hello = {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    }
    data = (
        message(1, "initialize", hello)
        + message(None, "notifications/initialized", {})
        + b'{"jsonrpc": "2.0", "id": 9, "method": "ping", "x": "'
        + b"a" * (5 * 1024 * 1024)
        + b'"}\n'
        + message(2, "tools/list", {})
    )
    done = subprocess.run(
        [str(SCRIPT)], input=data, capture_output=True, timeout=30, env=server_params().env
    )
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [answer.get("id") for answer in answers if "id" in answer][-1] == 2
    assert "tools" in answers[-1]["result"]
    assert 9 not in [answer.get("id") for answer in answers]
    assert b"Refused a message over 4 MiB on stdin." in done.stderr
