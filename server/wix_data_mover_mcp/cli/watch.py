"""`watch`: follow a job to its end, with a live bar on a terminal and a line per change
otherwise, then the final summary."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult

from ..tools.jobs import POLL_DELAYS
from ..wix.models import DataMovementJob, Progress, parse_job
from ..words.job import is_finished, percent_complete, progress_phrase
from ..words.units import duration
from .calls import call, say, site, structured
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
        bars.TextColumn("{task.fields[left]}"),
    )
    pace = Pace()
    last_line = ""

    def show(job: DataMovementJob) -> None:
        nonlocal last_line
        progress = job.progress or Progress()
        pace.see(progress.current)
        line = progress_phrase(job)
        rate = pace.rate(progress.current, bytes_=progress.units == "BYTES")
        left = "" if is_finished(job) else pace.left(progress.current, progress.total)
        done = percent_complete(job) or 0
        bar.update(task, completed=done, description=line, rate=rate, left=left)
        if not console.is_terminal and line != last_line:
            print("  ".join(part for part in (line, rate, left) if part), flush=True)
            last_line = line

    deadline = time.monotonic() + args.timeout if args.timeout else None
    with bars.Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("", total=100, rate="", left="")
        result, job = await _poll_until_finished(
            client, args, {"job_id": args.job_id} | site(args), show, deadline
        )
    print_result(result, as_json=False, args=args)
    if not is_finished(job):
        again = say(args).command("watch", args.job_id)
        print(f"Still running after {args.timeout} s: run '{again}' again.")
        return WATCH_TIMED_OUT
    return 0 if job.status == "COMPLETED" else 1


async def _poll_until_finished(
    client: Client,
    args: argparse.Namespace,
    arguments: dict[str, Any],
    show: Callable[[DataMovementJob], None],
    deadline: float | None,
) -> tuple[CallToolResult, DataMovementJob]:
    delays = chain(POLL_DELAYS, repeat(POLL_DELAYS[-1]))
    while True:
        result = await call(client, "get_data_movement_job", arguments, args)
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


@dataclass
class Pace:
    """How fast a job moves as watched from here, from the first count seen: its rate, and the
    time left at that rate. `clock` gives seconds (monotonic)."""

    clock: Callable[[], float] = time.monotonic
    first: tuple[float, int] | None = None

    def see(self, current: int | None) -> None:
        if self.first is None and current is not None:
            self.first = (self.clock(), current)

    def _per_second(self, current: int | None) -> float | None:
        if self.first is None or current is None:
            return None
        seconds = self.clock() - self.first[0]
        return (current - self.first[1]) / seconds if seconds >= 1 else None

    def rate(self, current: int | None, *, bytes_: bool) -> str:
        per_second = self._per_second(current)
        if per_second is None:
            return ""
        if bytes_:
            return f"{per_second / 1e6:.1f} MB/s"
        if per_second >= 1:
            return f"{per_second:,.0f} items/s"
        return f"{per_second * 60:,.0f} items/min"

    def left(self, current: int | None, total: int | None) -> str:
        """'about 4 min 10 s left' once the job has moved while watched; '' before."""
        per_second = self._per_second(current)
        if not per_second or per_second <= 0 or current is None or not total:
            return ""
        return f"about {duration(max(0, total - current) / per_second)} left"
