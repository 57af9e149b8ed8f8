"""The tool for scheduled data syncs: each with its cadence, last and next run, and how the
latest job it started ended."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from ..config import is_guid
from ..wix.finder import NEWEST_FIRST
from ..wix.models import OutputModel
from ..words.schedules import schedule_lines
from .arguments import SiteArg
from .results import demo_summary, tool_result, wix_errors
from .state import AppState

if TYPE_CHECKING:
    from ..wix.client import WixDataMoverClient


class SchedulesResult(OutputModel):
    summary: str = Field(description="One entry per schedule: cadence, last and next run.")
    schedules: list[dict[str, Any]] = Field(description="The schedules exactly as Wix sent them.")


async def list_data_sync_schedules(
    ctx: Context[AppState], site: SiteArg = None
) -> Annotated[CallToolResult, SchedulesResult]:
    state = ctx.request_context.lifespan_context
    wix = state.wix()
    with wix_errors():
        where = await state.site(site)
        site_id = where and where.id
        schedules = await wix.call(lambda: wix.client.list_schedules(site=site_id))
        latest = await wix.call(lambda: latest_runs(wix.client, schedules, site=site_id))
    now = datetime.now(UTC)
    lines = [
        line
        for schedule in schedules
        for line in schedule_lines(schedule, latest.get(str(schedule.get("id"))), now=now)
    ]
    count = f"{len(schedules)} scheduled data sync{'s' * (len(schedules) != 1)}"
    summary = count + (":\n" + "\n".join(lines) if lines else ".")
    if where is not None:
        summary = f"On site {where.label()}: {summary}"
    result = SchedulesResult(summary=demo_summary(summary, state.demo), schedules=schedules)
    return tool_result(result.summary, result)


async def latest_runs(
    client: WixDataMoverClient, schedules: list[dict[str, Any]], *, site: str | None
) -> dict[str, dict[str, Any]]:
    """Each schedule's newest job (jobs carry the scheduleId that started them)."""
    latest: dict[str, dict[str, Any]] = {}
    for schedule in schedules[:20]:
        ident = schedule.get("id")
        if not isinstance(ident, str) or not is_guid(ident):
            continue
        body = await client.query_jobs(
            filter={"scheduleId": {"$eq": ident}}, sort=NEWEST_FIRST, limit=1, site=site
        )
        if body["jobs"]:
            latest[ident] = body["jobs"][0]
    return latest
