"""What a job's own counters say: items moved (or exported), rejected, neither, and created
or updated; and, when Wix's counts do not add up, that, with the counts as Wix gave them.
Pure: no I/O."""

from __future__ import annotations

from ..wix.models import FINISHED_STATUSES, DataMovementJob, Progress
from .units import count, plural


def exports(job: DataMovementJob) -> bool:
    return job.destination is not None and job.destination.file is not None


def verb(job: DataMovementJob) -> str:
    """What happened to an item that made it, in the destination's terms."""
    return "exported to the file" if exports(job) else "moved"


def mismatch(progress: Progress) -> str:
    """Wix's counts as Wix gave them, when they do not add up; '' when they do."""
    moved, rejected = progress.moved, progress.items_rejected
    total = progress.total if progress.units != "BYTES" else None
    if total is not None and total >= 0 and (moved or 0) + (rejected or 0) > total:
        parts = [f"{count(moved)} moved" if moved is not None else ""]
        parts.append(f"{count(rejected)} rejected" if rejected is not None else "")
        said = " and ".join(part for part in parts if part)
        return f"Wix's counts do not add up: {said}, of {plural(total, 'item')} in all"
    kinds = _kinds(progress)
    if moved is not None and sum(value for value, _ in kinds) > moved:
        detail = ", ".join(f"{count(value)} {label}" for value, label in kinds)
        return f"Wix's counts do not add up: {plural(moved, 'item')} moved, but {detail}"
    return ""


def _kinds(progress: Progress) -> list[tuple[int, str]]:
    """The moved items Wix counts by kind (created, updated, partly moved), those it gives."""
    info = progress.items_successful_info
    if info is None:
        return []
    given = [
        (info.items_created, "created"),
        (info.items_updated, "updated"),
        (info.items_partially_successful, "partly moved"),
    ]
    return [(value, label) for value, label in given if value]


def item_counts(job: DataMovementJob) -> str:
    """'60 of 100 items moved, 5 rejected and 35 neither moved nor rejected'; only what the
    job's own counters give, and when they do not add up, that."""
    progress = job.progress
    if progress is None:
        return ""
    if unequal := mismatch(progress):
        return unequal
    moved, rejected = progress.moved, progress.items_rejected
    total = progress.total if progress.units != "BYTES" else None
    parts: list[str] = []
    if moved is not None:
        if total is not None and job.status in FINISHED_STATUSES:
            words = f"{count(moved)} of {plural(total, 'item')} {verb(job)}"
        else:
            words = f"{plural(moved, 'item')} {verb(job)}"
        if not exports(job):
            words += _success_breakdown(progress)
        parts.append(words)
    if rejected:
        parts.append(f"{count(rejected)} rejected")
    if (
        total is not None
        and moved is not None
        and rejected is not None
        and job.status in FINISHED_STATUSES
        and (rest := total - moved - rejected) > 0
    ):
        parts.append(f"{count(rest)} neither {verb(job).split()[0]} nor rejected")
    if len(parts) > 2:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return ", ".join(parts)


def _success_breakdown(progress: Progress) -> str:
    detail = [f"{count(value)} {label}" for value, label in _kinds(progress)]
    return f" ({', '.join(detail)})" if detail else ""


def capital(text: str) -> str:
    return text[0].upper() + text[1:]


def counts_phrase(job: DataMovementJob) -> str:
    """The item counts the job's own counters give, as a sentence, or ''."""
    counts = item_counts(job)
    return capital(counts) + "." if counts else ""
