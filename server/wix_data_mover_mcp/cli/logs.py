"""`logs`: why a job's items were rejected, grouped by error code, page by page; or every
rejected item, from all pages, to a CSV file."""

from __future__ import annotations

import argparse
import csv
from typing import Any, cast

from mcp import Client
from mcp.types import CallToolResult

from .calls import PROG, CommandError, read_pages, site, structured
from .output import next_page, print_json, print_result


async def show_logs(client: Client, args: argparse.Namespace) -> int:
    arguments = {"job_id": args.job_id, "limit": args.limit} | site(args)
    pages = await read_pages(client, "list_data_movement_job_logs", arguments, args)
    if args.export:
        count = _export(pages, args.export)
        print(f"Wrote {count:,} rejected items to {args.export}.")
        return 0
    if args.json:
        print_json(pages)
        return 0
    for page in pages:
        print_result(page, as_json=False)
    next_page(pages[-1], f"{PROG} logs {args.job_id}", args)
    return 0


def _export(pages: list[CallToolResult], path: str) -> int:
    rows: list[tuple[str, str, str]] = []
    for page in pages:
        for log in structured(page)["logs"]:
            failure = log.get("failure")
            if isinstance(failure, dict):
                details = cast(dict[str, Any], failure)
                rows.append(
                    (
                        str(log.get("sourceItemId", "")),
                        str(details.get("code", "")),
                        str(details.get("description", "")),
                    )
                )
    try:
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["item_or_row", "code", "description"])
            writer.writerows(rows)
    except OSError as exc:
        raise CommandError(f"Could not write {path}: {exc.strerror}.") from None
    return len(rows)
