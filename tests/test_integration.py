"""The MCP server against the emulator over real loopback HTTP: statuses, faults, attempts."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from wix_data_mover_mcp.emulator import DEMO_SITE_ID, Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.wix.http import RetryPolicy

from .conftest import settings_for, texts

pytestmark = pytest.mark.anyio

RETRY = RetryPolicy(first_backoff=0.01, max_backoff=0.05, max_retry_after=1, deadline=8)


@pytest.fixture(autouse=True)
def _no_faults(emulator: Emulator) -> None:
    emulator.state.clear_faults()


@asynccontextmanager
async def connected(emulator: Emulator, **overrides: Any) -> AsyncGenerator[Client]:
    server = build_server(settings_for(emulator, **overrides), retry=RETRY)
    async with Client(server) as client:
        yield client


async def get_job(client: Client, job_id: str):
    return await client.call_tool("get_data_movement_job", {"job_id": job_id})


@pytest.mark.parametrize(
    ("job_id", "status", "words"),
    [
        (
            demo.PRODUCTS_IMPORT,
            "COMPLETED",
            "1,250 of 1,250 items moved (1,200 created, 50 updated). It finished 2 min 1",
        ),
        (demo.BLOG_IMPORT_FAILED, "FAILED", "Error WDH0003 means invalid data"),
        (
            demo.MEMBERS_PARTIAL,
            "PARTIALLY_SUCCESSFUL",
            "470 of 500 items moved (470 created), 30 rejected.",
        ),
        (demo.ORDERS_EXPORT, "COMPLETED", "/_emulator/files/"),
        (demo.RECIPES_COPY, "COMPLETED", f"of site {demo.STAGING_SITE_ID}"),
        (
            demo.MENU_TRANSLATION,
            "IN_PROGRESS",
            'translated content (en, fr, de, es) → CSV file "menu-translations.csv"',
        ),
        (demo.INVENTORY_SYNC, "UNINITIALIZED", "has not started yet"),
        (demo.EVENTS_IMPORT_FAILED, "FAILED", "Enable the code editor"),
    ],
)
async def test_every_status_over_loopback(emulator, job_id, status, words):
    async with connected(emulator) as client:
        result = await get_job(client, job_id)
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["status"] == status
    assert words in texts(result)[0]


async def test_another_sites_job_reads_as_not_found(emulator):
    async with connected(emulator) as client:
        result = await get_job(client, demo.OTHER_SITE_JOB)
    assert result.is_error is True
    assert (
        f"No job {demo.OTHER_SITE_JOB} was found on site {DEMO_SITE_ID} (404)" in texts(result)[0]
    )


async def test_a_wrong_key_is_a_401_sentence(emulator):
    async with connected(emulator, api_key="IST.wrong") as client:
        result = await get_job(client, demo.PRODUCTS_IMPORT)
    assert texts(result)[0].startswith(
        "Error executing tool get_data_movement_job: Wix refused the credentials (401)"
    )


# kind, options, faulty requests, expected success, attempts at the emulator, words of the error
FAULTS = [
    ("rate_limit", {"retry_after": "0.1"}, 2, True, 3, None),
    ("rate_limit", {}, 1, True, 2, None),
    ("server_error", {"status": 502}, 3, True, 4, None),
    ("server_error", {"status": 504}, None, False, 4, "Wix had a server error (504)"),
    ("latency", {"delay": 0.2}, 1, True, 1, None),
    ("hang", {"delay": 3}, 1, True, 2, None),
    ("reset", {}, 1, True, 2, None),
    ("html", {}, None, False, 4, "HTML page"),
    ("malformed_json", {}, None, False, 1, "JSON that was cut short"),
    ("empty", {}, None, False, 1, "an empty answer"),
    ("no_job", {}, None, False, 1, "no 'job' object"),
    ("oversized", {}, None, False, 1, "larger than 4 MiB"),
]


@pytest.mark.parametrize(
    ("kind", "options", "count", "succeeds", "attempts", "words"),
    FAULTS,
    ids=[f"{f[0]}-{f[2]}" for f in FAULTS],
)
async def test_faults_retry_or_explain_and_the_server_still_serves(
    emulator, kind, options, count, succeeds, attempts, words
):
    job_id = demo.PRODUCTS_IMPORT
    emulator.state.inject(kind, job_id=job_id, count=count, **options)
    before = emulator.state.requests["get_job"]
    async with connected(emulator, api_timeout=0.5) as client:
        result = await get_job(client, job_id)
        assert emulator.state.requests["get_job"] - before == attempts
        assert result.is_error is not succeeds
        if words:
            assert words in texts(result)[0]
        emulator.state.clear_faults()
        assert (await get_job(client, job_id)).is_error is False


async def test_logs_name_rows_for_a_csv_import_and_items_for_a_jsonl_one(emulator):
    from wix_data_mover_mcp.emulator import JobTimeline

    jsonl = "77777777-0000-4000-8000-000000000001"
    emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {
                "id": jsonl,
                "name": "Reviews",
                "source": {"file": {"format": "JSONL", "fileId": "f-reviews"}},
                "destination": {"wixDataCollection": {"collectionId": "Reviews"}},
            },
            submitted_at=emulator.state.now() - 3600,
            outcome="PARTIALLY_SUCCESSFUL",
            rejected=3,
        )
    )
    async with connected(emulator) as client:
        lines = await client.call_tool("list_data_movement_job_logs", {"job_id": jsonl})
        rows = await client.call_tool(
            "list_data_movement_job_logs", {"job_id": demo.MEMBERS_PARTIAL}
        )
    assert "; e.g. items " in texts(lines)[0] and "rows" not in texts(lines)[0]
    assert "; e.g. rows 2, " in texts(rows)[0]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL}),
        ("list_data_movement_job_logs", {"job_id": demo.MEMBERS_PARTIAL}),
        ("list_data_movement_jobs", {"limit": 3}),
        ("list_data_sync_schedules", {}),
        ("list_wix_sites", {}),
        ("list_data_movement_jobs_across_sites", {"since": "7d"}),
    ],
)
async def test_the_demo_label_is_a_line_of_its_own_in_every_tools_summary(
    emulator, tool, arguments
):
    settings = settings_for(emulator, account_id=demo.DEMO_ACCOUNT_ID)
    async with Client(build_server(settings, demo=True, retry=RETRY)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error is False, texts(result)[0]
    for summary in (texts(result)[0], (result.structured_content or {})["summary"]):
        label, _, rest = summary.partition("\n")
        assert label == "[Demo data from the built-in emulator, not a real Wix site.]"
        assert rest and not rest.startswith(" ")
        assert all(line == line.rstrip() for line in summary.splitlines())
