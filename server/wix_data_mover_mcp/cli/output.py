"""What the commands print. On a terminal, text wraps to its width (never inside a URL, an id
or a duration) and jobs are a table fitted to it; in a pipe, lines stay whole and a list is one
line per item. Advice written for an assistant ("call X with this job id") becomes a command to
run (wording.py); what is not the answer itself (the next page, where reading stopped) goes to
stderr, so a pipe carries only the answer."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from mcp.types import CallToolResult

from ..wix.models import DataMovementJob
from ..words.lists import job_line
from ..words.units import duration
from .calls import Pages, result_text, say, structured
from .wording import for_people

if TYPE_CHECKING:
    from rich.console import Console

NBSP = "\u00a0"
# Durations and counts keep their words together when text is wrapped.
UNBREAKABLE = re.compile(r"\d[\d,.]* (?:h|min|s|days|KB|MB|GB|TB)\b(?: \d+ (?:min|s)\b)?")
# A command to paste stays on one line, however long.
# (It may begin 'uv run ', 'uvx ' or a path before the name: wording.program.)
QUOTED_COMMAND = re.compile(r"'[^'\n]*wix-data-mover-mcp [^'\n]*'")


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


def print_text(
    text: str, *, indent: str = "", subsequent: str = "  ", file: TextIO | None = None
) -> None:
    """Text wrapped to the terminal, on stdout or `file` (stderr, for what is not the answer)."""
    width = terminal_width()
    for line in text.splitlines():
        if width < 20:
            print(indent + line, file=file)
            continue
        glued = line
        for unbreakable in (UNBREAKABLE, QUOTED_COMMAND):
            glued = unbreakable.sub(lambda match: match.group().replace(" ", NBSP), glued)
        wrapped = textwrap.fill(
            glued,
            width - 1,
            initial_indent=indent,
            subsequent_indent=subsequent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        print(wrapped.replace(NBSP, " "), file=file)


@dataclass(frozen=True)
class Row:
    status: str
    percent: str
    name: str
    ident: str
    verb: str  # "finished" or "submitted", or "" when Wix gave no time
    age: str  # "46 min 25 s ago", "on 2026-11-30 at 05:20 UTC"
    short_age: str  # "46 min ago", "2026-11-30 05:20 UTC"


def table_rows(jobs: list[DataMovementJob], now: datetime) -> list[Row]:
    rows: list[Row] = []
    for job in jobs:
        # job_line: name · id · status [percent] · when, each from Wix and already cleaned.
        moment = job.finished_at or job.started_at
        parts = job_line(job, now=now).rsplit(" · ", 3 if moment is not None else 2)
        name, ident, status = parts[:3]
        word, _, percent = status.partition(" ")
        verb, _, age = parts[3].partition(" ") if moment is not None else ("", "", "")
        short = short_ago(moment, now) if moment is not None else ""
        rows.append(Row(word, percent, name, ident, verb, age, short))
    return rows


def short_ago(moment: datetime, now: datetime) -> str:
    """When, in few characters: '40 s ago', '46 min ago', '5 h 17 min ago', and past a day
    the time itself, '2026-11-30 05:20 UTC'."""
    seconds = (now - moment).total_seconds()
    if seconds < 1:
        return "just now"
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 86_400:
        return f"{duration(seconds // 60 * 60)} ago"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


GAP = 2  # spaces between two columns
NAME_MIN = 16  # below this, a name wraps over too many lines to read


@dataclass(frozen=True)
class Layout:
    progress: bool  # a PROGRESS column; without it the percent joins the status
    verb: bool  # WHEN as "finished 46 min 25 s ago"; without it, "46 min ago"
    name_below: bool  # the name on a line of its own under its job's status, id and time


# The table's shapes, widest first. The id and the time are always there, whole: the id to act
# on a job, the time to tell which run it was; the name gives way last, to a line of its own.
LAYOUTS = [
    Layout(progress=True, verb=True, name_below=False),
    Layout(progress=False, verb=True, name_below=False),
    Layout(progress=False, verb=False, name_below=False),
    Layout(progress=False, verb=False, name_below=True),
]


def print_table(jobs: list[DataMovementJob], *, width: int, now: datetime | None = None) -> None:
    """Jobs as a table fitted to `width`: the least useful part gives way first (progress
    joins the status, then the time loses its verb and its seconds, then the name moves to a
    line of its own under its job), and a name wraps rather than being cut. Too narrow even
    for the status, the id and the time: one line per job."""
    now = now or datetime.now(UTC)
    rows = table_rows(jobs, now)
    longest_name = max(len(row.name) for row in rows)
    layout = next(
        (
            layout
            for name in (longest_name, NAME_MIN)  # each name whole on one line, or wrapped
            for layout in LAYOUTS
            if _fits(layout, rows, width, name=name)
        ),
        None,
    )
    if layout is None:
        for job in jobs:
            print_text(f"- {job_line(job, now=now)}")
        return
    if layout.name_below:
        _print_names_below(rows, width)
        return
    from rich.table import Table
    from rich.text import Text

    columns = _columns(rows, layout)
    table = Table(box=None, pad_edge=False, header_style="bold")  # columns 2 spaces apart
    table.add_column("STATUS", no_wrap=True, min_width=columns["status"])
    table.add_column("NAME", overflow="fold", min_width=min(longest_name, NAME_MIN))
    table.add_column("ID", no_wrap=True, min_width=columns["ident"])
    if layout.progress:
        table.add_column("PROGRESS", no_wrap=True, min_width=columns["progress"])
    table.add_column("WHEN", no_wrap=True, min_width=columns["when"])
    for row in rows:
        style = STATUS_COLOURS.get(row.status, "cyan")
        cells = [Text(_status(row, layout), style=style), Text(row.name), Text(row.ident)]
        cells += [Text(row.percent)] if layout.progress else []
        cells += [Text(_when(row, layout))]
        table.add_row(*cells)
    console(width=width).print(table)


STATUS_COLOURS = {"COMPLETED": "green", "FAILED": "red", "PARTIALLY_SUCCESSFUL": "yellow"}


def _print_names_below(rows: list[Row], width: int) -> None:
    """STATUS, ID and WHEN on one line, the job's name wrapped under it."""
    layout = LAYOUTS[-1]
    columns = _columns(rows, layout)
    status, ident = columns["status"], columns["ident"]
    gap = " " * GAP
    header = f"{'STATUS':<{status}}{gap}{'ID':<{ident}}{gap}WHEN"
    print(styled(header, "bold"))
    for row in rows:
        shown = _status(row, layout)
        padding = " " * (status - len(shown))
        tint = STATUS_COLOURS.get(row.status, "cyan")
        print(f"{styled(shown, tint)}{padding}{gap}{row.ident:<{ident}}{gap}{_when(row, layout)}")
        print(textwrap.fill(row.name, width - 1, initial_indent="  ", subsequent_indent="  "))


def _fits(layout: Layout, rows: list[Row], width: int, *, name: int) -> bool:
    """Whether the layout's columns, with a name column `name` wide, fit in `width`; a
    layout with the name below is tried only once names do not fit beside at any width."""
    if layout.name_below and name != NAME_MIN:
        return False
    columns = _columns(rows, layout)
    beside = 0 if layout.name_below else name + GAP
    return sum(columns.values()) + GAP * (len(columns) - 1) + beside <= width


def _status(row: Row, layout: Layout) -> str:
    return row.status if layout.progress else f"{row.status} {row.percent}".rstrip()


def _when(row: Row, layout: Layout) -> str:
    """'finished 46 min 28 s ago', or without the verb (the status tells it) '46 min ago'."""
    return f"{row.verb} {row.age}".strip() if layout.verb else row.short_age


def _columns(rows: list[Row], layout: Layout) -> dict[str, int]:
    """The width of each column but the name's, header included."""

    def widest(header: str, cells: list[str]) -> int:
        return max([len(header), *(len(cell) for cell in cells)])

    columns = {
        "status": widest("STATUS", [_status(row, layout) for row in rows]),
        "ident": widest("ID", [row.ident for row in rows]),
    }
    if layout.progress:
        columns["progress"] = widest("PROGRESS", [row.percent for row in rows])
    columns["when"] = widest("WHEN", [_when(row, layout) for row in rows])
    return columns


def colour_off() -> bool:
    """NO_COLOR (no-color.org) is set: no escape codes at all, not even bold."""
    return os.environ.get("NO_COLOR", "") != ""


def console(*, stderr: bool = False, width: int | None = None) -> Console:
    """A rich console for people: escape codes only on a terminal, and never with NO_COLOR."""
    from rich.console import Console

    system = None if colour_off() else "auto"
    return Console(stderr=stderr, width=width, highlight=False, color_system=system)


ESCAPES = {"bold": "1", "green": "32", "red": "31", "yellow": "33", "cyan": "36"}


def styled(text: str, style: str, *, stderr: bool = False) -> str:
    """Text in bold or a colour, on a terminal without NO_COLOR; as it is anywhere else."""
    if console(stderr=stderr).color_system is None:
        return text
    return f"\033[{ESCAPES[style]}m{text}\033[0m"


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
        print_text(
            f"Stopped after {read} page{'s' if read != 1 else ''}: {pages.stopped} "
            f"{kept}; to go on from there, run {again}.",
            file=sys.stderr,
        )
        return
    cursor = structured(pages.last).get("next_cursor")
    if cursor and not args.all and not args.json:
        command = say(args).command(*words, *limit, "--cursor", cursor)
        print_text(f"More: {command} (or add --all for every page).", file=sys.stderr)
