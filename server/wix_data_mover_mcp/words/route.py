"""Where a job's data comes from and goes to, in words: 'CSV file → collection "Products"
(existing items skipped)'. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from ..text import clean, quote, shown_id
from ..wix.models import DataMovementJob, Destination, Source
from .units import plural

WRITE_POLICIES = {
    "OVERWRITE": "existing items overwritten",
    "SKIP_EXISTING": "existing items skipped",
    "TRUNCATE_BEFORE": "collection emptied first",
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
