"""The MCP tools and the job resource: each checks its input, calls the Wix client,
summarises, and returns the summary and the raw data on both channels.

They are plain functions of their arguments and the request context; app.py registers them.
"""

from __future__ import annotations

import functools
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import anyio
from mcp import MCPError
from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolResult,
    ContentBlock,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, Field

from ..config import GUID_EXAMPLE, GUID_PATTERN, is_guid
from ..errors import WixApiError
from ..wix.cursors import MAX_CURSOR_CHARS, decode_cursor, encode_cursor
from ..wix.finder import NEWEST_FIRST, find_across_sites, find_jobs, parse_since
from ..wix.models import (
    DataMovementJob,
    MovementLog,
    OutputModel,
    paging_cursor,
    parse_job,
    parse_leniently,
)
from ..wix.retry import CannotRetry, retry_request
from ..words.arguments import job_id_problem, status_problem
from ..words.card import CARD_META_KEY, CARD_URI, job_card
from ..words.schedules import schedule_lines, schedule_sentence
from ..words.summary import (
    FailureGroup,
    group_failures,
    is_finished,
    job_line,
    percent_complete,
    progress_phrase,
    summarize_across_sites,
    summarize_job,
    summarize_job_list,
    summarize_logs,
)

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from ..wix.client import WixDataMoverClient
    from ..wix.sites import Site, SiteDirectory
    from ..wix.upstream import Upstream

MAX_RAW_TEXT_CHARS = 50_000
DEMO_PREFIX = "[Demo data from the built-in emulator, not a real Wix site.] "
POLL_DELAYS = (1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 5.0, 5.0, 5.0, 5.0, 10.0)  # then 6 calls a minute
MAX_STATUSES = 10
SCHEDULES_KEPT_SECONDS = 60.0
RESOURCE_NOT_FOUND = -32002  # the MCP spec's code for a resource that does not exist

# The pattern is advertised, and checked by the tool itself so a bad id gets a helpful message.
JobId = Annotated[
    str,
    Field(
        description=f"The job's id: a GUID like {GUID_EXAMPLE}.",
        json_schema_extra={"pattern": GUID_PATTERN},
    ),
]
SiteArg = Annotated[
    str | None,
    Field(
        description="The site: its id, or its display name in any case (list_wix_sites has "
        "them). Omit for the default site.",
        max_length=200,
    ),
]
Cursor = Annotated[
    str | None,
    Field(
        description="next_cursor from the previous page; omit for the first page.",
        max_length=MAX_CURSOR_CHARS,
    ),
]


@dataclass
class AppState:
    """What the lifespan hands every request: a way to Wix, or why there is none.

    The way to Wix is made on first use, so that answering initialize and tools/list (what an
    assistant waits for when it starts the server) does not load the HTTP stack. Requests to
    Wix run in `tasks`, the server's own task group, never in a caller's task."""

    connect: Callable[[TaskGroup], Upstream] | None
    problem: str | None
    demo: bool
    tasks: TaskGroup | None = None
    account: bool = False  # every site of the account, not one pinned site
    default_site: str | None = None
    _upstream: Upstream | None = None
    _directory: SiteDirectory | None = None
    _schedules: dict[str, tuple[float, list[dict[str, Any]]]] = field(
        default_factory=dict[str, tuple[float, list[dict[str, Any]]]]
    )

    def wix(self) -> Upstream:
        if self._upstream is None:
            if self.connect is None or self.tasks is None:
                raise ToolError(self.problem or "The server has no Wix connection.")
            self._upstream = self.connect(self.tasks)
        return self._upstream

    def directory(self) -> SiteDirectory:
        if self._directory is None:
            from ..wix.sites import SiteDirectory

            self._directory = SiteDirectory(self.wix(), default=self.default_site)
        return self._directory

    async def site(self, given: str | None) -> Site | None:
        """The site a call is for: None when pinned to WIX_SITE_ID."""
        return await self.directory().resolve(given) if self.account else None

    def site_names(self) -> dict[str, str]:
        return self._directory.names() if self._directory is not None else {}

    async def schedule(self, schedule_id: str, site: str | None) -> dict[str, Any] | None:
        """The sync schedule that started a job, from a list kept a minute; None when it
        cannot be had (the job's answer does not depend on it)."""
        kept = self._schedules.get(site or "")
        if kept is None or time.monotonic() - kept[0] > SCHEDULES_KEPT_SECONDS:
            wix = self.wix()
            try:
                listed = await wix.call(lambda: wix.client.list_schedules(site=site))
            except WixApiError:
                return None
            kept = self._schedules[site or ""] = (time.monotonic(), listed)
        return next((s for s in kept[1] if s.get("id") == schedule_id), None)

    def stalled(self) -> bool:
        return self._upstream is not None and self._upstream.stalled()

    async def responsive(self, *, within: float) -> bool:
        """Whether the task group that runs callers' requests still starts and runs work."""
        if self.tasks is None:
            return True
        ran = anyio.Event()

        async def probe() -> None:
            ran.set()

        try:
            self.tasks.start_soon(probe)
        except RuntimeError:  # the group has ended
            return False
        with anyio.move_on_after(within):
            await ran.wait()
        return ran.is_set()

    async def aclose(self) -> None:
        if self._upstream is not None:
            await self._upstream.aclose()


class JobResult(OutputModel):
    summary: str = Field(description="Sentences to relay to the user as they are.")
    status: str | None = Field(description="The job's status exactly as Wix reports it.")
    finished: bool = Field(description="True once the job has ended, however it ended.")
    percent_complete: int | None = Field(description="0-100, or null when Wix gives no total.")
    job: dict[str, Any] = Field(description="The job exactly as Wix sent it.")


class WaitResult(JobResult):
    timed_out: bool = Field(description="True if the job was still running when time ran out.")
    waited_seconds: float


class JobListResult(OutputModel):
    summary: str = Field(description="One line per job: name, id, status, percent, when.")
    jobs: list[dict[str, Any]] = Field(description="The jobs exactly as Wix sent them.")
    next_cursor: str | None = Field(description="Pass as cursor for more jobs; null at the end.")


class LogsResult(OutputModel):
    summary: str = Field(description="Why items failed, grouped by error code.")
    groups: list[FailureGroup]
    logs: list[dict[str, Any]] = Field(description="The logs exactly as Wix sent them.")
    next_cursor: str | None = Field(description="Pass as cursor for more logs; null at the end.")


READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)
DESTRUCTIVE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
)


async def get_data_movement_job(
    job_id: JobId, ctx: Context[AppState], site: SiteArg = None
) -> Annotated[CallToolResult, JobResult]:
    state = ctx.request_context.lifespan_context
    job_id = checked_job_id(job_id)
    with wix_errors():
        where = await state.site(site)
        raw = await state.wix().get_job(job_id, site=where and where.id)
    result = job_result(raw, demo=state.demo, site=where, names=state.site_names())
    await add_schedule(result, state, where and where.id)
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
    result = JobListResult(
        summary=_demo(summary, state.demo), jobs=page.jobs, next_cursor=page.next_cursor
    )
    return tool_result(result.summary, result, next_cursor=page.next_cursor)


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
    summary = summarize_logs(job_id, logs, groups, more=next_cursor is not None)
    result = LogsResult(
        summary=_demo(summary, state.demo),
        groups=groups,
        logs=raw_logs,
        next_cursor=next_cursor,
    )
    return tool_result(result.summary, result, next_cursor=next_cursor)


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
    result = job_result(raw, demo=state.demo, site=where, names=state.site_names())
    await add_schedule(result, state, where and where.id)
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
        sites = await state.directory().sites()
        start = int(decode_cursor("sites", cursor, hint="list_wix_sites")[0]) if cursor else 0
    needle = (name_contains or "").strip().casefold()
    matching = [site for site in sites if needle in (site.name or "").casefold()]
    page = matching[start : start + limit]
    more = start + limit < len(matching)
    next_cursor = encode_cursor("sites", [start + limit]) if more else None
    unreadable = state.directory().unreadable
    lines = [
        f"- {site.line()}"
        + (" · the key cannot read its jobs (403)" if site.id in unreadable else "")
        for site in page
    ] or ["No sites match."]
    head = f"{len(matching)} of the {len(sites)} sites this key covers"
    summary = _demo(f"{head}{' match' if needle else ''}:\n" + "\n".join(lines), state.demo)
    listed = [
        {
            "id": site.id,
            "name": site.name,
            "url": site.url,
            "jobs_readable": site.id not in unreadable,
        }
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
        sites = await state.directory().sites()
        found = await find_across_sites(state.wix(), sites, statuses=statuses, since=window)
    state.directory().unreadable |= {
        entry.site.id for entry in found if entry.error and entry.error.status == 403
    }
    summary = summarize_across_sites(found, statuses=statuses, since=since)
    result = AcrossSitesResult(
        summary=_demo(summary, state.demo), sites=[site.as_dict() for site in found]
    )
    return tool_result(result.summary, result)


class RetryResult(JobResult):
    retried_job_id: str = Field(description="The finished job that was submitted again.")
    repeated: bool = Field(description="True when this retry had already been submitted.")


class SchedulesResult(OutputModel):
    summary: str = Field(description="One entry per schedule: cadence, last and next run.")
    schedules: list[dict[str, Any]] = Field(description="The schedules exactly as Wix sent them.")


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
    summary = _demo(" ".join([head, *caveats, result.summary]) + follow, state.demo)
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
    result = SchedulesResult(summary=_demo(summary, state.demo), schedules=schedules)
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


async def job_resource(job_id: str, ctx: Context) -> str:
    return await _job_json(cast(AppState, ctx.request_context.lifespan_context), job_id, None)


async def site_job_resource(site: str, job_id: str, ctx: Context) -> str:
    return await _job_json(cast(AppState, ctx.request_context.lifespan_context), job_id, site)


async def _job_json(state: AppState, job_id: str, site: str | None) -> str:
    if problem := job_id_problem(job_id):
        raise MCPError(code=INVALID_PARAMS, message=problem)
    try:
        where = await state.site(site)
    except WixApiError as exc:
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
    try:
        raw = await state.wix().get_job(job_id.strip().lower(), site=where and where.id)
    except (WixApiError, ToolError) as exc:
        missing = isinstance(exc, WixApiError) and exc.status == 404
        code = RESOURCE_NOT_FOUND if missing else INTERNAL_ERROR
        raise MCPError(code=code, message=str(exc)) from None
    return json.dumps(raw, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class ToolSpec:
    fn: Callable[..., Awaitable[CallToolResult]]
    title: str
    description: str
    annotations: ToolAnnotations
    meta: dict[str, Any] | None = None


CARD = {"ui": {"resourceUri": CARD_URI}}  # hosts that render MCP Apps show the job card


SITE_TOOLS = (
    ToolSpec(
        list_wix_sites,
        "List the sites of the Wix account",
        "The sites this account-level key covers, one line each (name, id, URL), to find the "
        "site the user means; job tools take its name or id as site.",
        READ_ONLY,
    ),
    ToolSpec(
        list_data_movement_jobs_across_sites,
        "Find data movement jobs across all sites",
        "Search every site the key covers in one call, by status and how recently jobs were "
        "submitted (e.g. failed or partly successful imports in the last 7 days): which sites "
        "had such jobs, a line per job, and which sites the key cannot read.",
        READ_ONLY,
    ),
)
READ_TOOLS = (
    ToolSpec(
        get_data_movement_job,
        "Get a Wix data movement job",
        "Fetch one Wix Data Mover job (import, export, copy or translation move) by id and "
        "say how it is going: status, progress, items moved or rejected, how long it ran, "
        "where the data went, and for a failure what the error means and what to try.",
        READ_ONLY,
        CARD,
    ),
    ToolSpec(
        list_data_movement_jobs,
        "List Wix data movement jobs",
        "Find data movement jobs on the site, newest first, when the user has no job id: "
        "filter by status and/or by text in the name, collection or file. One line per "
        "job (name, id, status, percent, when); then call get_data_movement_job with the id.",
        READ_ONLY,
    ),
    ToolSpec(
        list_data_movement_job_logs,
        "Explain rejected items of a job",
        "Read a job's movement logs to learn which items failed to move and why: grouped "
        "by error code with counts, Wix's description and example item ids. Use it for "
        "PARTIALLY_SUCCESSFUL or FAILED jobs.",
        READ_ONLY,
    ),
    ToolSpec(
        wait_for_data_movement_job,
        "Wait for a Wix data movement job",
        "Wait until a job finishes or timeout_seconds pass, reporting progress as it "
        "moves, then return the same summary as get_data_movement_job. If time runs out "
        "the job is still running: say so, and call this again to keep waiting.",
        READ_ONLY,
        CARD,
    ),
)
RETRY = ToolSpec(
    retry_data_movement_job,
    "Retry a finished Wix data movement job",
    "Submit a finished (failed or partly successful) job again with the same source and "
    "destination, named after it, and return the new job to follow with "
    "wait_for_data_movement_job. Only when the user asks. skip_existing leaves items already in "
    "the collection alone. A second identical call within 5 minutes returns the first retry.",
    DESTRUCTIVE,
)
SCHEDULES = ToolSpec(
    list_data_sync_schedules,
    "List scheduled data syncs",
    "The site's scheduled data syncs: name, cadence, last and next run, and the latest job "
    'each started with how it ended. For "did last night\'s sync work, and when is the next?"',
    READ_ONLY,
)
TERMINATE = ToolSpec(
    terminate_data_movement_job,
    "Terminate a Wix data movement job",
    "Stop a running job. Only when the user explicitly asks to stop or cancel it: "
    "items already moved stay where they are. Refuses a job that has finished.",
    DESTRUCTIVE,
)


def without_site(
    fn: Callable[..., Awaitable[CallToolResult]],
) -> Callable[..., Awaitable[CallToolResult]]:
    """The tool as a pinned server offers it: the same, without its `site` argument."""
    signature = inspect.signature(fn, eval_str=True)
    if "site" not in signature.parameters:
        return fn

    @functools.wraps(fn)
    async def pinned(*args: Any, **kwargs: Any) -> CallToolResult:
        return await fn(*args, **kwargs)

    kept = [p for p in signature.parameters.values() if p.name != "site"]
    pinned.__signature__ = signature.replace(parameters=kept)  # pyright: ignore[reportAttributeAccessIssue]
    return pinned


def checked_job_id(job_id: str) -> str:
    """Refuse anything but a GUID before it can reach a URL path."""
    if problem := job_id_problem(job_id):
        raise ToolError(problem)
    return job_id.strip().lower()


def logs_position(job_id: str, cursor: str) -> str:
    """Wix's cursor inside one of ours, given out for this job's logs."""
    hint = "list_data_movement_job_logs for this job. Call it without a cursor for the first page"
    data = decode_cursor("logs", cursor, hint=hint)
    if len(data) != 2 or data[0] != job_id or not isinstance(data[1], str):
        raise WixApiError(f"That cursor was not given out by {hint}.")
    return data[1]


def checked_statuses(status: str | list[str] | None) -> tuple[str, ...]:
    """Upper-cased and de-duplicated. Unknown words pass (Wix adds statuses), odd text does not."""
    given = [status] if isinstance(status, str) else status or []
    statuses = tuple(dict.fromkeys(word.strip().upper() for word in given))
    if len(statuses) > MAX_STATUSES:
        raise ToolError(f"Give at most {MAX_STATUSES} statuses; {len(statuses)} were given.")
    for word in statuses:
        if problem := status_problem(word):
            raise ToolError(problem)
    return statuses


@contextmanager
def wix_errors() -> Generator[None]:
    try:
        yield
    except WixApiError as exc:
        raise ToolError(str(exc)) from None


async def add_schedule(result: JobResult, state: AppState, site: str | None) -> None:
    """A job that a sync schedule started says which schedule, and when it runs next."""
    schedule_id = result.job.get("scheduleId")
    if not isinstance(schedule_id, str) or not is_guid(schedule_id):
        return
    if schedule := await state.schedule(schedule_id, site):
        result.summary += " " + schedule_sentence(schedule)


def job_result(
    raw: dict[str, Any],
    *,
    demo: bool,
    site: Site | None = None,
    names: Mapping[str, str] | None = None,
) -> JobResult:
    job, ignored = parse_job(raw)
    summary = summarize_job(
        job, now=datetime.now(UTC), ignored_fields=ignored, site_names=names or {}
    )
    if site is not None:
        summary = f"On site {site.label()}: {summary}"
    return JobResult(
        summary=_demo(summary, demo),
        status=job.status,
        finished=is_finished(job),
        percent_complete=percent_complete(job),
        job=raw,
    )


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


async def with_card(
    ctx: Context[AppState],
    result: CallToolResult,
    raw: dict[str, Any],
    where: Site | None,
    site: str | None,
) -> CallToolResult:
    """For a host that renders MCP Apps, the job card's facts in the result's _meta (with
    rejected items by code from the first page of logs); other clients get the result as is."""
    if not client_supports_apps(ctx):
        return result
    state = ctx.request_context.lifespan_context
    job, _ = parse_job(raw)
    groups, more = None, False
    if job.id and is_guid(job.id) and job.progress and job.progress.items_rejected:
        groups, more = await rejected_by_code(state, job.id, where and where.id)
    arguments = {"job_id": job.id, **({"site": site} if site else {})}
    card = job_card(
        job,
        now=datetime.now(UTC),
        site_label=where.label() if where else None,
        site_names=state.site_names(),
        groups=groups,
        more_logs=more,
        refresh={"tool": "get_data_movement_job", "arguments": arguments},
    )
    return result.model_copy(update={"meta": {CARD_META_KEY: card}})


async def rejected_by_code(
    state: AppState, job_id: str, site_id: str | None
) -> tuple[list[FailureGroup] | None, bool]:
    """Rejected items by error code from the first page of logs, and whether more logs exist;
    None when the logs cannot be read (the card then shows no chart)."""
    wix = state.wix()
    try:
        body = await wix.call(lambda: wix.client.list_logs(job_id, limit=100, site=site_id))
    except WixApiError:
        return None, False
    _, logs = movement_logs(body)
    return group_failures(logs), paging_cursor(body) is not None


def movement_logs(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[MovementLog]]:
    """A logs page's entries as Wix sent them, and as read."""
    raw_logs = [cast(dict[str, Any], log) for log in body["logs"] if isinstance(log, dict)]
    return raw_logs, [parse_leniently(MovementLog, log)[0] for log in raw_logs]


def tool_result(
    summary: str, structured: BaseModel, raw: Any = None, *, next_cursor: str | None = None
) -> CallToolResult:
    """The summary as text, then the raw data as compact JSON (when there is any), and the same
    facts as structured content: some clients show the model only text, others only structure."""
    if next_cursor:
        summary += f"\nnext_cursor: {next_cursor}"
    blocks: list[ContentBlock] = [TextContent(type="text", text=summary)]
    if raw is not None:
        raw_text = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        if len(raw_text) > MAX_RAW_TEXT_CHARS:
            raw_text = raw_text[:MAX_RAW_TEXT_CHARS] + " …(cut; the structured content has it all)"
        blocks.append(TextContent(type="text", text=raw_text))
    return CallToolResult(content=blocks, structured_content=structured.model_dump(mode="json"))


def _demo(summary: str, demo: bool) -> str:
    if not demo:
        return summary
    return DEMO_PREFIX + ("\n" if "\n" in summary else "") + summary
