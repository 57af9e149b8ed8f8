"""Demo data that looks like real use of the Data Mover: a small agency's account, its main
demo site with jobs of every kind, and client sites with a few jobs of their own."""

from __future__ import annotations

from typing import Any

from .state import EmulatorState, JobTimeline, rfc3339

DEMO_API_KEY = "IST.demo-key-for-the-built-in-emulator"
DEMO_SITE_ID = "d3e0a5c1-7b2f-4c8e-9a61-5f4b3c2d1e00"
STAGING_SITE_ID = "a7c4e2f0-3d1b-4e9a-8c57-6b5a4d3c2e11"
OTHER_ACCOUNT_SITE_ID = "b8d5f3a1-4e2c-4fab-9d68-7c6b5e4d3f22"
DEMO_ACCOUNT_ID = "c9e6a4b2-5f3d-4a0b-8e79-8d7c6f5e4a33"
SKI_SITE_ID = "e1f7b5c3-6a4e-4b1c-9f8a-9e8d7a6f5b44"
DENTAL_SITE_ID = "f2a8c6d4-7b5f-4c2d-8a9b-af9e8b7a6c55"
HIDDEN_SITE_ID = "03b9d7e5-8c6a-4d3e-9bac-b0af9c8b7d66"  # in the account, not covered by the key
SKI_IMPORT_FAILED = "33333333-0000-4000-8000-000000000001"
INVENTORY_SCHEDULE = "cc11dd22-ee33-4f44-8a55-bb6677889900"
LAST_WORKFLOW = "dd22ee33-ff44-4a55-8b66-cc7788990011"
INVENTORY_SYNC_LAST_NIGHT = "33333333-0000-4000-8000-000000000003"
DENTAL_EXPORT = "33333333-0000-4000-8000-000000000002"
SITES = [
    (DEMO_SITE_ID, "Riverside Bakery", "https://www.riverside-bakery.example"),
    (STAGING_SITE_ID, "Riverside Bakery (staging)", "https://staging.riverside-bakery.example"),
    (SKI_SITE_ID, "Nordic Ski School", "https://www.nordic-ski.example"),
    (DENTAL_SITE_ID, "Harbor Dental", "https://www.harbor-dental.example"),
    (HIDDEN_SITE_ID, "Lakeview Hotel", "https://www.lakeview-hotel.example"),
]

PRODUCTS_IMPORT = "11111111-0000-4000-8000-000000000001"
BLOG_IMPORT_FAILED = "11111111-0000-4000-8000-000000000002"
MEMBERS_PARTIAL = "11111111-0000-4000-8000-000000000003"
ORDERS_EXPORT = "11111111-0000-4000-8000-000000000004"
RECIPES_COPY = "11111111-0000-4000-8000-000000000005"
MENU_TRANSLATION = "11111111-0000-4000-8000-000000000006"
CATALOG_UPLOAD = "11111111-0000-4000-8000-000000000007"
INVENTORY_SYNC = "11111111-0000-4000-8000-000000000008"
EVENTS_IMPORT_FAILED = "11111111-0000-4000-8000-000000000009"
REVIEWS_IMPORT = "11111111-0000-4000-8000-00000000000a"
OTHER_SITE_JOB = "22222222-0000-4000-8000-000000000001"
DEMO_JOB_IDS = (
    PRODUCTS_IMPORT,
    BLOG_IMPORT_FAILED,
    MEMBERS_PARTIAL,
    ORDERS_EXPORT,
    RECIPES_COPY,
    MENU_TRANSLATION,
    CATALOG_UPLOAD,
    INVENTORY_SYNC,
    EVENTS_IMPORT_FAILED,
    REVIEWS_IMPORT,
    INVENTORY_SYNC_LAST_NIGHT,
)

MINUTE, HOUR = 60.0, 3600.0

MEMBER_FAILURES = [
    ("WDE0080", "Field 'email' expects an email address, got 'n/a'."),
    ("WDE0080", "Field 'birthday' expects a date, got '31/02/1990'."),
    ("WDE0021", "Field 'favoriteClass' references an item that does not exist."),
    ("WDE0080", "Field 'points' expects a number, got 'twelve'."),
    ("WDE0009", "The item is larger than 500 KB."),
]

REVIEW_FAILURES = [
    ("WDE0080", "Field 'rating' expects a number from 1 to 5, got '6'."),
    ("WDE0004", "Line is not a JSON object."),
]


def _csv(file_id: str) -> dict[str, Any]:
    return {"file": {"format": "CSV", "fileId": file_id}}


def _jsonl(file_id: str) -> dict[str, Any]:
    return {"file": {"format": "JSONL", "fileId": file_id}}


def _collection(collection_id: str, policy: str | None = None) -> dict[str, Any]:
    target: dict[str, Any] = {"collectionId": collection_id}
    if policy:
        target["writePolicy"] = policy
    return {"wixDataCollection": target}


def seed(state: EmulatorState, *, now: float, base_url: str, pace: float = 1.0) -> None:
    """Fill `state` with finished jobs in the past and jobs that move from `now` on; the moving
    ones take `pace` times their usual time (the demo's tour passes less than 1)."""
    site = DEMO_SITE_ID
    jobs = [
        JobTimeline(
            site,
            {
                "id": PRODUCTS_IMPORT,
                "name": "Products import (spring catalog)",
                "source": _csv("f-products-2026"),
                "destination": _collection("Products", "OVERWRITE"),
            },
            submitted_at=now - 2 * HOUR,
            running=134,
            items=1250,
            updated=50,
        ),
        JobTimeline(
            site,
            {
                "id": BLOG_IMPORT_FAILED,
                "name": "Blog posts from old site",
                "source": _jsonl("f-blog-export"),
                "destination": _collection("BlogPosts"),
            },
            submitted_at=now - 75 * MINUTE,
            running=60,
            outcome="FAILED",
            fails_at=0.0,
            items=340,
            error={
                "code": "WDH0003",
                "description": "Line 17: unexpected end of JSON input.",
                "data": {"line": 17},
            },
        ),
        JobTimeline(
            site,
            {
                "id": MEMBERS_PARTIAL,
                "name": "Members import",
                "source": _csv("f-members"),
                "destination": _collection("Members"),
            },
            submitted_at=now - 50 * MINUTE,
            running=210,
            outcome="PARTIALLY_SUCCESSFUL",
            items=500,
            rejected=30,
            failures=MEMBER_FAILURES,
            cause="Some items were rejected by the destination collection.",
        ),
        JobTimeline(
            site,
            {
                "id": ORDERS_EXPORT,
                "name": "Paid orders export",
                "source": {
                    "wixDataCollection": {
                        "collectionId": "Orders",
                        "environment": "LIVE",
                        "filterQuery": {"filter": {"status": {"$eq": "PAID"}}, "fields": []},
                    }
                },
                "destination": {"file": {"format": "CSV", "fileName": "paid-orders.csv"}},
            },
            submitted_at=now - 3 * HOUR,
            running=41,
            items=842,
            export_url=f"{base_url}/_emulator/files/{ORDERS_EXPORT}/paid-orders.csv",
        ),
        JobTimeline(
            site,
            {
                "id": RECIPES_COPY,
                "name": "Copy recipes from staging",
                "sourceSiteId": STAGING_SITE_ID,
                "source": _collection("Recipes"),
                "destination": _collection("Recipes", "TRUNCATE_BEFORE"),
                "transformations": [
                    {
                        "fieldMapping": {
                            "mappings": [
                                {"sourceKey": "title", "targetKey": "name", "fieldType": "STRING"}
                            ]
                        }
                    }
                ],
            },
            submitted_at=now - 26 * HOUR,
            running=65,
            items=64,
        ),
        JobTimeline(
            site,
            {
                "id": MENU_TRANSLATION,
                "name": "Menu translations",
                # Languages: at least two (the SDK's @minSize 2), the first the main one.
                "source": {"localization": {"languages": ["en", "fr", "de", "es"]}},
                "destination": {"file": {"format": "CSV", "fileName": "menu-translations.csv"}},
            },
            submitted_at=now - 4 * MINUTE,
            running=15 * MINUTE,
            items=400,
            export_url=f"{base_url}/_emulator/files/{MENU_TRANSLATION}/menu-translations.csv",
        ),
        JobTimeline(
            site,
            {
                "id": CATALOG_UPLOAD,
                "name": "Catalog upload (large CSV)",
                "source": _csv("f-catalog-full"),
                "destination": _collection("Catalog"),
            },
            submitted_at=now,
            pending=1.5 * pace,
            initializing=2.5 * pace,
            running=12 * pace,
            units="BYTES",
            items=4100,
            size_bytes=30_000_000,
        ),
        JobTimeline(
            site,
            {
                "id": INVENTORY_SYNC,
                "name": "Inventory sync (waiting)",
                "source": {"googleSheets": {"spreadsheetId": "1AbCdEf", "sheetName": "Stock"}},
                "destination": {"storesCatalogInventory": {}},
            },
            submitted_at=now,
            pending=24 * HOUR,
        ),
        JobTimeline(
            site,
            {
                "id": EVENTS_IMPORT_FAILED,
                "name": "Events import",
                "source": _csv("f-events"),
                "destination": _collection("Events"),
            },
            submitted_at=now - 5 * HOUR,
            running=30,
            outcome="FAILED",
            fails_at=0.0,
            error={"code": "WDE0110", "description": "Code editor is not enabled for this site."},
        ),
        JobTimeline(
            site,
            {
                "id": REVIEWS_IMPORT,
                "name": "Reviews import",
                "source": _jsonl("f-reviews"),
                "destination": _collection("Reviews"),
            },
            submitted_at=now,
            pending=3 * pace,
            initializing=4 * pace,
            running=18 * pace,
            outcome="PARTIALLY_SUCCESSFUL",
            items=900,
            rejected=12,
            failures=REVIEW_FAILURES,
            cause="Some lines could not be saved.",
        ),
        JobTimeline(
            OTHER_ACCOUNT_SITE_ID,
            {
                "id": OTHER_SITE_JOB,
                "name": "Another site's job",
                "source": _csv("f-x"),
                "destination": _collection("X"),
            },
            submitted_at=now - HOUR,
            running=10,
        ),
    ]
    jobs += [
        JobTimeline(
            SKI_SITE_ID,
            {
                "id": SKI_IMPORT_FAILED,
                "name": "Lessons import",
                "source": _csv("f-lessons"),
                "destination": _collection("Lessons"),
            },
            submitted_at=now - 2 * 24 * HOUR,
            running=20,
            outcome="FAILED",
            fails_at=0.0,
            error={"code": "WDH0003", "description": "Row 1: the header has an empty column."},
        ),
        JobTimeline(
            DENTAL_SITE_ID,
            {
                "id": DENTAL_EXPORT,
                "name": "Patients export",
                "source": _collection("Patients"),
                "destination": {"file": {"format": "CSV", "fileName": "patients.csv"}},
            },
            submitted_at=now - 3 * 24 * HOUR,
            running=40,
            items=310,
            export_url=f"{base_url}/_emulator/files/{DENTAL_EXPORT}/patients.csv",
        ),
    ]
    last_2am = now - (now - 2 * HOUR) % (24 * HOUR)  # the schedule runs at 02:00 UTC
    jobs.append(
        JobTimeline(
            site,
            {
                "id": INVENTORY_SYNC_LAST_NIGHT,
                "name": "Nightly inventory sync",
                "scheduleId": INVENTORY_SCHEDULE,
                # Each run of a schedule creates a workflow; this job is its step.
                "workflowId": LAST_WORKFLOW,
                "source": {"googleSheets": {"spreadsheetId": "1AbCdEf", "sheetName": "Stock"}},
                "destination": {"storesCatalogInventory": {}},
            },
            submitted_at=last_2am,
            running=95,
            items=420,
        )
    )
    for job in jobs:
        state.add_job(job)
    state.schedules[site] = [
        {
            "id": INVENTORY_SCHEDULE,
            "revision": "3",
            "name": "Nightly inventory sync",
            "enabled": True,
            "cronExpression": "0 2 * * *",
            "lastExecutionDate": rfc3339(last_2am),
            "nextExecutionDate": rfc3339(last_2am + 24 * HOUR),
            "workflow": {
                "steps": [
                    {
                        "source": {
                            "googleSheets": {"spreadsheetId": "1AbCdEf", "sheetName": "Stock"}
                        },
                        "destination": {"storesCatalogInventory": {}},
                    }
                ]
            },
            "lastWorkflowId": LAST_WORKFLOW,
        }
    ]
    state.account_id = DEMO_ACCOUNT_ID
    state.sites = [
        {"id": site, "displayName": name, "viewUrl": url, "published": True}
        for site, name, url in SITES
    ]
    state.uncovered = {HIDDEN_SITE_ID}


def seed_agency(state: EmulatorState, *, sites: int, now: float) -> None:
    """An account of `sites` client sites, each with one job an hour old, every tenth failed:
    for measuring a search across many sites."""
    state.account_id = DEMO_ACCOUNT_ID
    for n in range(sites):
        site = f"44444444-0000-4000-8000-{n:012x}"
        state.sites.append({"id": site, "displayName": f"Client {n:03}"})
        state.add_job(
            JobTimeline(
                site,
                {
                    "id": f"55555555-0000-4000-8000-{n:012x}",
                    "source": _csv(f"f-client-{n:03}"),
                    "destination": _collection("Items"),
                },
                submitted_at=now - HOUR,
                running=10,
                outcome="FAILED" if n % 10 == 0 else "COMPLETED",
            )
        )
