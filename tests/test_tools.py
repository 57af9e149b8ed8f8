from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import Client, MCPError

from wix_data_mover_mcp.config import Settings, SettingsError
from wix_data_mover_mcp.serve.app import build_server

from . import payloads
from .conftest import FAST_RETRY, texts

pytestmark = pytest.mark.anyio

JOB_ID = payloads.PARTIAL_ID


class FakeWix:
    """Serves jobs by id like Wix does; anything unknown is a 404."""

    def __init__(self, *jobs: dict[str, Any]) -> None:
        self.jobs = {job["id"]: job for job in jobs}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        job_id = request.url.path.rsplit("/", 1)[-1]
        if job_id in self.jobs:
            return httpx.Response(200, json={"job": self.jobs[job_id]})
        return httpx.Response(404, json={"message": "Job not found", "details": {}})


@asynccontextmanager
async def connected(
    settings: Settings | SettingsError,
    handler: Callable[[httpx.Request], httpx.Response],
    **kw: Any,
) -> AsyncGenerator[Client]:
    server = build_server(settings, transport=httpx.MockTransport(handler), retry=FAST_RETRY, **kw)
    async with Client(server) as client:
        yield client


async def test_tools_list_describes_the_tool_for_the_model(settings):
    async with connected(settings, FakeWix()) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    tool = tools["get_data_movement_job"]
    assert tool.title == "Get a Wix data movement job"
    assert tool.annotations is not None
    assert tool.annotations.read_only_hint and tool.annotations.idempotent_hint
    assert tool.annotations.open_world_hint and not tool.annotations.destructive_hint
    assert tool.input_schema["required"] == ["job_id"]
    assert tool.input_schema["properties"]["job_id"]["pattern"].startswith("^[0-9A-Fa-f]{8}-")
    assert tool.output_schema is not None
    assert tool.output_schema["required"] == [
        "summary",
        "status",
        "finished",
        "percent_complete",
        "job",
    ]
    assert tool.output_schema["properties"]["job"]["type"] == "object"
    assert len(json.dumps(tool.output_schema)) < 1000


async def test_result_has_summary_raw_json_and_structured_content(settings):
    raw = payloads.partially_successful()
    async with connected(settings, FakeWix(raw)) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": JOB_ID})
    assert result.is_error is False
    summary, raw_text = texts(result)
    assert summary.startswith(f'Job "Members CSV" ({JOB_ID}) finished')
    assert "470 of 500 items moved (470 created), 30 rejected." in summary
    assert json.loads(raw_text) == raw
    assert result.structured_content == {
        "summary": summary,
        "status": "PARTIALLY_SUCCESSFUL",
        "finished": True,
        "percent_complete": 100,
        "job": raw,
        "download_url": None,
    }


async def test_unknown_fields_reach_the_model_untouched(settings):
    raw = payloads.running_in_bytes() | {"status": "QUEUED_FOR_REVIEW", "reviewer": {"id": 7}}
    async with connected(settings, FakeWix(raw)) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": raw["id"]})
    assert result.structured_content is not None
    assert result.structured_content["job"] == raw
    assert result.structured_content["status"] == "QUEUED_FOR_REVIEW"
    assert result.structured_content["finished"] is False
    assert 'has status "QUEUED_FOR_REVIEW"' in result.structured_content["summary"]


async def test_upper_case_and_padded_ids_are_accepted(settings):
    fake = FakeWix(payloads.partially_successful())
    async with connected(settings, fake) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": f" {JOB_ID.upper()} "})
    assert result.is_error is False
    assert fake.requests[0].url.path.endswith(JOB_ID)


@pytest.mark.parametrize(
    "bad", ["", "../../v1/jobs", "job-123", "x" * 5000, "0a3c5f2e\n8b1d", f"{JOB_ID}?a=b"]
)
async def test_bad_job_ids_are_refused_before_any_request(settings, bad):
    fake = FakeWix()
    async with connected(settings, fake) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": bad})
    assert result.is_error is True
    text = texts(result)[0]
    assert text.endswith(
        "is not a job id. A job id is a GUID like 0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60."
    )
    assert len(text) < 250
    assert fake.requests == []


async def test_wix_errors_become_tool_errors_with_our_sentence(settings):
    async with connected(settings, FakeWix()) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": JOB_ID})
    assert result.is_error is True
    assert texts(result)[0] == (
        f"Error executing tool get_data_movement_job: No job {JOB_ID} was found on site "
        f"{payloads.SITE_ID} (404). Jobs are per site: check that WIX_SITE_ID is the site the job "
        'was submitted for, and that the job id was copied whole. Wix says: "Job not found".'
    )


async def test_without_a_key_the_server_lists_tools_and_says_how_to_get_one():
    fake = FakeWix(payloads.partially_successful())
    async with connected(Settings(), fake) as client:
        assert [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("get_data_movement_job", {"job_id": JOB_ID})
    assert result.is_error is True
    text = texts(result)[0]
    assert "WIX_API_KEY is not set" in text and "https://manage.wix.com/account/api-keys" in text
    assert fake.requests == []


async def test_bad_settings_are_reported_by_every_call():
    problem = SettingsError("Invalid configuration. WIX_SITE_ID: must be a GUID.")
    async with connected(problem, FakeWix()) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": JOB_ID})
    assert result.is_error is True
    assert texts(result)[0].endswith("Invalid configuration. WIX_SITE_ID: must be a GUID.")


async def test_demo_summaries_say_they_are_demo_data(settings):
    async with connected(settings, FakeWix(payloads.partially_successful()), demo=True) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": JOB_ID})
    assert texts(result)[0].startswith("[Demo data from the built-in emulator")


async def test_legacy_handshake_clients_get_the_same_result(settings):
    server = build_server(
        settings, transport=httpx.MockTransport(FakeWix(payloads.partially_successful()))
    )
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": JOB_ID})
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["status"] == "PARTIALLY_SUCCESSFUL"


async def test_the_job_resource_is_the_raw_job_as_json(settings):
    raw = payloads.partially_successful()
    async with connected(settings, FakeWix(raw)) as client:
        templates = (await client.list_resource_templates()).resource_templates
        contents = (await client.read_resource(f"wix-data-mover://jobs/{JOB_ID}")).contents
    assert [t.uri_template for t in templates] == ["wix-data-mover://jobs/{job_id}"]
    assert templates[0].mime_type == "application/json"
    assert json.loads(contents[0].text) == raw  # type: ignore[union-attr]


async def test_a_bad_resource_id_is_an_error_without_a_request(settings):
    fake = FakeWix()
    async with connected(settings, fake) as client:
        with pytest.raises(MCPError, match="is not a job id"):
            await client.read_resource("wix-data-mover://jobs/not-a-job")
    assert fake.requests == []


async def test_prompts_come_from_the_prompts_folder_with_their_arguments(settings):
    async with connected(settings, FakeWix()) as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
        diagnosis = await client.get_prompt("diagnose_data_movement_job", {"job_id": JOB_ID})
        check = await client.get_prompt("check_data_migration", {"name_hint": "products"})
        with pytest.raises(MCPError):  # the SDK answers "Internal server error" here
            await client.get_prompt("diagnose_data_movement_job", {})
    assert set(prompts) == {
        "check_data_migration",
        "diagnose_data_movement_job",
        "data_migration_report",
    }
    arguments = {
        arg.name: arg.required for arg in prompts["diagnose_data_movement_job"].arguments or []
    }
    assert arguments == {"job_id": True}
    assert prompts["check_data_migration"].title == "Check on a data migration"
    text = diagnosis.messages[0].content.text  # type: ignore[union-attr]
    assert f"Diagnose Wix data movement job {JOB_ID}." in text and "{job_id}" not in text
    check_text = check.messages[0].content.text  # type: ignore[union-attr]
    assert "Job id: not given" in check_text and "What it was about: products" in check_text


async def test_a_finished_exports_link_is_a_field_of_its_own_and_in_the_summary(settings):
    export = payloads.export_completed() | {"status": "PARTIALLY_SUCCESSFUL"}
    running = payloads.running_in_bytes()
    async with connected(settings, FakeWix(export, running)) as client:
        done = await client.call_tool("get_data_movement_job", {"job_id": export["id"]})
        busy = await client.call_tool("get_data_movement_job", {"job_id": running["id"]})
    link = "https://download.wixstatic.com/data-mover/orders.csv?token=abc"
    assert (done.structured_content or {})["download_url"] == link
    assert f"Download the file: {link}" in texts(done)[0]
    assert (busy.structured_content or {})["download_url"] is None


async def test_a_demo_download_link_says_it_lasts_only_while_its_emulator_runs(settings):
    export = payloads.export_completed()
    async with connected(settings, FakeWix(export), demo=True) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": export["id"]})
    link = (result.structured_content or {})["download_url"]
    assert texts(result)[0].endswith(
        f"Download the file: {link} (the built-in emulator serves this link only while the "
        "program that gave it runs)."
    )


class StoppableWix(FakeWix):
    """A running job that Wix, once asked to terminate it, reports as FAILED with a code that
    does not say why."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        job = next(iter(self.jobs.values()))
        if request.url.path.endswith("/terminate"):
            self.jobs[job["id"]] = job | {
                "status": "FAILED",
                "finishedAt": "2026-04-22T10:29:30Z",
                "error": {"code": "WDH0000"},
            }
            return httpx.Response(200, json={"job": job})  # still running, as it answers
        return super().__call__(request)


async def test_a_job_this_server_stopped_reads_as_stopped_on_request_afterwards(settings):
    running = payloads.running_in_bytes()
    wix = StoppableWix(running)
    writer = settings.model_copy(update={"allow_writes": True})
    async with connected(writer, wix) as client:
        stopped = await client.call_tool("terminate_data_movement_job", {"job_id": running["id"]})
        later = await client.call_tool("get_data_movement_job", {"job_id": running["id"]})
    async with connected(settings, wix) as client:
        elsewhere = await client.call_tool("get_data_movement_job", {"job_id": running["id"]})
    assert (
        'was stopped on request; Wix\'s answer still gives it "IN_PROGRESS"' in (texts(stopped)[0])
    )
    assert " was stopped on request " in texts(later)[0]
    assert "(Wix gives its status as FAILED)" in texts(later)[0]
    assert "Submit the job again" not in texts(later)[0]
    assert " failed " in texts(elsewhere)[0]  # another server did not stop it
