"""What the commands print. On a terminal, text wraps to its width (never inside a URL, an id
or a duration) and jobs are a table fitted to it; in a pipe, lines stay whole and a list is one
line per item. Advice written for an assistant ("call X with this job id") becomes a command to
run (wording.py); what is not the answer itself (the next page, where reading stopped) goes to
stderr, so a pipe carries only the answer."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime

from mcp.types import CallToolResult

from ..wix.models import DataMovementJob
from ..words.lists import job_line
from .calls import Pages, result_text, say, structured
from .wording import for_people

NBSP = "\u00a0"
# Durations and counts keep their words together when text is wrapped.
UNBREAKABLE = re.compile(r"\d[\d,.]* (?:h|min|s|days|KB|MB|GB|TB)\b(?: \d+ (?:min|s)\b)?")


def print_result(
    result: CallToolResult, *, as_json: bool, args: argparse.Namespace | None = None
) -> None:
    if as_json:
        print_json([result])
        return
    # The tool's text, its advice turned into commands as this run would run them.
    words = say(args if args is not None else argparse.Namespace())
    print_text(for_people(result_text(result), words).rstrip())


def print_json(pages: list[CallToolResult]) -> None:
    """The tool's structured result; with several pages, a list of them."""
    data = [structured(page) for page in pages]
    print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))


def terminal_width() -> int:
    """The terminal's width, or 0 in a pipe (lines then stay whole)."""
    return shutil.get_terminal_size((0, 0)).columns if sys.stdout.isatty() else 0


def print_text(text: str, *, indent: str = "", subsequent: str = "  ") -> None:
    width = terminal_width()
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


@dataclass(frozen=True)
class Row:
    status: str
    percent: str
    name: str
    ident: str
    verb: str  # "finished" or "submitted", or "" when Wix gave no time
    age: str


def table_rows(jobs: list[DataMovementJob], now: datetime) -> list[Row]:
    rows: list[Row] = []
    for job in jobs:
        # job_line: name · id · status [percent] · when, each from Wix and already cleaned.
        dated = job.finished_at is not None or job.started_at is not None
        parts = job_line(job, now=now).rsplit(" · ", 3 if dated else 2)
        name, ident, status = parts[:3]
        word, _, percent = status.partition(" ")
        verb, _, age = parts[3].partition(" ") if dated else ("", "", "")
        rows.append(Row(word, percent, name, ident, verb, age))
    return rows


GAP = 2  # spaces between two columns
NAME_MIN = 16  # below this, a name wraps over too many lines to read


# The table's shapes, widest first: (a PROGRESS column, a WHEN column, WHEN with its verb).
LAYOUTS = [(True, True, True), (False, True, True), (False, True, False), (False, False, False)]


def print_table(jobs: list[DataMovementJob], *, width: int) -> None:
    """Jobs as a table fitted to `width`: the least useful column gives way first (progress
    joins the status, then the time loses its verb, then the time goes), and a name wraps
    rather than being cut. Too narrow for the id and the status: one line per job."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(UTC)
    rows = table_rows(jobs, now)
    longest_name = max(len(row.name) for row in rows)
    layout = _layout(rows, width, name=longest_name) or _layout(rows, width, name=NAME_MIN)
    if layout is None:
        for job in jobs:
            print_text(f"- {job_line(job, now=now)}")
        return
    progress, when, verb = layout
    columns = _columns(rows, progress=progress, when=when, verb=verb)

    colour = {"COMPLETED": "green", "FAILED": "red", "PARTIALLY_SUCCESSFUL": "yellow"}
    table = Table(box=None, pad_edge=False, header_style="bold")  # columns 2 spaces apart
    table.add_column("STATUS", no_wrap=True, min_width=columns["status"])
    table.add_column("NAME", overflow="fold", min_width=min(longest_name, NAME_MIN))
    table.add_column("ID", no_wrap=True, min_width=columns["ident"])
    if progress:
        table.add_column("PROGRESS", no_wrap=True, min_width=columns["progress"])
    if when:
        table.add_column("WHEN", no_wrap=True, min_width=columns["when"])
    for row in rows:
        style = colour.get(row.status, "cyan")
        cells = [Text(_status(row, progress), style=style), Text(row.name), Text(row.ident)]
        cells += [Text(row.percent)] if progress else []
        cells += [Text(_when(row, verb))] if when else []
        table.add_row(*cells)
    Console(highlight=False, width=width).print(table)


def _layout(rows: list[Row], width: int, *, name: int) -> tuple[bool, bool, bool] | None:
    """The widest layout whose columns, with a name column `name` wide, fit in `width`."""
    for progress, when, verb in LAYOUTS:
        columns = _columns(rows, progress=progress, when=when, verb=verb)
        if sum(columns.values()) + GAP * len(columns) + name <= width:
            return progress, when, verb
    return None


def _status(row: Row, progress_column: bool) -> str:
    return row.status if progress_column else f"{row.status} {row.percent}".rstrip()


def _when(row: Row, verb: bool) -> str:
    """'finished 46 min 28 s ago'; without the verb (the status tells it) '46 min 28 s ago',
    and a day long past as '2026-11-30 03:51 UTC'."""
    if verb:
        return f"{row.verb} {row.age}".strip()
    return row.age.removeprefix("on ").replace(" at ", " ")


def _columns(rows: list[Row], *, progress: bool, when: bool, verb: bool) -> dict[str, int]:
    """The width of each column but the name's, header included."""

    def widest(header: str, cells: list[str]) -> int:
        return max([len(header), *(len(cell) for cell in cells)])

    columns = {
        "status": widest("STATUS", [_status(row, progress) for row in rows]),
        "ident": widest("ID", [row.ident for row in rows]),
    }
    if progress:
        columns["progress"] = widest("PROGRESS", [row.percent for row in rows])
    if when:
        columns["when"] = widest("WHEN", [_when(row, verb) for row in rows])
    return columns


def colour(text: str, colour: str) -> str:
    from rich.console import Console

    console = Console()
    if not console.is_terminal or console.no_color:
        return text
    codes = {"green": "32", "red": "31", "yellow": "33"}
    return f"\033[{codes[colour]}m{text}\033[0m"


def next_page(
    pages: Pages,
    args: argparse.Namespace,
    *words: str,
    per_page: int,
    kept: str = "What was read is above",
) -> None:
    """On stderr: where reading stopped (and the command that goes on from there), or the
    command for the next page. `words` name the command; `per_page` is its default --limit."""
    limit = ["--limit", str(args.limit)] if args.limit != per_page else []
    if pages.stopped:
        read = len(pages.read)
        again = say(args).command(*words, *limit, "--cursor", pages.resume or "")
        print(
            f"Stopped after {read} page{'s' if read != 1 else ''}: {pages.stopped} "
            f"{kept}; to go on from there, run: {again}",
            file=sys.stderr,
        )
        return
    cursor = structured(pages.last).get("next_cursor")
    if cursor and not args.all and not args.json:
        command = say(args).command(*words, *limit, "--cursor", cursor)
        print(f"More: {command}   (or --all)", file=sys.stderr)
