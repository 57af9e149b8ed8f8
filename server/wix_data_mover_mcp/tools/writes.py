"""The tools that change something at Wix, offered only when the settings allow it: retry a
finished job, terminate a running one."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from ..wix.models import parse_job
from ..wix.retry import CannotRetry, retry_request
from ..words.job import is_finished
from .arguments import JobId, SiteArg, checked_job_id
from .results import JobResult, demo_summary, job_result, tool_result, wix_errors
from .state import AppState


class RetryResult(JobResult):
    retried_job_id: str = Field(description="The finished job that was submitted again.")
    repeated: bool = Field(description="True when this retry had already been submitted.")


async def retry_data_movement_job(
    job_id: JobId,
    ctx: Context[AppState],
    skip_existing: Annotated[
        bool,
        Field(description="Skip items already in the destination collection (SKIP_EXISTING)."),
    ] = False,
    site: SiteArg = None,
) -> Annotated[CallToolResult, RetryResult]:
    state = ctx.request_context.lifespan_context
    job_id = checked_job_id(job_id)
    wix = state.wix()
    with wix_errors():
        where = await state.site(site)
        site_id = where and where.id
        key = f"{site_id or ''}:{job_id}:{skip_existing}"
        async with wix.retry_lock(key):
            earlier = await wix.recent_retries.get(key)
            if earlier is None:
                old = await wix.call(lambda: wix.client.get_job(job_id, site=site_id))
                try:
                    body, caveats = retry_request(old, skip_existing=skip_existing)
                except CannotRetry as exc:
                    raise ToolError(str(exc)) from None
                raw = await wix.call(lambda: wix.client.submit_job(body, site=site_id))
                await wix.recent_retries.put(key, {"id": raw.get("id"), "caveats": caveats})
            else:
                raw = await wix.call(lambda: wix.client.get_job(str(earlier["id"]), site=site_id))
                caveats = [str(c) for c in earlier.get("caveats", [])]
    result = job_result(raw, demo=False, site=where, names=state.site_names())
    new_id = raw.get("id")
    head = (
        f"This retry of job {job_id} was already submitted a moment ago as job {new_id}; "
        "nothing new was submitted."
        if earlier
        else f"Submitted a retry of job {job_id} as job {new_id}."
    )
    follow = f" Follow it with wait_for_data_movement_job (job_id {new_id})."
    summary = demo_summary(" ".join([head, *caveats, result.summary]) + follow, state.demo)
    outcome = RetryResult(
        summary=summary,
        status=result.status,
        finished=result.finished,
        percent_complete=result.percent_complete,
        job=result.job,
        retried_job_id=job_id,
        repeated=earlier is not None,
    )
    return tool_result(outcome.summary, outcome, raw)


async def terminate_data_movement_job(
    job_id: JobId, ctx: Context[AppState], site: SiteArg = None
) -> Annotated[CallToolResult, JobResult]:
    state = ctx.request_context.lifespan_context
    job_id = checked_job_id(job_id)
    wix = state.wix()
    with wix_errors():
        where = await state.site(site)
        site_id = where and where.id
        current, _ = parse_job(await wix.call(lambda: wix.client.get_job(job_id, site=site_id)))
        if is_finished(current):
            raise ToolError(
                f"Job {job_id} has already finished ({current.status}); there is "
                "nothing to terminate."
            )
        raw = await wix.call(lambda: wix.client.terminate_job(job_id, site=site_id))
        await wix.remember_stopped(job_id, site=site_id)
    result = job_result(
        raw, demo=state.demo, site=where, names=state.site_names(), stopped_here=True
    )
    return tool_result(result.summary, result, raw)
