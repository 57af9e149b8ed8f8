"""The Wix Data Mover REST API over one pooled httpx client: auth, retries, errors as sentences.

Knows nothing of MCP. Every failure is a WixApiError whose text says what happened and what to do.
"""

from __future__ import annotations

import json
import random
import re
import time
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self, cast

import anyio
import httpx
from opentelemetry.propagate import inject
from opentelemetry.trace import SpanKind, get_tracer

from .. import __version__
from ..config import API_KEYS_URL, GUID_EXAMPLE, GUID_PATTERN, Settings, is_guid
from ..errors import WixApiError
from ..text import quote
from .models import ErrorBody, ErrorDetails, TooDeep, parse_leniently, redact_secrets

tracer = get_tracer("wix_data_mover_mcp")
_GUID_IN_PATH = re.compile("/" + GUID_PATTERN.strip("^$"))


def span_route(path: str) -> str:
    """The path as a route, ids replaced, so spans of one endpoint share a name."""
    return _GUID_IN_PATH.sub("/{id}", path)


if TYPE_CHECKING:
    from .budget import RateBudget

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_CONNECTIONS = 20
PERMISSION = '"Data Mover Manage Jobs" (SCOPE.DC-DATA.MANAGE_MOVEMENT_JOBS)'


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    first_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 10.0
    deadline: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Exponential with jitter: half fixed, half random, so clients spread out."""
        ceiling = min(self.max_backoff, self.first_backoff * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


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
    """One method per endpoint. Requests wait for a free connection here, in front of the
    pool, and are bounded by httpx's own timeouts: nothing cancels them inside the pool."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        retry: RetryPolicy | None = None,
        *,
        budget: RateBudget | None = None,
    ) -> None:
        self._http = http
        self._settings = settings
        self._retry = retry or RetryPolicy()
        self._budget = budget
        self._slots = anyio.CapacityLimiter(MAX_CONNECTIONS)
        self._host = settings.api_base_url.host or ""
        key = settings.api_key
        self._secrets = (key.get_secret_value(),) if key is not None else ()

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
            body = await self._attempts(method, path, json, params, job_id, idempotent, scope, site)
            return self._scrubbed(body)
        except WixApiError as exc:
            raise self._scrubbed_error(exc) from None

    def _scrubbed(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return redact_secrets(body, self._secrets)
        except (TooDeep, RecursionError):
            raise WixApiError(
                "Wix's answer is nested too deeply to read; a proxy or a fault may be in the "
                "way. Try again shortly."
            ) from None

    def _scrubbed_error(self, exc: WixApiError) -> WixApiError:
        message, request_id = exc.message, exc.request_id
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
            if request_id and secret in request_id:
                request_id = None
        if (message, request_id) == (exc.message, exc.request_id):
            return exc
        return type(exc)(message, status=exc.status, request_id=request_id)

    async def _attempts(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        params: dict[str, str | int] | None,
        job_id: str | None,
        idempotent: bool,
        scope: dict[str, str],
        site: str | None,
    ) -> dict[str, Any]:
        policy = self._retry
        deadline = time.monotonic() + policy.deadline
        attempt = 0
        while True:
            attempt += 1
            if self._budget is not None:
                await self._budget.acquire(within=deadline - time.monotonic())
            try:
                status, headers, body = await self._send(
                    method, path, json, params, deadline, scope
                )
            except (TimeoutError, httpx.TimeoutException) as exc:
                out_of_time = time.monotonic() >= deadline - 0.05
                failure, wait = self._timeout_error(None if out_of_time else exc), None
                retryable = idempotent or isinstance(exc, httpx.ConnectTimeout)
            except httpx.TransportError as exc:
                failure, wait = self._connection_error(exc), None
                retryable = idempotent or isinstance(exc, httpx.ConnectError)
            else:
                if status < 400:
                    return _json_object(status, headers, body)
                failure = self._status_error(status, headers, body, path, job_id, site)
                wait = _retry_after(headers)
                retryable = status in RETRY_STATUSES and (idempotent or status == 429)
            if not retryable or attempt >= policy.attempts:
                raise failure.after_attempts(attempt)
            delay = policy.backoff(attempt) if wait is None else min(wait, policy.max_retry_after)
            if time.monotonic() + delay >= deadline:
                raise failure.after_attempts(attempt)
            await anyio.sleep(delay)

    async def _send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        params: dict[str, str | int] | None,
        deadline: float,
        scope: dict[str, str],
    ) -> tuple[int, httpx.Headers, bytes]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        timeout = httpx.Timeout(min(self._settings.api_timeout, remaining))
        # Waiting for a connection here, not in httpx's pool, is safe to cancel.
        with anyio.move_on_after(remaining) as waiting:
            await self._slots.acquire()
        if waiting.cancelled_caught:
            raise TimeoutError
        try:
            return await self._exchange(
                method, path, body, params, deadline, limits=timeout, scope=scope
            )
        finally:
            self._slots.release()

    async def _exchange(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        params: dict[str, str | int] | None,
        deadline: float,
        *,
        limits: httpx.Timeout,
        scope: dict[str, str],
    ) -> tuple[int, httpx.Headers, bytes]:
        attributes = {"http.request.method": method, "server.address": self._host}
        with tracer.start_as_current_span(
            f"{method} {span_route(path)}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            headers = dict(scope)
            inject(headers)  # W3C traceparent: Wix's side of the trace, if it keeps one
            request = self._http.stream(
                method, path, json=body, params=params, timeout=limits, headers=headers
            )
            async with request as response:
                if response.is_stream_consumed:  # built in memory (a mock transport), not streamed
                    if len(response.content) > MAX_BODY_BYTES:
                        raise _too_large(response.headers)
                    span.set_attribute("http.response.status_code", response.status_code)
                    return response.status_code, response.headers, response.content
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise _too_large(response.headers)
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    chunks.append(chunk)
                content = _decoded(b"".join(chunks), response.headers)
                span.set_attribute("http.response.status_code", response.status_code)
                return response.status_code, response.headers, content

    def _timeout_error(self, exc: Exception | None) -> WixApiError:
        if not isinstance(exc, httpx.TimeoutException):
            return WixApiError(
                f"The call to Wix did not finish within {self._retry.deadline:g} s. "
                "Wix may be slow right now: try again shortly."
            )
        if isinstance(exc, httpx.ConnectTimeout):
            return WixApiError(
                f"Could not connect to Wix at {self._settings.base_url} within "
                f"{self._settings.api_timeout:g} s. Check the network and WIX_API_BASE_URL."
            )
        return WixApiError(
            f"Wix did not answer within {self._settings.api_timeout:g} s (WIX_API_TIMEOUT). "
            "Wix may be slow right now: try again shortly, or raise WIX_API_TIMEOUT."
        )

    def _connection_error(self, exc: httpx.TransportError) -> WixApiError:
        if isinstance(exc, httpx.ConnectError):
            return WixApiError(
                f"Could not connect to Wix at {self._settings.base_url}. "
                "Check the network connection and WIX_API_BASE_URL."
            )
        return WixApiError(
            f"The connection to Wix broke before the answer was complete ({type(exc).__name__}). "
            "Try again shortly."
        )

    def _status_error(
        self,
        status: int,
        headers: httpx.Headers,
        body: bytes,
        path: str,
        job_id: str | None,
        site_id: str | None,
    ) -> WixApiError:
        says = self._wix_says(headers, body)
        site = site_id or self._settings.site_id or "(no WIX_SITE_ID set)"
        match status:
            case 400:
                text = f"Wix rejected the request as invalid (400).{says}"
            case 401:
                text = (
                    "Wix refused the credentials (401): WIX_API_KEY is missing, malformed or "
                    f"expired. Create a key at {API_KEYS_URL} with the {PERMISSION} permission "
                    f"and set WIX_API_KEY to it.{says}"
                )
            case 403:
                text = (
                    f"Wix denied access (403): the API key needs the {PERMISSION} permission and "
                    f"must include site {site}; edit the key at {API_KEYS_URL}.{says}"
                )
                if not says:
                    text += " An empty 403 can also mean Wix is throttling: try again in a minute."
            case 404 if job_id:
                text = (
                    f"No job {job_id} was found on site {site} (404). Jobs are per site: check "
                    "that WIX_SITE_ID is the site the job was submitted for, and that the job id "
                    f"was copied whole.{says}"
                )
            case 404:
                text = (
                    f"Wix has nothing at {path} (404): check WIX_API_BASE_URL "
                    f"({self._settings.base_url}).{says}"
                )
            case 428:
                text = (
                    "Wix needs to know which site this is for (428). Set WIX_SITE_ID to the "
                    "site's id: the GUID after /dashboard/ in the site's dashboard URL."
                    f"{says}"
                )
            case 429:
                text = (
                    "Wix is rate limiting these credentials (429; the limit is 200 requests a "
                    f"minute). Wait a minute and try again.{says}"
                )
            case _ if status >= 500:
                text = (
                    f"Wix had a server error ({status}). This is usually temporary: "
                    f"try again in a few minutes.{says}"
                )
            case _:
                text = f"Wix answered with HTTP {status}.{says}"
        return WixApiError(text, status=status, request_id=_request_id(headers))

    def _wix_says(self, headers: httpx.Headers, body: bytes) -> str:
        """Wix's own explanation from an error body, quoted, or '' when there is none."""
        payload = _parse_json(body)
        if not isinstance(payload, dict):
            if headers.get("content-type", "").startswith("text/html") or body.lstrip()[:1] == b"<":
                return " The answer was an HTML page, not Wix's JSON: a proxy may be in the way."
            return ""
        try:
            payload = redact_secrets(payload, self._secrets)
        except (TooDeep, RecursionError):
            return ""
        error, _ = parse_leniently(ErrorBody, cast(dict[str, Any], payload))
        details = error.details or ErrorDetails()
        parts: list[str] = []
        if details.application_error and details.application_error.code:
            parts.append(f"code {quote(details.application_error.code, 40)}")
        if error.message and error.message.strip():
            parts.append(quote(error.message, 200))
        violations = details.validation_error.field_violations if details.validation_error else None
        for violation in (violations or [])[:4]:
            description = violation.description or ""
            parts.append(f"{quote(violation.field or '?', 60)}: {quote(description, 120)}")
        return f" Wix says: {'; '.join(parts)}." if parts else ""


def _too_large(headers: httpx.Headers) -> WixApiError:
    return WixApiError(
        f"Wix's answer was larger than {MAX_BODY_BYTES // 1024 // 1024} MiB and was not read. "
        "Ask for fewer items (a smaller limit).",
        request_id=_request_id(headers),
    )


def _decoded(body: bytes, headers: httpx.Headers) -> bytes:
    """The body with its content encodings undone, never growing past MAX_BODY_BYTES."""
    encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",")]
    for encoding in reversed([e for e in encodings if e and e != "identity"]):
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise WixApiError(
                f"Wix sent its answer in an encoding that was not asked for ({encoding[:20]!r}). "
                "A proxy may be in the way: try again shortly."
            )
        wbits = zlib.MAX_WBITS | 32 if encoding != "deflate" else zlib.MAX_WBITS
        decoder = zlib.decompressobj(wbits)
        try:
            body = decoder.decompress(body, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise WixApiError(
                "Wix's answer could not be decompressed. A proxy may be in the way: try again "
                "shortly."
            ) from None
        if len(body) > MAX_BODY_BYTES or decoder.unconsumed_tail:
            raise _too_large(headers)
    return body


def _require_job_id(job_id: str) -> None:
    if not is_guid(job_id):
        raise WixApiError(
            f"{quote(job_id, 60)} is not a job id. A job id is a GUID like {GUID_EXAMPLE}."
        )


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
    except RecursionError:
        raise WixApiError(
            "Wix's answer is nested too deeply to read; a proxy or a fault may be in the way. "
            "Try again shortly."
        ) from None


def _json_object(status: int, headers: httpx.Headers, body: bytes) -> dict[str, Any]:
    payload = _parse_json(body)
    if isinstance(payload, dict):
        return payload  # pyright: ignore[reportUnknownVariableType]
    kind = "an empty answer" if not body.strip() else "an answer that is not JSON"
    if body.lstrip()[:1] == b"<":
        kind = "an HTML page"
    elif payload is None and body.lstrip()[:1] in (b"{", b"["):
        kind = "JSON that was cut short"
    raise WixApiError(
        f"Wix sent {kind} (HTTP {status}) instead of the expected JSON object. "
        "A proxy or an outage may be in the way: try again shortly.",
        status=status,
        request_id=_request_id(headers),
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


def _request_id(headers: httpx.Headers) -> str | None:
    value = headers.get("x-wix-request-id")
    return value[:100] if value and value.isprintable() else None


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
