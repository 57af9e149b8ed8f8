"""What a tool returns: the summary as text and the same facts as structured content (tool_result),
a job's result (JobResult, job_result), Wix's failures as tool errors (wix_errors), and the label
on demo data."""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, TextContent
from pydantic import BaseModel, Field

from ..errors import WixApiError
from ..wix.models import OutputModel, parse_job
from ..words.job import download_url, is_finished, percent_complete, summarize_job

if TYPE_CHECKING:
    from ..wix.sites import Site

MAX_RAW_TEXT_CHARS = 50_000
DEMO_LABEL = "[Demo data from the built-in emulator, not a real Wix site.]"
# The demo is kept between commands, but each runs an emulator of its own on a port of its own.
DEMO_LINK_NOTE = "the built-in emulator serves this link only while the program that gave it runs"


class JobResult(OutputModel):
    summary: str = Field(description="Sentences to relay to the user as they are.")
    status: str | None = Field(description="The job's status exactly as Wix reports it.")
    finished: bool = Field(description="True once the job has ended, however it ended.")
    percent_complete: int | None = Field(description="0-100, or null when Wix gives no total.")
    job: dict[str, Any] = Field(description="The job exactly as Wix sent it.")
    download_url: str | None = Field(
        default=None, description="A finished export's file link, when Wix gives one."
    )


@contextmanager
def wix_errors() -> Generator[None]:
    try:
        yield
    except WixApiError as exc:
        raise ToolError(str(exc)) from None


def job_result(
    raw: dict[str, Any],
    *,
    demo: bool,
    site: Site | None = None,
    names: Mapping[str, str] | None = None,
    stopped_here: bool = False,
    schedule: str | None = None,
) -> JobResult:
    """`stopped_here`: this server terminated the job. `schedule`: the sentence about the sync
    schedule that started it, when it was looked up."""
    job, ignored = parse_job(raw)
    summary = summarize_job(
        job,
        now=datetime.now(UTC),
        ignored_fields=ignored,
        site_names=names or {},
        stopped_here=stopped_here,
        schedule=schedule,
    )
    link = download_url(job)
    if demo and link:
        # After the link (no full stop touches it, so it stays whole), or as a sentence.
        note = DEMO_LINK_NOTE
        summary += f" ({note})." if summary.endswith(link) else f" {note[0].upper()}{note[1:]}."
    if site is not None:
        summary = f"On site {site.label()}: {summary}"
    return JobResult(
        summary=demo_summary(summary, demo),
        status=job.status,
        finished=is_finished(job),
        percent_complete=percent_complete(job),
        job=raw,
        download_url=link,
    )


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


def demo_summary(summary: str, demo: bool) -> str:
    """On demo data, the summary under a line of its own that says so (the same for every
    tool, one line or many)."""
    return f"{DEMO_LABEL}\n{summary}" if demo else summary
