"""Finding jobs, reading their logs, waiting for them and stopping them, against the emulator."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from wix_data_mover_mcp.emulator import DEMO_SITE_ID, Emulator, JobTimeline
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.wix import upstream
from wix_data_mover_mcp.wix.http import RetryPolicy

from .conftest import settings_for, texts

pytestmark = pytest.mark.anyio

RETRY = RetryPolicy(first_backoff=0.01, max_backoff=0.05, deadline=5)
FAST_POLLS = (0.05, 0.1, 0.2)
HOUR = 3600.0


def job_id(n: int) -> str:
    return f"44444444-0000-4000-8000-{n:012x}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seeded=False) as running:
        now = running.state.now()
        for n in range(1, 251):
            name = f"Products import #{n}" if n % 50 == 0 else f"Blog import #{n}"
            running.state.add_job(
                JobTimeline(
                    DEMO_SITE_ID,
                    {"id": job_id(n), "name": name, "source": {}, "destination": {}},
                    submitted_at=now - HOUR - n * 60,
                    running=30,
                    outcome="FAILED" if n % 7 == 0 else "COMPLETED",
                )
            )
        running.state.add_job(
            JobTimeline(
                DEMO_SITE_ID,
                {"id": job_id(900), "name": "Members", "source": {}, "destination": {}},
                submitted_at=now - HOUR,
                running=60,
                outcome="PARTIALLY_SUCCESSFUL",
                items=120,
                rejected=45,
                failures=[
                    ("WDE0080", "Field 'email' is not an email."),
                    ("WDE0080", "Field 'age' is not a number."),
                    ("WDE0021", "Duplicate _id."),
                ],
            )
        )
        yield running


@asynccontextmanager
async def connected(emulator: Emulator, **settings: Any) -> AsyncGenerator[Client]:
    server = build_server(settings_for(emulator, **settings), retry=RETRY, poll_delays=FAST_POLLS)
    async with Client(server) as client:
        yield client


async def test_jobs_are_listed_newest_first_with_a_line_each(emulator):
    async with connected(emulator) as client:
        result = await client.call_tool("list_data_movement_jobs", {"limit": 3})
    assert result.is_error is False
    lines = texts(result)[0].splitlines()
    assert lines[0].startswith(f'- "Members" · {job_id(900)} · PARTIALLY_SUCCESSFUL · finished')
    assert lines[1].startswith(f'- "Blog import #1" · {job_id(1)} · COMPLETED · finished')
    assert lines[-1].startswith("next_cursor: ")
    structured = result.structured_content or {}
    assert [job["id"] for job in structured["jobs"]] == [job_id(900), job_id(1), job_id(2)]
    assert structured["next_cursor"] == lines[-1].removeprefix("next_cursor: ")


async def test_status_filter_takes_one_or_several_in_any_case(emulator):
    async with connected(emulator) as client:
        one = await client.call_tool("list_data_movement_jobs", {"status": "failed", "limit": 50})
        several = await client.call_tool(
            "list_data_movement_jobs", {"status": ["FAILED", "partially_successful"], "limit": 50}
        )
    assert {job["status"] for job in (one.structured_content or {})["jobs"]} == {"FAILED"}
    statuses = [job["status"] for job in (several.structured_content or {})["jobs"]]
    assert set(statuses) == {"FAILED", "PARTIALLY_SUCCESSFUL"} and len(statuses) == 36


async def test_a_bad_status_is_refused_before_any_request(emulator):
    before = emulator.state.requests["query_jobs"]
    async with connected(emulator) as client:
        result = await client.call_tool("list_data_movement_jobs", {"status": "DONE; DROP"})
    assert result.is_error is True
    assert texts(result)[0].endswith(
        '"DONE; DROP" is not a job status; use one or more of UNINITIALIZED, INITIALIZING, IN_PROGRESS, COMPLETED, FAILED or PARTIALLY_SUCCESSFUL.'
    )
    assert emulator.state.requests["query_jobs"] == before


async def test_name_search_reads_past_the_first_page_and_its_cursor_resumes_anywhere(emulator):
    async with connected(emulator) as client:
        first = await client.call_tool(
            "list_data_movement_jobs", {"name_contains": "PRODUCTS", "limit": 3}
        )
    names = [job["name"] for job in (first.structured_content or {})["jobs"]]
    assert names == ["Products import #50", "Products import #100", "Products import #150"]
    cursor = (first.structured_content or {})["next_cursor"]
    async with connected(emulator) as another_instance:
        rest = await another_instance.call_tool(
            "list_data_movement_jobs", {"cursor": cursor, "limit": 3}
        )
    assert [job["name"] for job in (rest.structured_content or {})["jobs"]] == [
        "Products import #200",
        "Products import #250",
    ]
    assert (rest.structured_content or {})["next_cursor"] is None


async def test_a_name_nobody_used_says_how_many_jobs_were_searched(emulator):
    async with connected(emulator) as client:
        result = await client.call_tool("list_data_movement_jobs", {"name_contains": "zebra"})
    assert texts(result)[0].startswith(
        'No jobs whose name contains "zebra" among the 251 most recent jobs.'
    )


async def test_a_forged_cursor_is_refused_with_what_to_do(emulator):
    async with connected(emulator) as client:
        result = await client.call_tool("list_data_movement_jobs", {"cursor": "bm90IG91cnM"})
    assert result.is_error is True
    assert "Call it without a cursor to start from the newest jobs." in texts(result)[0]


async def test_logs_are_grouped_by_code_with_counts_and_examples(emulator):
    async with connected(emulator) as client:
        first = await client.call_tool(
            "list_data_movement_job_logs", {"job_id": job_id(900), "limit": 30}
        )
        cursor = (first.structured_content or {})["next_cursor"]
        second = await client.call_tool(
            "list_data_movement_job_logs", {"job_id": job_id(900), "limit": 30, "cursor": cursor}
        )
    structured = first.structured_content or {}
    assert [(g["code"], g["count"]) for g in structured["groups"]] == [
        ("WDE0080", 20),
        ("WDE0021", 10),
    ]
    assert structured["groups"][0]["descriptions"] == [
        "Field 'email' is not an email.",
        "Field 'age' is not a number.",
    ]
    assert len(structured["groups"][0]["example_item_ids"]) == 3
    assert len(structured["logs"]) == 30
    summary = texts(first)[0]
    assert summary.startswith(
        f"Job {job_id(900)}: 30 movement logs, 30 for items that failed to move (first page)."
    )
    assert len((second.structured_content or {})["logs"]) == 15
    assert (second.structured_content or {})["next_cursor"] is None
    assert texts(second)[0].startswith(
        f"Job {job_id(900)}: 15 movement logs, 15 for items that failed to move (the last page)."
    )


async def test_a_page_of_logs_reached_by_its_cursor_is_not_called_the_first(emulator):
    async with connected(emulator) as client:
        first = await client.call_tool(
            "list_data_movement_job_logs", {"job_id": job_id(900), "limit": 20}
        )
        cursor = (first.structured_content or {})["next_cursor"]
        middle = await client.call_tool(
            "list_data_movement_job_logs", {"job_id": job_id(900), "limit": 20, "cursor": cursor}
        )
    assert (middle.structured_content or {})["next_cursor"] is not None
    assert texts(middle)[0].startswith(
        f"Job {job_id(900)}: 20 movement logs, 20 for items that failed to move (a later page)."
    )


async def test_wait_reports_growing_progress_until_the_job_finishes(emulator):
    job = emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {"id": job_id(901), "name": "Quick", "source": {}, "destination": {}},
            submitted_at=emulator.state.now(),
            pending=0.1,
            initializing=0.1,
            running=1.0,
            items=10,
        )
    )
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with connected(emulator) as client:
        result = await client.call_tool(
            "wait_for_data_movement_job",
            {"job_id": job.id, "timeout_seconds": 20},
            progress_callback=on_progress,
        )
    structured = result.structured_content or {}
    assert (structured["status"], structured["timed_out"]) == ("COMPLETED", False)
    progress = [update[0] for update in updates]
    assert progress == sorted(set(progress)) and progress[-1] == 100
    assert len(progress) >= 2 and progress[0] < 100  # it grew while the job ran
    assert updates[-1][1:] == (100, "completed, 100% done (10 of 10 items)")


async def test_wait_that_runs_out_of_time_is_not_an_error(emulator):
    job = emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {"id": job_id(902), "source": {}, "destination": {}},
            submitted_at=emulator.state.now(),
            pending=0,
            initializing=0,
            running=600,
        )
    )
    async with connected(emulator) as client:
        result = await client.call_tool(
            "wait_for_data_movement_job", {"job_id": job.id, "timeout_seconds": 1}
        )
    assert result.is_error is False
    structured = result.structured_content or {}
    assert structured["timed_out"] is True and structured["finished"] is False
    # The whole timeout, not less, and not the job's 10 minutes (5 s leaves a loaded machine room).
    assert 0.95 <= structured["waited_seconds"] < 5
    assert "call wait_for_data_movement_job again to keep waiting." in texts(result)[0]


async def test_wait_on_a_finished_job_answers_at_once(emulator):
    before = emulator.state.requests["get_job"]
    async with connected(emulator) as client:
        result = await client.call_tool("wait_for_data_movement_job", {"job_id": job_id(1)})
    assert (result.structured_content or {})["waited_seconds"] < 5  # not the 50 s default
    assert emulator.state.requests["get_job"] - before == 1


class CountingTransport(httpx.AsyncBaseTransport):
    """Loopback HTTP that counts the GETs sent for each job, as they leave."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.gets: Counter[str] = Counter()
        self._counted = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.gets[request.url.path.rsplit("/", 1)[-1]] += 1
            self._counted.set()
            self._counted = anyio.Event()
        return await self.inner.handle_async_request(request)

    async def grown(self, job: str, *, to: int) -> None:
        """Until `to` GETs were sent for this job: polls, not seconds, measure the wait."""
        with anyio.fail_after(20):
            while self.gets[job] < to:
                await self._counted.wait()

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_cancelled_wait_stops_polling_and_the_server_keeps_serving(emulator):
    def running(n: int) -> str:
        timeline = JobTimeline(
            DEMO_SITE_ID,
            {"id": job_id(n), "source": {}, "destination": {}},
            submitted_at=emulator.state.now(),
            pending=0,
            initializing=0,
            running=600,
        )
        return emulator.state.add_job(timeline).id

    cancelled, other = running(903), running(905)
    wire = CountingTransport()
    settings = settings_for(emulator, job_cache_seconds=0)
    server = build_server(settings, transport=wire, retry=RETRY, poll_delays=(0.02,))

    async def wait(client: Client, job: str) -> None:
        await client.call_tool("wait_for_data_movement_job", {"job_id": job, "timeout_seconds": 60})

    async with Client(server) as client:
        async with anyio.create_task_group() as waiting:
            waiting.start_soon(wait, client, cancelled)
            await wire.grown(cancelled, to=3)  # the wait is polling
            waiting.cancel_scope.cancel()
        stopped_at = wire.gets[cancelled]
        # Another wait on the same schedule: while it polls 5 times, the cancelled one does not
        # (one request already on its way when the caller left may still be counted).
        async with anyio.create_task_group() as waiting:
            waiting.start_soon(wait, client, other)
            await wire.grown(other, to=5)
            waiting.cancel_scope.cancel()
        assert wire.gets[cancelled] <= stopped_at + 1
        answer = await client.call_tool("get_data_movement_job", {"job_id": job_id(1)})
        assert answer.is_error is False


async def test_terminate_is_off_unless_allowed(emulator):
    async with connected(emulator) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        instructions = client.instructions or ""
    assert "terminate_data_movement_job" not in names
    assert (
        "Stopping jobs is turned off" in instructions and "WIX_ALLOW_TERMINATE=true" in instructions
    )
    for tool in names:
        assert tool in instructions


async def test_terminate_stops_a_running_job_and_refuses_a_finished_one(emulator):
    job = emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {"id": job_id(904), "name": "Long", "source": {}, "destination": {}},
            submitted_at=emulator.state.now() - 5,
            pending=0,
            initializing=0,
            running=600,
        )
    )
    async with connected(emulator, allow_terminate=True) as client:
        tool = next(
            t for t in (await client.list_tools()).tools if t.name == "terminate_data_movement_job"
        )
        stopped = await client.call_tool("terminate_data_movement_job", {"job_id": job.id})
        again = await client.call_tool("terminate_data_movement_job", {"job_id": job.id})
    assert tool.annotations is not None and tool.annotations.destructive_hint is True
    assert (stopped.structured_content or {})["status"] == "FAILED"
    assert again.is_error is True
    assert texts(again)[0].endswith(
        f"Job {job.id} has already finished (FAILED); there is nothing to terminate."
    )


async def test_name_contains_also_finds_a_job_by_its_collection_or_file(emulator):
    emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {
                "id": job_id(905),
                "name": "Nightly",
                "source": {"file": {"format": "CSV"}},
                "destination": {"wixDataCollection": {"collectionId": "Wholesale_Prices"}},
            },
            submitted_at=emulator.state.now() - 60,
            running=10,
        )
    )
    emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {
                "id": job_id(906),
                "source": {"wixDataCollection": {"collectionId": "Orders"}},
                "destination": {"file": {"format": "CSV", "fileName": "q3-wholesale.csv"}},
            },
            submitted_at=emulator.state.now() - 90,
            running=10,
        )
    )
    async with connected(emulator) as client:
        result = await client.call_tool("list_data_movement_jobs", {"name_contains": "wholesale"})
    assert [job["id"] for job in (result.structured_content or {})["jobs"]] == [
        job_id(905),
        job_id(906),
    ]


async def test_a_slow_wix_cannot_hold_a_wait_far_past_its_timeout(emulator, monkeypatch):
    monkeypatch.setattr(upstream, "FIRST_ANSWER_GRACE", 0.5)
    emulator.state.inject("latency", job_id=job_id(1), delay=30)
    server = build_server(settings_for(emulator), retry=RetryPolicy(deadline=30))
    try:
        async with Client(server) as client:
            started = anyio.current_time()
            result = await client.call_tool(
                "wait_for_data_movement_job", {"job_id": job_id(1), "timeout_seconds": 1}
            )
            elapsed = anyio.current_time() - started
    finally:
        emulator.state.clear_faults()
    assert elapsed < 1 + 0.5 + 3  # Wix answers only after 30 s
    assert result.is_error is True
    assert texts(result)[0].endswith(
        f"Wix did not answer about job {job_id(1)} while waiting. Wix may be slow right now: try again shortly."
    )
