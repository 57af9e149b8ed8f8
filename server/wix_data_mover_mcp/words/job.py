"""One job in words an assistant can relay as they are: its status, progress, counts and
timing, and for a failure what the error means and what to try. Pure functions of the job and
the current time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..text import clean, plain_url, quote, shown_code
from ..wix.models import FINISHED_STATUSES, DataMovementJob, Progress, Source
from .route import route
from .units import ago, count, duration, plural, size

ERROR_CODES = {
    "WDH0000": (
        "an unknown error",
        "Submit the job again; if it fails the same way, contact Wix support with the job id.",
    ),
    "WDH0001": (
        "a validation error while the job was being initialized",
        "Check that the source and destination exist (collection ids, file id) and that the "
        "fields match, then submit the job again.",
    ),
    "WDH0002": (
        "an internal error while calling another Wix API",
        "This is usually temporary: submit the job again in a few minutes.",
    ),
    "WDH0003": (
        "invalid data: the file is corrupt or in an unsupported format",
        "Check that {source}, then upload it and submit the job again.",
    ),
    "WDE0110": (
        "the site's code editor is not enabled",
        "Enable the code editor (Dev Mode) in the site's editor, then submit the job again.",
    ),
}

SOURCE_CHECKS = {
    "CSV": "the file is UTF-8 CSV with a header row",
    "JSONL": "the file is UTF-8 JSONL, one JSON object per line",
}


def is_finished(job: DataMovementJob) -> bool:
    return job.status in FINISHED_STATUSES


def percent_complete(job: DataMovementJob) -> int | None:
    if job.status == "COMPLETED":
        return 100
    progress = job.progress
    if progress is None or progress.current is None or not progress.total:
        return None
    if progress.total < 0 or progress.current < 0:
        return None
    return min(100, progress.current * 100 // progress.total)


def summarize_job(
    job: DataMovementJob,
    *,
    now: datetime,
    ignored_fields: Sequence[str] = (),
    site_names: Mapping[str, str] | None = None,
) -> str:
    sentences = [f"{_label(job)} {_status_sentence(job, now, site_names or {})}"]
    sentences += _status_details(job, now)
    if ignored_fields:
        shown = ", ".join(ignored_fields[:5]) + (" and more" if len(ignored_fields) > 5 else "")
        sentences.append(f"Some fields were malformed and left out of this summary: {shown}.")
    return " ".join(sentences)


def _label(job: DataMovementJob) -> str:
    ident = clean(job.id, 60) if job.id else "(no id)"
    return f"Job {quote(job.name, 80)} ({ident})" if job.name else f"Job {ident}"


def _status_sentence(job: DataMovementJob, now: datetime, site_names: Mapping[str, str]) -> str:
    """What the job is doing, then its route: 'completed 4 min ago: CSV file → ...'."""
    ended = f" {ago(job.finished_at, now)}" if job.finished_at else ""
    match job.status:
        case "UNINITIALIZED":
            state = "has been submitted and has not started yet"
        case "INITIALIZING":
            state = "is initializing (Wix is preparing the source and destination)"
        case "IN_PROGRESS":
            state = f"is in progress{_progress_clause(job.progress)}"
        case "COMPLETED":
            state = f"completed{ended}"
        case "FAILED":
            state = f"failed{ended}"
        case "PARTIALLY_SUCCESSFUL":
            state = f"finished{ended} with some items rejected"
        case None:
            state = "has no status in Wix's answer"
        case other:
            state = f"has status {quote(other, 40)}, which this server does not know"
            state += _progress_clause(job.progress)
    return f"{state}: {route(job, site_names)}."


def _status_details(job: DataMovementJob, now: datetime) -> list[str]:
    match job.status:
        case "IN_PROGRESS":
            return _running_details(job, now)
        case "COMPLETED":
            return _completed_details(job)
        case "FAILED":
            return _failed_details(job)
        case "PARTIALLY_SUCCESSFUL":
            return _partial_details(job)
        case "UNINITIALIZED" | "INITIALIZING":
            return _submitted_ago(job, now)
        case _:
            details = _submitted_ago(job, now)
            if job.progress and (counts := _item_counts(job)):
                details.append(f"So far {counts}.")
            return details + _error_sentences(job)


def progress_phrase(job: DataMovementJob) -> str:
    """A short status line for progress displays: 'in progress, 41% done (12.3 MB of 30.0 MB)'."""
    status = clean(job.status or "unknown status", 40).replace("_", " ").lower()
    if job.status == "COMPLETED" or job.status not in FINISHED_STATUSES:
        return status + _progress_clause(job.progress)
    return status


def _progress_clause(progress: Progress | None) -> str:
    if progress is None or progress.current is None:
        return ""
    bytes_ = progress.units == "BYTES"
    done = size(progress.current) if bytes_ else count(progress.current)
    if progress.total:
        total = size(progress.total) if bytes_ else plural(progress.total, "item")
        percent = min(100, progress.current * 100 // progress.total) if progress.total > 0 else 0
        return f", {percent}% done ({done} of {total})"
    return f", {done if bytes_ else plural(progress.current, 'item')} processed so far"


def _running_details(job: DataMovementJob, now: datetime) -> list[str]:
    details: list[str] = []
    if job.progress and (counts := _item_counts(job)):
        details.append(f"So far {counts}.")
    if job.started_at is not None:
        # Wix gives when the job was submitted, not when it began to move data: the pace is
        # an average over all that time, waiting included.
        since = (now - job.started_at).total_seconds()
        sentence = f"It was submitted {ago(job.started_at, now)}"
        if (left := _time_left(job.progress, since)) is not None:
            sentence += f"; at its average pace since then, about {duration(left)} is left"
        details.append(sentence + ".")
    return details


def _time_left(progress: Progress | None, elapsed: float) -> float | None:
    if progress is None or not progress.current or not progress.total or elapsed <= 0:
        return None
    if progress.current >= progress.total or progress.current <= 0:
        return None
    return (progress.total - progress.current) * elapsed / progress.current


def _completed_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    counts = _item_counts(job)
    took = _took(job)
    if counts:
        details.append(_capital(counts) + ".")
    if took:
        details.append(f"It finished {took} after it was submitted.")
    destination = job.destination
    if destination and destination.file and destination.file.url:
        details.append(f"Download the file: {plain_url(destination.file.url)}")
    return details


def _failed_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    took = _took(job)
    if took:
        details.append(f"It failed {took} after it was submitted.")
    details += _error_sentences(job)
    if job.error is None or not job.error.code:
        details.append("Wix gave no error code; check the movement logs, then submit it again.")
    progress = job.progress
    if progress is not None and progress.moved is not None:
        written = plural(progress.moved, "item")
        if progress.total is not None and progress.units != "BYTES":
            written = f"{count(progress.moved)} of {plural(progress.total, 'item')}"
        verb = "was" if progress.moved == 1 and progress.total is None else "were"
        sentence = f"Before it failed, {written} {verb} {_verb(job)}"
        if progress.items_rejected:
            sentence += f" and {count(progress.items_rejected)} rejected"
        details.append(sentence + ".")
    return details


def _partial_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    if counts := _item_counts(job):
        details.append(_capital(counts) + ".")
    options = job.partially_successful_options
    if options and options.cause:
        details.append(f"Cause: {_said(options.cause, 160)}.")
    logs = f" ({plural(job.logs_recorded, 'log')} recorded)" if job.logs_recorded else ""
    details.append(
        f"The movement logs{logs} say which items were rejected and why: "
        "call list_data_movement_job_logs with this job id."
    )
    return details


def _said(text: str, limit: int) -> str:
    """Wix's sentence, quoted, without its own final period (ours follows the quote)."""
    return quote(text.rstrip().removesuffix("."), limit)


def _error_sentences(job: DataMovementJob) -> list[str]:
    error = job.error
    if error is None or not (error.code or error.description):
        return []
    sentences: list[str] = []
    meaning, advice = ERROR_CODES.get(error.code or "", (None, None))
    if error.code:
        code = shown_code(error.code)
        sentences.append(f"Error {code}" + (f" means {meaning}." if meaning else "."))
    if error.description:
        sentences.append(f"Wix says: {_said(error.description, 200)}.")
    if advice:
        sentences.append(advice.format(source=_source_to_check(job.source)))
    elif error.code and error.code.startswith("WDE"):
        sentences.append("This is a Wix Data error: check the collection and its fields.")
    return sentences


def _source_to_check(source: Source | None) -> str:
    file = (source.file or source.external_file) if source else None
    if file is not None and file.format in SOURCE_CHECKS:
        return SOURCE_CHECKS[file.format]
    return "the source data is valid"


def _verb(job: DataMovementJob) -> str:
    """What happened to an item that made it, in the destination's terms."""
    destination = job.destination
    if destination is not None and destination.file is not None:
        return "exported to the file"
    return "moved"


def _item_counts(job: DataMovementJob) -> str:
    """'60 of 100 items moved, 5 rejected and 35 neither moved nor rejected'; only what the
    job's own counters give."""
    progress = job.progress
    if progress is None:
        return ""
    moved, rejected = progress.moved, progress.items_rejected
    total = progress.total if progress.units != "BYTES" else None
    parts: list[str] = []
    if moved is not None:
        if total is not None and job.status in FINISHED_STATUSES:
            words = f"{count(moved)} of {plural(total, 'item')} {_verb(job)}"
        else:
            words = f"{plural(moved, 'item')} {_verb(job)}"
        if job.destination is None or job.destination.file is None:
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
        parts.append(f"{count(rest)} neither {_verb(job).split()[0]} nor rejected")
    if len(parts) > 2:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return ", ".join(parts)


def _success_breakdown(progress: Progress) -> str:
    info = progress.items_successful_info
    if info is None:
        return ""
    detail = [
        f"{count(value)} {label}"
        for value, label in (
            (info.items_created, "created"),
            (info.items_updated, "updated"),
            (info.items_partially_successful, "partly moved"),
        )
        if value
    ]
    return f" ({', '.join(detail)})" if detail else ""


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def _took(job: DataMovementJob) -> str:
    if job.started_at is None or job.finished_at is None:
        return ""
    seconds = (job.finished_at - job.started_at).total_seconds()
    return duration(seconds) if seconds >= 0 else ""


def _submitted_ago(job: DataMovementJob, now: datetime) -> list[str]:
    return [f"It was submitted {ago(job.started_at, now)}."] if job.started_at else []


def timing_sentences(job: DataMovementJob, now: datetime) -> list[str]:
    """When it was submitted and how long it ran, worded as the summary words them."""
    sentences = _submitted_ago(job, now)
    if (took := _took(job)) and job.status in FINISHED_STATUSES:
        ended = "failed" if job.status == "FAILED" else "finished"
        sentences.append(f"It {ended} {took} after it was submitted.")
    elif job.status == "IN_PROGRESS" and job.started_at is not None:
        since = (now - job.started_at).total_seconds()
        if (left := _time_left(job.progress, since)) is not None:
            sentences.append(f"At its average pace since then, about {duration(left)} is left.")
    return sentences


def counts_phrase(job: DataMovementJob) -> str:
    """The item counts the job's own counters give, as a sentence, or ''."""
    counts = _item_counts(job)
    return _capital(counts) + "." if counts else ""


def download_url(job: DataMovementJob) -> str | None:
    """The file a finished export wrote, when Wix gives a plain http(s) URL for it."""
    destination = job.destination
    if job.status not in ("COMPLETED", "PARTIALLY_SUCCESSFUL"):
        return None
    if not destination or not destination.file:
        return None
    url = (destination.file.url or "").strip()
    return url if url.startswith(("https://", "http://")) and plain_url(url) == url else None
