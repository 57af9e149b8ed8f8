"""The tools that read jobs: get one, list them, wait for one to finish; and the job as an MCP
resource. Each checks its input, calls Wix, summarises, and returns the summary and the raw
data on both channels.

They are plain functions of their arguments and the request context; registry.py lists them.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

from mcp import MCPError
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult
from pydantic import Field

from ..config import is_guid
from ..errors import WixApiError
from ..wix.finder import find_jobs
from ..wix.models import DataMovementJob, OutputModel, parse_job
from ..words.arguments import job_id_problem
from ..words.job import is_finished, percent_complete, progress_phrase
from ..words.lists import job_line, summarize_job_list
from ..words.schedules import schedule_sentence
from .arguments import Cursor, JobId, SiteArg, checked_job_id, checked_statuses
from .card import with_card
from .results import JobResult, demo_summary, job_result, tool_result, wix_errors
from .state import AppState

if TYPE_CHECKING:
    from ..wix.sites import Site
    from ..wix.upstream import Upstream

POLL_DELAYS = (1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 5.0, 5.0, 5.0, 5.0, 10.0)  # then 6 calls a minute
RESOURCE_NOT_FOUND = -32002  # the MCP spec's code for a resource that does not exist


class WaitResult(JobResult):
    timed_out: bool = Field(description="True if the job was still running when time ran out.")
    waited_seconds: float


class JobListResult(OutputModel):
    summary: str = Field(description="One line per job: name, id, status, percent, when.")
    jobs: list[dict[str, Any]] = Field(description="The jobs exactly as Wix sent them.")
    next_cursor: str | None = Field(description="Pass as cursor for more jobs; null at the end.")


async def get_data_movement_job(
    job_id: JobId, ctx: Context[AppState], site: SiteArg = None
) -> Annotated[CallToolResult, JobResult]:
    state = ctx.request_context.lifespan_context
    job_id = checked_job_id(job_id)
    with wix_errors():
        where = await state.site(site)
        with state.directory().reading(where):
            raw = await state.wix().get_job(job_id, site=where and where.id)
    result = await read_job_result(state, raw, where)
    return await with_card(ctx, tool_result(result.summary, result, raw), raw, where, site)


async def list_data_movement_jobs(
    ctx: Context[AppState],
    status: Annotated[
        str | list[str] | None,
        Field(
            description="UNINITIALIZED, INITIALIZING, IN_PROGRESS, COMPLETED, FAILED or "
            "PARTIALLY_SUCCESSFUL; one or a list."
        ),
    ] = None,
    name_contains: Annotated[
        str | None,
        Field(
            description="Text in the job's name, collection or file name, any case.",
            max_length=200,
        ),
    ] = None,
    limit: Annotated[int, Field(description="Jobs per page.", ge=1, le=50)] = 10,
    cursor: Cursor = None,
    site: SiteArg = None,
) -> Annotated[CallToolResult, JobListResult]:
    state = ctx.request_context.lifespan_context
    wix = state.wix()
    statuses = checked_statuses(status)
    needle = (name_contains or "").strip() or None
    with wix_errors():
        where = await state.site(site)
        with state.directory().reading(where):
            page = await wix.call(
                lambda: find_jobs(
                    wix.client,
                    statuses=statuses,
                    name_contains=needle,
                    limit=limit,
                    cursor=cursor,
                    site=where and where.id,
                )
            )
    now = datetime.now(UTC)
    lines = [job_line(parse_job(raw)[0], now=now) for raw in page.jobs]
    summary = summarize_job_list(
        lines,
        scanned=page.scanned,
        more=page.next_cursor is not None,
        searched_name=name_contains,
        statuses=statuses,
    )
    if where is not None:  # an account's site: the one named, or its default
        summary = f"On site {where.label()}: {summary}"
    result = JobListResult(
        summary=demo_summary(summary, state.demo), jobs=page.jobs, next_cursor=page.next_cursor
    )
    return tool_result(result.summary, result, next_cursor=page.next_cursor)


async def wait_for_data_movement_job(
    job_id: JobId,
    ctx: Context[AppState],
    timeout_seconds: Annotated[
        float, Field(description="How long to wait, in seconds (at most 600).", ge=1, le=600)
    ] = 50,
    site: SiteArg = None,
) -> Annotated[CallToolResult, WaitResult]:
    state = ctx.request_context.lifespan_context
    started = time.monotonic()
    job_id = checked_job_id(job_id)
    with wix_errors():
        where = await state.site(site)
    raw = await follow_job(
        state.wix(), job_id, ctx, deadline=started + timeout_seconds, site=where and where.id
    )
    result = await read_job_result(state, raw, where)
    waited = round(time.monotonic() - started, 1)
    if not result.finished:
        result.summary += (
            f" Still running after waiting {waited:g} s: call wait_for_data_movement_job "
            "again to keep waiting."
        )
    outcome = WaitResult(
        **result.model_dump(), timed_out=not result.finished, waited_seconds=waited
    )
    return await with_card(ctx, tool_result(outcome.summary, outcome, raw), raw, where, site)


async def read_job_result(state: AppState, raw: dict[str, Any], where: Site | None) -> JobResult:
    """The job's result, with what this server knows beside Wix's answer: that it stopped the
    job, and the sync schedule that started it."""
    site = where and where.id
    job_id = raw.get("id")
    stopped = (
        isinstance(job_id, str)
        and raw.get("status") not in ("COMPLETED", "PARTIALLY_SUCCESSFUL")
        and await state.wix().stopped_here(job_id, site=site)
    )
    return job_result(
        raw,
        demo=state.demo,
        site=where,
        names=state.site_names(),
        stopped_here=stopped,
        schedule=await schedule_words(state, raw, site),
    )


async def schedule_words(state: AppState, raw: dict[str, Any], site: str | None) -> str | None:
    """For a job that a sync schedule started: which schedule, and when it runs next."""
    schedule_id = raw.get("scheduleId")
    if not isinstance(schedule_id, str) or not is_guid(schedule_id):
        return None
    schedule = await state.schedule(schedule_id, site)
    return schedule_sentence(schedule) if schedule else None


async def follow_job(
    wix: Upstream,
    job_id: str,
    ctx: Context[AppState],
    *,
    deadline: float,
    site: str | None = None,
) -> dict[str, Any]:
    """Answers from the job's shared poll loop until it finishes or the deadline, reporting
    progress whenever it moves. The latest answer is returned, or an error if there was none."""
    reported = -1.0

    async def report(raw: dict[str, Any]) -> None:
        nonlocal reported
        job, _ = parse_job(raw)
        if (progress := stage_progress(job)) > reported:
            reported = progress
            await ctx.report_progress(progress, 100, progress_phrase(job))

    with wix_errors():
        latest = await wix.follow(job_id, site=site, deadline=deadline, on_answer=report)
    if latest is None:
        raise ToolError(
            f"Wix did not answer about job {job_id} while waiting. Wix may be slow right now: "
            "try again shortly."
        )
    return latest


def stage_progress(job: DataMovementJob) -> float:
    """0-100 that only grows as a job goes from waiting to finished (MCP progress must grow)."""
    if is_finished(job):
        return 100.0
    match job.status:
        case "UNINITIALIZED":
            return 0.0
        case "INITIALIZING":
            return 1.0
        case _:
            return 2 + 0.97 * (percent_complete(job) or 0)


async def job_resource(job_id: str, ctx: Context) -> str:
    return await _job_json(cast(AppState, ctx.request_context.lifespan_context), job_id, None)


async def site_job_resource(site: str, job_id: str, ctx: Context) -> str:
    return await _job_json(cast(AppState, ctx.request_context.lifespan_context), job_id, site)


async def _job_json(state: AppState, job_id: str, site: str | None) -> str:
    if problem := job_id_problem(job_id):
        raise MCPError(code=INVALID_PARAMS, message=problem)
    try:
        where = await state.site(site)
    except (WixApiError, ToolError) as exc:  # a site unknown, or outside the caller's grants
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
    try:
        raw = await state.wix().get_job(job_id.strip().lower(), site=where and where.id)
    except (WixApiError, ToolError) as exc:
        missing = isinstance(exc, WixApiError) and exc.status == 404
        code = RESOURCE_NOT_FOUND if missing else INTERNAL_ERROR
        raise MCPError(code=code, message=str(exc)) from None
    return json.dumps(raw, ensure_ascii=False, indent=2)
