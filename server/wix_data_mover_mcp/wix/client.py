"""The Wix Data Mover REST API over one pooled httpx client: auth, retries, errors as sentences.

Knows nothing of MCP. Every failure is a WixApiError whose text says what happened and what to do.
Sending and retrying is in http.py; what a failure says, in failures.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, cast

import httpx

from .. import __version__
from ..config import GUID_EXAMPLE, Settings, is_guid
from ..errors import WixApiError
from ..text import quote
from .http import MAX_CONNECTIONS, Observer, RetryPolicy, Sender
from .models import TooDeep, redact_secrets
from .scrub import SecretsFilter, scrubber_for

if TYPE_CHECKING:
    from .budget import RateBudget


def create_http_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    headers = {
        "user-agent": f"wix-data-mover-mcp/{__version__}",
        "accept": "application/json",
        # Bodies are read raw and decoded here, so their size is bounded before and after.
        "accept-encoding": "gzip, deflate",
    }
    if settings.api_key is not None:
        headers["authorization"] = settings.api_key.get_secret_value()
    # wix-site-id or wix-account-id is set per request: never both on one.
    return httpx.AsyncClient(
        base_url=settings.base_url,
        headers=headers,
        timeout=settings.api_timeout,
        transport=transport,
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=10),
        follow_redirects=False,
    )


class WixDataMoverClient:
    """One method per endpoint. All that comes from Wix, answers and errors alike, is scrubbed
    of the key here; sending, with its retries, is the Sender's (http.py)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        retry: RetryPolicy | None = None,
        *,
        budget: RateBudget | None = None,
        observer: Observer | None = None,
    ) -> None:
        self._http = http
        self._settings = settings
        retry = retry or RetryPolicy()
        self.deadline = retry.deadline  # the longest one call may take, its retries included
        key = settings.api_key
        self._scrubber = scrubber_for(key.get_secret_value()) if key is not None else None
        if self._scrubber is not None:
            SecretsFilter.guard(self._scrubber)  # logs never show it either
        self._sender = Sender(
            http,
            settings,
            retry,
            budget=budget,
            scrubber=self._scrubber,
            observer=observer,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_job(self, job_id: str, *, site: str | None = None) -> dict[str, Any]:
        _require_job_id(job_id)
        path = f"/data-mover/v1/jobs/{job_id}"
        body = await self._request("GET", path, job_id=job_id, site=site)
        return _object_field(body, "job")

    async def query_jobs(
        self,
        *,
        filter: dict[str, Any] | None = None,
        sort: list[dict[str, str]] | None = None,
        limit: int = 10,
        cursor: str | None = None,
        site: str | None = None,
    ) -> dict[str, Any]:
        paging: dict[str, Any] = {"limit": limit}
        query: dict[str, Any] = {"cursorPaging": paging}
        if cursor:
            paging["cursor"] = cursor  # a follow-up page carries only the cursor
        else:
            query |= {"filter": filter or {}, "sort": sort or []}
        path = "/data-mover/v1/jobs/query"
        body = await self._request("POST", path, json={"query": query}, site=site)
        _list_field(body, "jobs")
        return body

    async def submit_job(self, job: dict[str, Any], *, site: str | None = None) -> dict[str, Any]:
        """Submit Job. Not retried once sent: a second try could start a second job."""
        body = await self._request(
            "POST", "/data-mover/v1/jobs", json=job, idempotent=False, site=site
        )
        return _object_field(body, "job")

    async def list_schedules(self, *, site: str | None = None) -> list[dict[str, Any]]:
        """The site's scheduled data syncs, each with its next run."""
        body = await self._request(
            "GET",
            "/data-move-scheduler/v1/scheduled-data-workflows",
            params={"fields": "NEXT_SCHEDULE_EXECUTION"},
            site=site,
        )
        _list_field(body, "scheduledDataWorkflows")
        return [
            cast(dict[str, Any], s) for s in body["scheduledDataWorkflows"] if isinstance(s, dict)
        ]

    async def query_sites(self, *, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """One page of the account's sites (Query Sites, an account-level call)."""
        paging: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        query = {"query": {"cursorPaging": paging}}
        body = await self._request("POST", "/site-list/v2/sites/query", json=query, account=True)
        _list_field(body, "sites")
        return body

    async def list_logs(
        self, job_id: str, *, limit: int = 50, cursor: str | None = None, site: str | None = None
    ) -> dict[str, Any]:
        _require_job_id(job_id)
        params: dict[str, str | int] = {"paging.limit": limit}
        if cursor:
            params["paging.cursor"] = cursor
        path = f"/data-mover/v1/jobs/{job_id}/logs"
        body = await self._request("GET", path, params=params, job_id=job_id, site=site)
        _list_field(body, "logs")
        return body

    async def terminate_job(self, job_id: str, *, site: str | None = None) -> dict[str, Any]:
        _require_job_id(job_id)
        path = f"/data-mover/v1/jobs/{job_id}/terminate"
        body = await self._request(
            "POST", path, json={}, job_id=job_id, idempotent=False, site=site
        )
        return _object_field(body, "job")

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str | int] | None = None,
        job_id: str | None = None,
        idempotent: bool = True,
        site: str | None = None,
        account: bool = False,
    ) -> dict[str, Any]:
        """Wix's answer with every credential field and every copy of the key scrubbed: all that
        comes from Wix, answers and errors alike, passes through here.

        A site-level call names the site (`site`, else WIX_SITE_ID); an account-level one the
        account: one header or the other, never both."""
        if account:
            scope = {"wix-account-id": self._settings.account_id or ""}
        else:
            site = site or self._settings.site_id
            scope = {"wix-site-id": site} if site else {}
        try:
            body = await self._sender.attempts(
                method, path, json, params, job_id, idempotent, scope, site
            )
            return self._scrubbed(body)
        except WixApiError as exc:
            raise self._scrubbed_error(exc) from None

    def _scrubbed(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return redact_secrets(body, self._scrubber)
        except (TooDeep, RecursionError):
            raise WixApiError(
                "Wix's answer is nested too deeply to read; a proxy or a fault may be in the "
                "way. Try again shortly."
            ) from None

    def _scrubbed_error(self, exc: WixApiError) -> WixApiError:
        if self._scrubber is None:
            return exc
        message, request_id = self._scrubber.scrub(exc.message), exc.request_id
        if request_id and self._scrubber.finds(request_id):
            request_id = None
        if (message, request_id) == (exc.message, exc.request_id):
            return exc
        return type(exc)(message, status=exc.status, request_id=request_id, unsent=exc.unsent)


def _require_job_id(job_id: str) -> None:
    if not is_guid(job_id):
        raise WixApiError(
            f"{quote(job_id, 60)} is not a job id. A job id is a GUID like {GUID_EXAMPLE}."
        )


def _object_field(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise WixApiError(f"Wix's answer has no {name!r} object. Try again shortly.")
    return value  # pyright: ignore[reportUnknownVariableType]


def _list_field(body: dict[str, Any], name: str) -> None:
    value = body.setdefault(name, [])
    if not isinstance(value, list):
        raise WixApiError(f"Wix's answer has {name!r} that is not a list. Try again shortly.")
