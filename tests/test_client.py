from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.errors import WixApiError
from wix_data_mover_mcp.wix.client import WixDataMoverClient, create_http_client
from wix_data_mover_mcp.wix.http import MAX_BODY_BYTES, RetryPolicy

from . import payloads
from .conftest import FAST_RETRY

pytestmark = pytest.mark.anyio

JOB_ID = payloads.CSV_IMPORT_ID
Handler = Callable[[httpx.Request], Any]


class Recorder:
    """A fake Wix: answers from a list (the last one repeats) and keeps every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return await answer(request)
        return answer


def client(settings: Settings, fake: Recorder, retry: RetryPolicy = FAST_RETRY):
    http = create_http_client(settings, transport=httpx.MockTransport(fake))
    return WixDataMoverClient(http, settings, retry)


def job_answer(raw: dict[str, Any] | None = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"job": raw or payloads.csv_import_completed()})


def error_answer(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


async def failure(settings: Settings, fake: Recorder, retry: RetryPolicy = FAST_RETRY) -> str:
    async with client(settings, fake, retry) as wix:
        with pytest.raises(WixApiError) as caught:
            await wix.get_job(JOB_ID)
    return str(caught.value)


async def test_get_job_unwraps_the_job_and_sends_the_key_raw_with_the_site(settings):
    fake = Recorder(job_answer())
    async with client(settings, fake) as wix:
        job = await wix.get_job(JOB_ID)
    assert job == payloads.csv_import_completed()
    [request] = fake.requests
    assert request.method == "GET"
    assert str(request.url) == f"https://www.wixapis.com/data-mover/v1/jobs/{JOB_ID}"
    assert request.headers["authorization"] == payloads.API_KEY
    assert request.headers["wix-site-id"] == payloads.SITE_ID
    assert "wix-account-id" not in request.headers


async def test_site_calls_name_the_site_and_account_calls_the_account_never_both():
    account = "11111111-2222-4333-8444-555555555555"
    other_site = payloads.OTHER_SITE_ID
    settings = Settings(api_key="k" * 20, site_id=payloads.SITE_ID, account_id=account)  # pyright: ignore[reportArgumentType]
    fake = Recorder(job_answer(), job_answer(), httpx.Response(200, json={"sites": []}))
    async with WixDataMoverClient(
        create_http_client(settings, transport=httpx.MockTransport(fake)), settings, FAST_RETRY
    ) as wix:
        await wix.get_job(JOB_ID)
        await wix.get_job(JOB_ID, site=other_site)
        await wix.query_sites()
    scopes = [
        (r.headers.get("wix-site-id"), r.headers.get("wix-account-id")) for r in fake.requests
    ]
    assert scopes == [(payloads.SITE_ID, None), (other_site, None), (None, account)]


async def test_a_job_id_that_is_not_a_guid_never_reaches_a_path(settings):
    fake = Recorder(job_answer())
    async with client(settings, fake) as wix:
        for bad in ("../../oauth2/token", "", "x" * 10_000, f"{JOB_ID}/terminate"):
            with pytest.raises(WixApiError, match="is not a job id"):
                await wix.get_job(bad)
    assert fake.requests == []


async def test_401_says_the_key_is_missing_invalid_or_expired(settings):
    text = await failure(settings, Recorder(error_answer(401, {"message": "Unauthorized"})))
    assert text == (
        "Wix refused the credentials (401): WIX_API_KEY is missing, malformed or expired. "
        'Create a key at https://manage.wix.com/account/api-keys with the "Data Mover Manage '
        'Jobs" (SCOPE.DC-DATA.MANAGE_MOVEMENT_JOBS) permission and set WIX_API_KEY to it. '
        'Wix says: "Unauthorized".'
    )


async def test_403_names_the_permission_and_the_site(settings):
    fake = Recorder(
        error_answer(
            403, {"message": "Forbidden", "details": {}}, **{"x-wix-request-id": "req-403"}
        )
    )
    text = await failure(settings, fake)
    assert "SCOPE.DC-DATA.MANAGE_MOVEMENT_JOBS" in text
    assert f"must include site {payloads.SITE_ID}" in text
    assert text.endswith('Wix says: "Forbidden". (Wix request id req-403)')
    assert len(fake.requests) == 1


async def test_empty_403_mentions_throttling(settings):
    text = await failure(settings, Recorder(error_answer(403)))
    assert text.endswith("An empty 403 can also mean Wix is throttling: try again in a minute.")


async def test_404_names_the_job_and_the_site(settings):
    body = {
        "message": "Job not found",
        "details": {"applicationError": {"code": "JOB_NOT_FOUND", "description": "x"}},
    }
    fake = Recorder(error_answer(404, body))
    text = await failure(settings, fake)
    assert text == (
        f"No job {JOB_ID} was found on site {payloads.SITE_ID} (404). Jobs are per site: check "
        "that WIX_SITE_ID is the site the job was submitted for, and that the job id was copied "
        'whole. Wix says: code "JOB_NOT_FOUND"; "Job not found".'
    )
    assert len(fake.requests) == 1


async def test_428_asks_for_the_site_id():
    settings = Settings(api_key="IST.k")  # pyright: ignore[reportArgumentType]
    body = {"message": "", "details": {"applicationError": {"code": "MISSING_METASITE_ID"}}}
    text = await failure(settings, Recorder(error_answer(428, body)))
    assert text.startswith("Wix needs to know which site this is for (428). Set WIX_SITE_ID")
    assert 'code "MISSING_METASITE_ID"' in text


async def test_400_lists_field_violations(settings):
    body = {
        "message": "Bad request",
        "details": {
            "validationError": {
                "fieldViolations": [
                    {
                        "field": "paging.limit",
                        "description": "must be <= 100",
                        "violatedRule": "MAX",
                    }
                ]
            }
        },
    }
    text = await failure(settings, Recorder(error_answer(400, body)))
    assert text == (
        'Wix rejected the request as invalid (400). Wix says: "Bad request"; '
        '"paging.limit": "must be <= 100".'
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 428])
async def test_client_errors_are_not_retried(settings, status):
    fake = Recorder(error_answer(status, {"message": "no"}))
    await failure(settings, fake)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_transient_statuses_are_retried_until_success(settings, status):
    fake = Recorder(error_answer(status, {"message": "", "details": {}}), job_answer())
    async with client(settings, fake) as wix:
        job = await wix.get_job(JOB_ID)
    assert job["id"] == JOB_ID
    assert len(fake.requests) == 2


async def test_persistent_5xx_gives_up_after_the_attempts_with_the_status(settings):
    fake = Recorder(error_answer(503, {"message": "", "details": {}}, **{"x-wix-request-id": "r1"}))
    text = await failure(settings, fake)
    assert text == (
        "Wix had a server error (503). This is usually temporary: try again in a few minutes. "
        "Gave up after 4 attempts. (Wix request id r1)"
    )
    assert len(fake.requests) == 4


async def test_retry_after_is_honoured(settings):
    no_backoff = RetryPolicy(first_backoff=0, max_backoff=0, max_retry_after=5, deadline=5)
    fake = Recorder(
        error_answer(429, {"message": "slow down"}, **{"retry-after": "0.3"}), job_answer()
    )
    started = time.monotonic()
    async with client(settings, fake, no_backoff) as wix:
        await wix.get_job(JOB_ID)
    assert time.monotonic() - started >= 0.3
    assert len(fake.requests) == 2


async def test_a_retry_after_beyond_the_deadline_gives_up_at_once(settings):
    policy = RetryPolicy(max_retry_after=60, deadline=2)
    fake = Recorder(error_answer(429, {"message": "quota"}, **{"retry-after": "30"}))
    started = time.monotonic()
    text = await failure(settings, fake, policy)
    assert time.monotonic() - started < 1
    assert text.startswith("Wix is rate limiting these credentials (429")
    assert len(fake.requests) == 1


async def test_html_error_pages_are_described_never_shown(settings):
    page = httpx.Response(502, html="<html><body><h1>502 Bad Gateway</h1></body></html>")
    text = await failure(settings, Recorder(page))
    assert "<" not in text
    assert "HTML page" in text and "Gave up after 4 attempts" in text


async def test_connection_failures_are_retried_then_explained(settings):
    fake = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
    text = await failure(settings, fake)
    assert text == (
        "Could not connect to Wix at https://www.wixapis.com. Check the network connection and "
        "WIX_API_BASE_URL. Gave up after 4 attempts."
    )
    assert len(fake.requests) == 4


async def test_read_timeouts_are_retried_and_name_the_limit(settings):
    fake = Recorder(httpx.ReadTimeout("timed out"), job_answer())
    async with client(settings, fake) as wix:
        assert (await wix.get_job(JOB_ID))["id"] == JOB_ID
    fake = Recorder(httpx.ReadTimeout("timed out"))
    text = await failure(settings, fake)
    assert text.startswith("Wix did not answer within 10 s (WIX_API_TIMEOUT).")


async def test_the_whole_call_is_bounded_by_the_deadline(settings):
    async def never(request: httpx.Request) -> httpx.Response:
        # A hanging Wix, as a real transport meets it: httpx's read timeout fires.
        read_timeout = request.extensions["timeout"]["read"]
        assert read_timeout <= 0.5
        await anyio.sleep(read_timeout)
        raise httpx.ReadTimeout("timed out")

    policy = RetryPolicy(first_backoff=0.01, deadline=0.5)
    started = time.monotonic()
    text = await failure(settings, Recorder(never), policy)
    assert time.monotonic() - started < 2
    assert text.startswith("The call to Wix did not finish within 0.5 s.")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"", "an empty answer"),
        (b'{"job": {"id": "0a3c', "JSON that was cut short"),
        (b"<!doctype html><p>maintenance</p>", "an HTML page"),
        (b"OK", "an answer that is not JSON"),
        (b"[1, 2]", "an answer that is not JSON"),
    ],
)
async def test_bad_bodies_are_named(settings, body, kind):
    text = await failure(settings, Recorder(httpx.Response(200, content=body)))
    assert text.startswith(f"Wix sent {kind} (HTTP 200) instead of the expected JSON object.")


async def test_an_answer_without_a_job_is_an_error(settings):
    text = await failure(settings, Recorder(httpx.Response(200, json={"jobs": []})))
    assert text == "Wix's answer has no 'job' object. Try again shortly."


async def test_oversized_bodies_are_not_read_whole(settings):
    huge = b'{"job": {"name": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}}'
    text = await failure(settings, Recorder(httpx.Response(200, content=huge)))
    assert text.startswith("Wix's answer was larger than 4 MiB")


async def test_the_key_is_scrubbed_from_wix_messages(settings):
    body = {"message": f"Token {payloads.API_KEY} is not valid"}
    text = await failure(settings, Recorder(error_answer(401, body)))
    assert payloads.API_KEY not in text
    assert "Token [redacted] is not valid" in text


async def test_query_sends_filter_and_sort_then_only_the_cursor(settings):
    page = httpx.Response(200, json={"jobs": [], "pagingMetadata": {"count": 0}})
    fake = Recorder(page)
    async with client(settings, fake) as wix:
        await wix.query_jobs(
            filter={"status": {"$eq": "FAILED"}},
            sort=[{"fieldName": "startedAt", "order": "DESC"}],
            limit=5,
        )
        await wix.query_jobs(limit=5, cursor="abc")
    first, second = (json.loads(request.content) for request in fake.requests)
    assert first == {
        "query": {
            "cursorPaging": {"limit": 5},
            "filter": {"status": {"$eq": "FAILED"}},
            "sort": [{"fieldName": "startedAt", "order": "DESC"}],
        }
    }
    assert second == {"query": {"cursorPaging": {"limit": 5, "cursor": "abc"}}}
    assert fake.requests[0].url.path == "/data-mover/v1/jobs/query"


async def test_logs_are_paged_with_wix_parameter_names(settings):
    fake = Recorder(httpx.Response(200, json={"logs": [], "pagingMetadata": {}}))
    async with client(settings, fake) as wix:
        await wix.list_logs(JOB_ID, limit=25, cursor="next-1")
    url = fake.requests[0].url
    assert url.path == f"/data-mover/v1/jobs/{JOB_ID}/logs"
    assert dict(url.params) == {"paging.limit": "25", "paging.cursor": "next-1"}


async def test_terminate_is_not_retried_after_a_server_error(settings):
    fake = Recorder(error_answer(500, {"message": ""}), job_answer())
    async with client(settings, fake) as wix:
        with pytest.raises(WixApiError, match=r"server error \(500\)"):
            await wix.terminate_job(JOB_ID)
    assert len(fake.requests) == 1


async def test_credentials_in_jobs_never_leave_the_client(settings):
    job = payloads.uninitialized()
    job["source"]["googleSheets"]["accessToken"] = "ya29.a0-google-token"
    fake = Recorder(job_answer(job), httpx.Response(200, json={"jobs": [job]}))
    async with client(settings, fake) as wix:
        one = await wix.get_job(payloads.UNINITIALIZED_ID)
        page = await wix.query_jobs()
    assert "ya29" not in json.dumps(one) + json.dumps(page)
    assert one["source"]["googleSheets"]["accessToken"] == "[redacted]"
