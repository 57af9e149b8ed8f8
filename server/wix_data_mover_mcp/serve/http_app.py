"""MCP over streamable HTTP for shared and remote use, locked down by default.

Stateless (any instance can answer any request), SSE responses so progress reaches the
client, Host and Origin checked against DNS rebinding, an optional bearer token compared in
constant time, a body size limit, and /healthz for load balancers. A request without a valid
token is refused from its headers, audited, and its connection closed. A stateless server can
never send anything on a GET stream, so GET /mcp is refused (405) instead of held open.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from sse_starlette.sse import AppStatus
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .app import HEALTH_PATH
from .auth import (
    OAuthSettings,
    RefusedRequests,
    ScopeGuard,
    metadata_url,
    protected_resource_routes,
)
from .server import FATAL_EXIT_STATUS, WixDataMoverServer

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class BindRefused(Exception):
    """Serving this address without a token would open the Wix data to the network."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def http_app(
    server: MCPServer[Any],
    *,
    host: str,
    token: str | None,
    allowed_hosts: Sequence[str] = (),
    insecure_no_auth: bool = False,
    oauth: OAuthSettings | None = None,
) -> ASGIApp:
    """The ASGI app: /mcp (streamable HTTP) behind the token check, and /healthz. With `oauth`
    (the server built with the same settings) the SDK checks access tokens and serves the
    protected resource metadata, and writing tools need the write scope."""
    if token and oauth is not None:
        raise BindRefused(
            "Both WIX_MCP_AUTH_TOKEN and WIX_MCP_OAUTH_ISSUER are set: choose one way to sign "
            "in. Unset WIX_MCP_AUTH_TOKEN to let each person sign in with the identity provider, "
            "or unset the WIX_MCP_OAUTH_* settings to keep one shared token."
        )
    if oauth is None and not token and not is_loopback(host) and not insecure_no_auth:
        raise BindRefused(
            f"Refusing to serve {host} without a token: anyone who can reach it could read your "
            "Wix jobs. Set WIX_MCP_AUTH_TOKEN to a long random secret (clients send it as "
            "'Authorization: Bearer <token>'), or pass --insecure-no-auth if something in "
            "front of this server already authenticates every request."
        )

    if isinstance(server, WixDataMoverServer) and server.shared_state_problem:
        raise BindRefused(server.shared_state_problem)
    public = [oauth_host(oauth)] if oauth is not None else []
    app = server.streamable_http_app(
        stateless_http=True,
        json_response=False,
        max_request_body_size=MAX_REQUEST_BYTES,
        transport_security=_security(host, [*allowed_hosts, *public]),
        host=host,
    )
    if oauth is not None:
        assert isinstance(server, WixDataMoverServer)
        app = with_scopes(app, server, oauth)
    guarded = NoEventStream(app)
    metrics = server.metrics if isinstance(server, WixDataMoverServer) else None
    return RefusedRequests(
        BearerTokenGuard(guarded, token) if token else guarded,
        count=metrics.refused if metrics is not None else None,
    )


def oauth_host(oauth: OAuthSettings) -> str:
    """Clients reach the server at its public URL: that Host is accepted."""
    return urlsplit(oauth.resource).netloc


def with_scopes(app: Starlette, server: WixDataMoverServer, oauth: OAuthSettings) -> Starlette:
    """The SDK's app, with the metadata naming every scope the server uses (the SDK names only
    the one every request needs) and the write scope required for writing tools."""
    write_tools = server.writing_tools()
    metadata = protected_resource_routes(oauth, write=bool(write_tools))
    paths = {route.path for route in metadata}
    app.router.routes[:] = [
        *metadata,
        *(r for r in app.router.routes if getattr(r, "path", None) not in paths),
    ]
    # Appended, so it runs inside the SDK's authentication: the token is known by then.
    app.user_middleware.append(
        Middleware(ScopeGuard, write_tools=write_tools, metadata_url=metadata_url(oauth))
    )
    return app


def _security(host: str, extra_hosts: Sequence[str]) -> TransportSecuritySettings:
    names: list[str] = [*LOOPBACK_HOSTS, *extra_hosts]
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        names.append(f"[{host}]" if ":" in host else host)
    hosts = [pattern for name in names for pattern in _host_patterns(name)]
    origins = [f"{scheme}://{entry}" for entry in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def _host_patterns(name: str) -> list[str]:
    """'example.com' matches on any port; 'example.com:8443' only on that one."""
    has_port = "]:" in name if name.startswith("[") else ":" in name
    return [name] if has_port else [name, f"{name}:*"]


class NoEventStream:
    """GET /mcp opens a stream for server-initiated messages, which a stateless server never
    sends: answer 405 at once, as the transport spec allows, instead of holding it open."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/mcp":
            response = Response(status_code=405, headers={"allow": "POST, DELETE"})
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)


class BearerTokenGuard:
    """Every request but /healthz must carry 'Authorization: Bearer <token>' (the scheme in any
    case, as RFC 9110 has it). Refused from the headers alone: the body is never read."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == HEALTH_PATH:
            await self._app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                given = value
        if given is not None and self._authorized(given):
            await self._app(scope, receive, send)
            return
        # RFC 6750: no error code when no credentials were sent, invalid_token otherwise.
        challenge = 'Bearer realm="wix-data-mover-mcp"'
        if given is not None:
            challenge += ', error="invalid_token"'
        body = json.dumps({"error": "unauthorized", "error_description": "Bearer token required"})
        response = Response(
            body,
            status_code=401,
            media_type="application/json",
            headers={"www-authenticate": challenge},
        )
        await response(scope, receive, send)

    def _authorized(self, given: bytes) -> bool:
        scheme, _, credentials = given.partition(b" ")
        matches = hmac.compare_digest(credentials.lstrip(b" "), self._expected)
        return scheme.lower() == b"bearer" and matches


def serve_http(
    server: WixDataMoverServer,
    *,
    host: str,
    port: int,
    allowed_hosts: Sequence[str],
    insecure_no_auth: bool,
    oauth: OAuthSettings | None = None,
    metrics_at: tuple[str, int] | None = None,
) -> int:
    """Serve until told to stop; with `metrics_at` (host, port), /metrics on that port too."""
    from .http_server import BackgroundServer, PortUnavailable

    token = os.environ.get("WIX_MCP_AUTH_TOKEN", "").strip() or None
    extra = [h.strip() for h in os.environ.get("WIX_MCP_ALLOWED_HOSTS", "").split(",") if h.strip()]
    try:
        app = http_app(
            server,
            host=host,
            token=token,
            allowed_hosts=[*allowed_hosts, *extra],
            insecure_no_auth=insecure_no_auth,
            oauth=oauth,
        )
    except BindRefused as exc:
        log.error("%s", exc)
        return 2
    # sse-starlette ends every open event stream as soon as uvicorn is told to exit, which
    # would cut tool calls in flight; uvicorn's own graceful timeout (30 s) bounds them instead.
    AppStatus.disable_automatic_graceful_drain()
    try:
        running = BackgroundServer(
            app, host=host, port=port, graceful_seconds=30, side=_metrics_side(server, metrics_at)
        )
    except PortUnavailable as exc:
        log.error("%s", exc)
        return 2
    if oauth is not None:
        auth = f"OAuth access tokens from {oauth.issuer} for {oauth.audience}"
    else:
        auth = "bearer token required" if token else "no token"
    log.info("Serving MCP on %s/mcp (%s); health check at %s", running.url, auth, HEALTH_PATH)
    if running.side_url is not None:
        log.info("Serving metrics on %s/metrics", running.side_url)
    server.on_fatal = lambda _: running.request_exit()
    running.serve_forever()
    return FATAL_EXIT_STATUS if server.fatal is not None else 0


def _metrics_side(
    server: WixDataMoverServer, metrics_at: tuple[str, int] | None
) -> tuple[str, int, ASGIApp] | None:
    if metrics_at is None or server.metrics is None:
        return None
    from .metrics import Metrics, metrics_app

    assert isinstance(server.metrics, Metrics)
    return (*metrics_at, metrics_app(server, server.metrics))
