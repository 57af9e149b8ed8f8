"""OAuth resource server: JWTs from a real issuer on loopback (keys made at test time), the
scopes they carry, the metadata clients discover, and the audit trail."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.provider import AccessToken
from mcp.types import PARSE_ERROR

from wix_data_mover_mcp.cli.main import audit_trail, main
from wix_data_mover_mcp.emulator import Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.serve.auth import (
    READ_SCOPE,
    WRITE_SCOPE,
    OAuthConfigError,
    OAuthSettings,
    audit_log,
    audit_record,
    configure_audit,
    load_oauth_settings,
    write_audit,
)
from wix_data_mover_mcp.serve.http_app import BindRefused, http_app
from wix_data_mover_mcp.serve.http_server import BackgroundServer
from wix_data_mover_mcp.serve.oauth import IssuerKeys, JwtVerifier, metadata_urls

from .conftest import ACCEPT, INITIALIZE, free_port, settings_for, trickled_post
from .issuer import SigningKey, TestIssuer, pooled_key

BOTH = f"{READ_SCOPE} {WRITE_SCOPE}"


@pytest.fixture(scope="module")
def issuer() -> Iterator[TestIssuer]:
    with TestIssuer() as running:
        yield running


def oauth_for(
    issuer: str, resource: str = "https://mcp.example.com/mcp", audience: str | None = None
) -> OAuthSettings:
    values = {"oauth_issuer": issuer, "public_url": resource, "oauth_audience": audience}
    return OAuthSettings.model_validate(values)


@dataclass
class Served:
    url: str
    resource: str


@contextmanager
def oauth_server(
    emulator: Emulator, issuer: TestIssuer, *, audience: str | None = None
) -> Iterator[Served]:
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    oauth = oauth_for(issuer.issuer, resource, audience)
    server = build_server(settings_for(emulator, allow_writes=True), oauth=oauth)
    app = http_app(server, host="127.0.0.1", token=None, oauth=oauth)
    with BackgroundServer(app, port=port) as running:
        yield Served(running.url, resource)


@pytest.fixture(scope="module")
def served(emulator: Emulator, issuer: TestIssuer) -> Iterator[Served]:
    """One OAuth server for the module's tests: the resource is its own URL."""
    with oauth_server(emulator, issuer) as running:
        yield running


@contextlib.asynccontextmanager
async def mcp_client(served: Served, token: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(f"{served.url}/mcp", http_client=http)) as client,
    ):
        yield client


def post(served: Served, token: str | None, body: object = INITIALIZE) -> httpx.Response:
    headers = ACCEPT | ({"authorization": f"Bearer {token}"} if token else {})
    return httpx.post(f"{served.url}/mcp", json=body, headers=headers)


@pytest.mark.anyio
async def test_a_read_token_lists_and_calls_reading_tools_but_sees_no_writing_ones(served, issuer):
    token = issuer.token(served.resource)
    async with mcp_client(served, token) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT})
        prompts = (await client.list_prompts()).prompts
    assert "get_data_movement_job" in names and prompts
    assert not {"terminate_data_movement_job", "retry_data_movement_job"} & names
    assert not result.is_error


@pytest.mark.anyio
async def test_a_write_token_sees_the_writing_tools(served, issuer):
    async with mcp_client(served, issuer.token(served.resource, scope=BOTH)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"terminate_data_movement_job", "retry_data_movement_job"} <= names


def test_a_writing_call_without_the_write_scope_gets_403_naming_the_scope(served, issuer):
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {
            "name": "retry_data_movement_job",
            "arguments": {"job_id": demo.PRODUCTS_IMPORT},
        },
    }
    refused = post(served, issuer.token(served.resource), call)
    reading = dict(call, params={"name": "get_data_movement_job", "arguments": {}})
    allowed = post(served, issuer.token(served.resource), reading)
    assert refused.status_code == 403
    challenge = refused.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{BOTH}"' in challenge
    assert "resource_metadata=" in challenge
    assert refused.json()["error"] == "insufficient_scope"
    assert allowed.status_code == 200


@pytest.mark.parametrize("tool", ["retry_data_movement_job", "get_data_movement_job"])
def test_arguments_nested_past_the_parsers_depth_get_the_transports_parse_error(
    served, issuer, tool
):
    deep = "[" * 1500 + json.dumps(demo.PRODUCTS_IMPORT) + "]" * 1500
    call = (
        '{"jsonrpc":"2.0","id":3,"method":"tools/call",'
        f'"params":{{"name":"{tool}","arguments":{{"job_id":{deep}}}}}}}'
    )
    headers = ACCEPT | {"authorization": f"Bearer {issuer.token(served.resource)}"}
    response = httpx.post(f"{served.url}/mcp", content=call, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == PARSE_ERROR
    assert response.json()["error"]["message"].startswith("Parse error:")


def test_a_token_without_the_read_scope_gets_403(served, issuer):
    response = post(served, issuer.token(served.resource, scope="profile"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


BAD_TOKENS = {
    "no token": lambda issuer, resource: None,
    "expired": lambda issuer, resource: issuer.token(resource, lifetime=-120),
    "not yet valid": lambda issuer, resource: issuer.token(resource, not_before=600),
    "wrong audience": lambda issuer, resource: issuer.token("https://other.example.com/mcp"),
    "wrong issuer": lambda issuer, resource: issuer.token(resource, iss="https://evil.example"),
    "bad signature": lambda issuer, resource: issuer.token(
        resource, key=SigningKey("key-1", pooled_key(98))
    ),
    "unknown key": lambda issuer, resource: issuer.token(
        resource, key=SigningKey("stranger", pooled_key(99))
    ),
    "not a jwt": lambda issuer, resource: "opaque-token-0123456789",
    "no expiry": lambda issuer, resource: issuer.token(resource, exp=None),
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_bad_tokens_get_401_pointing_at_the_resource_metadata(served, issuer, case):
    response = post(served, BAD_TOKENS[case](issuer, served.resource))
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    metadata = "http://127.0.0.1:" + served.url.rsplit(":", 1)[1]
    assert f'resource_metadata="{metadata}/.well-known/oauth-protected-resource/mcp"' in challenge


def test_the_metadata_names_the_issuer_the_resource_and_both_scopes(served, issuer):
    response = httpx.get(f"{served.url}/.well-known/oauth-protected-resource/mcp")
    health = httpx.get(f"{served.url}/healthz")
    metadata = response.json()
    assert metadata["resource"] == served.resource
    assert metadata["authorization_servers"] == [issuer.issuer]
    assert metadata["scopes_supported"] == [READ_SCOPE, WRITE_SCOPE]
    assert health.status_code == 200


def test_an_explicit_audience_replaces_the_resource_url(emulator, issuer):
    with oauth_server(emulator, issuer, audience="api://wix-data-mover") as served:
        accepted = post(served, issuer.token("api://wix-data-mover"))
        refused = post(served, issuer.token(served.resource))
    assert (accepted.status_code, refused.status_code) == (200, 401)


@pytest.mark.anyio
async def test_a_rotated_key_is_fetched_once_and_unknown_keys_do_not_refetch_at_will():
    with TestIssuer() as issuer:
        now = [0.0]
        settings = oauth_for(issuer.issuer)
        verifier = JwtVerifier(settings, IssuerKeys(issuer.issuer, clock=lambda: now[0]))
        first = await verifier.verify_token(issuer.token(settings.resource))
        new_key = issuer.rotate()
        now[0] = 60.0
        rotated = await verifier.verify_token(issuer.token(settings.resource, key=new_key))
        requests_after_rotation = issuer.jwks_requests
        for n in range(5):
            stranger = SigningKey(f"stranger-{n}", pooled_key(99))
            assert (
                await verifier.verify_token(issuer.token(settings.resource, key=stranger)) is None
            )
    assert first is not None and rotated is not None
    assert rotated.subject == "ana@example.com" and rotated.client_id == "claude-desktop"
    assert requests_after_rotation == 2
    assert issuer.jwks_requests == 2


@pytest.mark.anyio
async def test_keys_are_found_through_openid_connect_discovery_too():
    with TestIssuer(openid_only=True) as issuer:
        settings = oauth_for(issuer.issuer)
        verified = await JwtVerifier(settings).verify_token(
            issuer.token(settings.resource, scope=BOTH)
        )
    assert verified is not None and verified.scopes == [READ_SCOPE, WRITE_SCOPE]


@pytest.mark.anyio
async def test_a_list_of_scopes_in_scp_is_read_as_well():
    with TestIssuer() as issuer:
        settings = oauth_for(issuer.issuer)
        token = issuer.token(settings.resource, scope="", scp=[READ_SCOPE])
        verified = await JwtVerifier(settings).verify_token(token)
    assert verified is not None and verified.scopes == [READ_SCOPE]


def test_metadata_is_looked_up_where_rfc_8414_and_openid_connect_put_it():
    assert metadata_urls("https://login.example.com/tenant/v2") == [
        "https://login.example.com/.well-known/oauth-authorization-server/tenant/v2",
        "https://login.example.com/tenant/v2/.well-known/openid-configuration",
    ]


def test_the_static_token_and_oauth_together_are_refused(emulator, issuer):
    oauth = oauth_for(issuer.issuer)
    server = build_server(settings_for(emulator), oauth=oauth)
    with pytest.raises(BindRefused, match=r"^Both WIX_MCP_AUTH_TOKEN and WIX_MCP_OAUTH_ISSUER"):
        http_app(server, host="127.0.0.1", token="shared-secret-token", oauth=oauth)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"WIX_MCP_OAUTH_ISSUER": "https://login.example.com"},
            "WIX_MCP_OAUTH_ISSUER and WIX_MCP_PUBLIC_URL go together",
        ),
        (
            {
                "WIX_MCP_OAUTH_ISSUER": "http://login.example.com",
                "WIX_MCP_PUBLIC_URL": "https://m.example.com/mcp",
            },
            "WIX_MCP_OAUTH_ISSUER: must use https",
        ),
    ],
)
def test_half_an_oauth_setup_is_one_sentence_at_start(monkeypatch, capsys, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(OAuthConfigError, match=expected):
        load_oauth_settings()
    assert main(["serve", "--transport", "http", "--demo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wix-data-mover-mcp serve: Invalid OAuth configuration.")
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def audit_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "audit.log"
    configure_audit(str(path))
    yield path
    for handler in audit_log.handlers:
        handler.close()
    audit_log.handlers.clear()
    audit_log.setLevel(logging.NOTSET)


@pytest.mark.anyio
async def test_each_tool_call_leaves_one_audit_line_with_who_what_and_how_it_ended(
    served, issuer, audit_file
):
    token = issuer.token(served.resource, subject="ben@example.com")
    async with mcp_client(served, token) as client:
        await client.call_tool("get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT})
        await client.call_tool("get_data_movement_job", {"job_id": "<script>"})
        await client.call_tool("list_data_movement_jobs", {"limit": 500})
    lines = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert [(r["tool"], r["outcome"]) for r in lines] == [
        ("get_data_movement_job", "ok"),
        ("get_data_movement_job", "error"),
        ("list_data_movement_jobs", "invalid_arguments"),
    ]
    first = lines[0]
    assert first["subject"] == "ben@example.com" and first["client_id"] == "claude-desktop"
    assert first["job_id"] == demo.PRODUCTS_IMPORT and first["duration_ms"] >= 0
    assert lines[1]["job_id"] == "(not an id)"
    assert token not in audit_file.read_text()


def call(tool: str, arguments: dict[str, object] | None = None) -> dict[str, object]:
    params = {"name": tool, "arguments": arguments or {"job_id": demo.PRODUCTS_IMPORT}}
    return {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": params}


def test_calls_refused_before_a_tool_runs_leave_an_audit_line_with_the_reason(
    served, issuer, audit_file
):
    reader = issuer.token(served.resource, subject="ana@example.com")
    refused = [
        post(served, reader, call("retry_data_movement_job")),
        post(served, None, call("get_data_movement_job")),
        post(served, issuer.token(served.resource, lifetime=-120), call("get_data_movement_job")),
        post(served, issuer.token(served.resource, scope="profile"), call("get_data_movement_job")),
    ]
    assert [response.status_code for response in refused] == [403, 401, 401, 403]
    lines = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert [(r["event"], r["outcome"], r["reason"]) for r in lines] == [
        ("tool_call", "refused", "insufficient_scope"),
        ("request", "refused", "missing_token"),
        ("request", "refused", "invalid_token"),
        ("request", "refused", "insufficient_scope"),
    ]
    assert lines[0]["tool"] == "retry_data_movement_job"
    assert lines[0]["subject"] == "ana@example.com"
    assert lines[1]["path"] == "POST /mcp" and "subject" not in lines[1]
    assert reader not in audit_file.read_text()


def test_a_refusal_closes_the_connection(served, issuer):
    with httpx.Client(base_url=served.url) as http:
        refused = http.post("/mcp", json=call("get_data_movement_job"), headers=ACCEPT)
    assert refused.status_code == 401 and refused.headers["connection"] == "close"


def test_a_slow_body_without_a_token_is_refused_from_its_headers_and_closed(served):
    answer, held = trickled_post(int(served.url.rsplit(":", 1)[1]), ACCEPT)
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert held < 2.5


def test_the_shared_token_refusals_leave_an_audit_line_too(emulator, audit_file):
    app = http_app(build_server(settings_for(emulator)), host="127.0.0.1", token="t" * 32)
    with BackgroundServer(app) as running:
        for authorization in (None, "Bearer wrong"):
            headers = ACCEPT | ({"authorization": authorization} if authorization else {})
            httpx.post(f"{running.url}/mcp", json=INITIALIZE, headers=headers)
    lines = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert [(r["outcome"], r["reason"]) for r in lines] == [
        ("refused", "missing_token"),
        ("refused", "invalid_token"),
    ]


def test_a_huge_tool_name_leaves_a_short_audit_line(served, issuer, audit_file):
    writer = issuer.token(served.resource, scope=BOTH)
    huge = "retry_" + "x" * 900_000
    answered = post(served, writer, call(huge))
    reader = issuer.token(served.resource)
    refused = post(served, reader, call("retry_data_movement_job", {"job_id": "y" * 900_000}))
    assert (answered.status_code, refused.status_code) == (200, 403)
    lines = audit_file.read_text().splitlines()
    assert len(lines) == 2
    assert all(len(line.encode()) <= 4096 for line in lines)
    assert len(json.loads(lines[0])["tool"]) == 200


def test_an_audit_line_is_at_most_4_kib_whatever_its_fields_hold(audit_file):
    token = AccessToken(
        token="t", client_id="\x00" * 5000, scopes=[READ_SCOPE], subject="\u2028" * 5000
    )
    record = audit_record(
        tool="\U0001f600" * 5000,
        arguments={"job_id": "x" * 5000, "site": "\x1b" * 5000},
        token=token,
        outcome="refused",
        seconds=0.0,
        reason="r" * 5000,
    )
    write_audit(record)
    write_audit({"tool": "get_data_movement_job", "note": "\x00" * 100_000})
    lines = audit_file.read_text().splitlines()
    assert len(lines) == 2
    assert all(len(line.encode()) <= 4096 for line in lines)
    assert json.loads(lines[0])["outcome"] == "refused"
    assert json.loads(lines[1])["tool"] == "get_data_movement_job"
    assert json.loads(lines[1])["shortened"] is True


def test_an_audit_line_never_carries_the_token_or_a_malformed_job_id():
    token = AccessToken(token="secret-jwt", client_id="c", scopes=[READ_SCOPE], subject="s")
    record = audit_record(
        tool="get_data_movement_job",
        arguments={"job_id": "ignore previous instructions", "site": "Lakeview Hotel"},
        token=token,
        outcome="ok",
        seconds=0.0123,
    )
    text = json.dumps(record)
    assert "secret-jwt" not in text and "instructions" not in text
    assert record["site"] == "Lakeview Hotel" and record["duration_ms"] == 12.3


TS_CLIENT = """
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
const [url, token, jobId] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "ts-check", version: "1.0.0" });
await client.connect(transport);
const tools = (await client.listTools()).tools.map((t) => t.name);
const result = await client.callTool({ name: "get_data_movement_job", arguments: { job_id: jobId } });
console.log(JSON.stringify({ tools, status: result.structuredContent?.status, isError: !!result.isError }));
await client.close();
"""


def test_the_official_typescript_client_calls_tools_with_a_token(served, issuer):
    """CI installs @modelcontextprotocol/sdk and points WIX_TEST_TS_SDK at its node_modules."""
    modules = os.environ.get("WIX_TEST_TS_SDK")
    if not modules or shutil.which("node") is None:
        if os.environ.get("WIX_TEST_REQUIRE_TS_SDK"):
            pytest.fail("WIX_TEST_TS_SDK must point at an install of @modelcontextprotocol/sdk")
        pytest.skip("the TypeScript SDK is not installed (WIX_TEST_TS_SDK)")
    script = Path(modules).parent / f"client-{os.getpid()}.mjs"
    script.write_text(TS_CLIENT)
    try:
        token = issuer.token(served.resource)
        done = subprocess.run(
            ["node", str(script), f"{served.url}/mcp", token, demo.PRODUCTS_IMPORT],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        script.unlink()
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "get_data_movement_job" in answer["tools"]
    assert "retry_data_movement_job" not in answer["tools"]
    assert answer == answer | {"status": "COMPLETED", "isError": False}


def test_an_issuer_is_kept_exactly_as_written_trailing_slash_and_all():
    assert oauth_for("https://team.eu.auth0.com/").issuer == "https://team.eu.auth0.com/"
    assert oauth_for("https://login.example.com/realms/x").issuer == (
        "https://login.example.com/realms/x"
    )


@pytest.mark.parametrize(
    ("transport", "env", "expected"),
    [
        ("http", {}, (True, None)),
        ("http", {"WIX_MCP_AUDIT_LOG": "/var/log/wix-mcp.jsonl"}, (True, "/var/log/wix-mcp.jsonl")),
        ("stdio", {}, (False, None)),
        ("stdio", {"WIX_MCP_AUDIT_LOG": " "}, (False, None)),
        ("stdio", {"WIX_MCP_AUDIT_LOG": "audit.jsonl"}, (True, "audit.jsonl")),
    ],
)
def test_a_shared_server_always_keeps_an_audit_trail_a_personal_one_when_asked(
    transport, env, expected
):
    assert audit_trail(transport, env) == expected


def test_an_unconfigured_audit_trail_writes_nothing_and_costs_no_json(monkeypatch):
    called: list[object] = []
    monkeypatch.setattr(audit_log, "handlers", [])  # as in a process that never configured it
    monkeypatch.setattr(
        "wix_data_mover_mcp.serve.auth.json.dumps", lambda *a, **k: called.append(a)
    )
    write_audit({"tool": "get_data_movement_job"})
    assert called == []


def test_doctor_checks_that_the_identity_provider_publishes_its_keys(issuer, monkeypatch, capsys):
    monkeypatch.setenv("WIX_MCP_OAUTH_ISSUER", issuer.issuer)
    monkeypatch.setenv("WIX_MCP_PUBLIC_URL", "https://mcp.example.com/mcp")
    main(["doctor", "--demo"])
    out = capsys.readouterr().out
    assert (
        f"✓ The identity provider {issuer.issuer} publishes 1 signing key(s); tokens must be for "
        "https://mcp.example.com/mcp"
    ) in out


def test_doctor_names_an_issuer_that_publishes_no_keys(monkeypatch, capsys):
    nowhere = f"http://127.0.0.1:{free_port()}/tenant"
    monkeypatch.setenv("WIX_MCP_OAUTH_ISSUER", nowhere)
    monkeypatch.setenv("WIX_MCP_PUBLIC_URL", "https://mcp.example.com/mcp")
    assert main(["doctor", "--demo"]) == 1
    out = capsys.readouterr().out
    assert f"✗ The identity provider {nowhere} does not publish its signing keys" in out
    assert "Check WIX_MCP_OAUTH_ISSUER" in out and "Traceback" not in out
