"""The tool that explains a job's rejected items: its movement logs, page by page, grouped by
error code."""

from __future__ import annotations

from typing import Annotated, Any, cast

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from ..errors import WixApiError
from ..wix.cursors import decode_cursor, encode_cursor
from ..wix.models import MovementLog, OutputModel, Source, paging_cursor, parse_job, parse_leniently
from ..words.logs import FailureGroup, group_failures, summarize_logs
from .arguments import Cursor, JobId, SiteArg, checked_job_id
from .results import demo_summary, tool_result, wix_errors
from .state import AppState


class LogsResult(OutputModel):
    summary: str = Field(description="Why items failed, grouped by error code.")
    groups: list[FailureGroup]
    logs: list[dict[str, Any]] = Field(description="The logs exactly as Wix sent them.")
    next_cursor: str | None = Field(description="Pass as cursor for more logs; null at the end.")


async def list_data_movement_job_logs(
    job_id: JobId,
    ctx: Context[AppState],
    limit: Annotated[int, Field(description="Logs per page.", ge=1, le=100)] = 50,
    cursor: Cursor = None,
    site: SiteArg = None,
) -> Annotated[CallToolResult, LogsResult]:
    state = ctx.request_context.lifespan_context
    job_id = checked_job_id(job_id)
    wix = state.wix()
    with wix_errors():
        wix_cursor = logs_position(job_id, cursor) if cursor else None
        where = await state.site(site)
        body = await wix.call(
            lambda: wix.client.list_logs(
                job_id, limit=limit, cursor=wix_cursor, site=where and where.id
            )
        )
        following = paging_cursor(body)
        next_cursor = encode_cursor("logs", [job_id, following]) if following else None
    raw_logs, logs = movement_logs(body)
    groups = group_failures(logs)
    # Only a number can be a CSV row; other ids are items whatever the source.
    numbered = any(item.isdigit() for group in groups for item in group.example_item_ids)
    source = await job_source(state, job_id, where and where.id) if numbered else None
    more = next_cursor is not None
    summary = summarize_logs(job_id, logs, groups, more=more, later=bool(cursor), source=source)
    result = LogsResult(
        summary=demo_summary(summary, state.demo),
        groups=groups,
        logs=raw_logs,
        next_cursor=next_cursor,
    )
    return tool_result(result.summary, result, next_cursor=next_cursor)


async def job_source(state: AppState, job_id: str, site: str | None) -> Source | None:
    """The job's source, which says what its logs' item ids are (shared with any concurrent
    read of the job); None when the job cannot be read, and the logs are named as items."""
    try:
        raw = await state.wix().get_job(job_id, site=site)
    except WixApiError:
        return None
    return parse_job(raw)[0].source


def logs_position(job_id: str, cursor: str) -> str:
    """Wix's cursor inside one of ours, given out for this job's logs."""
    hint = "list_data_movement_job_logs for this job. Call it without a cursor for the first page"
    data = decode_cursor("logs", cursor, hint=hint)
    if len(data) != 2 or data[0] != job_id or not isinstance(data[1], str):
        raise WixApiError(f"That cursor was not given out by {hint}.")
    return data[1]


def movement_logs(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[MovementLog]]:
    """A logs page's entries as Wix sent them, and as read."""
    raw_logs = [cast(dict[str, Any], log) for log in body["logs"] if isinstance(log, dict)]
    return raw_logs, [parse_leniently(MovementLog, log)[0] for log in raw_logs]
