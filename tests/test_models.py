from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from wix_data_mover_mcp.wix.models import DataMovementJob, parse_job, redact_secrets

from . import payloads


@pytest.mark.parametrize("make", payloads.ALL_JOBS, ids=lambda make: make.__name__)
def test_every_realistic_job_parses_without_setting_anything_aside(make):
    job, ignored = parse_job(make())
    assert ignored == []
    assert job.id and job.status


def test_string_counters_become_integers():
    job, _ = parse_job(payloads.running_in_bytes())
    assert job.progress is not None
    assert (job.progress.current, job.progress.total) == (12_345_678, 30_000_000)
    assert job.progress.items_rejected == 3
    assert job.progress.units == "BYTES"


def test_null_and_blank_counters_are_unknown_not_zero():
    job, ignored = parse_job({"progress": {"current": None, "total": "", "itemsRejected": " "}})
    assert ignored == []
    assert job.progress is not None
    assert (job.progress.current, job.progress.total, job.progress.items_rejected) == (None,) * 3


def test_timestamps_parse_with_and_without_zone():
    job, _ = parse_job(
        {"startedAt": "2026-04-22T10:23:25.798Z", "finishedAt": "2026-04-22T10:25:00"}
    )
    assert job.started_at == datetime(2026, 4, 22, 10, 23, 25, 798000, tzinfo=UTC)
    assert job.finished_at == datetime(2026, 4, 22, 10, 25, tzinfo=UTC)


def test_unknown_fields_and_enum_values_are_kept_as_they_are():
    raw: dict[str, Any] = payloads.csv_import_completed() | {"status": "PAUSED", "priority": "HIGH"}
    raw["source"] = {"dropbox": {"path": "/x.csv"}}
    raw["progress"]["units"] = "ROWS"
    job, ignored = parse_job(raw)
    assert ignored == []
    assert job.status == "PAUSED"
    assert job.model_extra == {"priority": "HIGH"}
    assert job.source is not None and job.source.model_extra == {"dropbox": {"path": "/x.csv"}}
    assert job.progress is not None and job.progress.units == "ROWS"


def test_every_documented_source_and_destination_kind_is_understood():
    job, _ = parse_job(
        {
            "source": {"wixDataCollectionDefinition": {"collectionIds": ["A", "B"]}},
            "destination": {"wixDataCollectionDefinition": {"writePolicy": "OVERWRITE"}},
        }
    )
    assert job.source and job.source.wix_data_collection_definition
    assert job.source.wix_data_collection_definition.collection_ids == ["A", "B"]
    assert job.destination and job.destination.wix_data_collection_definition
    for source in ("externalFile", "googleSheets", "wixMedia", "wixApi", "test"):
        parsed, ignored = parse_job({"source": {source: {}}})
        assert ignored == [] and parsed.source and parsed.source.model_extra == {}, source
    for destination in ("storesCatalogProducts", "storesCatalogInventory", "wixApi", "test"):
        parsed, ignored = parse_job({"destination": {destination: {}}})
        assert ignored == [] and parsed.destination and parsed.destination.model_extra == {}


def test_malformed_fields_are_set_aside_and_named_while_the_rest_survives():
    raw = payloads.partially_successful()
    raw["progress"]["total"] = "lots"
    raw["startedAt"] = "yesterday"
    raw["source"] = "CSV"
    job, ignored = parse_job(raw)
    assert sorted(ignored) == ["progress.total", "source", "startedAt"]
    assert job.status == "PARTIALLY_SUCCESSFUL"
    assert job.progress is not None and job.progress.items_rejected == 30
    assert job.started_at is None and job.source is None
    assert raw["progress"]["total"] == "lots", "the raw job is never modified"


def test_a_job_of_nothing_but_wrong_types_still_parses_empty():
    job, ignored = parse_job({"id": 7, "status": ["x"], "progress": [], "error": "boom"})
    assert job == DataMovementJob()
    assert sorted(ignored) == ["error", "id", "progress", "status"]


def test_fields_of_older_and_internal_jobs_are_understood():
    raw = {
        "dataCenter": "us-east",
        "source": {"dataMovementLogs": {"jobId": payloads.PARTIAL_ID}},
        "destination": {"wixMedia": {"targetFolderId": "f", "writePolicy": "SKIP_EXISTING"}},
        "progress": {"itemsProcessed": "12", "unit": "rows"},
    }
    job, ignored = parse_job(raw)
    assert ignored == [] and job.model_extra == {}
    assert job.data_center == "us-east"
    assert (
        job.source
        and job.source.data_movement_logs
        and job.source.data_movement_logs.job_id == payloads.PARTIAL_ID
    )
    assert job.progress is not None and job.progress.moved == 12


def test_credentials_inside_a_job_are_redacted_wherever_they_are():
    raw = {
        "source": {"googleSheets": {"spreadsheetId": "s", "accessToken": "ya29.secret"}},
        "extra": [{"password": "p"}, {"apiKey": ""}],
    }
    assert redact_secrets(raw) == {
        "source": {"googleSheets": {"spreadsheetId": "s", "accessToken": "[redacted]"}},
        "extra": [{"password": "[redacted]"}, {"apiKey": ""}],
    }
    assert raw["source"]["googleSheets"]["accessToken"] == "ya29.secret", (
        "the original is not changed"
    )
