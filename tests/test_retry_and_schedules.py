"""Retrying a finished job, and following scheduled syncs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp import Client

from wix_data_mover_mcp.emulator import Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.wix.retry import CannotRetry, retry_request

from . import payloads
from .conftest import FAST_RETRY, settings_for, texts

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def server(emulator: Emulator, **settings: object):
    return build_server(settings_for(emulator, **settings), retry=FAST_RETRY)


async def test_a_read_only_server_offers_no_writing_tool(emulator):
    async with Client(server(emulator)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "retry_data_movement_job" not in names and "terminate_data_movement_job" not in names
    assert "list_data_sync_schedules" in names


async def test_allowing_writes_offers_retry_and_terminate_annotated_destructive(emulator):
    async with Client(server(emulator, allow_writes=True)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    retry = tools["retry_data_movement_job"]
    assert retry.annotations and retry.annotations.destructive_hint is True
    assert "terminate_data_movement_job" in tools


async def test_a_retry_submits_the_same_source_and_destination_named_after_the_job(emulator):
    async with Client(server(emulator, allow_writes=True)) as client:
        result = await client.call_tool(
            "retry_data_movement_job",
            {"job_id": demo.MEMBERS_PARTIAL, "skip_existing": True},
        )
    assert result.is_error is False
    structured = result.structured_content or {}
    new_id = structured["job"]["id"]
    submitted = emulator.state.jobs[new_id].fields
    original = emulator.state.jobs[demo.MEMBERS_PARTIAL].fields
    assert submitted["name"] == "Members import (retry)"
    assert submitted["source"] == original["source"]
    assert submitted["destination"]["wixDataCollection"] == (
        original["destination"]["wixDataCollection"] | {"writePolicy": "SKIP_EXISTING"}
    )
    text = texts(result)[0]
    assert text.startswith(f"Submitted a retry of job {demo.MEMBERS_PARTIAL} as job {new_id}.")
    assert "Items already in the collection are skipped (SKIP_EXISTING)." in text
    assert "Wix does not document how long uploaded files are kept" in text
    assert text.endswith(f"Follow it with wait_for_data_movement_job (job_id {new_id}).")


async def test_a_second_identical_retry_returns_the_first_instead_of_submitting(emulator):
    async with Client(server(emulator, allow_writes=True)) as client:
        first = await client.call_tool("retry_data_movement_job", {"job_id": demo.ORDERS_EXPORT})
        before = emulator.state.requests["submit_job"]
        second = await client.call_tool("retry_data_movement_job", {"job_id": demo.ORDERS_EXPORT})
    assert emulator.state.requests["submit_job"] == before
    first_id = (first.structured_content or {})["job"]["id"]
    assert (second.structured_content or {})["job"]["id"] == first_id
    assert (second.structured_content or {})["repeated"] is True
    assert "was already submitted a moment ago" in texts(second)[0]


async def test_a_running_job_is_refused_without_a_request_to_submit(emulator):
    before = emulator.state.requests["submit_job"]
    async with Client(server(emulator, allow_writes=True)) as client:
        result = await client.call_tool("retry_data_movement_job", {"job_id": demo.INVENTORY_SYNC})
    assert result.is_error is True
    assert "is still running (UNINITIALIZED): wait for it to finish" in texts(result)[0]
    assert emulator.state.requests["submit_job"] == before


def test_credentials_that_were_redacted_are_never_submitted():
    raw = payloads.csv_import_completed() | {
        "status": "FAILED",
        "source": {"googleSheets": {"spreadsheetId": "x", "accessToken": "[redacted]"}},
    }
    with pytest.raises(CannotRetry, match="credentials"):
        retry_request(raw, skip_existing=False)


def test_skip_existing_needs_a_collection_destination():
    raw = payloads.export_completed()
    with pytest.raises(CannotRetry, match="skip_existing applies only to a collection"):
        retry_request(raw, skip_existing=True)
    body, _ = retry_request(raw, skip_existing=False)
    assert "url" not in body["destination"]["file"]


async def test_schedules_say_cadence_last_and_next_run_and_the_latest_job(emulator):
    async with Client(server(emulator)) as client:
        result = await client.call_tool("list_data_sync_schedules", {})
    text = texts(result)[0]
    assert text.startswith("1 scheduled data sync:")
    assert (
        f'- "Nightly inventory sync" · {demo.INVENTORY_SCHEDULE} · runs daily at 02:00 UTC' in text
    )
    assert "02:00 UTC; next run" in text
    assert f'Its latest job: "Nightly inventory sync" · {demo.INVENTORY_SYNC_LAST_NIGHT}' in text


async def test_a_job_a_schedule_started_names_the_schedule_and_its_next_run(emulator):
    async with Client(server(emulator)) as client:
        result = await client.call_tool(
            "get_data_movement_job", {"job_id": demo.INVENTORY_SYNC_LAST_NIGHT}
        )
    assert (
        'It is a run of the sync schedule "Nightly inventory sync", which runs daily at '
        "02:00 UTC; next run "
    ) in texts(result)[0]


async def test_diagnose_offers_a_retry_only_when_writes_are_allowed(emulator):
    arguments = {"job_id": demo.BLOG_IMPORT_FAILED}
    async with Client(server(emulator)) as client:
        read_only = await client.get_prompt("diagnose_data_movement_job", arguments)
    async with Client(server(emulator, allow_writes=True)) as client:
        writable = await client.get_prompt("diagnose_data_movement_job", arguments)

    def text(result) -> str:
        return result.messages[0].content.text

    assert "retry_data_movement_job" not in text(read_only)
    assert "{retry_offer}" not in text(read_only)
    assert "5. If it failed or rejected items, offer to retry it for me" in text(writable)
