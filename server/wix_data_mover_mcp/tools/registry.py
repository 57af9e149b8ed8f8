"""The tools the server offers, each with its title, description and annotations: the read
tools, the tools of account mode, and the writing tools the settings turn on. serve/app.py
registers them; without_site makes a tool as a server pinned to one site offers it."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver.resolve import Resolve
from mcp.types import CallToolResult, ToolAnnotations

from .card import CARD_URI
from .jobs import get_data_movement_job, list_data_movement_jobs, wait_for_data_movement_job
from .logs import list_data_movement_job_logs
from .schedules import list_data_sync_schedules
from .sites import list_data_movement_jobs_across_sites, list_wix_sites
from .writes import retry_data_movement_job, terminate_data_movement_job

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)
DESTRUCTIVE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
)


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
    """The tool as a pinned server offers it: the same, without its `site` argument. A
    resolver (Resolve) that takes `site` gets None for it, as the tool itself does."""
    signature = inspect.signature(fn, eval_str=True)
    if "site" not in signature.parameters:
        return fn

    @functools.wraps(fn)
    async def pinned(*args: Any, **kwargs: Any) -> CallToolResult:
        return await fn(*args, **kwargs)

    hints = typing.get_type_hints(fn, include_extras=True)
    for name, hint in hints.items():
        if typing.get_origin(hint) is Annotated:
            base, *extra = typing.get_args(hint)
            extra = [Resolve(_without_site(m.fn)) if isinstance(m, Resolve) else m for m in extra]
            hints[name] = Annotated[(base, *extra)]  # pyright: ignore[reportInvalidTypeArguments]
    hints.pop("site", None)
    pinned.__annotations__ = hints
    kept = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in signature.parameters.values()
        if p.name != "site"
    ]
    pinned.__signature__ = signature.replace(parameters=kept)  # pyright: ignore[reportAttributeAccessIssue]
    return pinned


def _without_site(resolver: Callable[..., Any]) -> Callable[..., Any]:
    """A resolver as a pinned tool needs it: `site` left out of its signature, passed as None.
    functools.wraps keeps its name, which names its answers in a request's state."""
    signature = inspect.signature(resolver, eval_str=True)
    if "site" not in signature.parameters:
        return resolver

    @functools.wraps(resolver)
    async def pinned(**kwargs: Any) -> Any:
        return await resolver(site=None, **kwargs)

    kept = [p for p in signature.parameters.values() if p.name != "site"]
    pinned.__signature__ = signature.replace(parameters=kept)  # pyright: ignore[reportAttributeAccessIssue]
    return pinned
