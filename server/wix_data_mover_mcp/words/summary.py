"""Words an assistant can relay as they are. Pure functions of the job and the current time."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import Field

from ..config import is_guid
from ..text import clean, plain_url, quote
from ..wix.models import (
    FINISHED_STATUSES,
    STATUS_SHAPE,
    DataMovementJob,
    Destination,
    MovementLog,
    OutputModel,
    Progress,
    Source,
    parse_job,
)

if TYPE_CHECKING:
    from ..wix.finder import SiteJobs

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

WRITE_POLICIES = {
    "OVERWRITE": "existing items overwritten",
    "SKIP_EXISTING": "existing items skipped",
    "TRUNCATE_BEFORE": "collection emptied first",
}

FILE_FORMATS = {"CSV": "CSV", "JSONL": "JSONL"}
SOURCE_CHECKS = {
    "CSV": "the file is UTF-8 CSV with a header row",
    "JSONL": "the file is UTF-8 JSONL, one JSON object per line",
}
CODE_SHAPE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
ID_SHAPE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
ROW_NUMBER = re.compile(r"[0-9]{1,12}")


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


def job_line(job: DataMovementJob, *, now: datetime) -> str:
    """One compact line for a list of jobs: name, id, status, percent, when."""
    percent = percent_complete(job)
    parts = [
        quote(job.name, 60) if job.name else "(no name)",
        _ident(job.id),
        f"{_status(job)} {percent}%"
        if percent is not None and not is_finished(job)
        else _status(job),
    ]
    if job.finished_at is not None:
        parts.append(f"finished {_ago(job.finished_at, now)}")
    elif job.started_at is not None:
        parts.append(f"submitted {_ago(job.started_at, now)}")
    return " · ".join(parts)


def _ident(value: str | None) -> str:
    """A GUID as it is; anything else from Wix quoted, so it cannot pass for our words."""
    if not value:
        return "(no id)"
    return value if is_guid(value) else quote(value, 60)


def _code(value: str) -> str:
    return value if CODE_SHAPE.fullmatch(value) else quote(value, 40)


def _status(job: DataMovementJob) -> str:
    if not job.status:
        return "UNKNOWN STATUS"
    return job.status if STATUS_SHAPE.fullmatch(job.status) else quote(job.status, 40)


class FailureGroup(OutputModel):
    code: str = Field(description="Wix's error code, or NO_CODE.")
    count: int
    descriptions: list[str] = Field(description="Up to 3 distinct descriptions from Wix.")
    more_descriptions: int = Field(default=0, description="Distinct descriptions not listed.")
    example_item_ids: list[str] = Field(description="Up to 3 source item ids.")


def group_failures(logs: Sequence[MovementLog]) -> list[FailureGroup]:
    """Rejected items by error code, the most frequent first."""
    groups: dict[str, FailureGroup] = {}
    seen: dict[str, set[str]] = {}
    for log in logs:
        if log.failure is None:
            continue
        code = log.failure.code or "NO_CODE"
        group = groups.setdefault(
            code, FailureGroup(code=code, count=0, descriptions=[], example_item_ids=[])
        )
        group.count += 1
        description = log.failure.description
        known = seen.setdefault(code, set())
        if description and description not in known:
            known.add(description)
            if len(group.descriptions) < 3:
                group.descriptions.append(description)
            else:
                group.more_descriptions += 1
        if log.source_item_id and len(group.example_item_ids) < 3:
            group.example_item_ids.append(log.source_item_id)
    return sorted(groups.values(), key=lambda group: -group.count)


def summarize_logs(
    job_id: str, logs: Sequence[MovementLog], groups: Sequence[FailureGroup], *, more: bool
) -> str:
    failed = sum(group.count for group in groups)
    if not logs:
        return f"Job {job_id} has no movement logs{' on this page' if more else ''}."
    head = f"Job {job_id}: {_plural(len(logs), 'movement log')}"
    head += f", {_count(failed)} for items that failed to move" if failed else ", none a failure"
    sentences = [head + (" (first page)." if more else ".")]
    for group in groups[:8]:
        said = [quote(text, 140) for text in group.descriptions]
        unsaid = group.more_descriptions
        if len(said) > 2:
            said, unsaid = said[:2], unsaid + len(said) - 2
        what = "; ".join(said) + (f" (+{unsaid} more)" if unsaid else "")
        meaning, _ = ERROR_CODES.get(group.code, (None, None))
        line = f"{_code(group.code)}, {_plural(group.count, 'item')}"
        line += f" ({meaning})" if meaning else ""
        line += f": {what}" if what else ""
        if ids := group.example_item_ids:
            # Wix names an item by its id, or (for a file import) by its row number.
            rows = all(ROW_NUMBER.fullmatch(item) for item in ids)
            shown = ", ".join(item if rows else _ident_or_quote(item) for item in ids)
            line += f"; e.g. {'rows' if rows else 'items'} {shown}"
        sentences.append(line + ".")
    if len(groups) > 8:
        sentences.append(f"And {_plural(len(groups) - 8, 'other error code')}.")
    if more:
        sentences.append("More logs exist: call again with the next_cursor.")
    return "\n".join(sentences)


def _ident_or_quote(value: str) -> str:
    return value if ID_SHAPE.fullmatch(value) else quote(value, 60)


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
        found = f"No jobs{where} among the {_plural(scanned, 'most recent job')}."
        return found + (" Older jobs exist: call again with the next_cursor." if more else "")
    text = "\n".join(f"- {line}" for line in lines)
    if more:
        text += "\nMore jobs: call again with the next_cursor."
    return text


def route(job: DataMovementJob, site_names: Mapping[str, str] | None = None) -> str:
    """Source → destination in words, e.g. 'CSV file → collection "Products" (existing items
    skipped)'. Another site is named by its display name when it is known, with its id."""
    source = describe_source(job.source) if job.source else "an unknown source"
    destination = describe_destination(job.destination) if job.destination else "an unknown place"
    if job.source_site_id:
        source += f" of site {_site(job.source_site_id, site_names or {})}"
    if job.destination_site_id:
        destination += f" of site {_site(job.destination_site_id, site_names or {})}"
    return f"{source} → {destination}"


def _site(site_id: str, names: Mapping[str, str]) -> str:
    ident = _ident(site_id)
    name = names.get(site_id.lower())
    return f"{quote(name, 80)} ({ident})" if name else ident


def describe_source(source: Source) -> str:
    if (collection := source.wix_data_collection) is not None:
        words = _collection(collection.collection_id)
        if collection.environment == "SANDBOX":
            words += " (sandbox)"
        query = collection.filter_query or {}
        if query.get("filter") or collection.filter:
            words += ", filtered"
        return words
    if source.file is not None:
        return _file(source.file.format)
    if source.localization is not None:
        return "translated content" + _languages(source.localization.languages)
    if source.external_file is not None:
        return "external " + _file(source.external_file.format)
    if (sheet := source.google_sheets) is not None:
        return "Google Sheet" + (f" tab {quote(sheet.sheet_name, 60)}" if sheet.sheet_name else "")
    if source.wix_media is not None:
        return "Wix Media folder"
    if (definitions := source.wix_data_collection_definition) is not None:
        count = len(definitions.collection_ids or [])
        return f"definitions of {_plural(count, 'collection')}" if count else "definitions"
    if source.wix_api is not None:
        return "Wix API" + (f" {quote(source.wix_api.fqdn, 60)}" if source.wix_api.fqdn else "")
    if source.test is not None:
        return "test data"
    if (logs := source.data_movement_logs) is not None:
        return "movement logs" + (f" of job {clean(logs.job_id, 60)}" if logs.job_id else "")
    return _unknown_kind(source)


def describe_destination(destination: Destination) -> str:
    if (collection := destination.wix_data_collection) is not None:
        words = _collection(collection.collection_id)
        policy = collection.write_policy or "OVERWRITE"
        return f"{words} ({WRITE_POLICIES.get(policy, f'write policy {quote(policy, 40)}')})"
    if (file := destination.file) is not None:
        words = _file(file.format)
        return words + (f" {quote(file.file_name, 80)}" if file.file_name else "")
    if destination.localization is not None:
        return "translations" + _languages(destination.localization.languages)
    if (media := destination.wix_media) is not None:
        policy = WRITE_POLICIES.get(media.write_policy or "", "").replace("items", "media")
        return "Wix Media folder" + (f" ({policy})" if policy else "")
    if destination.wix_data_collection_definition is not None:
        return "collection definitions"
    if destination.stores_catalog_products is not None:
        return "Wix Stores products"
    if destination.stores_catalog_inventory is not None:
        return "Wix Stores inventory"
    if destination.wix_api is not None:
        fqdn = destination.wix_api.fqdn
        return "Wix API" + (f" {quote(fqdn, 60)}" if fqdn else "")
    if destination.test is not None:
        return "test destination"
    return _unknown_kind(destination)


def _said(text: str, limit: int) -> str:
    """Wix's sentence, quoted, without its own final period (ours follows the quote)."""
    return quote(text.rstrip().removesuffix("."), limit)


def _unknown_kind(part: Source | Destination) -> str:
    kinds = list(part.model_extra or {})
    return quote(kinds[0], 40) if kinds else "an unspecified place"


def _collection(collection_id: str | None) -> str:
    return f"collection {quote(collection_id, 80)}" if collection_id else "a collection"


def _file(file_format: str | None) -> str:
    return f"{FILE_FORMATS[file_format]} file" if file_format in FILE_FORMATS else "file"


def _languages(languages: list[str] | None) -> str:
    if not languages:
        return ""
    shown = ", ".join(clean(lang, 12) for lang in languages[:8])
    return f" ({shown}{', …' if len(languages) > 8 else ''})"


def _label(job: DataMovementJob) -> str:
    ident = clean(job.id, 60) if job.id else "(no id)"
    return f"Job {quote(job.name, 80)} ({ident})" if job.name else f"Job {ident}"


def _status_sentence(job: DataMovementJob, now: datetime, site_names: Mapping[str, str]) -> str:
    """What the job is doing, then its route: 'completed 4 min ago: CSV file → ...'."""
    ended = f" {_ago(job.finished_at, now)}" if job.finished_at else ""
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
    done = _size(progress.current) if bytes_ else _count(progress.current)
    if progress.total:
        total = _size(progress.total) if bytes_ else _plural(progress.total, "item")
        percent = min(100, progress.current * 100 // progress.total) if progress.total > 0 else 0
        return f", {percent}% done ({done} of {total})"
    return f", {done if bytes_ else _plural(progress.current, 'item')} processed so far"


def _running_details(job: DataMovementJob, now: datetime) -> list[str]:
    details: list[str] = []
    if job.progress and (counts := _item_counts(job)):
        details.append(f"So far {counts}.")
    if job.started_at is not None:
        # Wix gives when the job was submitted, not when it began to move data: the pace is
        # an average over all that time, waiting included.
        since = (now - job.started_at).total_seconds()
        sentence = f"It was submitted {_ago(job.started_at, now)}"
        if (left := _time_left(job.progress, since)) is not None:
            sentence += f"; at its average pace since then, about {_duration(left)} is left"
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
        written = _plural(progress.moved, "item")
        if progress.total is not None and progress.units != "BYTES":
            written = f"{_count(progress.moved)} of {_plural(progress.total, 'item')}"
        verb = "was" if progress.moved == 1 and progress.total is None else "were"
        sentence = f"Before it failed, {written} {verb} {_verb(job)}"
        if progress.items_rejected:
            sentence += f" and {_count(progress.items_rejected)} rejected"
        details.append(sentence + ".")
    return details


def _partial_details(job: DataMovementJob) -> list[str]:
    details: list[str] = []
    if counts := _item_counts(job):
        details.append(_capital(counts) + ".")
    options = job.partially_successful_options
    if options and options.cause:
        details.append(f"Cause: {_said(options.cause, 160)}.")
    logs = f" ({_plural(job.logs_recorded, 'log')} recorded)" if job.logs_recorded else ""
    details.append(
        f"The movement logs{logs} say which items were rejected and why: "
        "call list_data_movement_job_logs with this job id."
    )
    return details


def _error_sentences(job: DataMovementJob) -> list[str]:
    error = job.error
    if error is None or not (error.code or error.description):
        return []
    sentences: list[str] = []
    meaning, advice = ERROR_CODES.get(error.code or "", (None, None))
    if error.code:
        code = _code(error.code)
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
            words = f"{_count(moved)} of {_plural(total, 'item')} {_verb(job)}"
        else:
            words = f"{_plural(moved, 'item')} {_verb(job)}"
        if job.destination is None or job.destination.file is None:
            words += _success_breakdown(progress)
        parts.append(words)
    if rejected:
        parts.append(f"{_count(rejected)} rejected")
    if (
        total is not None
        and moved is not None
        and rejected is not None
        and job.status in FINISHED_STATUSES
        and (rest := total - moved - rejected) > 0
    ):
        parts.append(f"{_count(rest)} neither {_verb(job).split()[0]} nor rejected")
    if len(parts) > 2:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return ", ".join(parts)


def _success_breakdown(progress: Progress) -> str:
    info = progress.items_successful_info
    if info is None:
        return ""
    detail = [
        f"{_count(value)} {label}"
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
    return _duration(seconds) if seconds >= 0 else ""


def _submitted_ago(job: DataMovementJob, now: datetime) -> list[str]:
    return [f"It was submitted {_ago(job.started_at, now)}."] if job.started_at else []


def _ago(when: datetime, now: datetime) -> str:
    seconds = (now - when).total_seconds()
    if 0 <= seconds < 1:
        return "just now"
    if 0 <= seconds < 86_400:
        return f"{_duration(seconds)} ago"
    return "on " + when.strftime("%Y-%m-%d at %H:%M UTC")


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def _size(count: int) -> str:
    if count < 1000:
        return _plural(count, "byte")
    value, units = count / 1000, ["KB", "MB", "GB", "TB"]
    while value >= 1000 and len(units) > 1:
        value, units = value / 1000, units[1:]
    return f"{value:.1f} {units[0]}"


def _count(number: int) -> str:
    return f"{number:,}"


def _plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


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
    lines = [f"{len(with_jobs)} of {_plural(len(readable), 'site')} had {kind}{window}."]
    for entry in with_jobs:
        lines.append(f"{entry.site.label()}: {_plural(len(entry.jobs), 'job')}")
        lines += [f"- {job_line(parse_job(raw)[0], now=now)}" for raw in entry.jobs]
    unreadable = [entry for entry in found if entry.error is not None]
    if unreadable:
        lines.append(f"{_plural(len(unreadable), 'site')} could not be read:")
        for entry in unreadable:
            status = f" ({entry.error.status})" if entry.error and entry.error.status else ""
            reason = "the key does not cover it" if status == " (403)" else "Wix did not answer"
            lines.append(f"- {entry.site.label()}{status}: {reason}")
    return "\n".join(lines)


def timing_sentences(job: DataMovementJob, now: datetime) -> list[str]:
    """When it was submitted and how long it ran, worded as the summary words them."""
    sentences = _submitted_ago(job, now)
    if (took := _took(job)) and job.status in FINISHED_STATUSES:
        ended = "failed" if job.status == "FAILED" else "finished"
        sentences.append(f"It {ended} {took} after it was submitted.")
    elif job.status == "IN_PROGRESS" and job.started_at is not None:
        since = (now - job.started_at).total_seconds()
        if (left := _time_left(job.progress, since)) is not None:
            sentences.append(f"At its average pace since then, about {_duration(left)} is left.")
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
