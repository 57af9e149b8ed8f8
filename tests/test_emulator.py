"""The emulator speaks the Data Mover API as Wix does, and its jobs move with the clock."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator, JobTimeline
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.wix.models import ErrorBody, MovementLog, parse_job, parse_leniently

HEADERS = {"authorization": DEMO_API_KEY, "wix-site-id": DEMO_SITE_ID}


@pytest.fixture
def wix(emulator: Emulator) -> Iterator[httpx.Client]:
    emulator.state.clear_faults()
    with httpx.Client(base_url=f"{emulator.url}/data-mover/v1", headers=HEADERS) as client:
        yield client


def test_every_seeded_job_validates_against_the_wix_models(wix: httpx.Client):
    jobs = wix.get("/jobs", params={"paging.limit": 100}).json()["jobs"]
    assert set(demo.DEMO_JOB_IDS) <= {job["id"] for job in jobs}
    for raw in jobs:
        job, ignored = parse_job(raw)
        assert ignored == [], raw
        assert job.id and job.status
    statuses = {job["status"] for job in jobs}
    assert {"COMPLETED", "FAILED", "PARTIALLY_SUCCESSFUL", "UNINITIALIZED"} <= statuses


def test_responses_carry_a_request_id(wix: httpx.Client):
    response = wix.get(f"/jobs/{demo.PRODUCTS_IMPORT}")
    assert response.status_code == 200
    assert len(response.headers["x-wix-request-id"]) == 32


def test_credentials_are_required(emulator: Emulator):
    base = f"{emulator.url}/data-mover/v1/jobs/{demo.PRODUCTS_IMPORT}"
    missing = httpx.get(base)
    wrong = httpx.get(base, headers={"authorization": "IST.nope", "wix-site-id": DEMO_SITE_ID})
    no_site = httpx.get(base, headers={"authorization": DEMO_API_KEY})
    assert (missing.status_code, wrong.status_code, no_site.status_code) == (401, 401, 428)
    error, ignored = parse_leniently(ErrorBody, no_site.json())
    assert ignored == []
    assert error.details and error.details.application_error
    assert error.details.application_error.code == "MISSING_METASITE_ID"


def test_another_sites_job_is_not_found(wix: httpx.Client):
    assert wix.get(f"/jobs/{demo.OTHER_SITE_JOB}").status_code == 404
    assert wix.get("/jobs/not-a-guid").status_code == 404


def test_query_filters_sorts_and_pages_with_a_cursor(wix: httpx.Client):
    query = {
        "filter": {"status": {"$in": ["COMPLETED", "FAILED"]}},
        "sort": [{"fieldName": "startedAt", "order": "DESC"}],
        "cursorPaging": {"limit": 2},
    }
    first = wix.post("/jobs/query", json={"query": query}).json()
    cursor = first["pagingMetadata"]["cursors"]["next"]
    second = wix.post(
        "/jobs/query", json={"query": {"cursorPaging": {"limit": 2, "cursor": cursor}}}
    ).json()
    jobs = first["jobs"] + second["jobs"]
    assert {job["status"] for job in jobs} <= {"COMPLETED", "FAILED"}
    started = [job["startedAt"] for job in jobs]
    assert started == sorted(started, reverse=True)
    assert len({job["id"] for job in jobs}) == 4


def test_query_refuses_unknown_fields_and_operators(wix: httpx.Client):
    bad_field = wix.post("/jobs/query", json={"query": {"filter": {"owner": "me"}}})
    bad_operator = wix.post("/jobs/query", json={"query": {"filter": {"name": {"$regex": "x"}}}})
    too_many = wix.post("/jobs/query", json={"query": {"cursorPaging": {"limit": 500}}})
    assert (bad_field.status_code, bad_operator.status_code, too_many.status_code) == (
        400,
        400,
        400,
    )
    assert (
        too_many.json()["details"]["validationError"]["fieldViolations"][0]["field"]
        == "paging.limit"
    )


def test_logs_of_a_partial_job_page_through_every_rejected_item(wix: httpx.Client):
    logs: list[dict] = []
    params: dict[str, str | int] = {"paging.limit": 8}
    while True:
        page = wix.get(f"/jobs/{demo.MEMBERS_PARTIAL}/logs", params=params).json()
        logs += page["logs"]
        if not page["pagingMetadata"]["hasNext"]:
            break
        params["paging.cursor"] = page["pagingMetadata"]["cursors"]["next"]
    assert len(logs) == 30
    assert len({log["sourceItemId"] for log in logs}) == 30
    for raw in logs:
        log, ignored = parse_leniently(MovementLog, raw)
        assert ignored == [] and log.failure and log.failure.code


def test_a_job_moves_through_every_status(emulator: Emulator, wix: httpx.Client):
    now = emulator.state.now()
    fields = {"id": "88888888-0000-4000-8000-000000000001", "source": {}, "destination": {}}
    timeline = JobTimeline(
        DEMO_SITE_ID,
        fields,
        submitted_at=now,
        pending=10,
        initializing=10,
        running=10,
        outcome="PARTIALLY_SUCCESSFUL",
        items=100,
        rejected=10,
    )
    emulator.state.add_job(timeline)
    seen = [timeline.render(now + offset)["status"] for offset in (1, 11, 25, 31)]
    assert seen == ["UNINITIALIZED", "INITIALIZING", "IN_PROGRESS", "PARTIALLY_SUCCESSFUL"]
    halfway = timeline.render(now + 25)["progress"]
    assert (halfway["current"], halfway["total"], halfway["itemsRejected"]) == (50, 100, 5)
    assert timeline.render(now + 31)["logsRecorded"] == 10
    assert timeline.render(now + 25)["logsRecorded"] == 5  # logs are counted as they are made
    assert timeline.render(now + 1)["logsRecorded"] == 0


def test_terminate_stops_a_running_job_and_refuses_a_finished_one(
    emulator: Emulator, wix: httpx.Client
):
    job_id = "88888888-0000-4000-8000-000000000002"  # not a seeded job's id
    now = emulator.state.now()
    emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {"id": job_id},
            submitted_at=now - 5,
            pending=0,
            initializing=0,
            running=600,
        )
    )
    stopped = wix.post(f"/jobs/{job_id}/terminate").json()["job"]
    assert stopped["status"] == "FAILED"
    assert stopped["error"]["code"] == "EMULATOR_TERMINATED"
    assert "Wix documents no status or error code" in stopped["error"]["description"]
    again = wix.post(f"/jobs/{job_id}/terminate")
    assert again.status_code == 400


def test_submitted_jobs_start_waiting(wix: httpx.Client):
    body = {
        "job": {
            "name": "New import",
            "source": {"file": {"format": "CSV"}},
            "destination": {"wixDataCollection": {"collectionId": "X"}},
        }
    }
    job = wix.post("/jobs", json=body).json()["job"]
    assert job["status"] == "UNINITIALIZED" and job["name"] == "New import"
    assert wix.get(f"/jobs/{job['id']}").json()["job"]["id"] == job["id"]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("rate_limit", 429),
        ("server_error", 503),
        ("html", 502),
        ("malformed_json", 200),
        ("no_job", 200),
        ("empty", 200),
    ],
)
def test_faults_apply_for_their_count_then_clear(
    emulator: Emulator, wix: httpx.Client, kind, status
):
    emulator.state.inject(kind, job_id=demo.PRODUCTS_IMPORT, count=1, retry_after="1")
    faulty = wix.get(f"/jobs/{demo.PRODUCTS_IMPORT}")
    assert faulty.status_code == status
    assert "job" not in (faulty.json() if kind in {"rate_limit", "server_error", "no_job"} else {})
    assert wix.get(f"/jobs/{demo.PRODUCTS_IMPORT}").json()["job"]["id"] == demo.PRODUCTS_IMPORT


def test_a_reset_fault_closes_the_connection_mid_body(emulator: Emulator, wix: httpx.Client):
    emulator.state.inject("reset", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        wix.get(f"/jobs/{demo.PRODUCTS_IMPORT}")


def test_queries_allow_the_operators_wix_allows_per_field(wix: httpx.Client):
    def query(filter_: dict) -> httpx.Response:
        return wix.post("/jobs/query", json={"query": {"filter": filter_}})

    assert query({"status": {"$gt": "COMPLETED"}}).status_code == 400
    assert query({"startedAt": {"$startsWith": "2026"}}).status_code == 400
    assert query({"status": {"$exists": True}}).status_code == 200
    found = query({"name": {"$startsWith": "products IMPORT"}}).json()["jobs"]
    assert [job["id"] for job in found] == [demo.PRODUCTS_IMPORT]


def test_a_queued_job_already_has_its_submission_time(emulator: Emulator, wix: httpx.Client):
    job = emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {"id": "66666666-0000-4000-8000-000000000001", "source": {}, "destination": {}},
            submitted_at=emulator.state.now(),
            pending=3600,
        )
    )
    raw = wix.get(f"/jobs/{job.id}").json()["job"]
    assert raw["status"] == "UNINITIALIZED" and raw["startedAt"]


def test_a_file_import_logs_row_numbers(wix: httpx.Client):
    logs = wix.get(f"/jobs/{demo.MEMBERS_PARTIAL}/logs").json()["logs"]
    assert all(log["sourceItemId"].isdigit() for log in logs)


def test_a_jsonl_import_names_its_rejected_items_by_id_not_by_csv_row(emulator: Emulator):
    job = emulator.state.add_job(
        JobTimeline(
            DEMO_SITE_ID,
            {
                "id": "66666666-0000-4000-8000-000000000002",
                "source": {"file": {"format": "JSONL", "fileId": "f"}},
                "destination": {"wixDataCollection": {"collectionId": "Reviews"}},
            },
            submitted_at=emulator.state.now() - 600,
            outcome="PARTIALLY_SUCCESSFUL",
            rejected=3,
        )
    )
    ids = [log["sourceItemId"] for log in job.logs(emulator.state.now())]
    assert len(ids) == 3 and not any(item.isdigit() for item in ids)


def test_created_and_updated_are_sent_only_where_a_collection_is_written(wix: httpx.Client):
    jobs = {job["id"]: job for job in wix.get("/jobs", params={"paging.limit": 100}).json()["jobs"]}
    assert "itemsSuccessfulInfo" in jobs[demo.PRODUCTS_IMPORT]["progress"]
    for export in (demo.ORDERS_EXPORT, demo.MENU_TRANSLATION):
        assert "itemsSuccessfulInfo" not in jobs[export]["progress"]


def test_a_completed_job_reports_all_of_its_units():
    # Times whose float sum does not give back the running time exactly (0.99999984 of it).
    upload = JobTimeline(
        DEMO_SITE_ID,
        {"id": "66666666-0000-4000-8000-000000000003", "source": {}, "destination": {}},
        submitted_at=1764567890.123,
        pending=1.5,
        initializing=2.5,
        running=0.6,
        units="BYTES",
        size_bytes=30_000_000,
    )
    progress = upload.render(1764567890.123 + 3600)["progress"]
    assert progress["current"] == progress["total"] == 30_000_000


def test_an_exports_file_holds_a_row_for_each_item_it_moved(emulator: Emulator):
    orders = httpx.get(f"{emulator.url}/_emulator/files/{demo.ORDERS_EXPORT}/paid-orders.csv")
    patients = httpx.get(f"{emulator.url}/_emulator/files/{demo.DENTAL_EXPORT}/patients.csv")
    wrong = httpx.get(f"{emulator.url}/_emulator/files/{demo.ORDERS_EXPORT}/patients.csv")
    assert orders.text.splitlines()[0] == "_id,orderNumber,status,total"
    assert len(orders.text.splitlines()) == 1 + 842
    assert patients.text.splitlines()[0] == "_id,name,lastVisit"
    assert len(patients.text.splitlines()) == 1 + 310
    assert wrong.status_code == 404


def test_a_submitted_job_moves_what_its_source_holds(wix: httpx.Client, emulator: Emulator):
    blog = emulator.state.jobs[demo.BLOG_IMPORT_FAILED].fields
    body = {
        "job": {"name": "Blog again", "source": blog["source"], "destination": blog["destination"]}
    }
    again = wix.post("/jobs", json=body).json()["job"]
    new = wix.post("/jobs", json={"job": body["job"] | {"source": {"file": {"fileId": "new"}}}})
    done = emulator.state.jobs[again["id"]].render(emulator.state.now() + 3600)
    assert done["progress"]["total"] == done["progress"]["itemsSuccessful"] == 340
    assert emulator.state.jobs[new.json()["job"]["id"]].items == 200


def test_the_sdk_drift_check_catches_enum_values_and_size_bounds_the_sdk_does_not_allow():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).parents[1] / ".ci" / "sdk_drift.py"
    spec = importlib.util.spec_from_file_location("sdk_drift", path)
    assert spec and spec.loader
    drift = importlib.util.module_from_spec(spec)
    sys.modules["sdk_drift"] = drift  # its dataclass looks itself up there
    spec.loader.exec_module(drift)
    typings = (
        "interface Spec {\n"
        "    /**\n     * Languages.\n     * @minSize 2\n     */\n"
        "    languages?: string[];\n"
        "    fieldType?: FieldTypeWithLiterals;\n"
        "}\n"
        'declare enum FieldType {\n    ANY = "ANY",\n    STRING = "STRING"\n}\n'
    )
    interfaces, enums = drift.declarations(typings)
    problems = drift.walk(
        {"languages": ["en"], "fieldType": "TEXT"}, "Spec", "job", interfaces, enums
    )
    assert problems == [
        "job.languages breaks Spec.languages's @minSize 2",
        "job.fieldType is 'TEXT', not one of the SDK's FieldType ['ANY', 'STRING']",
    ]
    assert (
        drift.walk(
            {"languages": ["en", "fr"], "fieldType": "STRING"}, "Spec", "job", interfaces, enums
        )
        == []
    )
