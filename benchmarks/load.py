"""Load budgets over HTTP, on loopback against the emulator: bursts, wait storms, shared Redis.

    uv run python benchmarks/load.py            # full run (a few minutes)
    uv run python benchmarks/load.py --quick    # about a minute

Prints a markdown table and exits 1 if a budget is missed. Every request goes to servers this
script starts on 127.0.0.1; the Redis rows need Debian's redis-server and are skipped without it.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
from run import Row, free_port, table  # the report's shape, shared with benchmarks/run.py

from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator, JobTimeline

BIN = Path(sys.executable).parent
HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": "2025-11-25",
}


@dataclass
class Plan:
    burst: int
    wait_seconds: float
    waiters: int


QUICK = Plan(burst=600, wait_seconds=15, waiters=150)
WAITERS_PER_ADDRESS = 100
FULL = Plan(burst=1_500, wait_seconds=60, waiters=300)


def job_id(n: int) -> str:
    return f"77777777-0000-4000-8000-{n:012x}"


def add_jobs(emulator: Emulator, first: int, count: int, *, running: float) -> list[str]:
    ids: list[str] = []
    for n in range(first, first + count):
        emulator.state.add_job(
            JobTimeline(
                DEMO_SITE_ID,
                {"id": job_id(n), "name": f"Load {n}", "source": {}, "destination": {}},
                submitted_at=emulator.state.now(),
                pending=0,
                initializing=0,
                running=running,
                items=10_000,
            )
        )
        ids.append(job_id(n))
    return ids


def call(tool: str, arguments: dict[str, object], ident: int = 1) -> dict[str, object]:
    params = {"name": tool, "arguments": arguments, "_meta": {"progressToken": ident}}
    return {"jsonrpc": "2.0", "id": ident, "method": "tools/call", "params": params}


def outcome(text: str) -> tuple[dict[str, object] | None, int]:
    """The JSON-RPC result in an SSE answer, and how many progress notifications came first."""
    result: dict[str, object] | None = None
    progress = 0
    for line in text.splitlines():
        if not line.startswith("data: "):
            continue
        message = json.loads(line[6:])
        if message.get("method") == "notifications/progress":
            progress += 1
        elif "result" in message:
            result = message["result"]
    return result, progress


@asynccontextmanager
async def serving(
    emulator: Emulator, *, logs: list[Path] | None = None, **env: str
) -> AsyncIterator[str]:
    """A server over HTTP on loopback; its stderr kept in a file added to `logs`, if given."""
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "WIX_API_KEY": DEMO_API_KEY,
        "WIX_SITE_ID": DEMO_SITE_ID,
        "WIX_API_BASE_URL": emulator.url,
        **env,
    }
    command = [str(BIN / "wix-data-mover-mcp"), "serve", "--transport", "http", "--port", str(port)]
    # Only a row that reads the log keeps it: writing one costs the server a little.
    log = None
    if logs is not None:
        log = Path(tempfile.mkstemp(prefix="wix-load-", suffix=".log")[1])
        logs.append(log)
    kept = log.open("wb") if log is not None else nullcontext(subprocess.DEVNULL)  # noqa: ASYNC230 - once, before any load
    with kept as stderr:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
            command, env=environment, stderr=stderr, preexec_fn=_fd_limit_1024
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 30
            while True:
                with suppress(httpx.TransportError):
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                await anyio.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=40)


def _fd_limit_1024() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


IDLE_GAP_SECONDS = 6.0  # longer than the server's keep-alive (5 s) and its job cache (1 s)


async def burst_then_probe(emulator: Emulator, plan: Plan) -> list[Row]:
    """Ten calls before a burst and ten after it, from one probe client of their own, each
    probe after a pause that leaves the server in the same state, so like meets like.

    - The probe has its own client. The burst's client ends up holding hundreds of pooled
      connections, and httpcore's pool bookkeeping costs each request time that grows with
      the square of their number: the probe timed the load generator, not the server.
    - The load generator collects its own garbage before each probe (about 40,000 objects,
      80-110 ms after a burst: the clients' errors and their tracebacks), so that pause
      cannot land inside a probe call. The server's own collections stay in.
    - The burst outlasts the server's keep-alive and its job cache, so the first call after
      it opens a new connection and asks Wix again. The first idle call is made in that same
      state (after a pause longer than both) and is the first call's reference; the others
      are held to the idle median as before."""
    job = add_jobs(emulator, 1, 1, running=3600)[0]
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    body = call("get_data_movement_job", {"job_id": job})
    async with (
        serving(emulator, WIX_RATE_LIMIT_PER_MINUTE="10000") as url,
        httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=30) as prober,
        httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits, timeout=2) as http,
    ):

        async def probe() -> list[float]:
            gc.collect()  # the load generator's garbage, not the server's
            times: list[float] = []
            for _ in range(10):
                started = time.perf_counter()
                response = await prober.post("/mcp", json=body)
                result, _ = outcome(response.text)
                assert result is not None and not result.get("isError"), response.text[:300]
                times.append((time.perf_counter() - started) * 1000)
            return times

        await probe()  # the server's first calls load what it loads lazily
        await anyio.sleep(IDLE_GAP_SECONDS)
        idle = await probe()
        failed = 0

        async def impatient() -> None:
            nonlocal failed
            try:
                await http.post("/mcp", json=body)
            except httpx.HTTPError:
                failed += 1  # refused beyond the connection cap, or given up after 2 s

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(plan.burst):
                group.start_soon(impatient)
        lasted = time.perf_counter() - started
        after = await probe()
    idle_p50 = statistics.median(idle)
    first_ok = after[0] <= 2 * idle[0] + 5
    rest_ok = max(after[1:]) <= 2 * idle_p50 + 5
    return [
        Row(
            f"burst of {plan.burst:,} concurrent calls over {lasted:.0f} s ({failed:,} refused "
            "or given up by their clients), then 10 calls from a client of their own",
            f"10 of 10 answered; first call {after[0]:.1f} ms (idle, same state: "
            f"{idle[0]:.1f} ms); worst of the other 9 {max(after[1:]):.1f} ms (idle p50 "
            f"{idle_p50:.1f} ms)",
            "all answer; the first within 2 times the first idle call, the others within 2 "
            "times the idle p50 (+5 ms for timer noise)",
            first_ok and rest_ok,
        )
    ]


def busiest_minute(times: list[float]) -> int:
    """The most requests in any 60 s: what a moving-window rate limit bounds."""
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 60:
            start += 1
        most = max(most, end - start + 1)
    return most


async def wait_storm(
    emulator: Emulator, plan: Plan, *, urls: list[str], jobs: list[str], per_minute: int
) -> tuple[int, int, int, float]:
    """Waiters spread over servers, jobs and client addresses; the most upstream requests in
    any minute, answers, progress, seconds. Each loopback address (127.0.0.2, .3, ...) holds
    at most WAITERS_PER_ADDRESS of them, as a team's people connect from addresses of their
    own: one address may hold only half a server's connections (256 under the 1,024
    descriptor limit here), the cap that keeps one client from taking them all."""
    first_request = len(emulator.state.request_times)
    answered = with_progress = 0
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    started = time.monotonic()
    addresses = [f"127.0.0.{2 + n}" for n in range(-(-plan.waiters // WAITERS_PER_ADDRESS))]
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    headers=HEADERS,
                    timeout=None,
                    transport=httpx.AsyncHTTPTransport(limits=limits, local_address=address),
                )
            )
            for address in addresses
        ]

        async def wait(n: int) -> None:
            nonlocal answered, with_progress
            arguments = {"job_id": jobs[n % len(jobs)], "timeout_seconds": plan.wait_seconds}
            url = urls[n % len(urls)]
            http = clients[n % len(clients)]
            response = await http.post(
                f"{url}/mcp", json=call("wait_for_data_movement_job", arguments, n)
            )
            result, progress = outcome(response.text)
            answered += result is not None and not result.get("isError")
            with_progress += progress > 0

        async with anyio.create_task_group() as group:
            for n in range(plan.waiters):
                group.start_soon(wait, n)
    return (
        busiest_minute(emulator.state.request_times[first_request:]),
        answered,
        with_progress,
        time.monotonic() - started,
    )


async def one_job_wait_storm(emulator: Emulator, plan: Plan) -> list[Row]:
    jobs = add_jobs(emulator, 100, 1, running=3600)
    async with serving(emulator) as url:
        upstream, answered, progress, _ = await wait_storm(
            emulator, plan, urls=[url], jobs=jobs, per_minute=150
        )
    return [
        Row(
            f"{plan.waiters} concurrent waits on one running job, {plan.wait_seconds:g} s",
            f"at most {upstream} requests to Wix in any minute; "
            f"{answered} answers, {progress} with progress",
            "≤ 150 in any minute; every waiter answered with progress",
            upstream <= 150 and answered == plan.waiters == progress,
        )
    ]


async def shared_budget(emulator: Emulator, plan: Plan) -> list[Row]:
    binary = shutil.which("redis-server")
    if binary is None:
        return [Row("two instances sharing Redis", "skipped: no redis-server installed")]
    port = free_port()
    redis = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    per_minute = 60
    env = {
        "WIX_MCP_REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "WIX_RATE_LIMIT_PER_MINUTE": str(per_minute),
        "WIX_MCP_REQUEST_STATE_KEY": secrets.token_hex(32),  # shared, as instances need it
    }
    jobs = add_jobs(emulator, 200, 30, running=3600)
    logs: list[Path] = []
    try:
        async with (
            serving(emulator, logs=logs, **env) as first,
            serving(emulator, logs=logs, **env) as second,
        ):
            upstream, answered, progress, _ = await wait_storm(
                emulator, plan, urls=[first, second], jobs=jobs, per_minute=per_minute
            )
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    # An instance that took Redis for gone counted on a budget of its own meanwhile.
    fallbacks = sum(log.read_text(errors="replace").count("cannot be reached") for log in logs)
    for log in logs:
        log.unlink()
    return [
        Row(
            f"two instances sharing Redis, {plan.waiters} waits on 30 jobs, "
            f"{plan.wait_seconds:g} s, budget {per_minute}/min",
            f"at most {upstream} requests to Wix in any minute; {answered} answers, "
            f"{progress} with progress; Redis taken for gone {fallbacks} times",
            f"≤ {per_minute} in any minute (one budget, not two), Redis never taken for gone",
            upstream <= per_minute and answered == plan.waiters and not fallbacks,
        )
    ]


async def many_jobs(emulator: Emulator) -> list[Row]:
    jobs = add_jobs(emulator, 300, 50, running=3600)
    latencies: list[float] = []
    errors = 0
    async with (
        serving(emulator, WIX_RATE_LIMIT_PER_MINUTE="10000", WIX_JOB_CACHE_SECONDS="0") as url,
        httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=30) as http,
    ):
        started = time.perf_counter()

        async def client(job: str) -> None:
            nonlocal errors
            for _ in range(20):
                began = time.perf_counter()
                response = await http.post(
                    "/mcp", json=call("get_data_movement_job", {"job_id": job})
                )
                result, _ = outcome(response.text)
                errors += result is None or bool(result.get("isError"))
                latencies.append((time.perf_counter() - began) * 1000)

        async with anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(client, job)
        elapsed = time.perf_counter() - started
    return [
        Row(
            "50 concurrent clients on 50 different jobs, 1,000 calls, no shared answers",
            f"{len(latencies) / elapsed:,.0f} calls/s; p50 {statistics.median(latencies):.1f} ms; "
            f"{errors} errors",
            "0 errors",
            errors == 0,
        )
    ]


async def fan_out(plan: Plan) -> list[Row]:
    """One search across 100 sites of an account, in process, against its own emulator."""
    from mcp import Client

    from wix_data_mover_mcp.cli.demo import demo_settings
    from wix_data_mover_mcp.emulator.seed import DEMO_ACCOUNT_ID, seed_agency
    from wix_data_mover_mcp.serve.app import build_server

    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO line per request, as the CLI
    with Emulator(seeded=False) as own:
        seed_agency(own.state, sites=100, now=own.state.now())
        settings = demo_settings(own.url, account_id=DEMO_ACCOUNT_ID, site_id=None)
        async with Client(build_server(settings)) as client:
            started = time.perf_counter()
            result = await client.call_tool(
                "list_data_movement_jobs_across_sites", {"status": "FAILED"}
            )
            elapsed = time.perf_counter() - started
        requests = sum(own.state.requests.values())
    ok = not result.is_error and requests == 101
    return [
        Row(
            "search across 100 sites of an account (one call)",
            f"{elapsed:.2f} s; {requests} requests to Wix (1 Query Sites + 100 job queries)",
            "one request per site, within the 150/min budget",
            ok and requests <= 150,
        )
    ]


async def idle_connections(emulator: Emulator) -> list[Row]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    job = add_jobs(emulator, 400, 1, running=3600)[0]
    async with serving(emulator) as url:
        port = int(url.rsplit(":", 1)[1])
        sockets: list[socket.socket] = []
        for _ in range(1_100):
            with suppress(OSError):
                sockets.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        started = time.perf_counter()
        answered = False
        async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=15) as http:
            deadline = time.monotonic() + 15
            while not answered and time.monotonic() < deadline:
                with suppress(httpx.HTTPError):
                    response = await http.post(
                        "/mcp", json=call("get_data_movement_job", {"job_id": job})
                    )
                    answered = outcome(response.text)[0] is not None
                if not answered:
                    await anyio.sleep(0.2)
        waited = time.perf_counter() - started
        for sock in sockets:
            sock.close()
    return [
        Row(
            "1,100 idle connections under a 1,024 descriptor limit, then one call",
            f"answered after {waited:.1f} s" if answered else "no answer within 15 s",
            "answers: beyond the cap new connections are refused, idle ones closed in 10 s",
            answered,
        )
    ]


async def main(plan: Plan) -> int:
    with Emulator(seeded=False) as emulator:
        rows = await burst_then_probe(emulator, plan)
        rows += await one_job_wait_storm(emulator, plan)
        rows += await shared_budget(emulator, plan)
        rows += await many_jobs(emulator)
        rows += await idle_connections(emulator)
    rows += await fan_out(plan)
    print(f"Measured {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores.\n")
    print(table(rows))
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Load budgets over HTTP on loopback.")
    parser.add_argument("--quick", action="store_true", help="a short run of about a minute")
    args = parser.parse_args()
    sys.exit(anyio.run(main, QUICK if args.quick else FULL))
