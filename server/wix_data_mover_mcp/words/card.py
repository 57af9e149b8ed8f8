"""The job card's facts: what the card (tools/card.py, an MCP App) shows for a job, every
figure taken from the job and its logs, in words the summary would use. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..text import clean
from ..wix.models import DataMovementJob
from .counts import counts_phrase
from .job import (
    download_url,
    is_finished,
    percent_complete,
    timing_sentences,
    was_stopped,
)
from .logs import FailureGroup
from .route import route

MAX_CODES = 8
STATUS_LABELS = {
    "UNINITIALIZED": ("Not started yet", "busy"),
    "INITIALIZING": ("Initializing", "busy"),
    "IN_PROGRESS": ("In progress", "busy"),
    "COMPLETED": ("Completed", "ok"),
    "FAILED": ("Failed", "bad"),
    "PARTIALLY_SUCCESSFUL": ("Partly successful", "warn"),
}


def job_card(
    job: DataMovementJob,
    *,
    now: datetime,
    site_label: str | None = None,
    site_names: dict[str, str] | None = None,
    groups: list[FailureGroup] | None = None,
    more_logs: bool = False,
    refresh: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the card shows, every figure taken from the job (and its logs, when read)."""
    label, tone = STATUS_LABELS.get(job.status or "", ("Unknown status", "busy"))
    if was_stopped(job):  # Wix's error says it was terminated
        label = "Stopped on request"
    progress = job.progress
    in_bytes = progress is not None and progress.units == "BYTES"
    card: dict[str, Any] = {
        "name": clean(job.name or "", 200) or "(no name)",
        "jobId": clean(job.id or "", 80),
        "site": clean(site_label or "", 200) or None,
        "status": clean(job.status or "", 40) or None,
        "label": label,
        "tone": tone,
        "finished": is_finished(job),
        "percent": percent_complete(job),
        "moved": progress.moved if progress else None,
        "rejected": progress.items_rejected if progress else None,
        "total": None if in_bytes or progress is None else progress.total,
        "counts": counts_phrase(job),
        "timing": timing_sentences(job, now),
        "route": route(job, site_names),
        "download": download_url(job),
        "rejectedByCode": None,
        "refresh": refresh,
    }
    if groups is not None:
        card["rejectedByCode"] = [
            {"code": clean(group.code, 60), "count": group.count} for group in groups[:MAX_CODES]
        ]
        hidden = len(groups) - MAX_CODES
        notes: list[str] = []
        if hidden > 0:
            notes.append(f"{hidden} more codes not shown")
        if more_logs:
            notes.append("counted from the first page of movement logs; more logs exist")
        card["rejectedNote"] = "; ".join(notes) or None
    return card
