"""Jobs as Wix sends them, one for each status and kind of source and destination."""

from __future__ import annotations

from typing import Any

SITE_ID = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER_SITE_ID = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
API_KEY = "IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.secret-test-key-a1b2c3d4"

CSV_IMPORT_ID = "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"
JSONL_FAILED_ID = "1b4d6a3f-9c2e-4d7f-8a1b-2c3d4e5f6071"
PARTIAL_ID = "2c5e7b4a-0d3f-4e8a-9b2c-3d4e5f607182"
EXPORT_ID = "3d6f8c5b-1e4a-4f9b-8c3d-4e5f60718293"
RUNNING_BYTES_ID = "4e7a9d6c-2f5b-4a0c-9d4e-5f60718293a4"
LOCALIZATION_ID = "5f8b0e7d-3a6c-4b1d-8e5f-60718293a4b5"
UNINITIALIZED_ID = "6a9c1f8e-4b7d-4c2e-9f60-718293a4b5c6"
INITIALIZING_ID = "7b0d2a9f-5c8e-4d3f-8a71-8293a4b5c6d7"
CROSS_SITE_ID = "8c1e3b0a-6d9f-4e4a-9b82-93a4b5c6d7e8"

NOW = "2026-04-22T10:30:00Z"


def csv_import_completed() -> dict[str, Any]:
    return {
        "id": CSV_IMPORT_ID,
        "name": "Products import",
        "status": "COMPLETED",
        "startedAt": "2026-04-22T10:23:25.798Z",
        "finishedAt": "2026-04-22T10:25:39.512Z",
        "source": {"file": {"format": "CSV", "fileId": "a1b2c3d4e5f6"}},
        "destination": {
            "wixDataCollection": {"collectionId": "Products", "writePolicy": "OVERWRITE"}
        },
        "progress": {
            "current": "1250",
            "total": "1250",
            "itemsSuccessful": "1250",
            "itemsRejected": "0",
            "units": "ITEMS",
            "itemsSuccessfulInfo": {"itemsCreated": "1200", "itemsUpdated": "50"},
        },
        "logsRecorded": 0,
    }


def jsonl_import_failed() -> dict[str, Any]:
    return {
        "id": JSONL_FAILED_ID,
        "name": "Blog posts from old site",
        "status": "FAILED",
        "startedAt": "2026-04-22T09:00:00Z",
        "finishedAt": "2026-04-22T09:00:12Z",
        "source": {"file": {"format": "JSONL", "fileId": "f9e8d7c6"}},
        "destination": {"wixDataCollection": {"collectionId": "Posts"}},
        "progress": {"current": 0, "total": None, "itemsSuccessful": 0, "itemsRejected": 0},
        "error": {
            "code": "WDH0003",
            "description": "Line 17: unexpected end of JSON input",
            "data": {"line": 17},
        },
    }


def partially_successful() -> dict[str, Any]:
    return {
        "id": PARTIAL_ID,
        "name": "Members CSV",
        "status": "PARTIALLY_SUCCESSFUL",
        "partiallySuccessfulOptions": {"cause": "Some items were rejected by the destination"},
        "startedAt": "2026-04-22T08:00:00Z",
        "finishedAt": "2026-04-22T08:03:30Z",
        "source": {"file": {"format": "CSV", "fileId": "c0ffee"}},
        "destination": {"wixDataCollection": {"collectionId": "Members"}},
        "progress": {
            "current": "500",
            "total": "500",
            "itemsSuccessful": "470",
            "itemsRejected": "30",
            "units": "ITEMS",
            "itemsSuccessfulInfo": {"itemsCreated": 470},
        },
        "logsRecorded": "30",
    }


def export_completed() -> dict[str, Any]:
    return {
        "id": EXPORT_ID,
        "name": "Orders export",
        "status": "COMPLETED",
        "startedAt": "2026-04-22T07:00:00Z",
        "finishedAt": "2026-04-22T07:00:41Z",
        "source": {
            "wixDataCollection": {
                "collectionId": "Orders",
                "filterQuery": {"filter": {"status": {"$eq": "PAID"}}, "fields": []},
                "environment": "LIVE",
            }
        },
        "destination": {
            "file": {
                "format": "CSV",
                "fileName": "orders.csv",
                "url": "https://download.wixstatic.com/data-mover/orders.csv?token=abc",
            }
        },
        "progress": {"current": 842, "total": 842, "itemsSuccessful": 842, "itemsRejected": 0},
    }


def running_in_bytes() -> dict[str, Any]:
    return {
        "id": RUNNING_BYTES_ID,
        "name": "Catalog upload",
        "status": "IN_PROGRESS",
        "startedAt": "2026-04-22T10:28:00Z",
        "source": {"file": {"format": "CSV", "fileId": "big-file"}},
        "destination": {"wixDataCollection": {"collectionId": "Catalog"}},
        "progress": {
            "current": "12345678",
            "total": "30000000",
            "itemsSuccessful": "4100",
            "itemsRejected": "3",
            "units": "BYTES",
        },
    }


def localization_in_progress() -> dict[str, Any]:
    return {
        "id": LOCALIZATION_ID,
        "status": "IN_PROGRESS",
        "startedAt": "2026-04-22T10:29:00Z",
        "source": {"localization": {"languages": ["en", "fr", "de", "es"]}},
        "destination": {"file": {"format": "CSV", "fileName": "menu-translations.csv"}},
        "progress": {"current": 120, "total": 400, "itemsSuccessful": 120, "units": "ITEMS"},
    }


def uninitialized() -> dict[str, Any]:
    return {
        "id": UNINITIALIZED_ID,
        "name": "Nightly sync",
        "status": "UNINITIALIZED",
        "source": {"googleSheets": {"spreadsheetId": "1AbC", "sheetName": "Inventory"}},
        "destination": {"storesCatalogInventory": {}},
        "scheduleId": "aa11bb22-cc33-4d44-8e55-ff6677889900",
    }


def initializing() -> dict[str, Any]:
    return {
        "id": INITIALIZING_ID,
        "name": "Media move",
        "status": "INITIALIZING",
        "startedAt": "2026-04-22T10:29:30Z",
        "source": {"wixMedia": {"sourceFolderId": "media-root"}},
        "destination": {"wixMedia": {"targetFolderId": "archive"}},
        "workflowId": "bb22cc33-dd44-4e55-8f66-007788990011",
    }


def cross_site_copy() -> dict[str, Any]:
    return {
        "id": CROSS_SITE_ID,
        "name": "Copy recipes from staging",
        "status": "COMPLETED",
        "startedAt": "2026-04-22T06:00:00Z",
        "finishedAt": "2026-04-22T06:01:05Z",
        "sourceSiteId": OTHER_SITE_ID,
        "source": {"wixDataCollection": {"collectionId": "Recipes"}},
        "destination": {
            "wixDataCollection": {"collectionId": "Recipes", "writePolicy": "TRUNCATE_BEFORE"}
        },
        "progress": {"current": 64, "total": 64, "itemsSuccessful": 64, "itemsRejected": 0},
        "extendedFields": {"namespaces": {"@acme/sync": {"runBy": "ci"}}},
        "transformations": [
            {
                "fieldMapping": {
                    "mappings": [{"sourceKey": "title", "targetKey": "name", "fieldType": "STRING"}]
                }
            }
        ],
    }


ALL_JOBS = [
    csv_import_completed,
    jsonl_import_failed,
    partially_successful,
    export_completed,
    running_in_bytes,
    localization_in_progress,
    uninitialized,
    initializing,
    cross_site_copy,
]
