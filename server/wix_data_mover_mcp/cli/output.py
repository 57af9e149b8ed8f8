"""What the commands print. On a terminal, text wraps to its width (never inside a URL, an id
or a duration) and jobs are a table; in a pipe, lines stay whole. Advice written for an
assistant ("call X with this job id") becomes a command to run."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import sys
import textwrap
from datetime import UTC, datetime

from mcp.types import CallToolResult

from ..wix.models import DataMovementJob
from ..words.lists import job_line
from .calls import PROG, result_text, structured

NBSP = "\u00a0"
# Durations and counts keep their words together when text is wrapped.
UNBREAKABLE = re.compile(r"\d[\d,.]* (?:h|min|s|days|KB|MB|GB|TB)\b(?: \d+ (?:min|s)\b)?")


def print_result(
    result: CallToolResult,
    *,
    as_json: bool,
    lines_only: bool = False,
    args: argparse.Namespace | None = None,
) -> None:
    if as_json:
        print_json([result])
        return
    job = getattr(args, "job_id", None) or "ID"
    if site := getattr(args, "site", None):
        job += f" --site {shlex.quote(site)}"
    text = _commands_for_tools(result_text(result), job)
    if lines_only:
        text = "\n".join(line for line in text.splitlines() if line.startswith("- "))
    print_text(text)


def print_json(pages: list[CallToolResult]) -> None:
    """The tool's structured result; with several pages, a list of them."""
    data = [structured(page) for page in pages]
    print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))


def print_text(text: str, *, indent: str = "", subsequent: str = "  ") -> None:
    width = shutil.get_terminal_size((0, 0)).columns if sys.stdout.isatty() else 0
    for line in text.splitlines():
        if width < 20:
            print(indent + line)
            continue
        glued = UNBREAKABLE.sub(lambda match: match.group().replace(" ", NBSP), line)
        wrapped = textwrap.fill(
            glued,
            width - 1,
            initial_indent=indent,
            subsequent_indent=subsequent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        print(wrapped.replace(NBSP, " "))


def _commands_for_tools(text: str, job: str) -> str:
    """Advice written for an assistant ("call X with this job id"), as commands for a person;
    `job` is how the command names the job (its id, and --site when one was given)."""
    return (
        text.replace("call list_data_movement_job_logs with this job id", f"run: {PROG} logs {job}")
        .replace("call wait_for_data_movement_job again", f"run: {PROG} watch {job}")
        .replace("More jobs: call again with the next_cursor.", "")
        .replace("More logs exist: call again with the next_cursor.", "")
        .replace(" Older jobs exist: call again with the next_cursor.", "")
    )


def print_table(jobs: list[DataMovementJob]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(UTC)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("STATUS", "NAME", "ID", "PROGRESS", "WHEN"):
        table.add_column(column, no_wrap=column in ("ID", "STATUS"))
    for job in jobs:
        # job_line: name · id · status [percent] · when, each from Wix and already cleaned.
        name, ident, status, *when = job_line(job, now=now).split(" · ")
        word, _, percent = status.partition(" ")
        colour = {"COMPLETED": "green", "FAILED": "red", "PARTIALLY_SUCCESSFUL": "yellow"}
        table.add_row(
            Text(word, style=colour.get(word, "cyan")),
            Text(name),
            Text(ident),
            Text(percent),
            Text(when[0] if when else ""),
        )
    Console(highlight=False).print(table)


def colour(text: str, colour: str) -> str:
    from rich.console import Console

    console = Console()
    if not console.is_terminal or console.no_color:
        return text
    codes = {"green": "32", "red": "31"}
    return f"\033[{codes[colour]}m{text}\033[0m"


def next_page(page: CallToolResult, command: str, args: argparse.Namespace) -> None:
    cursor = structured(page).get("next_cursor")
    if cursor and not args.all and not args.json:
        print(f"More: {command} --cursor {cursor}   (or --all)")
