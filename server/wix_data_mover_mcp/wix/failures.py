"""What went wrong with a call to Wix, as a WixApiError whose text says what happened and what
to do: an HTTP status (with Wix's own explanation), a timeout, a broken connection, an answer
that is not a JSON object."""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any, cast

import httpx

from ..config import API_KEYS_URL, Settings
from ..errors import WixApiError
from ..text import quote
from .models import ErrorBody, ErrorDetails, TooDeep, parse_leniently, redact_secrets
from .scrub import Scrubber

PERMISSION = '"Data Mover Manage Jobs" (SCOPE.DC-DATA.MANAGE_MOVEMENT_JOBS)'


def timeout_error(
    exc: Exception | None, *, settings: Settings, deadline: float, unsent: bool = False
) -> WixApiError:
    """`unsent`: the time ran out before the request left (waiting for a connection)."""
    if not isinstance(exc, httpx.TimeoutException):
        return WixApiError(
            f"The call to Wix did not finish within {deadline:g} s. "
            "Wix may be slow right now: try again shortly.",
            unsent=unsent,
        )
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return WixApiError(
            f"Could not connect to Wix at {settings.base_url} within "
            f"{settings.api_timeout:g} s. Check the network and WIX_API_BASE_URL.",
            unsent=True,
        )
    return WixApiError(
        f"Wix did not answer within {settings.api_timeout:g} s (WIX_API_TIMEOUT). "
        "Wix may be slow right now: try again shortly, or raise WIX_API_TIMEOUT."
    )


def connection_error(exc: httpx.TransportError, *, settings: Settings) -> WixApiError:
    if isinstance(exc, httpx.ConnectError):
        return WixApiError(
            f"Could not connect to Wix at {settings.base_url}. "
            "Check the network connection and WIX_API_BASE_URL.",
            unsent=True,
        )
    return WixApiError(
        f"The connection to Wix broke before the answer was complete ({type(exc).__name__}). "
        "Try again shortly."
    )


def status_error(
    status: int,
    headers: httpx.Headers,
    body: bytes,
    path: str,
    job_id: str | None,
    site_id: str | None,
    *,
    settings: Settings,
    scrubber: Scrubber | None,
) -> WixApiError:
    says = _wix_says(headers, body, scrubber)
    site = site_id or settings.site_id or "(no WIX_SITE_ID set)"
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
        case 404 if job_id and settings.account_id:
            text = (
                f"No job {job_id} was found on site {site} (404). Jobs are per site: name the "
                "site it was submitted for with site (list_wix_sites lists them), or search "
                "every site with list_data_movement_jobs_across_sites; and check that the job "
                f"id was copied whole.{says}"
            )
        case 404 if job_id:
            text = (
                f"No job {job_id} was found on site {site} (404). Jobs are per site: check "
                "that WIX_SITE_ID is the site the job was submitted for, and that the job id "
                f"was copied whole.{says}"
            )
        case 404:
            text = (
                f"Wix has nothing at {path} (404): check WIX_API_BASE_URL "
                f"({settings.base_url}).{says}"
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
    # Wix answered and refused (a 408 is a proxy's, which may have passed the request on).
    refused = 400 <= status < 500 and status != 408
    return WixApiError(text, status=status, request_id=request_id(headers), unsent=refused)


def _wix_says(headers: httpx.Headers, body: bytes, scrubber: Scrubber | None) -> str:
    """Wix's own explanation from an error body, quoted, or '' when there is none."""
    payload = _parse_json(body)
    if not isinstance(payload, dict):
        if headers.get("content-type", "").startswith("text/html") or body.lstrip()[:1] == b"<":
            return " The answer was an HTML page, not Wix's JSON: a proxy may be in the way."
        return ""
    try:
        payload = redact_secrets(payload, scrubber)
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


def json_object(status: int, headers: httpx.Headers, body: bytes) -> dict[str, Any]:
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
        request_id=request_id(headers),
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


REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def request_id(headers: httpx.Headers) -> str | None:
    """Wix's id for the request, for Wix support, when it has an id's shape (letters, digits,
    dots, dashes); anything else is not repeated."""
    value = headers.get("x-wix-request-id")
    return value if value and REQUEST_ID.fullmatch(value) else None


def retry_after(headers: httpx.Headers) -> float | None:
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
