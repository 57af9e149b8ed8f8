"""MCP wiring: the server, its lifespan (one pooled Wix client for the server's life), and
the registration of tools, the job resource and the prompts. The server class is in server.py,
what it tells an assistant in instructions.py, and the tools in tools/registry.py."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server import MCPServer
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.request_state import RequestStateSecurity
from mcp.types import Icon

from .. import __version__
from ..config import API_KEYS_URL, Settings, SettingsError, state_keys
from ..tools.card import job_card_app
from ..tools.jobs import POLL_DELAYS, job_resource, site_job_resource
from ..tools.prompts import load_prompts
from ..tools.registry import READ_TOOLS, RETRY, SCHEDULES, SITE_TOOLS, TERMINATE, without_site
from ..tools.state import AppState
from ..wix.claims import RETRY_MEMORY_SECONDS
from .auth import READ_SCOPE, OAuthSettings
from .instructions import (
    INSTRUCTIONS,
    RETRY_OFFER,
    RETRY_ON,
    SITES_ON,
    TERMINATE_OFF,
    TERMINATE_ON,
)
from .server import WixDataMoverServer

if TYPE_CHECKING:
    import httpx
    from anyio.abc import TaskGroup
    from starlette.requests import Request
    from starlette.responses import Response

    from ..tools.access import SiteAccess
    from ..wix.http import Observer, RetryPolicy
    from ..wix.upstream import Upstream
    from .metrics import Metrics

SERVER_NAME = "wix-data-mover"


def server_icon() -> Icon:
    """The server's icon inline (a data: URI of a small SVG), so hosts need no extra fetch."""
    svg = (Path(__file__).parent / "icon.svg").read_bytes()
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    return Icon(src=src, mime_type="image/svg+xml", sizes=["any"])


HEALTH_PATH = "/healthz"
# How long a question's sealed state takes an answer: shorter than the retry memory (with room
# for instances' clocks to differ), so an answer sent again finds the retry it made.
REQUEST_STATE_SECONDS = RETRY_MEMORY_SECONDS - 60.0


def _resource_server(oauth: OAuthSettings | None, verifier: TokenVerifier | None) -> dict[str, Any]:
    if oauth is None:
        return {}
    auth = AuthSettings(
        issuer_url=oauth.issuer,  # pyright: ignore[reportArgumentType]
        resource_server_url=oauth.resource,  # pyright: ignore[reportArgumentType]
        required_scopes=[READ_SCOPE],
        validate_token_resource=False,  # the verifier checks the audience, which may differ
    )
    if verifier is None:
        from .oauth import JwtVerifier  # PyJWT loads only when OAuth is on

        verifier = JwtVerifier(oauth)
    return {"auth": auth, "token_verifier": verifier}


SHARED_STATE_PROBLEM = (
    "WIX_MCP_REDIS_URL is set, so instances share a load balancer, but "
    "WIX_MCP_REQUEST_STATE_KEY is not: a confirmation one instance asks for could not be "
    "answered through another. Set it to the same secret of 32 bytes or more on every instance "
    "(openssl rand -hex 32)."
)


def request_state_security(settings: Settings | SettingsError) -> RequestStateSecurity:
    """The key that seals a question's state between rounds, shared by every instance, or one
    made at start and known only to this process; either way the state expires before the
    retry it leads to is forgotten."""
    keys = state_keys(settings.mcp_request_state_key) if isinstance(settings, Settings) else []
    if not keys:
        return RequestStateSecurity.ephemeral(ttl=REQUEST_STATE_SECONDS)
    return RequestStateSecurity(keys=keys, ttl=REQUEST_STATE_SECONDS)


def missing_key_problem() -> str:
    return (
        "WIX_API_KEY is not set, so this server cannot reach Wix. Create an API key at "
        f"{API_KEYS_URL} with the 'Data Mover Manage Jobs' permission for the site, then set "
        "WIX_API_KEY and WIX_SITE_ID in this MCP server's environment and restart it."
    )


def build_server(
    settings: Settings | SettingsError,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    demo: bool = False,
    poll_delays: Sequence[float] = POLL_DELAYS,
    oauth: OAuthSettings | None = None,
    token_verifier: TokenVerifier | None = None,
    site_access: SiteAccess | None = None,
    metrics: Metrics | None = None,
) -> WixDataMoverServer:
    """The MCP server. `transport` replaces the network (tests, the emulator in-process).
    With `oauth` (served over HTTP) every request needs an access token with the read scope;
    `token_verifier` replaces the JWT check against the issuer's keys. With `site_access`
    each caller sees only the sites their token's claims are granted (WIX_MCP_SITE_ACCESS).
    `metrics` counts calls and requests to Wix (WIX_MCP_METRICS_PORT)."""
    allow_writes = isinstance(settings, Settings) and settings.allow_writes
    allow_terminate = allow_writes or (isinstance(settings, Settings) and settings.allow_terminate)
    # Account mode (WIX_ACCOUNT_ID): every site the key covers, each tool taking `site`.
    account = isinstance(settings, Settings) and settings.account_id is not None

    def connect(tasks: TaskGroup) -> Upstream:
        assert isinstance(settings, Settings)
        return connect_upstream(
            settings,
            tasks,
            transport=transport,
            retry=retry,
            poll_delays=poll_delays,
            observer=metrics,
        )

    @asynccontextmanager
    async def lifespan(server: MCPServer[AppState]) -> AsyncGenerator[AppState]:
        assert isinstance(server, WixDataMoverServer)
        problem = (
            str(settings)
            if isinstance(settings, SettingsError)
            else (missing_key_problem() if settings.api_key is None else None)
        )
        try:
            async with anyio.create_task_group() as tasks:
                state = AppState(
                    connect=connect if problem is None else None,
                    problem=problem,
                    demo=demo,
                    tasks=tasks,
                    account=account,
                    default_site=settings.site_id if isinstance(settings, Settings) else None,
                    access=site_access,
                )
                if site_access is not None:
                    from ..tools.access import reload_on_hangup

                    sites = (lambda: state.directory().sites()) if account else None
                    tasks.start_soon(reload_on_hangup, site_access, sites)
                server.live.append(state)
                try:
                    yield state
                finally:
                    server.live.remove(state)
                    with anyio.CancelScope(shield=True):
                        await state.finish_writes()  # a submit cut short may be made twice
                        tasks.cancel_scope.cancel()
                        await state.aclose()
        except Exception as exc:
            server.died(exc)
            raise

    server = WixDataMoverServer(
        SERVER_NAME,
        request_state_security=request_state_security(settings),
        title="Wix Data Mover",
        version=__version__,
        icons=[server_icon()],
        extensions=[job_card_app()],
        **_resource_server(oauth, token_verifier),
        instructions=INSTRUCTIONS.format(
            terminate=TERMINATE_ON if allow_terminate else TERMINATE_OFF,
            retry=RETRY_ON if allow_writes else "",
            sites=SITES_ON if account else "",
        ),
        lifespan=lifespan,
    )
    if (
        isinstance(settings, Settings)
        and settings.mcp_redis_url
        and not state_keys(settings.mcp_request_state_key)
    ):
        server.shared_state_problem = SHARED_STATE_PROBLEM
    specs = [
        *READ_TOOLS,
        SCHEDULES,
        *([TERMINATE] if allow_terminate else []),
        *([RETRY] if allow_writes else []),
    ]
    for spec in [*specs, *SITE_TOOLS] if account else specs:
        server.add_tool(
            spec.fn if account else without_site(spec.fn),
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations,
            meta=spec.meta,
        )
    if metrics is not None:
        server.metrics = metrics
        metrics.know_tools({spec.fn.__name__ for spec in [*specs, *SITE_TOOLS]})
    server.resource(
        "wix-data-mover://jobs/{job_id}",
        name="data_movement_job",
        title="Wix data movement job",
        description="The job exactly as Wix sends it, as JSON.",
        mime_type="application/json",
    )(job_resource)
    if account:
        server.resource(
            "wix-data-mover://sites/{site}/jobs/{job_id}",
            name="site_data_movement_job",
            title="Wix data movement job of a site",
            description="The job exactly as Wix sends it, as JSON; site is a name or an id.",
            mime_type="application/json",
        )(site_job_resource)
    retry_offer = RETRY_OFFER if allow_writes else ""
    for prompt in load_prompts():
        server.add_prompt(prompt.as_prompt({"retry_offer": retry_offer}))

    @server.custom_route(HEALTH_PATH, methods=["GET"])
    async def healthz(_: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        """Whether calls can be served, proved by running work as calls do; Wix is not asked."""
        from starlette.responses import JSONResponse

        if (reason := await server.health()) is not None:
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    return server


def connect_upstream(
    settings: Settings,
    tasks: TaskGroup,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    poll_delays: Sequence[float] = POLL_DELAYS,
    observer: Observer | None = None,
) -> Upstream:
    """The Wix client behind the rate budget, the shared answers and the poll loops."""
    from ..wix.budget import AnswerCache, RateBudget, SharedRedis, key_fingerprint
    from ..wix.claims import WriteClaims
    from ..wix.client import WixDataMoverClient, create_http_client
    from ..wix.retry import is_remembered_retry
    from ..wix.upstream import Upstream

    assert settings.api_key is not None
    redis_url = settings.mcp_redis_url
    redis = SharedRedis(redis_url.get_secret_value()) if redis_url else None
    key_id = key_fingerprint(settings.api_key.get_secret_value())
    budget = RateBudget(settings.rate_limit_per_minute, key_id, redis=redis)
    client = WixDataMoverClient(
        create_http_client(settings, transport=transport),
        settings,
        retry,
        budget=budget,
        observer=observer,
    )
    cache = AnswerCache(
        settings.job_cache_seconds, f"{key_id}:{settings.site_id or ''}", redis=redis
    )
    claims = WriteClaims(
        RETRY_MEMORY_SECONDS, f"retry:{key_id}", redis=redis, accepts=is_remembered_retry
    )
    return Upstream(
        client,
        tasks,
        cache=cache,
        budget=budget,
        poll_delays=poll_delays,
        resources=[redis] if redis else [],
        claims=claims,
        observer=observer,
    )
