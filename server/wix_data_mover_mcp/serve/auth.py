"""Who may call: the OAuth settings, the scopes a token carries and what they allow, the
protected resource metadata, and the audit line each tool call and each refused request leaves.
Checking the tokens themselves (JWTs against the provider's keys) is oauth.py's job."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pydantic_core
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from pydantic import AnyHttpUrl, HttpUrl, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import https_unless_local, is_guid
from ..wix.scrub import SecretsFilter

log = logging.getLogger(__name__)
audit_log = logging.getLogger("wix_data_mover_mcp.audit")
audit_log.propagate = False  # written only where configure_audit points it, never mixed in

READ_SCOPE = "wix-data-mover:read"
WRITE_SCOPE = "wix-data-mover:write"
MAX_AUDITED_SITE_CHARS = 100
MAX_AUDITED_CHARS = 200  # a tool name, a subject, a reason: longer ones are cut
MAX_AUDIT_LINE_BYTES = 4096
MAX_GUARDED_BODY_BYTES = 1024 * 1024  # the transport refuses larger bodies anyway
REFUSED_TOOL = "wix_data_mover_mcp.refused_tool"  # in the request's state: what was refused
CLOSE = (b"connection", b"close")
REFUSALS_WINDOW_SECONDS = 1.0  # an unknown caller's refusals: one line per reason this often


class OAuthConfigError(Exception):
    """The OAuth settings cannot work; the text says which and what to do."""


class OAuthSettings(BaseSettings):
    """WIX_MCP_OAUTH_ISSUER, WIX_MCP_PUBLIC_URL and WIX_MCP_OAUTH_AUDIENCE."""

    model_config = SettingsConfigDict(
        env_prefix="WIX_MCP_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Kept as written: an issuer is compared with the tokens' `iss` character for character,
    # so a trailing slash must neither be added nor dropped.
    oauth_issuer: str | None = None
    public_url: str | None = None
    oauth_audience: str | None = None

    @field_validator("oauth_issuer", "public_url")
    @classmethod
    def _plain_https_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = https_unless_local(HttpUrl(value.strip()))
        if url.query or url.fragment:
            raise ValueError("must be a plain URL, with no query or fragment")
        return value.strip()

    @model_validator(mode="after")
    def _both_or_neither(self) -> OAuthSettings:
        if (self.oauth_issuer is None) != (self.public_url is None):
            raise ValueError(
                "WIX_MCP_OAUTH_ISSUER and WIX_MCP_PUBLIC_URL go together: set both (the identity "
                "provider's URL, and this server's URL as clients reach it, e.g. "
                "https://mcp.example.com/mcp), or neither"
            )
        if self.oauth_audience is not None and self.oauth_issuer is None:
            raise ValueError(
                "WIX_MCP_OAUTH_AUDIENCE needs WIX_MCP_OAUTH_ISSUER and WIX_MCP_PUBLIC_URL"
            )
        return self

    @property
    def issuer(self) -> str:
        return self.oauth_issuer or ""

    @property
    def resource(self) -> str:
        return self.public_url or ""

    @property
    def audience(self) -> str:
        return (self.oauth_audience or "").strip() or self.resource


def load_oauth_settings() -> OAuthSettings | None:
    """The OAuth settings from the environment, or None when OAuth is not set up."""
    try:
        settings = OAuthSettings()
    except ValidationError as exc:
        reasons = [
            f"{'WIX_MCP_' + str(e['loc'][0]).upper() + ': ' if e['loc'] else ''}"
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_input=False, include_url=False)
        ]
        raise OAuthConfigError("Invalid OAuth configuration. " + "; ".join(reasons) + ".") from None
    return settings if settings.oauth_issuer is not None else None


def may_write(token: AccessToken | None) -> bool:
    """Without OAuth (stdio, the shared token, loopback) there is no token and no scope limit."""
    return token is None or WRITE_SCOPE in token.scopes


def audit_record(
    *,
    tool: str | None,
    arguments: Mapping[str, Any],
    token: AccessToken | None,
    outcome: str,
    seconds: float,
    reason: str | None = None,
    path: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One tool call (or, with no tool known, one request) for the audit trail: who, what, on
    which job and site, how it ended (`ok`, `error`, `invalid_arguments`, `incident`, or
    `refused` with the reason). A job id is kept only when it has an id's shape; never a token
    or a key; every text is capped, so no caller can make a line long."""
    record: dict[str, Any] = {
        "time": (now or datetime.now(UTC)).isoformat(timespec="milliseconds"),
        "event": "tool_call" if tool is not None else "request",
    }
    if tool is not None:
        record["tool"] = tool[:MAX_AUDITED_CHARS]
    if path is not None:
        record["path"] = path[:MAX_AUDITED_CHARS]
    record |= {"outcome": outcome, "duration_ms": round(seconds * 1000, 1)}
    if reason is not None:
        record["reason"] = reason[:MAX_AUDITED_CHARS]
    if token is not None:
        record["subject"] = token.subject and token.subject[:MAX_AUDITED_CHARS]
        record["client_id"] = token.client_id[:MAX_AUDITED_CHARS] if token.client_id else None
    job_id = arguments.get("job_id")
    if isinstance(job_id, str) and job_id.strip():
        record["job_id"] = job_id.strip().lower() if is_guid(job_id.strip()) else "(not an id)"
    site = arguments.get("site")
    if isinstance(site, str) and site.strip():  # an id, or a site's display name
        record["site"] = site.strip()[:MAX_AUDITED_SITE_CHARS]
    return record


def audit_on() -> bool:
    """Whether configure_audit has pointed the trail somewhere."""
    return bool(audit_log.handlers) and audit_log.isEnabledFor(logging.INFO)


def write_audit(record: Mapping[str, Any]) -> None:
    if audit_on():
        audit_log.info("%s", audit_line(record))


def audit_line(record: Mapping[str, Any]) -> str:
    """The record as one JSON line of at most MAX_AUDIT_LINE_BYTES: when its texts (escaped)
    are too long, the longest are halved until it fits, and the line says it was shortened."""
    shortened = dict(record)
    line = json.dumps(shortened, separators=(",", ":"))  # ASCII: its length is its size
    while len(line) > MAX_AUDIT_LINE_BYTES:
        texts = [name for name, value in shortened.items() if isinstance(value, str) and value]
        if not texts:
            break
        longest = max(texts, key=lambda name: len(json.dumps(shortened[name])))
        shortened[longest] = shortened[longest][: len(shortened[longest]) // 2]
        shortened["shortened"] = True
        line = json.dumps(shortened, separators=(",", ":"))
    return line


def configure_audit(path: str | None) -> None:
    """The audit trail goes to stderr, or appended to `path` (WIX_MCP_AUDIT_LOG)."""
    from logging import FileHandler, StreamHandler

    handler = FileHandler(path, encoding="utf-8") if path else StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(SecretsFilter())
    audit_log.handlers[:] = [handler]
    audit_log.setLevel(logging.INFO)
    _quiet.clear()  # a new trail: no count is owed to it


def metadata_url(oauth: OAuthSettings) -> str:
    """RFC 9728: the protected resource metadata of https://host/mcp is at
    https://host/.well-known/oauth-protected-resource/mcp."""
    return str(build_resource_metadata_url(AnyHttpUrl(oauth.resource)))


def protected_resource_routes(oauth: OAuthSettings, *, write: bool) -> list[Route]:
    """The metadata clients read to learn where to sign in and which scopes to ask for."""
    return create_protected_resource_routes(
        resource_url=AnyHttpUrl(oauth.resource),
        authorization_servers=[AnyHttpUrl(oauth.issuer)],
        scopes_supported=[READ_SCOPE, WRITE_SCOPE] if write else [READ_SCOPE],
        resource_name="Wix Data Mover MCP",
    )


class ScopeGuard:
    """A tools/call of a writing tool by a token without the write scope gets 403
    insufficient_scope, naming the scope to ask for (the MCP spec's step-up authorization).
    Runs after authentication; anything else passes through untouched."""

    def __init__(self, app: ASGIApp, *, write_tools: set[str], metadata_url: str) -> None:
        self._app = app
        self._write_tools = write_tools
        self._metadata_url = metadata_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        token = getattr(user, "access_token", None)
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not self._write_tools
            or not isinstance(token, AccessToken)
            or may_write(token)
        ):
            await self._app(scope, receive, send)
            return
        body, more = await _read_body(receive, MAX_GUARDED_BODY_BYTES)
        if not more and (tool := self._writing_tool_called(body)) is not None:
            scope.setdefault("state", {})[REFUSED_TOOL] = tool
            await self._refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}

        await self._app(scope, replay, send)

    def _writing_tool_called(self, body: bytes) -> str | None:
        try:
            # Decoded as the transport decodes (json.loads on bytes: UTF-8 with or without a
            # BOM, UTF-16, UTF-32), then read with the parser that bounds nesting: what it
            # cannot read (malformed, or nested past its depth limit) the transport answers
            # itself, 400 parse error.
            text = body.decode(json.detect_encoding(body), "surrogatepass")
            message = pydantic_core.from_json(text)
        except ValueError:  # UnicodeDecodeError too
            return None
        messages = cast("list[Any]", message) if isinstance(message, list) else [message]
        called = (_called_tool(item) for item in messages)
        return next((tool for tool in called if tool in self._write_tools), None)

    async def _refuse(self, send: Send) -> None:
        description = f"This tool needs the {WRITE_SCOPE} scope; sign in again asking for it."
        challenge = (
            f'Bearer error="insufficient_scope", scope="{READ_SCOPE} {WRITE_SCOPE}", '
            f'resource_metadata="{self._metadata_url}", error_description="{description}"'
        )
        response = JSONResponse(
            {"error": "insufficient_scope", "error_description": description},
            status_code=403,
            headers={"www-authenticate": challenge},
        )
        await response({"type": "http"}, _no_receive, send)


class RefusedRequests:
    """A request refused before any tool runs (401 without a valid token, 403 without the
    scope) leaves an audit line, outcome `refused` with the reason, and ends its connection:
    the refusal came from the headers, so whatever body is still on its way is not waited for.
    Outermost, so it sees the shared token's refusals, the SDK's and the scope check's alike.

    Anyone who can reach the port can be refused, as fast as they can send: refusals of a caller
    not known by a valid token leave one line per reason a second (the process has one trail),
    and the others of that second one line with their count, so they cannot fill the disk. A
    known caller's refusal (a valid token without a scope) always has its own line.

    `count`, when metrics are on, is told each refusal of /mcp: "token" (401) or "scope" (403).
    """

    def __init__(self, app: ASGIApp, count: Callable[[str], None] | None = None) -> None:
        self._app = app
        self._count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.monotonic()

        async def refusing(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (401, 403):
                if self._count is not None and scope["path"] == "/mcp":
                    self._count("token" if message["status"] == 401 else "scope")
                message = dict(message, headers=[*message.get("headers", []), CLOSE])
                if audit_on():
                    self._audit(_refusal(scope, message, time.monotonic() - started))
            await send(message)

        await self._app(scope, receive, refusing)

    def _audit(self, record: dict[str, Any]) -> None:
        reason = record["reason"]
        if "subject" in record or "client_id" in record:
            write_audit(record)  # a known caller
            return
        quieted = _quiet.get(reason)
        if quieted is not None and time.monotonic() < quieted.until:
            quieted.count += 1
            return
        if quieted is not None:
            self._end(reason, quieted)
        write_audit(record)
        until = time.monotonic() + REFUSALS_WINDOW_SECONDS
        quieted = _quiet[reason] = _Quieted(until, record["time"])
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no asyncio loop: the count is written with the next line
            return
        loop.call_later(REFUSALS_WINDOW_SECONDS, self._end, reason, quieted)

    def _end(self, reason: str, quieted: _Quieted) -> None:
        """Ends the reason's window: the count of refusals not written one by one, if any."""
        if _quiet.get(reason) is not quieted:
            return  # ended already
        del _quiet[reason]
        if not quieted.count:
            return
        write_audit(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "event": "requests_refused",
                "outcome": "refused",
                "reason": reason,
                "count": quieted.count,
                "since": quieted.since,
            }
        )


@dataclass
class _Quieted:
    """A reason's window: until when its refusals are only counted, and how many were."""

    until: float
    since: str  # the time of the line written in full
    count: int = 0


_quiet: dict[str, _Quieted] = {}  # by reason, while its window lasts


def _refusal(scope: Scope, response: Message, seconds: float) -> dict[str, Any]:
    """The audit record of a refused request: missing_token when none was sent, else the error
    its challenge names (RFC 6750: invalid_token, insufficient_scope)."""
    headers = dict(response.get("headers", []))
    challenge = headers.get(b"www-authenticate", b"").decode("latin-1")
    error = re.search(r'error="([^"]*)"', challenge)
    sent = any(name == b"authorization" for name, _ in scope["headers"])
    if response["status"] == 401 and not sent:
        reason = "missing_token"
    elif error:
        reason = error.group(1)
    else:
        reason = "invalid_token" if response["status"] == 401 else "forbidden"
    user = scope.get("user")
    token = getattr(user, "access_token", None)
    tool = scope.get("state", {}).get(REFUSED_TOOL)
    return audit_record(
        tool=tool if isinstance(tool, str) else None,
        arguments={},
        token=token if isinstance(token, AccessToken) else None,
        outcome="refused",
        seconds=seconds,
        reason=reason,
        path=None if isinstance(tool, str) else f"{scope['method']} {scope['path']}",
    )


def _called_tool(message: Any) -> str | None:
    """The tool a JSON-RPC message calls, if it is a tools/call."""
    if not isinstance(message, dict):
        return None
    request = cast("dict[str, Any]", message)
    params = request.get("params")
    if request.get("method") != "tools/call" or not isinstance(params, dict):
        return None
    name = cast("dict[str, Any]", params).get("name")
    return name if isinstance(name, str) else None


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body up to `limit` bytes, and whether more is still to come."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body, False
        body += message.get("body", b"")
        more = bool(message.get("more_body", False))
        if not more or len(body) > limit:
            return body, more
