"""Wire models of the Data Mover API, tolerant of what Wix may send tomorrow.

Every field is optional, unknown fields are kept (extra="allow"), enums are plain strings so a
new value reads as itself, and 64-bit counters arrive as numbers, numeric strings or null.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .scrub import REDACTED, Scrubber

INT64_MAX = 2**63 - 1


def _lenient_int(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _assume_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _int64(value: int | None) -> int | None:
    """Wix's counters fit 64 bits; a larger number is malformed, not a count to compute with."""
    if value is not None and not -INT64_MAX <= value <= INT64_MAX:
        raise ValueError("out of range for a 64-bit counter")
    return value


Count = Annotated[int | None, BeforeValidator(_lenient_int), AfterValidator(_int64)]
Timestamp = Annotated[datetime | None, BeforeValidator(_blank_to_none), AfterValidator(_assume_utc)]


def _without_property_titles(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)


class OutputModel(BaseModel):
    """A tool's output. Its JSON schema is sent with every tools/list, so it drops pydantic's
    per-field titles, which only repeat the field names."""

    model_config = ConfigDict(json_schema_extra=_without_property_titles)


class WixModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)


class ApplicationError(WixModel):
    code: str | None = None
    description: str | None = None
    data: dict[str, Any] | None = None


# Sources and destinations: a "one of" where exactly one key is set. Each kind is its own model.


class WixDataCollectionSource(WixModel):
    collection_id: str | None = Field(default=None, alias="collectionId")
    filter_query: dict[str, Any] | None = Field(default=None, alias="filterQuery")
    aggregation_query: dict[str, Any] | None = Field(default=None, alias="aggregationQuery")
    filter: dict[str, Any] | None = None
    fields: list[str] | None = None
    environment: str | None = None
    app_id: str | None = Field(default=None, alias="appId")


class FileSource(WixModel):
    format: str | None = None
    file_id: str | None = Field(default=None, alias="fileId")
    url: str | None = None


class LocalizationSpec(WixModel):
    languages: list[str] | None = None


class ExternalFileSource(WixModel):
    format: str | None = None
    url: str | None = None


class GoogleSheetsSource(WixModel):
    spreadsheet_id: str | None = Field(default=None, alias="spreadsheetId")
    sheet_name: str | None = Field(default=None, alias="sheetName")
    range: str | None = None
    oauth_token_id: str | None = Field(default=None, alias="oauthTokenId")
    access_token: str | None = Field(default=None, alias="accessToken", repr=False)


class WixMediaSource(WixModel):
    source_folder_id: str | None = Field(default=None, alias="sourceFolderId")
    media_type: str | None = Field(default=None, alias="mediaType")


class MovementLogsSource(WixModel):
    job_id: str | None = Field(default=None, alias="jobId")


class CollectionDefinitionsSource(WixModel):
    collection_ids: list[str] | None = Field(default=None, alias="collectionIds")


class WixApiEndpoint(WixModel):
    fqdn: str | None = None
    filter: dict[str, Any] | None = None


class TestSpec(WixModel):
    type: str | None = None
    details: dict[str, Any] | None = None


class Source(WixModel):
    wix_data_collection: WixDataCollectionSource | None = Field(
        default=None, alias="wixDataCollection"
    )
    localization: LocalizationSpec | None = None
    file: FileSource | None = None
    external_file: ExternalFileSource | None = Field(default=None, alias="externalFile")
    google_sheets: GoogleSheetsSource | None = Field(default=None, alias="googleSheets")
    wix_media: WixMediaSource | None = Field(default=None, alias="wixMedia")
    wix_data_collection_definition: CollectionDefinitionsSource | None = Field(
        default=None, alias="wixDataCollectionDefinition"
    )
    wix_api: WixApiEndpoint | None = Field(default=None, alias="wixApi")
    test: TestSpec | None = None
    data_movement_logs: MovementLogsSource | None = Field(default=None, alias="dataMovementLogs")


class WixDataCollectionDestination(WixModel):
    collection_id: str | None = Field(default=None, alias="collectionId")
    write_policy: str | None = Field(default=None, alias="writePolicy")
    environment: str | None = None
    app_id: str | None = Field(default=None, alias="appId")


class FileDestination(WixModel):
    format: str | None = None
    file_name: str | None = Field(default=None, alias="fileName")
    file_id: str | None = Field(default=None, alias="fileId")
    url: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")


class WixMediaDestination(WixModel):
    target_folder_id: str | None = Field(default=None, alias="targetFolderId")
    write_policy: str | None = Field(default=None, alias="writePolicy")


class CollectionDefinitionsDestination(WixModel):
    write_policy: str | None = Field(default=None, alias="writePolicy")


class Destination(WixModel):
    wix_data_collection: WixDataCollectionDestination | None = Field(
        default=None, alias="wixDataCollection"
    )
    localization: LocalizationSpec | None = None
    file: FileDestination | None = None
    wix_media: WixMediaDestination | None = Field(default=None, alias="wixMedia")
    wix_data_collection_definition: CollectionDefinitionsDestination | None = Field(
        default=None, alias="wixDataCollectionDefinition"
    )
    stores_catalog_products: dict[str, Any] | None = Field(
        default=None, alias="storesCatalogProducts"
    )
    stores_catalog_inventory: dict[str, Any] | None = Field(
        default=None, alias="storesCatalogInventory"
    )
    wix_api: WixApiEndpoint | None = Field(default=None, alias="wixApi")
    test: TestSpec | None = None


class ItemsSuccessfulInfo(WixModel):
    items_created: Count = Field(default=None, alias="itemsCreated")
    items_updated: Count = Field(default=None, alias="itemsUpdated")
    items_partially_successful: Count = Field(default=None, alias="itemsPartiallySuccessful")


class Progress(WixModel):
    current: Count = None
    total: Count = None
    items_successful: Count = Field(default=None, alias="itemsSuccessful")
    items_rejected: Count = Field(default=None, alias="itemsRejected")
    units: str | None = None
    items_successful_info: ItemsSuccessfulInfo | None = Field(
        default=None, alias="itemsSuccessfulInfo"
    )
    # Older jobs: replaced by units and items_successful.
    unit: str | None = None
    items_processed: Count = Field(default=None, alias="itemsProcessed")

    @property
    def moved(self) -> int | None:
        """Items moved successfully, from the current field or the one it replaced."""
        return self.items_successful if self.items_successful is not None else self.items_processed


class PartiallySuccessfulOptions(WixModel):
    cause: str | None = None


class ExtendedFields(WixModel):
    namespaces: dict[str, Any] | None = None


class DataMovementJob(WixModel):
    id: str | None = None
    name: str | None = None
    status: str | None = None
    partially_successful_options: PartiallySuccessfulOptions | None = Field(
        default=None, alias="partiallySuccessfulOptions"
    )
    started_at: Timestamp = Field(default=None, alias="startedAt")
    finished_at: Timestamp = Field(default=None, alias="finishedAt")
    source: Source | None = None
    destination: Destination | None = None
    progress: Progress | None = None
    error: ApplicationError | None = None
    source_site_id: str | None = Field(default=None, alias="sourceSiteId")
    destination_site_id: str | None = Field(default=None, alias="destinationSiteId")
    logs_recorded: Count = Field(default=None, alias="logsRecorded")
    schedule_id: str | None = Field(default=None, alias="scheduleId")
    workflow_id: str | None = Field(default=None, alias="workflowId")
    extended_fields: ExtendedFields | None = Field(default=None, alias="extendedFields")
    transformations: list[Any] | None = None
    data_center: str | None = Field(default=None, alias="dataCenter")


class FieldViolation(WixModel):
    field: str | None = None
    description: str | None = None
    violated_rule: str | None = Field(default=None, alias="violatedRule")


class ValidationErrorDetails(WixModel):
    field_violations: list[FieldViolation] | None = Field(default=None, alias="fieldViolations")


class ErrorDetails(WixModel):
    application_error: ApplicationError | None = Field(default=None, alias="applicationError")
    validation_error: ValidationErrorDetails | None = Field(default=None, alias="validationError")


class ErrorBody(WixModel):
    """What Wix sends with a 4xx or 5xx status."""

    message: str | None = None
    details: ErrorDetails | None = None


class MovementLog(WixModel):
    source_item_id: str | None = Field(default=None, alias="sourceItemId")
    failure: ApplicationError | None = None
    details: dict[str, Any] | None = None
    success: dict[str, Any] | None = None  # older name of details


# Credentials a job can carry (a Google Sheets source holds an OAuth access token).
SECRET_FIELDS = frozenset({"accessToken", "refreshToken", "clientSecret", "password", "apiKey"})


MAX_DEPTH = 64


class TooDeep(ValueError):
    """JSON nested deeper than any Wix answer is."""


def nested_within(value: Any, depth: int) -> bool:
    """Whether parsed JSON nests lists and objects no more than `depth` levels deep."""
    level: list[Any] = [value]
    for _ in range(depth + 1):
        level = [
            child
            for item in level
            for child in (
                cast(dict[str, Any], item).values()
                if isinstance(item, dict)
                else cast(list[Any], item)
                if isinstance(item, list)
                else ()
            )
        ]
        if not level:
            return True
    return False


def redact_secrets(value: Any, scrubber: Scrubber | None = None, _depth: int = 0) -> Any:
    """A copy with every credential field's value replaced, however deep it sits, and the key
    (whole or any run of it, see scrub.py) taken out of every string, keys included."""
    if _depth > MAX_DEPTH:
        raise TooDeep(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        return {
            _scrubbed(key, scrubber): REDACTED
            if key in SECRET_FIELDS and item
            else redact_secrets(item, scrubber, _depth + 1)
            for key, item in cast(dict[str, Any], value).items()
        }
    if isinstance(value, list):
        return [redact_secrets(item, scrubber, _depth + 1) for item in cast(list[Any], value)]
    if isinstance(value, str):
        return _scrubbed(value, scrubber)
    return value


def _scrubbed(text: str, scrubber: Scrubber | None) -> str:
    return scrubber.scrub(text) if scrubber is not None else text


FINISHED_STATUSES = frozenset({"COMPLETED", "FAILED", "PARTIALLY_SUCCESSFUL"})
KNOWN_STATUSES = FINISHED_STATUSES | {"UNINITIALIZED", "INITIALIZING", "IN_PROGRESS"}
STATUS_SHAPE = re.compile(r"[A-Z_]{1,40}")

ModelT = TypeVar("ModelT", bound=WixModel)


def parse_job(raw: dict[str, Any]) -> tuple[DataMovementJob, list[str]]:
    """The job as far as it is valid, and the fields that had to be set aside to get there."""
    return parse_leniently(DataMovementJob, raw)


def parse_leniently(model: type[ModelT], raw: dict[str, Any]) -> tuple[ModelT, list[str]]:
    """Validate `raw`, dropping each malformed field (and naming it) instead of failing whole."""
    data = raw
    ignored: list[str] = []
    while True:
        try:
            return model.model_validate(data), ignored
        except ValidationError as exc:
            data, dropped = _without_invalid_fields(data, exc)
            if not dropped:
                return model(), [*ignored, "(everything)"]
            ignored.extend(dropped)


def _without_invalid_fields(
    data: dict[str, Any], exc: ValidationError
) -> tuple[dict[str, Any], list[str]]:
    data = _copy_dicts(data)
    dropped: list[str] = []
    for error in exc.errors():
        path = [part for part in error["loc"] if isinstance(part, str)]
        parent: Any = data
        for key in path[:-1]:
            parent = cast(dict[str, Any], parent).get(key) if isinstance(parent, dict) else None
        if path and isinstance(parent, dict) and path[-1] in parent:
            del parent[path[-1]]
            dropped.append(".".join(path))
    return data, dropped


def _copy_dicts(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_dicts(item) for key, item in value.items()}  # pyright: ignore[reportUnknownVariableType]
    return value


def paging_cursor(body: dict[str, Any]) -> str | None:
    """The cursor of the next page from Wix's pagingMetadata, or None on the last page."""
    metadata = body.get("pagingMetadata")
    if not isinstance(metadata, dict):
        return None
    metadata = cast(dict[str, Any], metadata)
    cursors = metadata.get("cursors")
    if not metadata.get("hasNext") or not isinstance(cursors, dict):
        return None
    following = cast(dict[str, Any], cursors).get("next")
    return following if isinstance(following, str) and following else None
