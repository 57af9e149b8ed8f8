"""Serving: the MCP server's wiring and lifespan, stdio and HTTP transports, sign-in, the
audit trail and telemetry."""
