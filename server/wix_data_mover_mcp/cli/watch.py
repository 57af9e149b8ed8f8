"""`watch`: follow a job to its end, with a live bar on a terminal and a line per change
otherwise, then the final summary."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from itertools import chain, repeat
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult

from ..tools.jobs import POLL_DELAYS
from ..wix.models import DataMovementJob, Progress, parse_job
from ..words.job import is_finished, percent_complete, progress_phrase
from .calls import PROG, call, site, structured
from .output import print_result

WATCH_TIMED_OUT = 3


async def watch(client: Client, args: argparse.Namespace) -> int:
    """A live bar (percent, counts, rate, time left) on a terminal, a line per change
    otherwise, then the final summary. Exits 0 only if the job completed; 3 if --timeout ran
    out first."""
    import rich.progress as bars
    from rich.console import Console

    console = Console(stderr=True)
    columns = (
        bars.TextColumn("{task.description}"),
        bars.BarColumn(),
        bars.TaskProgressColumn(),
        bars.TextColumn("{task.fields[rate]}"),
        bars.TimeRemainingColumn(),
    )
    first: tuple[float, int] | None = None
    last_line = ""

    def show(job: DataMovementJob) -> None:
        nonlocal first, last_line
        progress = job.progress or Progress()
        if first is None and progress.current is not None:
            first = (time.monotonic(), progress.current)
        line = progress_phrase(job)
        rate = _rate(first, progress.current, bytes_=progress.units == "BYTES")
        bar.update(task, completed=percent_complete(job) or 0, description=line, rate=rate)
        if not console.is_terminal and line != last_line:
            print(f"{line}  {rate}".rstrip(), flush=True)
            last_line = line

    deadline = time.monotonic() + args.timeout if args.timeout else None
    with bars.Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("", total=100, rate="")
        result, job = await _poll_until_finished(
            client, {"job_id": args.job_id} | site(args), show, deadline
        )
    print_result(result, as_json=False, args=args)
    if not is_finished(job):
        print(f"Still running after {args.timeout} s: run '{PROG} watch {args.job_id}' again.")
        return WATCH_TIMED_OUT
    return 0 if job.status == "COMPLETED" else 1


async def _poll_until_finished(
    client: Client,
    arguments: dict[str, Any],
    show: Callable[[DataMovementJob], None],
    deadline: float | None,
) -> tuple[CallToolResult, DataMovementJob]:
    delays = chain(POLL_DELAYS, repeat(POLL_DELAYS[-1]))
    while True:
        result = await call(client, "get_data_movement_job", arguments)
        job, _ = parse_job(structured(result)["job"])
        show(job)
        if is_finished(job):
            return result, job
        delay = next(delays)
        if deadline is not None:
            if time.monotonic() >= deadline:
                return result, job
            delay = min(delay, deadline - time.monotonic())
        await anyio.sleep(delay)


def _rate(first: tuple[float, int] | None, current: int | None, *, bytes_: bool) -> str:
    if first is None or current is None or time.monotonic() - first[0] < 1:
        return ""
    per_second = (current - first[1]) / (time.monotonic() - first[0])
    if bytes_:
        return f"{per_second / 1e6:.1f} MB/s"
    return f"{per_second:,.0f} items/s" if per_second >= 1 else f"{per_second * 60:,.0f} items/min"
