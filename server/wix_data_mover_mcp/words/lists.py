"""Jobs in lists: one compact line per job, a page of them, and the jobs found across the
sites of an account. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..text import clean, quote, shown_id
from ..wix.models import STATUS_SHAPE, DataMovementJob, parse_job
from .job import is_finished, percent_complete
from .units import ago, count, duration, plural

SHOWN_NOT_ASKED = 8

if TYPE_CHECKING:
    from ..wix.finder import SiteJobs


def job_line(job: DataMovementJob, *, now: datetime) -> str:
    """One compact line for a list of jobs: name, id, status, percent, when."""
    percent = percent_complete(job)
    parts = [
        quote(job.name, 60) if job.name else "(no name)",
        shown_id(job.id),
        f"{_status(job)} {percent}%"
        if percent is not None and not is_finished(job)
        else _status(job),
    ]
    if job.finished_at is not None:
        parts.append(f"finished {ago(job.finished_at, now)}")
    elif job.started_at is not None:
        parts.append(f"submitted {ago(job.started_at, now)}")
    return " · ".join(parts)


def _status(job: DataMovementJob) -> str:
    if not job.status:
        return "UNKNOWN STATUS"
    return job.status if STATUS_SHAPE.fullmatch(job.status) else quote(job.status, 40)


def summarize_job_list(
    lines: Sequence[str],
    *,
    scanned: int,
    more: bool,
    searched_name: str | None,
    statuses: Sequence[str] = (),
) -> str:
    if not lines:
        where = f" whose name contains {quote(searched_name, 60)}" if searched_name else ""
        if statuses:
            where += f" with status {' or '.join(statuses)}"
        if not scanned:
            return f"No jobs{where} on this site." if where else "This site has no jobs yet."
        found = f"No jobs{where} among the {plural(scanned, 'most recent job')}."
        return found + (" Older jobs exist: call again with the next_cursor." if more else "")
    text = "\n".join(f"- {line}" for line in lines)
    if more:
        text += "\nMore jobs: call again with the next_cursor."
    return text


def summarize_across_sites(
    found: Sequence[SiteJobs], *, statuses: Sequence[str], since: str | None
) -> str:
    """'2 of 4 sites had FAILED jobs in the last 7d:' then each such site with a line per job,
    then the sites that could not be read, each with why."""
    now = datetime.now(UTC)
    readable = [entry for entry in found if entry.error is None]
    with_jobs = [entry for entry in readable if entry.jobs]
    kind = f"{' or '.join(statuses)} jobs" if statuses else "jobs"
    window = f" submitted in the last {clean(since, 10)}" if since else ""
    lines = [f"{len(with_jobs)} of {plural(len(readable), 'site')} had {kind}{window}."]
    for entry in with_jobs:
        lines.append(f"{entry.site.label()}: {plural(len(entry.jobs), 'job')}")
        lines += [f"- {job_line(parse_job(raw)[0], now=now)}" for raw in entry.jobs]
    unreadable = [entry for entry in found if entry.error is not None and entry.asked]
    if unreadable:
        lines.append(f"{plural(len(unreadable), 'site')} could not be read:")
        for entry in unreadable:
            status = entry.error.status if entry.error else None
            lines.append(
                f"- {entry.site.label()}{f' ({status})' if status else ''}: {_why(status)}"
            )
    return "\n".join(lines + _not_asked(found))


def _why(status: int | None) -> str:
    if status == 403:
        return "the key does not cover it"
    return f"Wix answered {status}" if status else "Wix did not answer"


def _not_asked(found: Sequence[SiteJobs]) -> list[str]:
    """The sites this server did not ask about, its own rate budget being used up first."""
    skipped = [entry for entry in found if not entry.asked]
    if not skipped:
        return []
    wait = max(entry.retry_in or 0 for entry in skipped)
    shown = ", ".join(entry.site.label() for entry in skipped[:SHOWN_NOT_ASKED])
    more = len(skipped) - SHOWN_NOT_ASKED
    were = "site was" if len(skipped) == 1 else "sites were"
    return [
        f"{count(len(skipped))} {were} not asked: this server's own rate budget for the key "
        "(WIX_RATE_LIMIT_PER_MINUTE) was used up before their turn, so no request about them "
        f"was sent. Ask again in about {duration(max(1.0, wait))} (a search reads every site "
        f"again): {shown}{f' and {more} more' if more > 0 else ''}."
    ]
