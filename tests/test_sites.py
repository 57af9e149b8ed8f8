"""Account mode: every site of the account, named as a person names it, and one search across
them all; pinned mode stays exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from wix_data_mover_mcp.emulator import Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server

from .conftest import FAST_RETRY, settings_for, texts

pytestmark = pytest.mark.anyio

JOB_TOOLS = {
    "get_data_movement_job",
    "list_data_movement_jobs",
    "list_data_movement_job_logs",
    "wait_for_data_movement_job",
    "list_data_sync_schedules",
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def account(emulator: Emulator, *, default: bool = False, **more: Any):
    settings = settings_for(
        emulator, account_id=demo.DEMO_ACCOUNT_ID, site_id=demo.DEMO_SITE_ID if default else None
    )
    return build_server(settings.model_copy(update=more), retry=FAST_RETRY)


def listing_size(tools: list[Any]) -> int:
    """tools/list on the wire: compact JSON, as the benchmark measures it."""
    wire = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    return len(json.dumps(wire, separators=(",", ":")).encode())


async def test_pinned_mode_offers_no_site_argument_and_keeps_its_size(emulator):
    async with Client(build_server(settings_for(emulator))) as client:
        tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == JOB_TOOLS
    assert all("site" not in tool.input_schema["properties"] for tool in tools)
    assert listing_size(tools) <= 8192


async def test_account_mode_offers_site_on_every_job_tool_and_the_site_tools(emulator):
    async with Client(account(emulator)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        templates = (await client.list_resource_templates()).resource_templates
    assert set(tools) == JOB_TOOLS | {"list_wix_sites", "list_data_movement_jobs_across_sites"}
    assert all("site" in tools[name].input_schema["properties"] for name in JOB_TOOLS)
    assert "wix-data-mover://sites/{site}/jobs/{job_id}" in {t.uri_template for t in templates}


async def test_sites_are_listed_by_name_id_and_url(emulator):
    async with Client(account(emulator)) as client:
        every = await client.call_tool("list_wix_sites", {})
        some = await client.call_tool("list_wix_sites", {"name_contains": "RIVERSIDE"})
    assert texts(every)[0].startswith("5 of the account's 5 sites:")
    assert (
        f'- "Harbor Dental" · {demo.DENTAL_SITE_ID} · https://www.harbor-dental.example'
        in (texts(every)[0])
    )
    assert [site["name"] for site in (some.structured_content or {})["sites"]] == [
        "Riverside Bakery",
        "Riverside Bakery (staging)",
    ]


async def test_a_site_is_named_by_its_display_name_in_any_case_or_by_its_id(emulator):
    async with Client(account(emulator)) as client:
        by_name = await client.call_tool(
            "get_data_movement_job",
            {"job_id": demo.SKI_IMPORT_FAILED, "site": "nordic ski SCHOOL"},
        )
        by_id = await client.call_tool(
            "get_data_movement_job", {"job_id": demo.SKI_IMPORT_FAILED, "site": demo.SKI_SITE_ID}
        )
    for result in (by_name, by_id):
        assert result.is_error is False
        assert texts(result)[0].startswith(
            f'On site "Nordic Ski School" ({demo.SKI_SITE_ID}): Job "Lessons import"'
        )


async def test_an_unknown_or_partial_name_gets_the_candidates_and_no_request(emulator):
    before = emulator.state.requests["get_job"]
    async with Client(account(emulator)) as client:
        result = await client.call_tool(
            "get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT, "site": "Riverside"}
        )
    assert result.is_error is True
    assert (
        f'No site is named "Riverside". Did you mean "Riverside Bakery" ({demo.DEMO_SITE_ID}), '
        f'"Riverside Bakery (staging)" ({demo.STAGING_SITE_ID})? Pass site as a name or id.'
    ) in texts(result)[0]
    assert emulator.state.requests["get_job"] == before


async def test_two_sites_with_one_name_are_ambiguous():
    with Emulator() as own:
        own.state.sites.append({"id": demo.OTHER_ACCOUNT_SITE_ID, "displayName": "HARBOR dental"})
        async with Client(account(own)) as client:
            result = await client.call_tool("list_data_movement_jobs", {"site": "Harbor Dental"})
    assert result.is_error is True
    assert '"Harbor Dental" names 2 sites:' in texts(result)[0]
    assert "Pass the id." in texts(result)[0]


async def test_without_a_default_site_the_error_lists_the_sites_instead_of_a_428(emulator):
    async with Client(account(emulator)) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT})
    assert result.is_error is True
    text = texts(result)[0]
    assert "Which site? The account has 5 sites:" in text and "(428)" not in text
    assert '"Nordic Ski School"' in text


async def test_with_a_default_site_omitting_site_means_that_site(emulator):
    async with Client(account(emulator, default=True)) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT})
    assert result.is_error is False
    assert texts(result)[0].startswith(f'On site "Riverside Bakery" ({demo.DEMO_SITE_ID}): Job')


async def test_one_call_finds_failed_jobs_across_sites_and_names_unreadable_ones(emulator):
    async with Client(account(emulator)) as client:
        result = await client.call_tool(
            "list_data_movement_jobs_across_sites", {"status": "FAILED", "since": "7d"}
        )
    text = texts(result)[0]
    assert text.startswith("2 of 4 sites had FAILED jobs submitted in the last 7d.")
    assert f'"Nordic Ski School" ({demo.SKI_SITE_ID}): 1 job' in text
    assert f'"Riverside Bakery" ({demo.DEMO_SITE_ID}): 2 jobs' in text
    assert "1 site could not be read:" in text
    assert f'- "Lakeview Hotel" ({demo.HIDDEN_SITE_ID}) (403): the key does not cover it' in text
    sites = {site["id"]: site for site in (result.structured_content or {})["sites"]}
    assert sites[demo.HIDDEN_SITE_ID]["error"] and sites[demo.DENTAL_SITE_ID]["jobs"] == []


async def test_a_bad_time_span_is_one_sentence(emulator):
    async with Client(account(emulator)) as client:
        result = await client.call_tool(
            "list_data_movement_jobs_across_sites", {"since": "last week"}
        )
    assert result.is_error is True
    assert "'last week' is not a time span; use a number and a unit" in texts(result)[0]


async def test_summaries_name_another_site_once_the_sites_are_known(emulator):
    async with Client(account(emulator, default=True)) as client:
        await client.call_tool("list_wix_sites", {})
        result = await client.call_tool("get_data_movement_job", {"job_id": demo.RECIPES_COPY})
    assert (
        f'collection "Recipes" of site "Riverside Bakery (staging)" ({demo.STAGING_SITE_ID})'
        in texts(result)[0]
    )


async def test_fan_out_over_a_hundred_sites_reads_each_once():
    with Emulator(seeded=False) as own:
        demo.seed_agency(own.state, sites=100, now=own.state.now())
        async with Client(account(own, rate_limit_per_minute=1000)) as client:
            result = await client.call_tool(
                "list_data_movement_jobs_across_sites", {"status": "FAILED"}
            )
    assert texts(result)[0].startswith("10 of 100 sites had FAILED jobs")
    assert own.state.requests["query_sites"] == 1
    assert own.state.requests["query_jobs"] == 100


async def test_the_site_list_says_which_sites_the_key_cannot_read_once_known(emulator):
    async with Client(account(emulator)) as client:
        await client.call_tool("list_data_movement_jobs_across_sites", {})
        result = await client.call_tool("list_wix_sites", {"name_contains": "lakeview"})
    assert texts(result)[0].endswith("· the key cannot read its jobs (403)")


async def test_whether_a_sites_jobs_can_be_read_is_not_yet_checked_until_a_read_shows_it():
    with Emulator() as own:
        async with Client(account(own)) as client:
            before = await client.call_tool("list_wix_sites", {})
            await client.call_tool("list_data_movement_jobs", {"site": "Harbor Dental"})
            middle = await client.call_tool("list_wix_sites", {})
            await client.call_tool("list_data_movement_jobs_across_sites", {})
            after = await client.call_tool("list_wix_sites", {})

    def readable(result: Any) -> dict[str | None, bool | None]:
        return {s["name"]: s["jobs_readable"] for s in (result.structured_content or {})["sites"]}

    assert set(readable(before).values()) == {None}
    assert (
        f"· {demo.HIDDEN_SITE_ID} · https://www.lakeview-hotel.example · jobs not yet checked"
        in (texts(before)[0])
    )
    assert readable(middle)["Harbor Dental"] is True
    assert readable(middle)["Lakeview Hotel"] is None
    assert readable(after)["Lakeview Hotel"] is False
    assert readable(after)["Nordic Ski School"] is True
    assert "· jobs readable" in texts(after)[0]


async def test_sites_left_unasked_by_the_servers_own_rate_budget_are_said_not_asked():
    with Emulator(seeded=False) as own:
        demo.seed_agency(own.state, sites=20, now=own.state.now())
        async with Client(account(own, rate_limit_per_minute=6)) as client:
            result = await client.call_tool("list_data_movement_jobs_across_sites", {})
    text = texts(result)[0]
    assert own.state.requests["query_sites"] == 1 and own.state.requests["query_jobs"] == 5
    assert text.startswith("5 of 5 sites had jobs submitted in the last 7d.")
    assert "could not be read" not in text and "did not answer" not in text
    assert (
        "15 sites were not asked: this server's own rate budget for the key "
        "(WIX_RATE_LIMIT_PER_MINUTE) was used up before their turn, so no request about them "
        "was sent. Ask again in about "
    ) in text
    assert text.endswith(" and 7 more.")
    sites = (result.structured_content or {})["sites"]
    assert sum(site.get("asked") is False for site in sites) == 15


async def test_tools_list_sizes_in_each_mode(emulator):
    sizes = {}
    for mode, server in (
        ("pinned", build_server(settings_for(emulator))),
        ("account", account(emulator)),
    ):
        async with Client(server) as client:
            sizes[mode] = listing_size((await client.list_tools()).tools)
    assert sizes["pinned"] <= 8192
    assert sizes["account"] <= 12 * 1024
