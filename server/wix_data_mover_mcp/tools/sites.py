"""The tools of account mode: the sites the key covers, and jobs found across all of them in
one call."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from ..wix.cursors import bounded_count, decode_cursor, encode_cursor, not_ours
from ..wix.finder import find_across_sites, parse_since
from ..wix.models import OutputModel
from ..words.lists import summarize_across_sites
from .arguments import Cursor, checked_statuses
from .results import demo_summary, tool_result, wix_errors
from .state import AppState

# Whether the key can read a site's jobs, as far as reads have shown: Query Sites lists the
# account's sites, not the ones the key covers.
READABLE = {
    True: "jobs readable",
    False: "the key cannot read its jobs (403)",
    None: "jobs not yet checked",
}
SITES_HINT = "list_wix_sites. Call it without a cursor for the first page"
MAX_SITES = 1_000_000  # far beyond any account; a cursor past it is not ours


class SiteListResult(OutputModel):
    summary: str = Field(description="One line per site: name, id, URL.")
    sites: list[dict[str, Any]] = Field(description="Each site's id, name and URL.")
    next_cursor: str | None = Field(description="Pass as cursor for more sites; null at the end.")


class AcrossSitesResult(OutputModel):
    summary: str = Field(description="Which sites had matching jobs, with a line per job.")
    sites: list[dict[str, Any]] = Field(
        description="Per site: id, name, jobs (as Wix sent them), and error when unreadable."
    )


async def list_wix_sites(
    ctx: Context[AppState],
    name_contains: Annotated[
        str | None, Field(description="Text in the site's name, any case.", max_length=200)
    ] = None,
    limit: Annotated[int, Field(description="Sites per page.", ge=1, le=100)] = 25,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, SiteListResult]:
    state = ctx.request_context.lifespan_context
    with wix_errors():
        sites = state.visible(await state.directory().sites())
        start = sites_position(cursor) if cursor else 0
    needle = (name_contains or "").strip().casefold()
    matching = [site for site in sites if needle in (site.name or "").casefold()]
    page = matching[start : start + limit]
    more = start + limit < len(matching)
    next_cursor = encode_cursor("sites", [start + limit]) if more else None
    directory = state.directory()
    readable = {site.id: directory.jobs_readable(site.id) for site in page}
    lines = [f"- {site.line()} · {READABLE[readable[site.id]]}" for site in page] or [
        "No sites match."
    ]
    head = (
        f"{len(matching)} of the account's {len(sites)} sites"
        if state.access is None
        else f"{len(matching)} of the {len(sites)} sites you may use"
    )
    summary = demo_summary(f"{head}{' match' if needle else ''}:\n" + "\n".join(lines), state.demo)
    # jobs_readable: true or false once a read of the site's jobs has shown it, null before.
    listed = [
        {"id": site.id, "name": site.name, "url": site.url, "jobs_readable": readable[site.id]}
        for site in page
    ]
    result = SiteListResult(summary=summary, sites=listed, next_cursor=next_cursor)
    return tool_result(result.summary, result, next_cursor=next_cursor)


async def list_data_movement_jobs_across_sites(
    ctx: Context[AppState],
    status: Annotated[
        str | list[str] | None,
        Field(description="One or a list, e.g. FAILED and PARTIALLY_SUCCESSFUL."),
    ] = None,
    since: Annotated[
        str | None,
        Field(description="Submitted within this long, e.g. 24h, 7d or 30d.", max_length=10),
    ] = "7d",
) -> Annotated[CallToolResult, AcrossSitesResult]:
    state = ctx.request_context.lifespan_context
    statuses = checked_statuses(status)
    with wix_errors():
        window = parse_since(since) if since else None
        sites = state.visible(await state.directory().sites())
        found = await find_across_sites(state.wix(), sites, statuses=statuses, since=window)
    for entry in found:
        if entry.asked:
            state.directory().saw(entry.site.id, entry.error)
    summary = summarize_across_sites(found, statuses=statuses, since=since)
    result = AcrossSitesResult(
        summary=demo_summary(summary, state.demo), sites=[site.as_dict() for site in found]
    )
    return tool_result(result.summary, result)


def sites_position(cursor: str) -> int:
    """Where a page of sites starts, from a cursor list_wix_sites gave out."""
    data = decode_cursor("sites", cursor, hint=SITES_HINT)
    start = bounded_count(data[0], most=MAX_SITES) if len(data) == 1 else None
    if start is None:
        raise not_ours(SITES_HINT)
    return start
