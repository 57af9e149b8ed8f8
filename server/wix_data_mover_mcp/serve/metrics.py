"""Metrics for operators (WIX_MCP_METRICS_PORT): tool calls by outcome, requests to Wix by
status and how long they took, requests in flight, answers shared between callers, the rate
budget left, and refusals by reason, as Prometheus text at /metrics on a port of its own.

prometheus_client keeps the counters and writes the exposition format. Every label value comes
from a fixed set named here, never from a caller or from Wix: no job id, site, subject, tool
name a caller made up, or status code Wix made up reaches a label (bounded cardinality).
Imported only when metrics are on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from .server import WixDataMoverServer

PREFIX = "wix_data_mover_mcp"
OUTCOMES = (
    "ok",
    "error",
    "invalid_arguments",
    "incident",
    "input_required",
    "dry_run",
    "declined",
    "refused",
)
REFUSALS = ("token", "scope", "site", "write")
AUDITED_REFUSALS = {"insufficient_scope": "scope"}
STATUSES = frozenset(
    {200, 201, 204, 400, 401, 403, 404, 409, 413, 428, 429, 500, 502, 503, 504}
)  # others are counted by class: "4xx", "5xx"
UNKNOWN_TOOL = "unknown"
SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def status_label(status: int | None) -> str:
    """A status Wix sent, as a label from a fixed set; 'none' when no answer came."""
    if status is None:
        return "none"
    if status in STATUSES:
        return str(status)
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


class Metrics:
    """The server's metrics in a registry of their own (one per server, so tests and several
    servers in one process do not mix)."""

    def __init__(self) -> None:
        disable_created_metrics()  # a *_created series per counter only doubles the scrape
        self.registry = CollectorRegistry()
        self.tools: frozenset[str] = frozenset()
        self.tool_calls = Counter(
            f"{PREFIX}_tool_calls",
            "Tool calls, by tool and how they ended.",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self.wix_requests = Counter(
            f"{PREFIX}_wix_requests",
            "Requests sent to Wix, by the status of the answer ('none': no answer).",
            ["status"],
            registry=self.registry,
        )
        self.wix_seconds = Histogram(
            f"{PREFIX}_wix_request_seconds",
            "How long each request to Wix took, answer read.",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            f"{PREFIX}_wix_requests_in_flight",
            "Requests to Wix sent and not yet answered.",
            registry=self.registry,
        )
        self.shared = Counter(
            f"{PREFIX}_shared_answers",
            "Answers about a job given to a caller from another caller's request.",
            registry=self.registry,
        )
        self.budget_left = Gauge(
            f"{PREFIX}_rate_budget_remaining",
            "Requests the rate budget for the key (WIX_RATE_LIMIT_PER_MINUTE) has left now.",
            registry=self.registry,
        )
        self.refusals = Counter(
            f"{PREFIX}_refusals",
            "Calls refused: no valid token (token), a scope missing (scope), a site outside "
            "the caller's grants (site), a write without a write grant (write).",
            ["reason"],
            registry=self.registry,
        )
        for reason in REFUSALS:
            self.refusals.labels(reason)

    def know_tools(self, names: set[str]) -> None:
        """The tools a label may name; each starts at zero, so rates work from the start."""
        self.tools = frozenset(names)
        for name in names:
            for outcome in ("ok", "error"):
                self.tool_calls.labels(name, outcome)

    def tool_call(self, tool: str, outcome: str, refusal: str | None = None) -> None:
        label = tool if tool in self.tools else UNKNOWN_TOOL
        self.tool_calls.labels(label, outcome if outcome in OUTCOMES else "error").inc()
        if refusal is not None:
            self.refused(refusal)

    def refused(self, reason: str) -> None:
        """Counts a refusal by its reason, as the audit trail names it or as REFUSALS does."""
        label = AUDITED_REFUSALS.get(reason, reason)
        if label in REFUSALS:
            self.refusals.labels(label).inc()

    # The wix side's Observer.
    def request_started(self) -> None:
        self.in_flight.inc()

    def request_ended(self, status: int | None, seconds: float) -> None:
        self.in_flight.dec()
        self.wix_requests.labels(status_label(status)).inc()
        self.wix_seconds.observe(seconds)

    def answer_shared(self) -> None:
        self.shared.inc()

    async def exposition(self, server: WixDataMoverServer) -> bytes:
        """The metrics as Prometheus text, the rate budget read as of now."""
        for state in server.live:
            if (left := await state.budget_left()) is not None:
                self.budget_left.set(left)
        return generate_latest(self.registry)


def metrics_app(server: WixDataMoverServer, metrics: Metrics) -> Starlette:
    """GET /metrics, and nothing else, for the metrics port."""

    async def scrape(_: Request) -> Response:
        return Response(await metrics.exposition(server), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", scrape, methods=["GET"])])
