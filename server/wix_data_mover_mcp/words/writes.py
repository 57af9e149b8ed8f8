"""What a write will do, in words: the sentence a person confirms before a retry or a stop, and
that a dry run returns. Only stable facts (names, ids, where the data goes, the policy, a
finished job's count), so the question reads the same each time it is asked. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from ..text import clean, quote
from ..wix.models import DataMovementJob, Destination
from .route import (
    collection_words,
    describe_destination,
    describe_source,
    job_label,
    route,
    site_label,
)
from .units import plural


def retry_consequence(
    old: DataMovementJob,
    new: DataMovementJob,
    *,
    site: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """'Retrying job "Members import" (…) submits a new job "Members import (retry)": CSV file →
    collection "Members", 500 items in the last run. TRUNCATE_BEFORE: collection "Members" is
    emptied before the items are moved.' `new` is the job as it would be submitted."""
    where = f" on site {site}" if site else ""
    source = describe_source(new.source) if new.source else "an unknown source"
    place = _place(new.destination)
    if new.source_site_id:
        source += f" of site {site_label(new.source_site_id, names or {})}"
    if new.destination_site_id:
        place += f" of site {site_label(new.destination_site_id, names or {})}"
    moves = f"{source} → {place}"
    progress = old.progress
    total = progress.total if progress is not None and progress.units != "BYTES" else None
    counted = f", {plural(total, 'item')} in the last run" if total is not None else ""
    name = f" {quote(new.name, 80)}" if new.name else ""
    sentences = [f"Retrying {job_label(old)} submits a new job{name}{where}: {moves}{counted}."]
    if policy := _policy(new.destination):
        sentences.append(policy)
    return " ".join(sentences)


def terminate_consequence(
    job: DataMovementJob, *, site: str | None = None, names: Mapping[str, str] | None = None
) -> str:
    """'Stopping job "Products import" (…) (CSV file → collection "Products") ends it now:
    items moved so far stay where they are; the rest are not moved. It cannot be undone.'"""
    where = f" on site {site}" if site else ""
    return (
        f"Stopping {job_label(job)}{where} ({route(job, names)}) ends it now: items moved so far "
        "stay where they are; the rest are not moved. It cannot be undone."
    )


def unreadable_answer(tool: str) -> str:
    """What a writing tool says when the client's answer to its question cannot be read (an
    accept without a yes or a no): nothing was done, and how to be asked again."""
    return (
        "Nothing was done: the answer to the confirmation did not say yes or no (confirm: true "
        f"or false); call {tool} again to ask the user again."
    )


def _place(destination: Destination | None) -> str:
    if destination is None:
        return "an unknown place"
    if (collection := destination.wix_data_collection) is not None:
        return collection_words(collection.collection_id)
    return describe_destination(destination)


def _policy(destination: Destination | None) -> str | None:
    """What the collection's write policy does to the items already there."""
    collection = destination.wix_data_collection if destination is not None else None
    if collection is None:
        return None
    where = collection_words(collection.collection_id)
    match collection.write_policy or "OVERWRITE":
        case "TRUNCATE_BEFORE":
            return f"TRUNCATE_BEFORE: {where} is emptied before the items are moved."
        case "SKIP_EXISTING":
            return f"SKIP_EXISTING: items already in {where} are left as they are."
        case "OVERWRITE":
            return f"OVERWRITE: items that already exist in {where} are overwritten."
        case other:
            return f"It writes with the policy {quote(other, 40)}."


def retry_may_be_submitted(job_id: str, name: str | None, *, minutes: float) -> str:
    """A retry sent whose answer was lost: Wix may have made the job, so it is not sent again
    for a while; the person looks for it first."""
    named = f"a new job named {quote(name, 80)}" if name else "a new job"
    return (
        f"The retry of job {job_id} may have been submitted: it was sent to Wix but no answer "
        f"came back, so look for {named} with list_data_movement_jobs (name_contains "
        f'"(retry)") before trying again; for {minutes:g} minutes after it was sent, this same '
        "call returns this sentence rather than submit it again."
    )


def other_site_refused(job_id: str, site_id: str, *, source: bool, stop: bool = False) -> str:
    """Why a write touching another site (a copy's source or destination) is refused; the same
    words whether or not that site exists."""
    if source:
        return (
            f"Job {job_id} copies from site {clean(site_id, 60)}, which is not among the sites "
            "you may use: retrying it would copy that site's data, so it needs a grant for that "
            "site in WIX_MCP_SITE_ACCESS."
        )
    doing = "stopping" if stop else "retrying"
    return (
        f"Job {job_id} copies into site {clean(site_id, 60)}, which is not among the sites you "
        f'may change: {doing} it changes what that site gets, so it needs a grant with "write": '
        "true for that site in WIX_MCP_SITE_ACCESS."
    )
