"""`watch`: follow a job to its end, with a live bar on a terminal and a line per change
otherwise, then the final summary."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, repeat
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult

from ..tools.jobs import POLL_DELAYS
from ..wix.models import DataMovementJob, Progress, parse_job
from ..words.job import is_finished, percent_complete, progress_phrase, time_left
from ..words.units import duration
from .calls import call, say, site, structured
from .output import console as stderr_console
from .output import print_result, print_text

WATCH_TIMED_OUT = 3


async def watch(client: Client, args: argparse.Namespace) -> int:
    """A live bar (percent, counts, rate as watched, time left as the summary estimates it) on
    a terminal, a line per change otherwise, then the final summary. Exits 0 only if the job
    completed; 3 if --timeout ran out first."""
    import rich.progress as bars

    console = stderr_console(stderr=True)
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
        line, rate, left = live_line(job, pace, datetime.now(UTC))
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
        print_text(f"Still running after {args.timeout} s: run {again} again.")
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


def live_line(job: DataMovementJob, pace: Pace, now: datetime) -> tuple[str, str, str]:
    """What the bar (or a line in a pipe) shows: the progress, the rate as watched, and the
    time left as the job's summary estimates it, so one estimate is shown, whichever line
    says it ('about 11 min 17 s left'; '' while it is too early to tell)."""
    progress = job.progress or Progress()
    pace.see(progress.current)
    rate = pace.rate(progress.current, bytes_=progress.units == "BYTES")
    seconds = None if is_finished(job) else time_left(job, now)
    left = f"about {duration(seconds)} left" if seconds is not None else ""
    return progress_phrase(job), rate, left


@dataclass
class Pace:
    """How fast a job moves as watched from here, from the first count seen. `clock` gives
    seconds (monotonic)."""

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
        if per_second >= 2:  # "1 items/s" would read wrong: 60 items/min
            return f"{per_second:,.0f} items/s"
        return f"{per_second * 60:,.0f} items/min"
