"""Calling the server's tools in-process, as the commands do: a tool's error becomes a
CommandError (one line on stderr), and a paged tool can be read page by page."""

from __future__ import annotations

import argparse
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent

TOOL_ERROR_PREFIX = "Error executing tool "
PROG = "wix-data-mover-mcp"


class CommandError(Exception):
    """Ends a command with this one line on stderr."""


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        text = result_text(result)
        if text.startswith(TOOL_ERROR_PREFIX):
            text = text.partition(": ")[2]
        raise CommandError(text)
    return result


def site(args: argparse.Namespace) -> dict[str, Any]:
    return {"site": args.site} if getattr(args, "site", None) else {}


async def read_pages(
    client: Client, tool: str, arguments: dict[str, Any], args: argparse.Namespace
) -> list[CallToolResult]:
    """One page from --cursor (or the start), or with --all (or --export) every page."""
    everything = args.all or getattr(args, "export", None)
    cursor = args.cursor
    pages: list[CallToolResult] = []
    while True:
        page = await call(client, tool, arguments | ({"cursor": cursor} if cursor else {}))
        pages.append(page)
        cursor = structured(page).get("next_cursor")
        if not everything or not cursor:
            return pages


def structured(result: CallToolResult) -> dict[str, Any]:
    return result.structured_content or {}


def result_text(result: CallToolResult) -> str:
    block = result.content[0] if result.content else None
    return block.text if isinstance(block, TextContent) else ""
