"""Per-person site access (WIX_MCP_SITE_ACCESS): grants matched against the claims of tokens from
a real issuer on loopback, applied wherever a site is named or listed, refusals audited."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator, JobTimeline
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.emulator.seed import (
    DEMO_ACCOUNT_ID,
    DENTAL_SITE_ID,
    SKI_SITE_ID,
    STAGING_SITE_ID,
)
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.serve.auth import OAuthSettings, audit_log, configure_audit
from wix_data_mover_mcp.serve.http_app import http_app
from wix_data_mover_mcp.serve.http_server import BackgroundServer
from wix_data_mover_mcp.tools.access import PolicyError, SiteAccess, SitePolicy
from wix_data_mover_mcp.wix.sites import Site

from .conftest import FAST_RETRY, free_port, settings_for, texts
from .issuer import TestIssuer

pytestmark = pytest.mark.anyio

READ_WRITE = "wix-data-mover:read wix-data-mover:write"
GRANTS = {
    "grants": [
        {"claim": "sub", "equals": "alice@agency.example", "sites": ["*"], "write": True},
        {"claim": "groups", "equals": "bakeries", "sites": ["Riverside Bakery", SKI_SITE_ID]},
        {
            "claim": "groups",
            "equals": "bakery-writers",
            "sites": ["riverside bakery"],
            "write": True,
        },
    ]
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[TestIssuer]:
    with TestIssuer() as running:
        yield running


@dataclass
class Served:
    url: str
    resource: str
    access: SiteAccess


@contextlib.contextmanager
def serving(
    emulator: Emulator, issuer: TestIssuer, grants: Any = GRANTS, **settings: Any
) -> Iterator[Served]:
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    oauth = OAuthSettings.model_validate({"oauth_issuer": issuer.issuer, "public_url": resource})
    access = SiteAccess("(test)", SitePolicy.parse(json.dumps(grants), source="(test)"))
    values = {"allow_writes": True, "account_id": DEMO_ACCOUNT_ID} | settings
    server = build_server(
        settings_for(emulator, **values), retry=FAST_RETRY, oauth=oauth, site_access=access
    )
    app = http_app(server, host="127.0.0.1", token=None, oauth=oauth)
    with BackgroundServer(app, port=port) as running:
        yield Served(running.url, resource, access)


@pytest.fixture(scope="module")
def served(emulator: Emulator, issuer: TestIssuer) -> Iterator[Served]:
    with serving(emulator, issuer) as running:
        yield running


def token(issuer: TestIssuer, served: Served, subject: str, **claims: Any) -> str:
    return issuer.token(served.resource, scope=READ_WRITE, subject=subject, **claims)


@contextlib.asynccontextmanager
async def signed_in(served: Served, bearer: str, **options: Any) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"authorization": f"Bearer {bearer}"}) as http,
        Client(streamable_http_client(f"{served.url}/mcp", http_client=http), **options) as client,
    ):
        yield client


def site_ids(result: Any) -> set[str]:
    return {site["id"] for site in (result.structured_content or {})["sites"]}


async def test_each_person_lists_only_the_sites_their_grants_name(served, issuer):
    alice = token(issuer, served, "alice@agency.example")
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    dave = token(issuer, served, "dave@agency.example", groups=["florists"])
    async with signed_in(served, alice) as client:
        everyone = await client.call_tool("list_wix_sites", {})
    async with signed_in(served, bob) as client:
        bakeries = await client.call_tool("list_wix_sites", {})
    async with signed_in(served, dave) as client:
        nothing = await client.call_tool("list_wix_sites", {})
    assert len(site_ids(everyone)) == 5
    assert site_ids(bakeries) == {DEMO_SITE_ID, SKI_SITE_ID}
    assert texts(bakeries)[0].startswith("2 of the 2 sites you may use:")
    assert site_ids(nothing) == set()


async def test_a_site_outside_the_grants_reads_exactly_like_a_site_that_does_not_exist(
    served, issuer
):
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    job = {"job_id": demo.DENTAL_EXPORT}
    async with signed_in(served, bob) as client:
        by_name = await client.call_tool("get_data_movement_job", job | {"site": "Harbor Dental"})
        no_name = await client.call_tool("get_data_movement_job", job | {"site": "Harbor Dentist"})
        by_id = await client.call_tool("get_data_movement_job", job | {"site": DENTAL_SITE_ID})
        no_id = await client.call_tool(
            "get_data_movement_job", job | {"site": "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"}
        )
    assert all(r.is_error for r in (by_name, no_name, by_id, no_id))
    yours = f'; yours are "Riverside Bakery" ({DEMO_SITE_ID}), "Nordic Ski School" ({SKI_SITE_ID}).'
    prefix = "Error executing tool get_data_movement_job: No site you may use is "
    assert texts(by_name)[0] == f'{prefix}"Harbor Dental"{yours}'
    assert texts(no_name)[0] == f'{prefix}"Harbor Dentist"{yours}'
    assert texts(by_id)[0] == f'{prefix}"{DENTAL_SITE_ID}"{yours}'
    assert texts(no_id)[0] == f'{prefix}"0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"{yours}'


async def test_a_granted_site_is_used_by_name_or_id(served, issuer):
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    async with signed_in(served, bob) as client:
        bakery = await client.call_tool(
            "get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT, "site": "RIVERSIDE BAKERY"}
        )
        ski = await client.call_tool(
            "get_data_movement_job", {"job_id": demo.SKI_IMPORT_FAILED, "site": SKI_SITE_ID}
        )
    assert not bakery.is_error and not ski.is_error


async def test_the_search_across_sites_reads_only_granted_sites(served, issuer, emulator):
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    before = emulator.state.requests["query_jobs"]
    async with signed_in(served, bob) as client:
        result = await client.call_tool("list_data_movement_jobs_across_sites", {"since": "30d"})
    searched = {site["id"] for site in (result.structured_content or {})["sites"]}
    assert searched == {DEMO_SITE_ID, SKI_SITE_ID}
    assert emulator.state.requests["query_jobs"] - before == 2
    assert "Harbor Dental" not in texts(result)[0] and "Lakeview" not in texts(result)[0]


async def test_writing_on_a_site_needs_a_grant_that_allows_writes(served, issuer):
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    carol = token(issuer, served, "carol@agency.example", groups=["bakeries", "bakery-writers"])
    retry = {"job_id": demo.MEMBERS_PARTIAL, "site": "Riverside Bakery", "dry_run": True}
    async with signed_in(served, bob) as client:
        refused = await client.call_tool("retry_data_movement_job", retry)
    async with signed_in(served, carol) as client:
        allowed = await client.call_tool("retry_data_movement_job", retry)
    assert refused.is_error
    assert texts(refused)[0].endswith(
        f'You may read site "Riverside Bakery" ({DEMO_SITE_ID}) but not change its jobs: that '
        'needs a grant with "write": true in WIX_MCP_SITE_ACCESS.'
    )
    assert not allowed.is_error and (allowed.structured_content or {})["plan"]


def copy_job(emulator: Emulator, other: str, *, running: bool = False, into: bool = False) -> str:
    """A job of Riverside Bakery that copies from `other` (or, `into`, copies into it)."""
    ident = str(uuid.uuid4())
    collection = {"wixDataCollection": {"collectionId": "Recipes"}}
    fields = {"id": ident, "name": "Copy recipes", "source": collection, "destination": collection}
    fields["destinationSiteId" if into else "sourceSiteId"] = other
    now = emulator.state.now()
    emulator.state.add_job(
        JobTimeline(DEMO_SITE_ID, fields, submitted_at=now - (0 if running else 600), running=60)
    )
    return ident


NOWHERE = "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"  # no site of the account


async def test_a_retry_that_copies_from_a_site_outside_the_grants_is_refused(
    served, issuer, emulator
):
    # Carol may change Riverside Bakery but not read its staging site: a retry of a copy from
    # staging would pull staging's data into her site. A site that does not exist reads alike.
    carol = token(issuer, served, "carol@agency.example", groups=["bakeries", "bakery-writers"])
    alice = token(issuer, served, "alice@agency.example")
    staging, nowhere = copy_job(emulator, STAGING_SITE_ID), copy_job(emulator, NOWHERE)
    here = {"site": "Riverside Bakery"}
    before = emulator.state.requests["submit_job"]
    async with signed_in(served, carol) as client:
        real = await client.call_tool("retry_data_movement_job", {"job_id": staging} | here)
        dry = await client.call_tool(
            "retry_data_movement_job", {"job_id": staging, "dry_run": True} | here
        )
        missing = await client.call_tool("retry_data_movement_job", {"job_id": nowhere} | here)
    async with signed_in(served, alice) as client:
        allowed = await client.call_tool(
            "retry_data_movement_job", {"job_id": staging, "dry_run": True} | here
        )
    assert emulator.state.requests["submit_job"] == before
    said = (
        "Error executing tool retry_data_movement_job: Job {job} copies from site {site}, which "
        "is not among the sites you may use: retrying it would copy that site's data, so it "
        "needs a grant for that site in WIX_MCP_SITE_ACCESS."
    )
    assert texts(real) == texts(dry) == [said.format(job=staging, site=STAGING_SITE_ID)]
    assert texts(missing) == [said.format(job=nowhere, site=NOWHERE)]
    assert not allowed.is_error


async def test_a_write_into_a_site_outside_the_write_grants_is_refused(served, issuer, emulator):
    # Carol sees Nordic Ski School but may not change it: neither a retry nor a stop of a copy
    # into it is hers to make.
    carol = token(issuer, served, "carol@agency.example", groups=["bakeries", "bakery-writers"])
    finished = copy_job(emulator, SKI_SITE_ID, into=True)
    running = copy_job(emulator, SKI_SITE_ID, into=True, running=True)
    here = {"site": "Riverside Bakery", "dry_run": True}
    async with signed_in(served, carol) as client:
        retry = await client.call_tool("retry_data_movement_job", {"job_id": finished} | here)
        stop = await client.call_tool("terminate_data_movement_job", {"job_id": running} | here)
    assert texts(retry) == [
        f"Error executing tool retry_data_movement_job: Job {finished} copies into site "
        f"{SKI_SITE_ID}, which is not among the sites you may change: retrying it changes what "
        'that site gets, so it needs a grant with "write": true for that site in '
        "WIX_MCP_SITE_ACCESS."
    ]
    assert texts(stop)[0].endswith(
        f"Job {running} copies into site {SKI_SITE_ID}, which is not among the sites you may "
        'change: stopping it changes what that site gets, so it needs a grant with "write": '
        "true for that site in WIX_MCP_SITE_ACCESS."
    )


async def test_a_summary_names_another_site_only_to_those_who_may_see_it(served, issuer):
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    alice = token(issuer, served, "alice@agency.example")
    job = {"job_id": demo.RECIPES_COPY, "site": "Riverside Bakery"}
    async with signed_in(served, bob) as client:
        await client.call_tool("list_wix_sites", {})  # the site list is known, names and all
        hidden = await client.call_tool("get_data_movement_job", job)
    async with signed_in(served, alice) as client:
        shown = await client.call_tool("get_data_movement_job", job)
    assert f'collection "Recipes" of site {STAGING_SITE_ID} →' in texts(hidden)[0]
    assert "Riverside Bakery (staging)" not in texts(hidden)[0]
    assert (
        f'collection "Recipes" of site "Riverside Bakery (staging)" ({STAGING_SITE_ID}) →'
        in texts(shown)[0]
    )


async def test_the_job_resource_follows_the_grants(served, issuer):
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    async with signed_in(served, bob) as client:
        mine = await client.read_resource(
            f"wix-data-mover://sites/{SKI_SITE_ID}/jobs/{demo.SKI_IMPORT_FAILED}"
        )
        try:
            await client.read_resource(
                f"wix-data-mover://sites/{DENTAL_SITE_ID}/jobs/{demo.DENTAL_EXPORT}"
            )
        except MCPError as exc:
            refused: MCPError | None = exc
        else:
            refused = None
    assert mine.contents
    assert refused is not None and str(refused).startswith("No site you may use is")


async def test_every_refusal_is_audited_with_its_reason(served, issuer, tmp_path):
    audit = tmp_path / "audit.jsonl"
    configure_audit(str(audit))
    bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    try:
        async with signed_in(served, bob, elicitation_callback=answer) as client:
            await client.call_tool(
                "get_data_movement_job", {"job_id": demo.DENTAL_EXPORT, "site": "Harbor Dental"}
            )
            await client.call_tool(
                "terminate_data_movement_job",
                {"job_id": demo.PRODUCTS_IMPORT, "site": "Riverside Bakery", "dry_run": True},
            )
            with contextlib.suppress(MCPError):
                await client.read_resource(
                    f"wix-data-mover://sites/{DENTAL_SITE_ID}/jobs/{demo.DENTAL_EXPORT}"
                )
            # Refused before anyone is asked to confirm.
            await client.call_tool(
                "retry_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL, "site": DEMO_SITE_ID}
            )
    finally:
        for handler in audit_log.handlers:
            handler.close()
        audit_log.handlers.clear()
        audit_log.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(r["event"], r["outcome"], r["reason"], r["subject"]) for r in lines] == [
        ("tool_call", "refused", "site", "bob@agency.example"),
        ("tool_call", "refused", "write", "bob@agency.example"),
        ("resource_read", "refused", "site", "bob@agency.example"),
        ("tool_call", "refused", "write", "bob@agency.example"),
    ]
    assert asked == []


async def test_a_pinned_server_applies_the_same_grants_to_its_one_site(emulator, issuer):
    grants = {"grants": [{"claim": "groups", "equals": "bakeries", "sites": [DEMO_SITE_ID]}]}
    with serving(emulator, issuer, grants, account_id=None) as pinned:
        bob = token(issuer, pinned, "bob@agency.example", groups=["bakeries"])
        dave = token(issuer, pinned, "dave@agency.example", groups=["florists"])
        async with signed_in(pinned, bob) as client:
            read = await client.call_tool("get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT})
            write = await client.call_tool(
                "terminate_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT, "dry_run": True}
            )
        async with signed_in(pinned, dave) as client:
            other = await client.call_tool(
                "get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT}
            )
    assert not read.is_error
    assert write.is_error and "but not change its jobs" in texts(write)[0]
    assert other.is_error and texts(other)[0].endswith(
        "This server's site is not among the sites you may use."
    )


async def test_a_bad_reload_keeps_the_grants_in_force_and_a_good_one_replaces_them(
    served, issuer, tmp_path, caplog
):
    path = tmp_path / "access.json"
    access = SiteAccess(str(path), served.access.policy)

    async def sites() -> list[Site]:
        return [Site(DEMO_SITE_ID, "Riverside Bakery"), Site(SKI_SITE_ID, "Nordic Ski School")]

    path.write_text('{"grants": [{"claim": "sub", "equals": "x", "sites": ["Riverside Bakey"]}]}')
    assert not await access.reload(sites)
    path.write_text("{not json")
    assert not await access.reload(sites)
    assert access.policy is served.access.policy
    path.write_text('{"grants": [{"claim": "sub", "equals": "x", "sites": ["Nordic Ski School"]}]}')
    assert await access.reload(sites)
    assert access.policy.access({"sub": "x"}).sees(Site(SKI_SITE_ID, "Nordic Ski School"))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0] == (
        'WIX_MCP_SITE_ACCESS names a site the account does not have: "Riverside Bakey"; use the '
        "names list_wix_sites shows, or the sites' ids. The grants in force are kept."
    )
    assert errors[1].startswith(f"WIX_MCP_SITE_ACCESS ({path}) is not valid JSON (line 1")


def test_a_grant_matches_a_claim_that_equals_its_value_or_a_list_claim_that_contains_it():
    policy = SitePolicy.parse(json.dumps(GRANTS), source="(test)")
    bakery, dental = Site(DEMO_SITE_ID, "Riverside Bakery"), Site(DENTAL_SITE_ID, "Harbor Dental")
    assert policy.access({"sub": "alice@agency.example"}).sees(dental)
    assert policy.access({"groups": ["x", "bakeries"]}).sees(bakery)
    assert policy.access({"groups": "bakeries"}).sees(bakery)
    assert not policy.access({"groups": "bakeries"}).sees(dental)
    assert not policy.access({"groups": ["bakeries"]}).writes(bakery)
    assert policy.access({"groups": ["bakeries", "bakery-writers"]}).writes(bakery)
    assert not policy.access({"groups": {"bakeries": True}}).sees(bakery)  # no such claim shape
    assert not policy.access(None).sees(bakery)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2", "is not valid JSON (line 1, column 6: Expecting ',' delimiter)."),
        (
            '{"grants": [{"claim": "groups", "equals": ["a", "b"], "sites": ["*"]}]}',
            "does not hold grants as expected: at grants.0.equals, input should be a valid "
            'string (each grant is {"claim": "…", "equals": "…", "sites": ["…"], "write": false}).',
        ),
        (
            '{"grants": [{"claim": "groups", "in": "a", "sites": ["*"]}]}',
            "does not hold grants as expected: at grants.0.equals, field required (each grant is "
            '{"claim": "…", "equals": "…", "sites": ["…"], "write": false}).',
        ),
    ],
)
def test_a_malformed_grants_file_is_one_sentence(tmp_path, content, expected):
    path = tmp_path / "access.json"
    path.write_text(content)
    with pytest.raises(PolicyError) as refused:
        SitePolicy.load(str(path))
    assert str(refused.value) == f"WIX_MCP_SITE_ACCESS ({path}) {expected}"


def test_site_access_is_refused_at_start_without_oauth_over_http(tmp_path, monkeypatch, capsys):
    path = tmp_path / "access.json"
    path.write_text(json.dumps(GRANTS))
    monkeypatch.setenv("WIX_MCP_SITE_ACCESS", str(path))
    assert main(["serve", "--transport", "http", "--demo"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "wix-data-mover-mcp serve: WIX_MCP_SITE_ACCESS needs --transport http with OAuth "
        "(WIX_MCP_OAUTH_ISSUER): only then does each caller carry the claims its grants are "
        "matched against.\n"
    )


def test_a_site_name_that_matches_nothing_is_refused_at_start(
    issuer, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "access.json"
    path.write_text('{"grants": [{"claim": "sub", "equals": "a", "sites": ["Riverside Bakey"]}]}')
    monkeypatch.setenv("WIX_MCP_SITE_ACCESS", str(path))
    monkeypatch.setenv("WIX_MCP_OAUTH_ISSUER", issuer.issuer)
    monkeypatch.setenv("WIX_MCP_PUBLIC_URL", "https://mcp.example.com/mcp")
    assert main(["serve", "--transport", "http", "--demo"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "wix-data-mover-mcp serve: WIX_MCP_SITE_ACCESS names a site the account does not have: "
        '"Riverside Bakey"; use the names list_wix_sites shows, or the sites\' ids.\n'
    )


TWIN_SITE_ID = "9c1e7a3b-2d4f-4e6a-8b5c-0d1e2f3a4b5c"


@contextlib.contextmanager
def account_with_twins() -> Iterator[Emulator]:
    """The demo account, plus a site whose display name is Riverside Bakery's in other case
    (Wix names every new site "My Site": names repeat)."""
    with Emulator() as running:
        running.state.sites.append({"id": TWIN_SITE_ID, "displayName": "riverside bakery"})
        yield running


TWINS_REFUSED = (
    'WIX_MCP_SITE_ACCESS grants the site "Riverside Bakery" by name, but 2 sites of the '
    f"account have that name ({DEMO_SITE_ID}, {TWIN_SITE_ID}): grant the one you mean by its id."
)


def test_a_site_name_that_two_sites_share_is_refused_at_start(
    issuer, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "access.json"
    path.write_text(json.dumps(GRANTS))
    with account_with_twins() as twins:
        for name, value in {
            "WIX_API_KEY": DEMO_API_KEY,
            "WIX_ACCOUNT_ID": DEMO_ACCOUNT_ID,
            "WIX_API_BASE_URL": twins.url,
            "WIX_MCP_SITE_ACCESS": str(path),
            "WIX_MCP_OAUTH_ISSUER": issuer.issuer,
            "WIX_MCP_PUBLIC_URL": "https://mcp.example.com/mcp",
        }.items():
            monkeypatch.setenv(name, value)
        # A port already taken: a server that got past the grants would stop there, not serve.
        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = str(taken.getsockname()[1])
            assert main(["serve", "--transport", "http", "--port", port]) == 2
    assert capsys.readouterr().err == f"wix-data-mover-mcp serve: {TWINS_REFUSED}\n"


async def test_a_site_name_that_two_sites_share_is_refused_on_reload(tmp_path, caplog):
    path = tmp_path / "access.json"
    path.write_text(json.dumps(GRANTS))
    kept = SitePolicy.parse('{"grants": []}', source="(test)")
    access = SiteAccess(str(path), kept)

    async def sites() -> list[Site]:
        return [Site(DEMO_SITE_ID, "Riverside Bakery"), Site(TWIN_SITE_ID, "riverside bakery")]

    assert not await access.reload(sites)
    assert access.policy is kept
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"{TWINS_REFUSED} The grants in force are kept."]


async def test_a_grant_by_name_opens_neither_site_once_two_sites_share_the_name(issuer):
    # Checked at start, the name was one site's; a site renamed since shares it.
    with Emulator() as account, serving(account, issuer) as served:
        account.state.sites.append({"id": TWIN_SITE_ID, "displayName": "riverside bakery"})
        bob = token(issuer, served, "bob@agency.example", groups=["bakeries"])
        async with signed_in(served, bob) as client:  # the first call reads the list of sites
            twin = await client.call_tool(
                "get_data_movement_job", {"job_id": demo.PRODUCTS_IMPORT, "site": TWIN_SITE_ID}
            )
            listed = await client.call_tool("list_wix_sites", {})
    assert site_ids(listed) == {SKI_SITE_ID}
    assert twin.is_error and texts(twin)[0].startswith(
        f'Error executing tool get_data_movement_job: No site you may use is "{TWIN_SITE_ID}"'
    )


def test_doctor_checks_the_grants_file(emulator, issuer, tmp_path, monkeypatch, capsys):
    path = tmp_path / "access.json"
    path.write_text(json.dumps(GRANTS))
    for name, value in {
        "WIX_API_KEY": DEMO_API_KEY,
        "WIX_ACCOUNT_ID": DEMO_ACCOUNT_ID,
        "WIX_API_BASE_URL": emulator.url,
        "WIX_MCP_SITE_ACCESS": str(path),
        "WIX_MCP_OAUTH_ISSUER": issuer.issuer,
        "WIX_MCP_PUBLIC_URL": "https://mcp.example.com/mcp",
    }.items():
        monkeypatch.setenv(name, value)
    main(["doctor"])
    out = capsys.readouterr().out
    assert f"✓ WIX_MCP_SITE_ACCESS ({path}) holds 3 grants, and every site it names exists" in out
    path.write_text('{"grants": [{"claim": "sub", "equals": "a", "sites": ["Nowhere Inn"]}]}')
    assert main(["doctor"]) == 2  # a setting that cannot work
    out = capsys.readouterr().out
    assert f"✗ WIX_MCP_SITE_ACCESS ({path}) holds 1 grant, and every site it names exists" in out
    assert 'does not have: "Nowhere Inn"' in out


async def test_a_hangup_makes_a_running_server_read_its_grants_again(emulator, tmp_path):
    # A real SIGHUP to this process, whose main thread runs the server's lifespan, as a served
    # server's does. Without the server's handler the signal would end the process: wait for it.
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGHUP)
    path = tmp_path / "access.json"
    grants = {"grants": [{"claim": "sub", "equals": "bob", "sites": [SKI_SITE_ID]}]}
    path.write_text(json.dumps(grants))
    access = SiteAccess(str(path), SitePolicy.load(str(path)))
    settings = settings_for(emulator, account_id=DEMO_ACCOUNT_ID)
    async with Client(build_server(settings, retry=FAST_RETRY, site_access=access)):
        deadline = time.monotonic() + 5
        while signal.getsignal(signal.SIGHUP) == before:
            assert time.monotonic() < deadline, "the server did not listen for SIGHUP"
            await anyio.sleep(0.01)
        grants["grants"][0]["sites"] = [SKI_SITE_ID, "Harbor Dental"]
        path.write_text(json.dumps(grants))
        os.kill(os.getpid(), signal.SIGHUP)
        while access.reloads == 0:
            assert time.monotonic() < deadline, "the grants were not read again"
            await anyio.sleep(0.01)
    assert signal.getsignal(signal.SIGHUP) == before
    assert access.policy.access({"sub": "bob"}).sees(Site(DENTAL_SITE_ID, "Harbor Dental"))


def test_a_reload_from_a_fifo_in_place_of_the_grants_file_keeps_the_grants_at_once(
    tmp_path, caplog
):
    # A FIFO (or a hung mount) must not stop the server: the read happens off the event loop,
    # only from a regular file, within a few seconds. Run in a thread of its own here, so that
    # a read that blocks fails this test instead of hanging it.
    path = tmp_path / "access.json"
    os.mkfifo(path)
    kept = SitePolicy.parse(json.dumps(GRANTS), source="(test)")
    access = SiteAccess(str(path), kept)
    reloaded: list[bool] = []
    reloading = threading.Thread(target=lambda: reloaded.append(anyio.run(access.reload, None)))
    reloading.start()
    reloading.join(timeout=3)
    blocked = reloading.is_alive()
    if blocked:  # let the stuck read end: a writer opens the FIFO and closes it
        with open(path, "wb"):
            pass
        reloading.join(timeout=3)
    assert not blocked, "the reload waited on the FIFO"
    assert reloaded == [False] and access.policy is kept
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        f"WIX_MCP_SITE_ACCESS ({path}) is not a regular file: point it at a JSON file. The "
        "grants in force are kept."
    ]


def test_the_policy_check_with_a_thousand_grants_indexes_by_claim(tmp_path):
    grants = [
        {"claim": "groups", "equals": f"team-{n}", "sites": [f"Client {n:03}"]} for n in range(1000)
    ]
    policy = SitePolicy.parse(json.dumps({"grants": grants}), source="(test)")
    access = policy.access({"sub": "x", "groups": ["team-7", "team-700"]})
    assert access.sees(Site(DEMO_SITE_ID, "client 700"))
    assert not access.sees(Site(DEMO_SITE_ID, "Client 701"))
