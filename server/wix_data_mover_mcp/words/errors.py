"""What Wix's error codes mean and what to try, fitted to where the job's data comes from.
Pure: no I/O.

The WDH codes are the ones Wix documents for data movement jobs ("About the Data Movement Jobs
API"); WDE codes come from Wix Data, in jobs and in movement logs."""

from __future__ import annotations

from ..text import quote, shown_code
from ..wix.models import FINISHED_STATUSES, DataMovementJob, Source

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
        "If Wix's message names nothing to fix, submit the job again in a few minutes.",
    ),
    "WDH0003": ("invalid data: the data to move has an invalid format or unexpected values", ""),
    "WDE0110": (
        "the site's code editor is not enabled",
        "Enable the code editor (Dev Mode) in the site's editor, then submit the job again.",
    ),
}

FILE_CHECKS = {
    "CSV": "valid CSV with a header row",
    "JSONL": "valid JSONL, one JSON object per line",
}


def error_sentences(job: DataMovementJob) -> list[str]:
    """The job's error: its code and what it means, Wix's words, and what to try; advice to
    submit again only once the job has ended."""
    error = job.error
    if error is None or not (error.code or error.description):
        return []
    sentences: list[str] = []
    meaning, advice = ERROR_CODES.get(error.code or "", (None, None))
    if error.code:
        code = shown_code(error.code)
        sentences.append(f"Error {code}" + (f" means {meaning}." if meaning else "."))
    if error.description:
        sentences.append(f"Wix says: {said(error.description, 200)}.")
    if error.code == "WDH0003":
        advice = fix_the_data(job.source)
    if job.status not in FINISHED_STATUSES:
        return sentences  # advice to submit again waits until the job has ended
    if advice:
        sentences.append(advice)
    elif error.code and error.code.startswith("WDE"):
        sentences.append("This is a Wix Data error: check the collection and its fields.")
    return sentences


def fix_the_data(source: Source | None) -> str:
    """What to check for invalid data, by where the data comes from."""
    if source is not None and source.file is not None:
        check = FILE_CHECKS.get(source.file.format or "", "valid CSV or JSONL")
        return f"Check that the file is {check}, then upload it and submit the job again."
    if source is not None and source.external_file is not None:
        check = FILE_CHECKS.get(source.external_file.format or "", "valid CSV or JSONL")
        return f"Check that the file at its URL is {check}, then submit the job again."
    if source is not None and source.google_sheets is not None:
        return "Check the sheet's values, then submit the job again."
    if source is not None and source.wix_data_collection is not None:
        return (
            "Check the source collection's items for unexpected values, then submit the job again."
        )
    return "Check the source data, then submit the job again."


def said(text: str, limit: int) -> str:
    """Wix's sentence, quoted, without its own final period (ours follows the quote)."""
    return quote(text.rstrip().removesuffix("."), limit)
