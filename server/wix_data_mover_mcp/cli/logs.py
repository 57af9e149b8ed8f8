"""`logs`: why a job's items were rejected, grouped by error code: one page, or with --all every
page in one grouping; or every rejected item, from all pages, to a CSV file that opens safely in
a spreadsheet."""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path
from typing import Any, cast

from mcp import Client

from ..tools.results import demo_summary
from ..wix.models import MovementLog, parse_leniently
from ..words.logs import group_failures, summarize_logs
from .calls import CommandError, Pages, read_pages, say, site, structured
from .output import next_page, print_json, print_result, print_text
from .parser import LOGS_PER_PAGE
from .wording import for_people

# A spreadsheet runs a cell that begins with one of these as a formula (OWASP's CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters (a tab or carriage return is kept, to be caught above), and the direction
# and zero-width marks that make a cell read other than it is.
_UNSEEN = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)


async def show_logs(client: Client, args: argparse.Namespace) -> int:
    arguments = {"job_id": args.job_id, "limit": args.limit} | site(args)
    pages = await read_pages(client, "list_data_movement_job_logs", arguments, args)
    if args.export:
        count = _export(pages, args.export)
        print(f"Wrote {count:,} rejected items to {args.export}.")
        more = str(Path(args.export).with_stem(Path(args.export).stem + "-more"))
        words = ("logs", args.job_id, "--export", more)
        next_page(pages, args, *words, per_page=LOGS_PER_PAGE, kept=f"{args.export} has them")
        return 1 if pages.stopped else 0
    if args.json:
        print_json(pages.read)
    elif len(pages.read) == 1:
        print_result(pages.last, as_json=False, args=args)
    else:  # --all: one grouping of every page read
        print_text(for_people(_summary_of_all(pages, args), say(args)))
    next_page(pages, args, "logs", args.job_id, per_page=LOGS_PER_PAGE)
    return 1 if pages.stopped else 0


def _summary_of_all(pages: Pages, args: argparse.Namespace) -> str:
    raw: list[Any] = [log for page in pages.read for log in structured(page)["logs"]]
    logs = [
        parse_leniently(MovementLog, cast(dict[str, Any], log))[0]
        for log in raw
        if isinstance(log, dict)
    ]
    summary = summarize_logs(args.job_id, logs, group_failures(logs), more=False)
    return demo_summary(summary, args.demo)


def _export(pages: Pages, path: str) -> int:
    rows: list[tuple[str, str, str]] = []
    for page in pages.read:
        for log in structured(page)["logs"]:
            failure = log.get("failure")
            if isinstance(failure, dict):
                details = cast(dict[str, Any], failure)
                cells = (log.get("sourceItemId"), details.get("code"), details.get("description"))
                rows.append(cast(tuple[str, str, str], tuple(safe_cell(cell) for cell in cells)))
    try:
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["item_or_row", "code", "description"])
            writer.writerows(rows)
    except OSError as exc:
        raise CommandError(f"Could not write {path}: {exc.strerror}.") from None
    return len(rows)


def safe_cell(value: object) -> str:
    """Text from Wix as a spreadsheet shows it and never runs it: control, direction and
    invisible characters go (they would act on a terminal that shows the file, or hide what
    follows), and a cell that would begin a formula, after any leading spaces, gets a leading
    apostrophe, which spreadsheets read as "this is text"."""
    text = _UNSEEN.sub("", "" if value is None else str(value))
    return "'" + text if text.lstrip(" \u00a0").startswith(FORMULA_START) else text
