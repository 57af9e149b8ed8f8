"""The arguments several tools share, as their schemas advertise them (a job id, a site, a
cursor), and the checks that refuse a bad one in one sentence before anything reaches Wix."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..config import GUID_EXAMPLE, GUID_PATTERN
from ..wix.cursors import MAX_CURSOR_CHARS
from ..wix.finder import MAX_STATUSES
from ..words.arguments import job_id_problem, status_problem

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


def checked_job_id(job_id: str) -> str:
    """Refuse anything but a GUID before it can reach a URL path."""
    if problem := job_id_problem(job_id):
        raise ToolError(problem)
    return job_id.strip().lower()


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
