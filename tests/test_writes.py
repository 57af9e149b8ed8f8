"""The writing tools: a retry submitted exactly once (a caller that leaves, instances racing on
Redis), dry runs that send nothing, and confirmations asked of the person."""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.server.request_state import AESGCMRequestStateCodec
from mcp.types import CallToolResult, ElicitResult, InputRequiredResult

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.config import SettingsError, load_settings
from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator, JobTimeline
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.emulator.seed import DEMO_ACCOUNT_ID
from wix_data_mover_mcp.errors import WixApiError
from wix_data_mover_mcp.serve.app import (
    build_server,
    connect_upstream,
    request_state_security,
)
from wix_data_mover_mcp.serve.auth import OAuthSettings, audit_log, configure_audit
from wix_data_mover_mcp.serve.http_app import BindRefused, http_app
from wix_data_mover_mcp.serve.http_server import BackgroundServer
from wix_data_mover_mcp.wix.claims import RETRY_MEMORY_SECONDS
from wix_data_mover_mcp.wix.models import parse_job
from wix_data_mover_mcp.wix.retry import retry_request
from wix_data_mover_mcp.words.writes import retry_consequence

from .conftest import FAST_RETRY, free_port, settings_for, texts
from .issuer import TestIssuer

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def server(emulator: Emulator, **settings: Any):
    return build_server(settings_for(emulator, allow_writes=True, **settings), retry=FAST_RETRY)


async def until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await anyio.sleep(0.01)


def own_key(emulator: Emulator) -> str:
    """An API key of the test's own, so what is remembered for it is the test's alone."""
    key = f"IST.writes-{random.getrandbits(48):012x}"
    emulator.state.api_keys.add(key)
    return key


async def test_a_retry_whose_caller_leaves_during_the_submit_is_still_remembered(emulator):
    # The submit and remembering it are one unit: the caller leaving half-way (a client
    # timeout) must not leave a submitted job that a repeated call does not know about.
    async with Client(server(emulator, api_key=own_key(emulator))) as client:
        before = emulator.state.requests["submit_job"]
        jobs_before = len(emulator.state.jobs)
        emulator.state.inject("latency", count=2, delay=0.3)  # the read, then the submit
        async with anyio.create_task_group() as group:
            group.start_soon(
                client.call_tool, "retry_data_movement_job", {"job_id": demo.ORDERS_EXPORT}
            )
            await until(lambda: emulator.state.requests["submit_job"] > before)
            group.cancel_scope.cancel()  # the caller gives up while the submit is in flight
        await until(lambda: len(emulator.state.jobs) > jobs_before)
        again = await client.call_tool("retry_data_movement_job", {"job_id": demo.ORDERS_EXPORT})
    assert emulator.state.requests["submit_job"] == before + 1
    structured = again.structured_content or {}
    assert structured["repeated"] is True
    assert structured["job"]["id"] in emulator.state.jobs
    assert "was already submitted a moment ago" in texts(again)[0]


async def test_ten_identical_retries_across_two_instances_on_redis_submit_one_job(
    emulator, redis_url
):
    shared = {"api_key": own_key(emulator), "mcp_redis_url": redis_url}
    before = emulator.state.requests["submit_job"]
    results: list[dict[str, Any]] = []

    async def retry(client: Client) -> None:
        result = await client.call_tool("retry_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL})
        assert not result.is_error, texts(result)
        results.append(result.structured_content or {})

    async with (
        Client(server(emulator, **shared)) as first,
        Client(server(emulator, **shared)) as second,
        anyio.create_task_group() as group,
    ):
        for n in range(10):
            group.start_soon(retry, first if n % 2 else second)
    assert emulator.state.requests["submit_job"] == before + 1
    assert len({r["job"]["id"] for r in results}) == 1
    assert sorted(r["repeated"] for r in results) == [False] + [True] * 9


SUBMIT_PATH = "/data-mover/v1/jobs"


class LosesTheSubmit(httpx.AsyncBaseTransport):
    """Real loopback HTTP to the emulator, with a fault on the next submit (POST /jobs) only:
    `before` it leaves (the connection fails), or `after` Wix made the job (its answer is
    lost: a proxy's 502, a read that times out, a connection reset)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.fault: str | None = None
        self.times = 1  # how many submits in a row get the fault

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.fault if request.method == "POST" and request.url.path == SUBMIT_PATH else None
        if fault is not None:
            self.times -= 1
            self.fault = fault if self.times else None
        if fault == "connect error":
            raise httpx.ConnectError("connection refused", request=request)
        response = await self._inner.handle_async_request(request)
        if fault is None:
            return response
        await response.aread()
        await response.aclose()
        match fault:
            case "502 after":
                return httpx.Response(502, html="<html><body>Bad gateway</body></html>")
            case "timeout after":
                raise httpx.ReadTimeout("timed out", request=request)
            case _:
                raise httpx.RemoteProtocolError("peer closed connection", request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def lossy_server(emulator: Emulator, transport: httpx.AsyncBaseTransport, **settings: Any):
    return build_server(
        settings_for(emulator, allow_writes=True, **settings), transport=transport, retry=FAST_RETRY
    )


@pytest.mark.parametrize("fault", ["502 after", "timeout after", "reset after"])
async def test_a_retry_whose_answer_was_lost_is_never_submitted_again_by_any_instance(
    emulator, redis_url, fault
):
    # Wix made the job, but no answer came back: a second submit would make a second job
    # (for TRUNCATE_BEFORE, empty the collection again), so every later identical call, on
    # either instance, says to look for it instead.
    shared = {"api_key": own_key(emulator), "mcp_redis_url": redis_url}
    lossy = LosesTheSubmit()
    arguments = {"job_id": demo.RECIPES_COPY}
    jobs_before = len(emulator.state.jobs)
    async with (
        Client(lossy_server(emulator, lossy, **shared)) as first,
        Client(server(emulator, **shared)) as second,
    ):
        before = emulator.state.requests["submit_job"]
        lossy.fault = fault
        lost = await first.call_tool("retry_data_movement_job", arguments)
        again_here = await first.call_tool("retry_data_movement_job", arguments)
        again_there = await second.call_tool("retry_data_movement_job", arguments)
        dry = await second.call_tool("retry_data_movement_job", arguments | {"dry_run": True})
    assert emulator.state.requests["submit_job"] == before + 1
    assert len(emulator.state.jobs) == jobs_before + 1
    said = (
        f"Error executing tool retry_data_movement_job: The retry of job {demo.RECIPES_COPY} "
        "may have been submitted: it was sent to Wix but no answer came back, so look for a new "
        'job named "Copy recipes from staging (retry)" with list_data_movement_jobs '
        '(name_contains "(retry)") before trying again; for 5 minutes after it was sent, this '
        "same call returns this sentence rather than submit it again."
    )
    assert all(r.is_error for r in (lost, again_here, again_there))
    assert texts(lost) == texts(again_here) == texts(again_there) == [said]
    assert texts(dry)[0].endswith(said.split(": ", 1)[1])
    assert (dry.structured_content or {})["repeated"] is False


@pytest.mark.parametrize("fault", ["connect error", "refused with a 400"])
async def test_a_retry_whose_submit_surely_changed_nothing_can_be_made_again_elsewhere(
    emulator, redis_url, fault
):
    # Only a failure known to leave Wix untouched (the request never left, or Wix refused
    # it) gives the claim back.
    shared = {"api_key": own_key(emulator), "mcp_redis_url": redis_url}
    lossy = LosesTheSubmit()
    async with (
        Client(lossy_server(emulator, lossy, **shared)) as first,
        Client(server(emulator, **shared)) as second,
    ):
        before = emulator.state.requests["submit_job"]
        if fault == "connect error":
            lossy.fault, lossy.times = fault, FAST_RETRY.attempts  # retried, as it is safe to
        else:
            # The read answers (a fault of its own, of no delay); the submit gets a 400.
            emulator.state.inject("latency", job_id=demo.BLOG_IMPORT_FAILED, count=1, delay=0)
            emulator.state.inject("server_error", count=1, status=400)
        failed = await first.call_tool(
            "retry_data_movement_job", {"job_id": demo.BLOG_IMPORT_FAILED}
        )
        again = await second.call_tool(
            "retry_data_movement_job", {"job_id": demo.BLOG_IMPORT_FAILED}
        )
    assert failed.is_error
    assert ("Could not connect to Wix" if fault == "connect error" else "(400)") in texts(failed)[0]
    assert not again.is_error and (again.structured_content or {})["repeated"] is False
    sent = 1 if fault == "connect error" else 2  # the refused one reached the emulator
    assert emulator.state.requests["submit_job"] == before + sent


async def test_a_redis_that_stops_answering_while_another_instance_submits_submits_nothing_more(
    emulator, redis_server
):
    # The first instance holds the claim, its submit slow; the second waits on that claim
    # when Redis freezes: it must not decide alone and submit a second job.
    from redis.asyncio import Redis

    shared = {"api_key": own_key(emulator), "mcp_redis_url": redis_server.url}
    arguments = {"job_id": demo.ORDERS_EXPORT}
    outcomes: dict[str, CallToolResult] = {}

    async def retry(name: str, client: Client) -> None:
        outcomes[name] = await client.call_tool("retry_data_movement_job", arguments)

    async def gets() -> int:
        async with Redis.from_url(redis_server.url) as redis:  # pyright: ignore[reportUnknownMemberType]
            return (await redis.info("commandstats")).get("cmdstat_get", {}).get("calls", 0)

    before = emulator.state.requests["submit_job"]
    async with (
        Client(server(emulator, **shared)) as first,
        Client(server(emulator, **shared)) as second,
        anyio.create_task_group() as group,
    ):
        emulator.state.inject("latency", job_id=demo.ORDERS_EXPORT, count=1, delay=0)
        emulator.state.inject("latency", count=1, delay=2.0)  # the submit
        group.start_soon(retry, "first", first)
        await until(lambda: emulator.state.requests["submit_job"] > before)
        polled = await gets()
        group.start_soon(retry, "second", second)
        deadline = time.monotonic() + 5
        while await gets() < polled + 2:  # the second is polling the first one's claim
            assert time.monotonic() < deadline, "the second instance did not wait for the claim"
            await anyio.sleep(0.01)
        with redis_server.frozen():
            await until(lambda: "second" in outcomes)
    assert emulator.state.requests["submit_job"] == before + 1
    assert not outcomes["first"].is_error
    assert texts(outcomes["second"]) == [
        "Error executing tool retry_data_movement_job: Redis (WIX_MCP_REDIS_URL), which keeps "
        "this server's instances from submitting the same retry twice, did not answer, so "
        "nothing was submitted: try again shortly."
    ]


async def test_a_retry_in_flight_at_shutdown_finishes_and_another_instance_finds_it(
    emulator, redis_url
):
    # A rolling deploy: the instance submitting a retry (for a caller who left) is stopped.
    # The submit runs its course before the instance ends, so the same retry on another
    # instance finds it rather than submitting it again.
    shared = {"api_key": own_key(emulator), "mcp_redis_url": redis_url}
    arguments = {"job_id": demo.MEMBERS_PARTIAL}
    before = emulator.state.requests["submit_job"]
    async with Client(server(emulator, **shared)) as leaving:
        emulator.state.inject("latency", job_id=demo.MEMBERS_PARTIAL, count=1, delay=0)
        emulator.state.inject("latency", count=1, delay=0.5)  # the submit
        async with anyio.create_task_group() as group:
            group.start_soon(leaving.call_tool, "retry_data_movement_job", arguments)
            await until(lambda: emulator.state.requests["submit_job"] > before)
            group.cancel_scope.cancel()  # the caller gives up; then the instance stops
    async with Client(server(emulator, **shared)) as staying:
        again = await staying.call_tool("retry_data_movement_job", arguments)
    assert emulator.state.requests["submit_job"] == before + 1
    assert not again.is_error and (again.structured_content or {})["repeated"] is True


async def test_a_submit_still_unanswered_when_shutdown_gives_up_is_remembered_as_unknown(
    emulator,
):
    # Past the wait, the write is cut: its claim is kept as "outcome unknown", not given back.
    sent, never = anyio.Event(), anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.set()
        await never.wait()  # Wix never answers
        return httpx.Response(200, json={"job": {"id": str(uuid.uuid4())}})

    settings = settings_for(emulator, allow_writes=True, api_key=own_key(emulator))
    remembered: dict[str, Any] | None = None
    async with anyio.create_task_group() as tasks:
        wix = connect_upstream(settings, tasks, transport=httpx.MockTransport(handler))

        async def submit() -> tuple[dict[str, Any], dict[str, Any]]:
            new = await wix.call(lambda: wix.client.submit_job({"name": "x"}))
            return {"id": str(new["id"]), "caveats": []}, new

        async def leave() -> None:
            with pytest.raises(WixApiError, match="no answer came back"):
                await wix.once("k", submit)

        tasks.start_soon(leave)
        with anyio.fail_after(5):
            await sent.wait()
        await wix.finish_writes(within=0.05)
        remembered = await wix.claims.recent("k")
        tasks.cancel_scope.cancel()
        await wix.aclose()
    assert remembered == {"outcome": "unknown"}


# Confirmations: the person is asked through the protocol's own input request.


def answering(action: str, asked: list[str], *, value: bool = True) -> Any:
    """An elicitation callback that records each question and answers `action`."""

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        if action == "accept":
            return ElicitResult(action="accept", content={"confirm": value})
        return ElicitResult(action=action)  # pyright: ignore[reportArgumentType]

    return answer


def running_job(emulator: Emulator, name: str = "Stock import") -> str:
    ident = str(uuid.uuid4())
    fields = {
        "id": ident,
        "name": name,
        "source": {"file": {"format": "CSV", "fileId": "f-stock"}},
        "destination": {"wixDataCollection": {"collectionId": "Stock", "writePolicy": "OVERWRITE"}},
    }
    emulator.state.add_job(
        JobTimeline(DEMO_SITE_ID, fields, submitted_at=emulator.state.now(), running=600)
    )
    return ident


RETRY_QUESTION = (
    f'Retrying job "Members import" ({demo.MEMBERS_PARTIAL}) submits a new job "Members import '
    '(retry)": CSV file → collection "Members", 500 items in the last run. OVERWRITE: items that '
    'already exist in collection "Members" are overwritten. Submit it?'
)


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28 (InputRequiredResult); 2025-11-25
@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
async def test_a_retry_asks_the_person_and_submits_only_when_they_accept(emulator, mode, action):
    asked: list[str] = []
    before = emulator.state.requests["submit_job"]
    async with Client(
        server(emulator, api_key=own_key(emulator)),
        mode=mode,
        elicitation_callback=answering(action, asked),
    ) as client:
        result = await client.call_tool("retry_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL})
    assert asked == [RETRY_QUESTION]
    structured = result.structured_content or {}
    assert not result.is_error
    if action == "accept":
        assert emulator.state.requests["submit_job"] == before + 1
        assert structured["submitted"] is True and structured["job"]["id"] != demo.MEMBERS_PARTIAL
    else:
        assert emulator.state.requests["submit_job"] == before
        assert structured["submitted"] is False and structured["job"]["id"] == demo.MEMBERS_PARTIAL
        said = "declined" if action == "decline" else "cancelled"
        assert texts(result)[0].startswith(
            f"Nothing was submitted: the user {said} when asked to confirm. Retrying job"
        )


async def test_answering_no_to_a_stop_leaves_the_job_running(emulator):
    job = running_job(emulator)
    asked: list[str] = []
    before = emulator.state.requests["terminate_job"]
    async with Client(
        server(emulator), elicitation_callback=answering("accept", asked, value=False)
    ) as client:
        result = await client.call_tool("terminate_data_movement_job", {"job_id": job})
    assert emulator.state.requests["terminate_job"] == before
    assert asked == [
        f'Stopping job "Stock import" ({job}) (CSV file → collection "Stock" (write policy: '
        "overwrite existing items)) ends it now: items moved so far stay where they are; the "
        "rest are not moved. It cannot be undone. Stop it?"
    ]
    assert texts(result)[0].startswith("Nothing was stopped: the user said no when asked")
    assert (result.structured_content or {})["finished"] is False


async def test_a_stop_the_person_accepts_is_sent_on_a_server_of_every_site(emulator):
    job = running_job(emulator)
    asked: list[str] = []
    settings = {"account_id": DEMO_ACCOUNT_ID}
    async with Client(
        server(emulator, **settings), elicitation_callback=answering("accept", asked)
    ) as client:
        result = await client.call_tool(
            "terminate_data_movement_job", {"job_id": job, "site": "riverside bakery"}
        )
    assert not result.is_error
    assert asked[0].startswith(f'Stopping job "Stock import" ({job}) on site "Riverside Bakery"')
    assert emulator.state.jobs[job].terminated_at is not None


async def test_a_client_that_cannot_ask_keeps_the_hosts_own_approval(emulator):
    job = running_job(emulator)
    async with Client(server(emulator)) as client:  # no elicitation capability
        result = await client.call_tool("terminate_data_movement_job", {"job_id": job})
    assert not result.is_error
    assert emulator.state.jobs[job].terminated_at is not None


async def test_a_finished_job_is_refused_before_anyone_is_asked(emulator):
    asked: list[str] = []
    async with Client(server(emulator), elicitation_callback=answering("accept", asked)) as client:
        result = await client.call_tool(
            "terminate_data_movement_job", {"job_id": demo.ORDERS_EXPORT}
        )
    assert result.is_error and asked == []
    assert "has already finished (COMPLETED); there is nothing to terminate." in texts(result)[0]


# Dry runs: every check, the plan in words, and nothing sent.


async def test_a_dry_run_retry_returns_the_plan_and_sends_no_post(emulator):
    asked: list[str] = []
    posts = emulator.state.requests["submit_job"] + emulator.state.requests["terminate_job"]
    async with Client(server(emulator), elicitation_callback=answering("accept", asked)) as client:
        result = await client.call_tool(
            "retry_data_movement_job",
            {"job_id": demo.MEMBERS_PARTIAL, "skip_existing": True, "dry_run": True},
        )
    assert emulator.state.requests["submit_job"] + emulator.state.requests["terminate_job"] == posts
    assert asked == []
    structured = result.structured_content or {}
    assert structured["submitted"] is False
    plan = structured["plan"]
    assert plan["name"] == "Members import (retry)"
    assert plan["destination"]["wixDataCollection"]["writePolicy"] == "SKIP_EXISTING"
    assert texts(result)[0].startswith(
        'Dry run: nothing was submitted. Retrying job "Members import"'
    )
    assert (
        'SKIP_EXISTING: items already in collection "Members" are left as they are.'
        in (texts(result)[0])
    )
    assert texts(result)[0].endswith(
        "Call retry_data_movement_job again with dry_run false to submit it."
    ), "says which argument to change, and to what"


async def test_a_dry_run_makes_every_check_a_real_call_makes(emulator):
    job = running_job(emulator)
    async with Client(server(emulator)) as client:
        running = await client.call_tool(
            "retry_data_movement_job", {"job_id": job, "dry_run": True}
        )
        finished = await client.call_tool(
            "terminate_data_movement_job", {"job_id": demo.ORDERS_EXPORT, "dry_run": True}
        )
        stop = await client.call_tool(
            "terminate_data_movement_job", {"job_id": job, "dry_run": True}
        )
    assert running.is_error and "is still running" in texts(running)[0]
    assert finished.is_error and "nothing to terminate" in texts(finished)[0]
    assert not stop.is_error and emulator.state.jobs[job].terminated_at is None
    assert texts(stop)[0].startswith('Dry run: nothing was stopped. Stopping job "Stock import"')
    assert texts(stop)[0].endswith(
        "Call terminate_data_movement_job again with dry_run false to stop it."
    )


async def test_a_dry_run_is_audited_as_dry_run_and_a_no_as_declined(emulator, tmp_path):
    audit = tmp_path / "audit.jsonl"
    configure_audit(str(audit))
    try:
        async with Client(
            server(emulator, api_key=own_key(emulator)),
            elicitation_callback=answering("decline", []),
        ) as client:
            await client.call_tool(
                "retry_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL, "dry_run": True}
            )
            await client.call_tool("retry_data_movement_job", {"job_id": demo.MEMBERS_PARTIAL})
    finally:
        for handler in audit_log.handlers:
            handler.close()
        audit_log.handlers.clear()
        audit_log.setLevel(logging.NOTSET)
    outcomes = [json.loads(line)["outcome"] for line in audit.read_text().splitlines()]
    # The modern protocol asks by answering the first round with the question.
    assert outcomes == ["dry_run", "input_required", "declined"]


def test_retry_dry_run_on_the_command_line_asks_nothing_and_submits_nothing(
    emulator, capsys, monkeypatch
):
    for name, value in {
        "WIX_API_KEY": DEMO_API_KEY,
        "WIX_SITE_ID": DEMO_SITE_ID,
        "WIX_API_BASE_URL": emulator.url,
    }.items():
        monkeypatch.setenv(name, value)
    before = emulator.state.requests["submit_job"]
    code = main(["retry", demo.MEMBERS_PARTIAL, "--dry-run"])  # stdin is no terminal here
    out = capsys.readouterr().out
    assert code == 0 and emulator.state.requests["submit_job"] == before
    assert out.startswith("Dry run: nothing was submitted.")


# Two instances behind a load balancer: the question's state, sealed by one, opened by the other.

STATE_KEY = "k" * 16 + "0123456789abcdef0123456789abcdef"


@contextmanager
def instance(emulator: Emulator, **settings: Any) -> Iterator[str]:
    app = http_app(server(emulator, **settings), host="127.0.0.1", token=None)
    with BackgroundServer(app) as running:
        yield f"{running.url}/mcp"


async def ask_on_one_answer_on_another(
    first: str, second: str, job: str
) -> CallToolResult | MCPError:
    """Round one (the question) on `first`; the person's answer goes to `second`."""
    arguments = {"job_id": job}
    async with (
        Client(first, mode="2026-07-28", elicitation_callback=answering("accept", [])) as one,
        Client(second, mode="2026-07-28", elicitation_callback=answering("accept", [])) as two,
    ):
        asked = await one.session.call_tool(
            "terminate_data_movement_job", arguments, allow_input_required=True
        )
        assert isinstance(asked, InputRequiredResult) and asked.input_requests
        [(key, request)] = asked.input_requests.items()
        assert request.params.message.startswith("Stopping job")  # pyright: ignore[reportAttributeAccessIssue, reportOptionalMemberAccess]
        yes = ElicitResult(action="accept", content={"confirm": True})
        try:
            return await two.call_tool(
                "terminate_data_movement_job",
                arguments,
                input_responses={key: yes},
                request_state=asked.request_state,
            )
        except MCPError as exc:  # caught here: leaving the client would wrap it in a group
            return exc


async def test_a_confirmation_asked_by_one_instance_is_answered_through_another(emulator):
    job = running_job(emulator)
    shared = {"mcp_request_state_key": STATE_KEY}
    with instance(emulator, **shared) as first, instance(emulator, **shared) as second:
        result = await ask_on_one_answer_on_another(first, second, job)
    assert isinstance(result, CallToolResult) and not result.is_error
    assert emulator.state.jobs[job].terminated_at is not None


async def test_a_rotated_key_still_opens_what_the_old_key_sealed(emulator):
    job = running_job(emulator)
    new = "n" * 40
    with (
        instance(emulator, mcp_request_state_key=STATE_KEY) as old,
        instance(emulator, mcp_request_state_key=f"{new},{STATE_KEY}") as rotated,
    ):
        result = await ask_on_one_answer_on_another(old, rotated, job)
    assert isinstance(result, CallToolResult) and not result.is_error
    assert emulator.state.jobs[job].terminated_at is not None


async def test_an_accepted_confirmation_expires_before_the_retry_it_made_is_forgotten(emulator):
    # Sent again later, the same sealed state and "yes" would submit a second job once the
    # retry is forgotten, asking no one: the state must expire first.
    with instance(emulator, mcp_request_state_key=STATE_KEY) as url:
        async with Client(
            url, mode="2026-07-28", elicitation_callback=answering("accept", [])
        ) as c:
            asked = await c.session.call_tool(
                "retry_data_movement_job",
                {"job_id": demo.MEMBERS_PARTIAL},
                allow_input_required=True,
            )
    assert isinstance(asked, InputRequiredResult) and asked.request_state
    sealed = json.loads(AESGCMRequestStateCodec([STATE_KEY]).unseal(asked.request_state))
    assert 0 < sealed["exp"] - sealed["iat"] <= RETRY_MEMORY_SECONDS
    unshared = request_state_security(settings_for(emulator))  # a key of this process's own
    assert unshared.ttl <= RETRY_MEMORY_SECONDS


async def test_without_a_shared_key_the_answer_cannot_reach_another_instance(emulator):
    job = running_job(emulator)
    with instance(emulator) as first, instance(emulator) as second:
        result = await ask_on_one_answer_on_another(first, second, job)
    assert isinstance(result, MCPError) and str(result) == "Invalid or expired requestState"
    assert emulator.state.jobs[job].terminated_at is None


def test_instances_sharing_redis_without_a_state_key_are_refused_at_start(emulator, redis_url):
    shared = server(emulator, mcp_redis_url=redis_url)
    with pytest.raises(BindRefused, match="WIX_MCP_REQUEST_STATE_KEY is not"):
        http_app(shared, host="127.0.0.1", token=None)


def test_a_state_key_shorter_than_32_bytes_is_one_sentence(monkeypatch):
    monkeypatch.setenv("WIX_MCP_REQUEST_STATE_KEY", f"{'x' * 40},short")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == (
        "Invalid configuration. WIX_MCP_REQUEST_STATE_KEY: each key must be at least 32 bytes "
        "long. Make one with openssl rand -hex 32; to rotate, put the new key first and keep "
        "the old one after a comma for ten minutes."
    )
    assert "short" not in str(refused.value)


@contextmanager
def signed_in_instance(emulator: Emulator, issuer: TestIssuer) -> Iterator[str]:
    """An instance behind OAuth: tokens from the issuer, for one audience every instance shares."""
    port = free_port()
    oauth = OAuthSettings.model_validate(
        {
            "oauth_issuer": issuer.issuer,
            "public_url": f"http://127.0.0.1:{port}/mcp",
            "oauth_audience": "api://wix-data-mover",
        }
    )
    settings = settings_for(emulator, allow_writes=True, mcp_request_state_key=STATE_KEY)
    app = http_app(build_server(settings, oauth=oauth), host="127.0.0.1", token=None, oauth=oauth)
    with BackgroundServer(app, port=port) as running:
        yield f"{running.url}/mcp"


async def test_a_confirmation_is_bound_to_the_person_who_was_asked(emulator):
    job = running_job(emulator)
    scope = "wix-data-mover:read wix-data-mover:write"
    with (
        TestIssuer() as issuer,
        signed_in_instance(emulator, issuer) as first,
        signed_in_instance(emulator, issuer) as second,
    ):
        ana = issuer.token("api://wix-data-mover", scope=scope, subject="ana@agency.example")
        ben = issuer.token("api://wix-data-mover", scope=scope, subject="ben@agency.example")
        asked = await ask_as(first, ana, job)
        by_ben = await answer_as(second, ben, job, asked)
        by_ana = await answer_as(second, ana, job, asked)
    assert isinstance(by_ben, MCPError) and str(by_ben) == "Invalid or expired requestState"
    assert isinstance(by_ana, CallToolResult) and not by_ana.is_error
    assert emulator.state.jobs[job].terminated_at is not None


@asynccontextmanager
async def signed_in(url: str, token: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http,
        Client(
            streamable_http_client(url, http_client=http),
            mode="2026-07-28",
            elicitation_callback=answering("accept", []),
        ) as client,
    ):
        yield client


async def ask_as(url: str, token: str, job: str) -> InputRequiredResult:
    async with signed_in(url, token) as client:
        asked = await client.session.call_tool(
            "terminate_data_movement_job", {"job_id": job}, allow_input_required=True
        )
    assert isinstance(asked, InputRequiredResult)
    return asked


async def answer_as(
    url: str, token: str, job: str, asked: InputRequiredResult
) -> CallToolResult | MCPError:
    yes = ElicitResult(action="accept", content={"confirm": True})
    async with signed_in(url, token) as client:
        try:
            return await client.call_tool(
                "terminate_data_movement_job",
                {"job_id": job},
                input_responses=dict.fromkeys(asked.input_requests or {}, yes),
                request_state=asked.request_state,
            )
        except MCPError as exc:
            return exc


async def test_a_legacy_client_over_stateless_http_is_not_asked(emulator):
    # Up to 2025-11-25 a question is a request from the server in the middle of the call,
    # which a stateless HTTP server has no channel for: the host's own approval stands.
    job = running_job(emulator)
    asked: list[str] = []
    with instance(emulator) as url:
        async with Client(
            url, mode="legacy", elicitation_callback=answering("decline", asked)
        ) as c:
            result = await c.call_tool("terminate_data_movement_job", {"job_id": job})
    assert asked == [] and not result.is_error
    assert emulator.state.jobs[job].terminated_at is not None


def test_a_retry_says_what_the_write_policy_does_and_names_the_other_site():
    old = {
        "id": demo.RECIPES_COPY,
        "name": "Copy recipes",
        "status": "FAILED",
        "sourceSiteId": demo.STAGING_SITE_ID,
        "source": {"wixDataCollection": {"collectionId": "Recipes"}},
        "destination": {
            "wixDataCollection": {"collectionId": "Recipes", "writePolicy": "TRUNCATE_BEFORE"}
        },
        "progress": {"total": 340, "units": "ITEMS"},
    }
    body, _ = retry_request(old, skip_existing=False)
    words = retry_consequence(
        parse_job(old)[0],
        parse_job(old | body)[0],
        names={demo.STAGING_SITE_ID: "Riverside Bakery (staging)"},
    )
    assert words == (
        f'Retrying job "Copy recipes" ({demo.RECIPES_COPY}) submits a new job "Copy recipes '
        f'(retry)": collection "Recipes" of site "Riverside Bakery (staging)" '
        f'({demo.STAGING_SITE_ID}) → collection "Recipes", 340 items in the last run. '
        'TRUNCATE_BEFORE: collection "Recipes" is emptied before the items are moved.'
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28 (InputRequiredResult); 2025-11-25
@pytest.mark.parametrize("tool", ["retry_data_movement_job", "terminate_data_movement_job"])
async def test_an_accept_without_an_answer_does_nothing_and_says_so_in_one_sentence(
    emulator, mode, tool
):
    async def accept_with_nothing(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={})

    job = demo.MEMBERS_PARTIAL if tool == "retry_data_movement_job" else running_job(emulator)
    before = dict(emulator.state.requests)
    async with Client(
        server(emulator, api_key=own_key(emulator)),
        mode=mode,
        elicitation_callback=accept_with_nothing,
    ) as client:
        result = await client.call_tool(tool, {"job_id": job})
    assert result.is_error is True
    assert texts(result) == [
        f"Error executing tool {tool}: Nothing was done: the answer to the confirmation did not "
        f"say yes or no (confirm: true or false); call {tool} again to ask the user again."
    ]
    for write in ("submit_job", "terminate_job"):
        assert emulator.state.requests[write] == before.get(write, 0)
    assert emulator.state.jobs[job].terminated_at is None
