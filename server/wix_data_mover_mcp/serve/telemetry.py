"""OpenTelemetry traces, exported over OTLP when the standard OTEL_* variables ask for it.

The MCP SDK already makes a span per message and the Wix client one per request to Wix (with a
W3C traceparent header); without an SDK installed those spans cost next to nothing. Exporting
needs the optional extra: pip install 'wix-data-mover-mcp[otel]'.
"""

from __future__ import annotations

import logging
import os

from .. import __version__

log = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def configure_tracing() -> bool:
    """Install an OTLP exporter if an endpoint is set and tracing is not disabled; say so."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    if not any(os.environ.get(name, "").strip() for name in ENDPOINT_VARIABLES):
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import OTELResourceDetector, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the exporter is not installed: install "
            "'wix-data-mover-mcp[otel]' to send traces, or unset it."
        )
        return False
    defaults = Resource.create(
        {"service.name": "wix-data-mover-mcp", "service.version": __version__}
    )
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults.
    resource = defaults.merge(OTELResourceDetector().detect())
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("Sending traces over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT).")
    return True
