"""Where a job's data comes from and goes to, and how it was set up, in words: 'CSV file →
collection "Products" (write policy: skip existing items)', its field mapping, the fields it
moves, the workflow or schedule it belongs to. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ..text import clean, quote, shown_id
from ..wix.models import DataMovementJob, Destination, Source
from .units import plural

# The job's policy, as the SDK defines it: what it does when it meets an existing item, not
# something that has happened (a job may fail before it writes anything).
WRITE_POLICIES = {
    "OVERWRITE": "overwrite existing items",
    "SKIP_EXISTING": "skip existing items",
    "TRUNCATE_BEFORE": "empty the collection first",
}
MEDIA_WRITE_POLICIES = {
    "OVERWRITE": "overwrite existing media",
    "SKIP_EXISTING": "skip existing media",
}

FILE_FORMATS = {"CSV": "CSV", "JSONL": "JSONL"}


def route(job: DataMovementJob, site_names: Mapping[str, str] | None = None) -> str:
    """Source → destination in words, e.g. 'CSV file → collection "Products" (existing items
    skipped)'. Another site is named by its display name when it is known, with its id."""
    source = describe_source(job.source) if job.source else "an unknown source"
    destination = describe_destination(job.destination) if job.destination else "an unknown place"
    if job.source_site_id:
        source += f" of site {site_label(job.source_site_id, site_names or {})}"
    if job.destination_site_id:
        destination += f" of site {site_label(job.destination_site_id, site_names or {})}"
    return f"{source} → {destination}"


def site_label(site_id: str, names: Mapping[str, str]) -> str:
    """Another site of the account: its display name when known, with its id."""
    ident = shown_id(site_id)
    name = names.get(site_id.lower())
    return f"{quote(name, 80)} ({ident})" if name else ident


def describe_source(source: Source) -> str:
    if (collection := source.wix_data_collection) is not None:
        words = collection_words(collection.collection_id)
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
        return f"definitions of {plural(count, 'collection')}" if count else "definitions"
    if source.wix_api is not None:
        return "Wix API" + (f" {quote(source.wix_api.fqdn, 60)}" if source.wix_api.fqdn else "")
    if source.test is not None:
        return "test data"
    if (logs := source.data_movement_logs) is not None:
        return "movement logs" + (f" of job {clean(logs.job_id, 60)}" if logs.job_id else "")
    return _unknown_kind(source)


def describe_destination(destination: Destination) -> str:
    if (collection := destination.wix_data_collection) is not None:
        words = collection_words(collection.collection_id)
        policy = collection.write_policy or "OVERWRITE"  # Wix's default
        return f"{words} (write policy: {WRITE_POLICIES.get(policy) or quote(policy, 40)})"
    if (file := destination.file) is not None:
        words = _file(file.format)
        return words + (f" {quote(file.file_name, 80)}" if file.file_name else "")
    if destination.localization is not None:
        return "translations" + _languages(destination.localization.languages)
    if (media := destination.wix_media) is not None:
        policy = MEDIA_WRITE_POLICIES.get(media.write_policy or "")
        return "Wix Media folder" + (f" (write policy: {policy})" if policy else "")
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


def _unknown_kind(part: Source | Destination) -> str:
    kinds = list(part.model_extra or {})
    return quote(kinds[0], 40) if kinds else "an unspecified place"


def collection_words(collection_id: str | None) -> str:
    return f"collection {quote(collection_id, 80)}" if collection_id else "a collection"


def job_label(job: DataMovementJob) -> str:
    """'job "Members import" (1111…)', or the id alone when it has no name."""
    ident = clean(job.id, 60) if job.id else "(no id)"
    return f"job {quote(job.name, 80)} ({ident})" if job.name else f"job {ident}"


def _file(file_format: str | None) -> str:
    return f"{FILE_FORMATS[file_format]} file" if file_format in FILE_FORMATS else "file"


def _languages(languages: list[str] | None) -> str:
    if not languages:
        return ""
    shown = ", ".join(clean(lang, 12) for lang in languages[:8])
    return f" ({shown}{', …' if len(languages) > 8 else ''})"


def setup_sentences(job: DataMovementJob, schedule: str | None = None) -> list[str]:
    """How the job was set up, briefly: its field mapping, the fields it moves, the schedule
    that started it (`schedule`: the sentence about it when it was looked up) and its workflow.
    """
    sentences: list[str] = []
    if mapping := _field_mapping(job.transformations):
        sentences.append(f"Field mapping: {mapping}; source fields not mapped are left out.")
    if fields := _fields_moved(job.source):
        sentences.append(f"Only these fields are moved: {fields}.")
    if schedule:
        sentences.append(schedule)
    elif job.schedule_id:
        sentences.append(f"A sync schedule triggered it (schedule {shown_id(job.schedule_id)}).")
    if job.workflow_id:
        sentences.append(f"It is a step of workflow {shown_id(job.workflow_id)}.")
    return sentences


def _field_mapping(transformations: list[Any] | None) -> str:
    """'"title" → "name"' for each mapping of the job's fieldMapping transformations."""
    pairs: list[str] = []
    for transformation in transformations or []:
        mapping = _object(_object(transformation).get("fieldMapping"))
        entries = mapping.get("mappings")
        for entry in cast(list[Any], entries) if isinstance(entries, list) else []:
            keys = _object(entry)
            source, target = keys.get("sourceKey"), keys.get("targetKey")
            if source or target:
                pairs.append(f"{quote(source or '?', 40)} → {quote(target or '?', 40)}")
    shown = ", ".join(pairs[:4])
    return shown + (f" and {len(pairs) - 4} more" if len(pairs) > 4 else "")


def _fields_moved(source: Source | None) -> str:
    """The item fields a collection source moves, when it names them ('If not set, the method
    moves the full items')."""
    collection = source.wix_data_collection if source else None
    if collection is None:
        return ""
    fields: Any = (collection.filter_query or {}).get("fields") or collection.fields
    if not isinstance(fields, list):
        return ""
    names = [quote(name, 40) for name in cast(list[Any], fields) if isinstance(name, str)]
    return ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _object(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}
