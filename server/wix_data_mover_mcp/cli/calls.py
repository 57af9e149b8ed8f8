"""Calling the server's tools in-process, as the commands do: a tool's error becomes a
CommandError (one line on stderr, in the command line's own words), and a paged tool can be read
page by page, keeping what was read when a later page cannot be had."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent

from .wording import PROG, Say, for_people, is_about_usage

__all__ = ["PROG", "CommandError", "Pages", "UsageError", "call", "read_pages", "say", "site"]

TOOL_ERROR_PREFIX = "Error executing tool "
FAILED = 1
NOTHING_DONE = 1  # the person said no when asked (retry, setup --write): nothing was changed
BAD_USAGE = 2  # a flag, an argument or a setting the person gave cannot work


class CommandError(Exception):
    """Ends a command with this one line on stderr, and its exit code."""

    code = FAILED


class UsageError(CommandError):
    """What the person gave (a flag, an argument, a setting) cannot work."""

    code = BAD_USAGE


def say(args: argparse.Namespace) -> Say:
    """How suggestions name commands in this run: with its --site and --demo."""
    return Say(
        demo=bool(getattr(args, "demo", False)),
        site=getattr(args, "site", None),
        job=getattr(args, "job_id", None) or "ID",
        skip_existing=bool(getattr(args, "skip_existing", False)),
    )


async def call(
    client: Client, tool: str, arguments: dict[str, Any], args: argparse.Namespace
) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        text = result_text(result)
        if text.startswith(TOOL_ERROR_PREFIX):
            text = text.partition(": ")[2]
        error = UsageError if is_about_usage(text) else CommandError
        raise error(for_people(text, say(args)))
    return result


def site(args: argparse.Namespace) -> dict[str, Any]:
    return {"site": args.site} if getattr(args, "site", None) else {}


@dataclass
class Pages:
    """The pages read, and (when reading stopped before the end) why and where to go on."""

    read: list[CallToolResult] = field(default_factory=list[CallToolResult])
    stopped: str | None = None  # the reason, in the command line's words
    resume: str | None = None  # the cursor of the first page not read

    @property
    def last(self) -> CallToolResult:
        return self.read[-1]


async def read_pages(
    client: Client, tool: str, arguments: dict[str, Any], args: argparse.Namespace
) -> Pages:
    """One page from --cursor (or the start), or with --all (or --export) every page. When a
    later page fails (Wix's rate budget used up, Wix down), the pages read so far are kept."""
    everything = args.all or getattr(args, "export", None)
    cursor = args.cursor
    pages = Pages()
    while True:
        try:
            at = {"cursor": cursor} if cursor else {}
            page = await call(client, tool, arguments | at, args)
        except CommandError as exc:
            if not pages.read:
                raise
            pages.stopped, pages.resume = str(exc), cursor
            return pages
        pages.read.append(page)
        cursor = structured(page).get("next_cursor")
        if not everything or not cursor:
            return pages


def structured(result: CallToolResult) -> dict[str, Any]:
    return result.structured_content or {}


def result_text(result: CallToolResult) -> str:
    block = result.content[0] if result.content else None
    return block.text if isinstance(block, TextContent) else ""
