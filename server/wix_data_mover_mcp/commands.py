"""Commands for people: doctor, job, jobs, logs, watch.

They call the same MCP tools as an assistant (in-process), so a person sees the same words.
Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from itertools import chain, repeat
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult, TextContent

from .app import build_server
from .client import WixDataMoverClient, create_http_client
from .config import API_KEYS_URL, Settings, SettingsError, load_settings
from .demo import demo_or_real_settings
from .errors import WixApiError
from .models import DataMovementJob, Progress, parse_job
from .summary import is_finished, percent_complete, progress_phrase
from .tools import POLL_DELAYS

Command = Callable[[Client, argparse.Namespace], Awaitable[int]]
TOOL_ERROR_PREFIX = "Error executing tool "


class CommandError(Exception):
    """Ends a command with this one line on stderr."""


def run(name: str, args: argparse.Namespace) -> int:
    try:
        return anyio.run(_run, name, args)
    except (CommandError, SettingsError) as exc:
        print(f"wix-data-mover-mcp {name}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsError) else 1


async def _run(name: str, args: argparse.Namespace) -> int:
    with demo_or_real_settings(demo=args.demo, real=load_settings) as settings:
        assert isinstance(settings, Settings)  # load_settings raises instead
        if name == "doctor":
            return await doctor(settings)
        async with Client(build_server(settings, demo=args.demo)) as client:
            try:
                return await COMMANDS[name](client, args)
            except CommandError as exc:
                failure = exc  # raised outside the client, which would wrap it in a group
        raise failure


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        text = _text(result)
        if text.startswith(TOOL_ERROR_PREFIX):
            text = text.partition(": ")[2]
        raise CommandError(text)
    return result


async def show_job(client: Client, args: argparse.Namespace) -> int:
    result = await _call(client, "get_data_movement_job", {"job_id": args.job_id})
    _print(result, "job", as_json=args.json)
    return 0


async def list_jobs(client: Client, args: argparse.Namespace) -> int:
    arguments: dict[str, Any] = {"limit": args.limit}
    if args.status:
        arguments["status"] = args.status
    if args.name:
        arguments["name_contains"] = args.name
    result = await _call(client, "list_data_movement_jobs", arguments)
    _print(result, "jobs", as_json=args.json)
    return 0


async def show_logs(client: Client, args: argparse.Namespace) -> int:
    arguments = {"job_id": args.job_id, "limit": args.limit}
    result = await _call(client, "list_data_movement_job_logs", arguments)
    _print(result, "logs", as_json=args.json)
    return 0


async def watch(client: Client, args: argparse.Namespace) -> int:
    """A live bar (percent, counts, rate, time left) on a terminal, a line per change
    otherwise, then the final summary. Exits 0 only if the job completed."""
    import rich.progress as bars
    from rich.console import Console

    console = Console(stderr=True)
    columns = (
        bars.TextColumn("{task.description}"),
        bars.BarColumn(),
        bars.TaskProgressColumn(),
        bars.TextColumn("{task.fields[rate]}"),
        bars.TimeRemainingColumn(),
    )
    first: tuple[float, int] | None = None
    last_line = ""

    def show(job: DataMovementJob) -> None:
        nonlocal first, last_line
        progress = job.progress or Progress()
        if first is None and progress.current is not None:
            first = (time.monotonic(), progress.current)
        line = progress_phrase(job)
        rate = _rate(first, progress.current, bytes_=progress.units == "BYTES")
        bar.update(task, completed=percent_complete(job) or 0, description=line, rate=rate)
        if not console.is_terminal and line != last_line:
            print(f"{line}  {rate}".rstrip(), flush=True)
            last_line = line

    with bars.Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("", total=100, rate="")
        result, job = await _poll_until_finished(client, args.job_id, show)
    _print(result, "job", as_json=False)
    return 0 if job.status == "COMPLETED" else 1


async def _poll_until_finished(
    client: Client, job_id: str, show: Callable[[DataMovementJob], None]
) -> tuple[CallToolResult, DataMovementJob]:
    delays = chain(POLL_DELAYS, repeat(POLL_DELAYS[-1]))
    while True:
        result = await _call(client, "get_data_movement_job", {"job_id": job_id})
        job, _ = parse_job(_structured(result)["job"])
        show(job)
        if is_finished(job):
            return result, job
        await anyio.sleep(next(delays))


def _rate(first: tuple[float, int] | None, current: int | None, *, bytes_: bool) -> str:
    if first is None or current is None or time.monotonic() - first[0] < 1:
        return ""
    per_second = (current - first[1]) / (time.monotonic() - first[0])
    if bytes_:
        return f"{per_second / 1e6:.1f} MB/s"
    return f"{per_second:,.0f} items/s" if per_second >= 1 else f"{per_second * 60:,.0f} items/min"


COMMANDS: dict[str, Command] = {
    "job": show_job,
    "jobs": list_jobs,
    "logs": show_logs,
    "watch": watch,
}


async def doctor(settings: Settings) -> int:
    """Each check with what to do when it fails; exit 0 only when all pass."""
    checks = _setting_checks(settings)
    for passed, text, fix in checks:
        _check(passed, text, fix)
    if not all(passed for passed, _, _ in checks):
        return 1
    http = create_http_client(settings)
    async with WixDataMoverClient(http, settings) as client:
        try:
            body = await client.query_jobs(limit=1)
        except WixApiError as exc:
            return _report_access(exc)
    for text in (
        "Wix is reachable",
        "Wix accepts the API key",
        "The key may read data movement jobs",
    ):
        _check(True, text)
    has = "has data movement jobs" if body["jobs"] else "has no data movement jobs yet"
    _check(True, f"Site {settings.site_id or '(named by the token)'} {has}")
    return 0


def _setting_checks(settings: Settings) -> list[tuple[bool, str, str]]:
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    key_checks = [
        (
            len(key) >= 20,
            f"WIX_API_KEY looks like a key ({len(key)} characters)",
            "Paste the whole key as Wix shows it; keys are long and start with 'IST.'.",
        )
    ]
    return [
        (bool(key), "WIX_API_KEY is set", f"Create an API key at {API_KEYS_URL} and set it."),
        *(key_checks if key else []),
        (
            bool(settings.site_id),
            f"WIX_SITE_ID is set ({settings.site_id or 'missing'})",
            "Set it to the site's id: the GUID after /dashboard/ in the site's dashboard URL.",
        ),
        (True, f"WIX_API_BASE_URL is {settings.base_url}", ""),
    ]


def _report_access(error: WixApiError) -> int:
    status = error.status
    _check(status is not None, "Wix is reachable", str(error) if status is None else "")
    if status is not None:
        _check(status != 401, "Wix accepts the API key", str(error) if status == 401 else "")
        if status != 401:
            _check(False, "The key may read data movement jobs on this site", str(error))
    return 1


def _check(passed: bool, text: str, fix: str = "") -> None:
    print(f"{'✓' if passed else '✗'} {text}")
    if not passed and fix:
        print(textwrap.fill(fix, 96, initial_indent="    Fix: ", subsequent_indent="    "))


def _print(result: CallToolResult, field: str, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_structured(result).get(field), indent=2, ensure_ascii=False))
        return
    for line in _text(result).splitlines():
        print(textwrap.fill(line, 100, subsequent_indent="  "))


def _structured(result: CallToolResult) -> dict[str, Any]:
    return result.structured_content or {}


def _text(result: CallToolResult) -> str:
    block = result.content[0] if result.content else None
    return block.text if isinstance(block, TextContent) else ""
