"""Traces: each request to Wix is a child span of the SDK's span for the MCP message and
carries W3C traceparent; with the standard OTEL_* variables spans leave over OTLP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from mcp import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.serve.http_server import BackgroundServer
from wix_data_mover_mcp.serve.telemetry import configure_tracing

from .conftest import FAST_RETRY
from .payloads import CSV_IMPORT_ID, csv_import_completed

EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """One in-memory provider per test process (OpenTelemetry allows setting it once)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    yield EXPORTER


@pytest.mark.anyio
async def test_a_request_to_wix_is_a_child_span_and_carries_traceparent(
    spans: InMemorySpanExporter, settings: Settings
):
    sent: list[httpx.Request] = []

    def wix(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"job": csv_import_completed()})

    server = build_server(settings, transport=httpx.MockTransport(wix))
    async with Client(server) as client:
        result = await client.call_tool("get_data_movement_job", {"job_id": CSV_IMPORT_ID})
    assert not result.is_error
    finished: list[ReadableSpan] = list(spans.get_finished_spans())
    [wix_span] = [s for s in finished if s.kind is SpanKind.CLIENT and s.name.startswith("GET ")]
    assert wix_span.name == "GET /data-mover/v1/jobs/{id}"
    assert wix_span.attributes is not None
    assert wix_span.attributes["http.response.status_code"] == 200
    assert wix_span.parent is not None and wix_span.context is not None
    parent = next(s for s in finished if s.context and s.context.span_id == wix_span.parent.span_id)
    assert parent.kind is SpanKind.SERVER and "tools/call" in parent.name
    traceparent = sent[0].headers["traceparent"]
    version, trace_id, span_id, _ = traceparent.split("-")
    assert int(trace_id, 16) == wix_span.context.trace_id
    assert int(span_id, 16) == wix_span.context.span_id
    assert version == "00"


@pytest.mark.anyio
async def test_no_span_carries_any_run_of_the_key_that_wix_or_an_error_echoed(
    spans: InMemorySpanExporter, settings: Settings
):
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    echoed = key.removeprefix("IST.")

    def wix(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/logs"):
            raise httpx.ConnectError(f"refused for {echoed}")
        error = {"message": f"no {echoed}", "details": {"applicationError": {"code": echoed}}}
        return httpx.Response(400, json=error, headers={"x-wix-request-id": echoed})

    spans.clear()
    server = build_server(settings, transport=httpx.MockTransport(wix), retry=FAST_RETRY)
    async with Client(server) as client:
        got = await client.call_tool("get_data_movement_job", {"job_id": CSV_IMPORT_ID})
        logs = await client.call_tool("list_data_movement_job_logs", {"job_id": CSV_IMPORT_ID})
    assert got.is_error and logs.is_error
    finished = list(spans.get_finished_spans())
    assert any(s.kind is SpanKind.CLIENT for s in finished)
    seen = "\n".join(span.to_json() for span in finished)
    secret = echoed[-20:]
    assert not [secret[i : i + 12] for i in range(len(secret) - 11) if secret[i : i + 12] in seen]


def test_without_an_endpoint_nothing_is_exported(monkeypatch: pytest.MonkeyPatch):
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert configure_tracing() is False
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert configure_tracing() is False


EXPORTING = """
from opentelemetry import trace
from wix_data_mover_mcp.serve.telemetry import configure_tracing
assert configure_tracing()
with trace.get_tracer("check").start_as_current_span("exported-span"):
    pass
trace.get_tracer_provider().force_flush()
"""


def test_spans_leave_over_otlp_to_the_configured_collector():
    received: list[bytes] = []

    async def collect(request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=200)

    collector = Starlette(routes=[Route("/v1/traces", collect, methods=["POST"])])
    with BackgroundServer(collector) as running:
        env = os.environ | {
            "OTEL_EXPORTER_OTLP_ENDPOINT": running.url,
            "OTEL_SERVICE_NAME": "wix-mcp-under-test",
        }
        done = subprocess.run(
            [sys.executable, "-c", EXPORTING], env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 0, done.stderr
    body = b"".join(received)
    assert b"exported-span" in body and b"wix-mcp-under-test" in body
