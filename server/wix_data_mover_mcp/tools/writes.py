"""The tools that change something at Wix, offered only when the settings allow it: retry a
finished job, terminate a running one."""

from __future__ import annotations

from typing import Annotated, Any, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from ..errors import WixApiError
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

        async def submit() -> tuple[dict[str, Any], dict[str, Any]]:
            old = await wix.call(lambda: wix.client.get_job(job_id, site=site_id))
            try:
                body, caveats = retry_request(old, skip_existing=skip_existing)
            except CannotRetry as exc:
                raise WixApiError(str(exc)) from None
            new = await wix.call(lambda: wix.client.submit_job(body, site=site_id))
            return {"id": str(new.get("id")), "caveats": caveats}, new

        written = await wix.once(f"retry:{site_id or ''}:{job_id}:{skip_existing}", submit)
        new_id = str(written.record["id"])
        raw = written.answer or await wix.call(lambda: wix.client.get_job(new_id, site=site_id))
        kept = written.record.get("caveats")
        caveats = [str(c) for c in cast(list[Any], kept)] if isinstance(kept, list) else []
        earlier = written.repeated
    result = job_result(raw, demo=False, site=where, names=state.site_names())
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
        repeated=earlier,
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
    result = job_result(raw, demo=state.demo, site=where, names=state.site_names())
    return tool_result(result.summary, result, raw)
