"""What a retry of a finished job submits, and what the user should know first. Pure: no I/O.

Wix's Submit Job takes a source, a destination, a name and at most one other site. A retry
sends the finished job's own, as Wix sent them, less what Wix writes itself (a file's `url`).
"""

from __future__ import annotations

import copy
from typing import Any, cast

from ..config import is_guid
from ..text import quote
from .models import FINISHED_STATUSES, parse_job
from .scrub import REDACTED

RETRY_SUFFIX = " (retry)"
MAX_NAME = 1024


SAME_FILE = (
    "It reads the same uploaded file again; Wix does not document how long uploaded files are "
    "kept, so if it fails for the file, upload the file again."
)


class CannotRetry(Exception):
    """The job cannot be submitted again as it is; the text says why and what to do."""


def retry_request(raw: dict[str, Any], *, skip_existing: bool) -> tuple[dict[str, Any], list[str]]:
    """The Submit Job body for a retry of `raw`, and the caveats to tell the user."""
    job, _ = parse_job(raw)
    if job.status not in FINISHED_STATUSES:
        status = job.status or "an unknown status"
        raise CannotRetry(
            f"Job {job.id} is still running ({status}): wait for it to finish "
            "(wait_for_data_movement_job), or terminate it first."
        )
    source, destination = raw.get("source"), raw.get("destination")
    if not isinstance(source, dict) or not isinstance(destination, dict):
        raise CannotRetry(f"Job {job.id} has no source or destination to submit again.")
    source = copy.deepcopy(cast(dict[str, Any], source))
    destination = copy.deepcopy(cast(dict[str, Any], destination))
    if REDACTED in repr(source) or REDACTED in repr(destination):
        raise CannotRetry(
            f"Job {job.id} reads with credentials (such as a Google Sheets token) that this "
            "server never keeps: submit it again from the site's dashboard."
        )
    caveats: list[str] = []
    for part in (source, destination):
        file = part.get("file")
        if isinstance(file, dict):
            cast(dict[str, Any], file).pop("url", None)  # written by Wix, not submitted
    if isinstance(source.get("file"), dict):
        caveats.append(SAME_FILE)
    collection = destination.get("wixDataCollection")
    if skip_existing:
        if not isinstance(collection, dict):
            raise CannotRetry(
                "skip_existing applies only to a collection destination; this job writes "
                "elsewhere. Retry without it."
            )
        cast(dict[str, Any], collection)["writePolicy"] = "SKIP_EXISTING"
        caveats.append("Items already in the collection are skipped (SKIP_EXISTING).")
    elif isinstance(collection, dict):
        policy = cast(dict[str, Any], collection).get("writePolicy") or "OVERWRITE"
        caveats.append(f"It writes with the same policy as before ({quote(policy, 40)}).")
    name = (job.name or "Data movement job")[: MAX_NAME - len(RETRY_SUFFIX)] + RETRY_SUFFIX
    body: dict[str, Any] = {"source": source, "destination": destination, "name": name}
    if isinstance(raw.get("transformations"), list) and raw["transformations"]:
        body["transformations"] = copy.deepcopy(raw["transformations"])
    for other in ("sourceSiteId", "destinationSiteId"):
        if isinstance(raw.get(other), str) and raw[other]:
            body[other] = raw[other]
    return body, caveats


def is_remembered_retry(value: dict[str, Any]) -> bool:
    """Whether a kept entry is what a submitted retry leaves: the new job's id and the caveats
    said with it. Anything else is not one, and the retry is not taken as submitted."""
    job_id, caveats = value.get("id"), value.get("caveats", [])
    return (
        isinstance(job_id, str)
        and is_guid(job_id)
        and isinstance(caveats, list)
        and all(isinstance(caveat, str) for caveat in cast(list[Any], caveats))
    )
