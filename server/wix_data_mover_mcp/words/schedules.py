"""Scheduled data syncs in words: cadence, last and next run. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..text import clean, quote
from ..wix.models import parse_job
from .lists import job_line

DAYS = ["Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"]


def cadence(cron: str | None) -> str:
    """'daily at 02:00 UTC' for the common shapes; the cron expression itself otherwise."""
    if not cron:
        return "on no schedule Wix gave"
    fields = cron.split()
    if len(fields) == 5 and fields[0].isdigit():
        minute, hour, day, month, weekday = fields
        if hour.isdigit() and day == month == "*":
            at = f"at {int(hour):02}:{int(minute):02} UTC"
            if weekday == "*":
                return f"daily {at}"
            if weekday.isdigit() and int(weekday) < 7:
                return f"{DAYS[int(weekday)]} {at}"
        if hour == day == month == weekday == "*":
            return f"hourly at minute {int(minute)}"
    return f"on the cron schedule {quote(clean(cron, 60), 60)} (UTC)"


def when(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def schedule_lines(
    schedule: dict[str, Any], last_job: dict[str, Any] | None, *, now: datetime
) -> list[str]:
    name = schedule.get("name")
    label = quote(name, 80) if isinstance(name, str) and name else "(no name)"
    enabled = schedule.get("enabled") is not False
    ident = clean(schedule.get("id", "?"), 60)
    head = f"- {label} · {ident} · runs {cadence(schedule.get('cronExpression'))}"
    if not enabled:
        head += " · turned off"
    lines = [head]
    last, upcoming = (
        when(schedule.get("lastExecutionDate")),
        when(schedule.get("nextExecutionDate")),
    )
    parts = [f"last run {last}" if last else "no run yet"]
    if enabled and upcoming:
        parts.append(f"next run {upcoming}")
    lines.append("  " + "; ".join(parts) + ".")
    if last_job is not None:
        lines.append(f"  Its latest job: {job_line(parse_job(last_job)[0], now=now)}")
    return lines


def schedule_sentence(schedule: dict[str, Any]) -> str:
    """For a job's summary: which schedule started it, and when it runs next."""
    name = schedule.get("name")
    label = quote(name, 80) if isinstance(name, str) and name else "a sync schedule"
    upcoming = when(schedule.get("nextExecutionDate"))
    runs = cadence(schedule.get("cronExpression"))
    sentence = f"It is a run of the sync schedule {label}, which runs {runs}"
    if schedule.get("enabled") is False:
        return sentence + "; the schedule is turned off."
    return sentence + (f"; next run {upcoming}." if upcoming else ".")
