"""Metrics for operators: Prometheus text on a port of its own, read back with prometheus_client's
own parser, every label from a fixed set (nothing from Wix or from a token)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from prometheus_client.parser import text_string_to_metric_families

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.emulator import Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.serve.auth import OAuthSettings
from wix_data_mover_mcp.serve.http_app import http_app
from wix_data_mover_mcp.serve.http_server import BackgroundServer, PortUnavailable
from wix_data_mover_mcp.serve.metrics import (
    OUTCOMES,
    REFUSALS,
    STATUSES,
    Metrics,
    metrics_app,
)

from .conftest import ACCEPT, FAST_RETRY, INITIALIZE, free_port, settings_for
from .issuer import TestIssuer

pytestmark = pytest.mark.anyio

READ_WRITE = "wix-data-mover:read wix-data-mover:write"


@dataclass
class Served:
    url: str
    resource: str
    metrics_url: str


@contextlib.contextmanager
def serving(emulator: Emulator, issuer: TestIssuer, **settings: Any) -> Iterator[Served]:
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    oauth = OAuthSettings.model_validate({"oauth_issuer": issuer.issuer, "public_url": resource})
    metrics = Metrics()
    server = build_server(
        settings_for(emulator, allow_writes=True, job_cache_seconds=5, **settings),
        retry=FAST_RETRY,
        oauth=oauth,
        metrics=metrics,
    )
    app = http_app(server, host="127.0.0.1", token=None, oauth=oauth)
    side = ("127.0.0.1", 0, metrics_app(server, metrics))
    with BackgroundServer(app, port=port, side=side) as running:
        assert running.side_url is not None
        yield Served(running.url, resource, f"{running.side_url}/metrics")


@pytest.fixture(scope="module")
def issuer() -> Iterator[TestIssuer]:
    with TestIssuer() as running:
        yield running


@contextlib.asynccontextmanager
async def signed_in(served: Served, bearer: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"authorization": f"Bearer {bearer}"}) as http,
        Client(streamable_http_client(f"{served.url}/mcp", http_client=http)) as client,
    ):
        yield client


async def scrape(
    http: httpx.AsyncClient, served: Served
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the scrape, parsed by prometheus_client's own parser."""
    reply = await http.get(served.metrics_url)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_scrape_counts_calls_requests_shared_answers_budget_and_refusals(emulator, issuer):
    with serving(emulator, issuer) as served:
        bearer = issuer.token(served.resource, scope=READ_WRITE)
        async with signed_in(served, bearer) as client, anyio.create_task_group() as group:
            for _ in range(3):  # one request to Wix, its answer shared with the others
                group.start_soon(
                    client.call_tool, "get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT}
                )
        async with signed_in(served, bearer) as client:
            await client.call_tool("get_data_movement_job", {"job_id": "not-a-job"})
            await client.call_tool(
                "terminate_data_movement_job", {"job_id": demo.MENU_TRANSLATION, "dry_run": True}
            )
        async with httpx.AsyncClient() as http:
            unsigned = await http.post(f"{served.url}/mcp", json=INITIALIZE, headers=ACCEPT)
            samples = await scrape(http, served)
            on_main_port = await http.get(f"{served.url}/metrics")
        assert unsigned.status_code == 401
    calls = "wix_data_mover_mcp_tool_calls_total"
    assert value(samples, calls, tool="get_data_movement_job", outcome="ok") == 3
    assert value(samples, calls, tool="get_data_movement_job", outcome="error") == 1
    assert value(samples, calls, tool="terminate_data_movement_job", outcome="dry_run") == 1
    assert value(samples, "wix_data_mover_mcp_wix_requests_total", status="200") >= 2
    assert value(samples, "wix_data_mover_mcp_wix_request_seconds_count") >= 2
    assert value(samples, "wix_data_mover_mcp_wix_requests_in_flight") == 0
    assert value(samples, "wix_data_mover_mcp_shared_answers_total") >= 2
    assert 0 < value(samples, "wix_data_mover_mcp_rate_budget_remaining") <= 148
    assert value(samples, "wix_data_mover_mcp_refusals_total", reason="token") == 1
    assert value(samples, "wix_data_mover_mcp_refusals_total", reason="site") == 0
    assert on_main_port.status_code != 200  # the metrics are only on their own port


async def test_no_label_value_comes_from_wix_or_from_a_token(emulator, issuer):
    odd = '"}\nwix_data_mover_mcp_forged 1\n{x="'  # what a label must never carry
    with serving(emulator, issuer, account_id=demo.DEMO_ACCOUNT_ID) as served:
        bearer = issuer.token(served.resource, scope=READ_WRITE, subject=f"ana{odd}")
        emulator.state.inject("server_error", job_id=demo.BLOG_IMPORT_FAILED, count=4, status=599)
        emulator.state.inject("html", job_id=demo.REVIEWS_IMPORT, count=4)
        async with signed_in(served, bearer) as client:
            for job in (demo.BLOG_IMPORT_FAILED, demo.REVIEWS_IMPORT, demo.PRODUCTS_IMPORT):
                await client.call_tool("get_data_movement_job", {"job_id": job, "site": odd})
                await client.call_tool(
                    "get_data_movement_job", {"job_id": job, "site": "Riverside Bakery"}
                )
            await client.call_tool(f"tool{odd}", {"job_id": odd})
            await client.call_tool("list_wix_sites", {"name_contains": odd})
        async with httpx.AsyncClient() as http:
            text = (await http.get(served.metrics_url)).text
    emulator.state.clear_faults()
    samples = list(text_string_to_metric_families(text))
    allowed = {
        "tool": {*(t for t in _tool_names()), "unknown"},
        "outcome": set(OUTCOMES),
        "status": {*(str(s) for s in STATUSES), "1xx", "2xx", "3xx", "4xx", "5xx", "none", "other"},
        "reason": set(REFUSALS),
        "le": {"0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "+Inf"},
    }
    seen: set[tuple[str, str]] = set()
    for family in samples:
        assert family.name.startswith("wix_data_mover_mcp_")
        for sample in family.samples:
            for label, given in sample.labels.items():
                assert given in allowed[label], (family.name, label, given)
                seen.add((label, given))
    assert ("status", "5xx") in seen  # Wix's 599, counted by its class
    assert ("tool", "unknown") in seen
    assert "forged" not in text and "ana" not in text and "Riverside" not in text
    assert demo.BLOG_IMPORT_FAILED not in text


def _tool_names() -> set[str]:
    from wix_data_mover_mcp.tools.registry import (
        READ_TOOLS,
        RETRY,
        SCHEDULES,
        SITE_TOOLS,
        TERMINATE,
    )

    return {spec.fn.__name__ for spec in [*READ_TOOLS, RETRY, SCHEDULES, *SITE_TOOLS, TERMINATE]}


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (
            ["serve", "--metrics-port", "9100"],
            {},
            "wix-data-mover-mcp serve: --host, --port, --allowed-host and --metrics-* apply "
            "only with --transport http.\n",
        ),
        (
            ["serve", "--transport", "http", "--demo"],
            {"WIX_MCP_METRICS_PORT": "ninety"},
            "wix-data-mover-mcp serve: WIX_MCP_METRICS_PORT must be a port number from 1 to "
            "65535, not 'ninety'.\n",
        ),
    ],
)
def test_metrics_settings_that_cannot_work_are_one_sentence(
    argv, env, expected, monkeypatch, capsys
):
    for name, given in env.items():
        monkeypatch.setenv(name, given)
    assert main(argv) == 2
    assert capsys.readouterr().err == expected


def main_and_metrics_on_one_port(emulator: Emulator) -> tuple[Any, int, tuple[str, int, Any]]:
    """An app on 127.0.0.2 and its metrics on 127.0.0.1, both given the same free port."""
    metrics = Metrics()
    server = build_server(settings_for(emulator), metrics=metrics)
    app = http_app(server, host="127.0.0.2", token="test-token-0123456789abcdef-never-real")
    port = free_port()
    return app, port, ("127.0.0.1", port, metrics_app(server, metrics))


def test_a_metrics_port_equal_to_the_main_port_on_another_address_is_refused_at_start(emulator):
    # Both sockets can be bound (127.0.0.2 and 127.0.0.1 are different addresses), but requests
    # are told apart by port: the metrics would answer on the main address, without a token.
    app, port, side = main_and_metrics_on_one_port(emulator)
    with pytest.raises(PortUnavailable) as refused:
        BackgroundServer(app, host="127.0.0.2", port=port, side=side).stop()
    assert str(refused.value) == (
        f"The metrics port must differ from the main port ({port}), even on another address; "
        "choose another with --metrics-port."
    )
    with socket.create_server(("127.0.0.2", port)), socket.create_server(("127.0.0.1", port)):
        pass  # neither address was left bound


def test_the_same_port_is_refused_as_such_even_while_another_program_holds_it(emulator):
    app, port, side = main_and_metrics_on_one_port(emulator)
    with socket.create_server(("127.0.0.1", port)), pytest.raises(PortUnavailable) as refused:
        BackgroundServer(app, host="127.0.0.2", port=port, side=side).stop()
    assert str(refused.value).startswith("The metrics port must differ from the main port")
