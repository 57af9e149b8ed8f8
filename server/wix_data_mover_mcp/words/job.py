"""One job in words an assistant can relay as they are: its status, progress, counts and
timing, and for a failure what the error means and what to try. Pure functions of the job and
the current time.

Only what Wix's own types say is said: `startedAt` is the submission time, a status means what
the SDK says it means (INITIALIZING is "initializing", nothing more), a write policy is the
job's policy and not something that happened, and counters are shown as Wix gave them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from ..text import clean, plain_url, quote
from ..wix.models import FINISHED_STATUSES, DataMovementJob, Progress
from .counts import capital, exports, item_counts, mismatch
from .errors import error_sentences, said
from .route import job_label, route, setup_sentences
from .units import ago, count, duration, plural, size

# Wix gives no status or code for a job stopped on request; its error may still say so: a code
# that names termination (JOB_TERMINATED), or words that say it was on request, not a broken
# connection "terminated unexpectedly".
STOPPED_CODE = re.compile(r"(?<![A-Z])TERMINATED(?![A-Z])")
STOPPED_WORDS = re.compile(
    r"\b(terminated|stopped|cancell?ed) (on request|by (the )?(user|owner|request))\b", re.I
)

# A pace worth the name: before this, the time since submission is mostly waiting.
ESTIMATE_AFTER_PERCENT = 5
ESTIMATE_AFTER_SECONDS = 30.0


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


def was_stopped(job: DataMovementJob, *, stopped_here: bool = False) -> bool:
    """Whether the job was stopped on request: this server stopped it, or Wix's error says
    so. A job that finished anyway (COMPLETED or PARTIALLY_SUCCESSFUL) was not stopped."""
    if job.status in ("COMPLETED", "PARTIALLY_SUCCESSFUL"):
        return False
    if stopped_here:
        return True
    error = job.error
    if job.status != "FAILED" or error is None:
        return False
    code = (error.code or "").upper().replace("_", " ")
    return bool(STOPPED_CODE.search(code) or STOPPED_WORDS.search(error.description or ""))


def summarize_job(
    job: DataMovementJob,
    *,
    now: datetime,
    ignored_fields: Sequence[str] = (),
    site_names: Mapping[str, str] | None = None,
    stopped_here: bool = False,
    schedule: str | None = None,
) -> str:
    """The job in sentences. `stopped_here`: this server terminated it. `schedule`: the
    sentence about the sync schedule that started it, when it could be looked up."""
    stopped = was_stopped(job, stopped_here=stopped_here)
    status = _stopped_sentence(job, now) if stopped else _status_sentence(job, now)
    sentences = [f"{capital(job_label(job))} {status}: {route(job, site_names or {})}."]
    sentences += _stopped_details(job) if stopped else _status_details(job, now)
    sentences += setup_sentences(job, schedule)
    if ignored_fields:
        shown = ", ".join(ignored_fields[:5]) + (" and more" if len(ignored_fields) > 5 else "")
        sentences.append(f"Some fields were malformed and left out of this summary: {shown}.")
    return " ".join(sentences)


def _status_sentence(job: DataMovementJob, now: datetime) -> str:
    """What the job is doing: 'completed 4 min ago', 'is initializing'."""
    ended = f" {ago(job.finished_at, now)}" if job.finished_at else ""
    match job.status:
        case "UNINITIALIZED":
            return "has been submitted and has not started yet"
        case "INITIALIZING":
            return "is initializing"
        case "IN_PROGRESS":
            return f"is in progress{_progress_clause(job.progress)}"
        case "COMPLETED":
            return f"completed{ended}"
        case "FAILED":
            return f"failed{ended}"
        case "PARTIALLY_SUCCESSFUL":
            return f"finished{ended} with some items rejected"
        case None:
            return "has no status in Wix's answer"
        case other:
            state = f"has status {quote(other, 40)}, which this server does not know"
            return state + _progress_clause(job.progress)


def _stopped_sentence(job: DataMovementJob, now: datetime) -> str:
    if job.status == "FAILED":
        ended = f" {ago(job.finished_at, now)}" if job.finished_at else ""
        return f"was stopped on request{ended} (Wix gives its status as FAILED)"
    status = quote(job.status, 40) if job.status else "no status"
    return f"was stopped on request; Wix's answer still gives it {status}"


def _status_details(job: DataMovementJob, now: datetime) -> list[str]:
    match job.status:
        case "IN_PROGRESS":
            details = _so_far(job) + _running_timing(job, now)
        case "COMPLETED":
            details = _completed_details(job)
        case "FAILED":
            details = _failed_details(job)
        case "PARTIALLY_SUCCESSFUL":
            return _partial_details(job)
        case "UNINITIALIZED" | "INITIALIZING":
            details = _submitted_ago(job, now)
        case _:
            details = _submitted_ago(job, now) + _so_far(job) + error_sentences(job)
    return details + _logs_pointer(job)


def _stopped_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    if job.status != "FAILED":
        details += _so_far(job)
        details.append("Get the job again shortly for what was moved before it stopped.")
        return details + _partial_data_warning(job) + _logs_pointer(job)
    if took := _took(job):
        details.append(f"It was stopped {took} after it was submitted.")
    error = job.error
    if error is not None and error.description:
        details.append(f"Wix says: {said(error.description, 200)}.")
    details += _before_it_ended(job, "was stopped")
    return details + _partial_data_warning(job) + _logs_pointer(job)


def progress_phrase(job: DataMovementJob) -> str:
    """A short status line for progress displays: 'in progress, 41% done (12.3 MB of 30.0 MB)'."""
    status = clean(job.status or "unknown status", 40).replace("_", " ").lower()
    if job.status == "COMPLETED":
        return status + _completed_clause(job.progress)
    if job.status not in FINISHED_STATUSES:
        return status + _progress_clause(job.progress)
    return status


def _completed_clause(progress: Progress | None) -> str:
    """A completed job is 100% done; when Wix's counter stopped short, that is said instead."""
    if progress is None or progress.current is None or not progress.total:
        return ""
    bytes_ = progress.units == "BYTES"
    done = size(progress.current) if bytes_ else count(progress.current)
    total = size(progress.total) if bytes_ else plural(progress.total, "item")
    if progress.current >= progress.total:
        return f", 100% done ({done} of {total})"
    # Exact figures: a size rounded to 0.1 MB could hide the gap.
    exact = f"{count(progress.current)} of {plural(progress.total, 'byte' if bytes_ else 'item')}"
    return f" (Wix's progress counter stopped at {exact})"


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


def _so_far(job: DataMovementJob) -> list[str]:
    counts = item_counts(job) if job.progress else ""
    if counts.startswith("Wix's"):
        return [counts + "."]
    return [f"So far {counts}."] if counts else []


def _running_timing(job: DataMovementJob, now: datetime) -> list[str]:
    if job.started_at is None:
        return []
    # Wix gives when the job was submitted, not when it began to move data: the pace is an
    # average over all that time, waiting included, so it means little until it has run a while.
    sentence = f"It was submitted {ago(job.started_at, now)}"
    left = time_left(job, now)
    if left is not None:
        sentence += f"; at its average pace since then, about {duration(left)} is left"
    elif _too_early(job, now):
        sentence += "; it is too early to estimate the time left"
    return [sentence + "."]


def _too_early(job: DataMovementJob, now: datetime) -> bool:
    progress = job.progress
    if progress is None or not progress.total or progress.current is None:
        return False
    if progress.current >= progress.total or job.started_at is None:
        return False
    elapsed = (now - job.started_at).total_seconds()
    percent = progress.current * 100 / progress.total
    return elapsed < ESTIMATE_AFTER_SECONDS or percent < ESTIMATE_AFTER_PERCENT


def time_left(job: DataMovementJob, now: datetime) -> float | None:
    """Seconds left at the job's average pace since it was submitted; None while that pace
    means little (too early) or cannot be had."""
    progress = job.progress
    if job.started_at is None or progress is None or _too_early(job, now):
        return None
    elapsed = (now - job.started_at).total_seconds()
    if not progress.current or not progress.total or elapsed <= 0:
        return None
    if progress.current >= progress.total or progress.current <= 0:
        return None
    return (progress.total - progress.current) * elapsed / progress.current


def _completed_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    if counts := item_counts(job):
        details.append(capital(counts) + ".")
    if took := _took(job):
        details.append(f"It finished {took} after it was submitted.")
    return details + _download(job)


def _failed_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    if took := _took(job):
        details.append(f"It failed {took} after it was submitted.")
    details += error_sentences(job)
    if job.error is None or not job.error.code:
        details.append("Wix gave no error code; check the movement logs, then submit it again.")
    return details + _before_it_ended(job, "failed") + _partial_data_warning(job)


def _before_it_ended(job: DataMovementJob, ended: str) -> list[str]:
    """'Before it failed, 80 of 200 items were moved and 3 rejected.'"""
    progress = job.progress
    if progress is None or progress.moved is None:
        return []
    if unequal := mismatch(progress):
        return [unequal + "."]
    written = plural(progress.moved, "item")
    if progress.total is not None and progress.units != "BYTES":
        written = f"{count(progress.moved)} of {plural(progress.total, 'item')}"
    verb = "was" if progress.moved == 1 and progress.total is None else "were"
    exported = exports(job)
    sentence = f"Before it {ended}, {written} {verb} {'processed' if exported else 'moved'}"
    if progress.items_rejected:
        sentence += f" and {count(progress.items_rejected)} rejected"
    if exported and job.destination and job.destination.file and not job.destination.file.url:
        sentence += "; Wix gives no file to download"
    return [sentence + "."]


def _partial_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    if counts := item_counts(job):
        details.append(capital(counts) + ".")
    options = job.partially_successful_options
    if options and options.cause:
        details.append(f"Cause: {said(options.cause, 160)}.")
    details += _download(job)
    if job.logs_recorded is None:  # not said: the logs may still say which items and why
        return details + _logs_pointer(job, always=True)
    return details + _logs_pointer(job)


def _logs_pointer(job: DataMovementJob, *, always: bool = False) -> list[str]:
    """Where to read why items were rejected, whenever Wix counted rejections or logs."""
    progress = job.progress
    rejected = progress.items_rejected if progress else None
    logs = job.logs_recorded
    if not (rejected or logs or always):
        return []
    call = "call list_data_movement_job_logs with this job id"
    if rejected or always:
        recorded = f" ({plural(logs, 'log')} recorded)" if logs else ""
        return [f"The movement logs{recorded} say which items were rejected and why: {call}."]
    return [f"Wix recorded {plural(logs or 0, 'movement log')} for it; to read them, {call}."]


def _partial_data_warning(job: DataMovementJob) -> list[str]:
    """A job that empties its collection first and then stopped part-way may leave it half
    full."""
    collection = job.destination.wix_data_collection if job.destination else None
    if collection is None or collection.write_policy != "TRUNCATE_BEFORE":
        return []
    name = f"collection {quote(collection.collection_id, 80)}" if collection.collection_id else "it"
    return [
        f"Its write policy empties the collection first, so {name} may now hold only part of "
        "the data."
    ]


def _download(job: DataMovementJob) -> list[str]:
    url = download_url(job)
    return [f"Download the file: {url}"] if url else []


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
        ended = (
            "finished"
            if job.status != "FAILED"
            else "was stopped"
            if was_stopped(job)
            else "failed"
        )
        sentences.append(f"It {ended} {took} after it was submitted.")
    elif job.status == "IN_PROGRESS":
        if (left := time_left(job, now)) is not None:
            sentences.append(f"At its average pace since then, about {duration(left)} is left.")
        elif _too_early(job, now):
            sentences.append("It is too early to estimate the time left.")
    return sentences


def download_url(job: DataMovementJob) -> str | None:
    """The file a finished export wrote, when Wix gives a plain http(s) URL for it."""
    destination = job.destination
    if job.status not in ("COMPLETED", "PARTIALLY_SUCCESSFUL"):
        return None
    if not destination or not destination.file:
        return None
    url = (destination.file.url or "").strip()
    return url if url.startswith(("https://", "http://")) and plain_url(url) == url else None
