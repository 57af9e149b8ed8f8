"""Commands for people: doctor, job, jobs, logs, watch.

They call the same MCP tools as an assistant (in-process), so a person sees the same words,
with the advice turned into commands to run. On a terminal, text wraps to its width (never
inside a URL, an id or a duration) and jobs are a table; in a pipe, lines stay whole. Errors
are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shlex
import shutil
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from itertools import chain, repeat
from typing import Any, cast

import anyio
import httpx
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from ..config import (
    API_KEYS_URL,
    Settings,
    SettingsError,
    describe_validation_error,
    load_settings,
)
from ..errors import WixApiError
from ..serve.app import build_server
from ..tools.card import CARD_META_KEY, filled_card_html
from ..tools.jobs import POLL_DELAYS
from ..wix.client import WixDataMoverClient, create_http_client
from ..wix.models import DataMovementJob, Progress, parse_job
from ..words.arguments import job_id_problem
from ..words.job import is_finished, percent_complete, progress_phrase
from ..words.lists import job_line
from .demo import demo_or_real_settings

Command = Callable[[Client, argparse.Namespace], Awaitable[int]]
TOOL_ERROR_PREFIX = "Error executing tool "
PROG = "wix-data-mover-mcp"
WATCH_TIMED_OUT = 3
NBSP = "\u00a0"
# Durations and counts keep their words together when text is wrapped.
UNBREAKABLE = re.compile(r"\d[\d,.]* (?:h|min|s|days|KB|MB|GB|TB)\b(?: \d+ (?:min|s)\b)?")


class CommandError(Exception):
    """Ends a command with this one line on stderr."""


def run(name: str, args: argparse.Namespace) -> int:
    try:
        return anyio.run(_run, name, args)
    except (CommandError, SettingsError) as exc:
        print(f"{PROG} {name}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsError) else 1


async def _run(name: str, args: argparse.Namespace) -> int:
    if (job_id := getattr(args, "job_id", None)) and (problem := job_id_problem(job_id)):
        raise CommandError(problem)  # before anything starts or connects
    if name == "doctor" and not args.demo:
        return await doctor(*_lenient_settings(), demo=False)
    with demo_or_real_settings(demo=args.demo, real=load_settings) as settings:
        assert isinstance(settings, Settings)  # load_settings raises instead
        if name == "doctor":
            return await doctor(settings, [], demo=True)
        if name == "retry":  # the person asked for it, and confirms below
            settings = settings.model_copy(update={"allow_writes": True})
        # `job --html` asks as a host that renders MCP Apps would, so the answer carries the card.
        extensions = [AppsHost()] if getattr(args, "html", None) else []
        async with Client(build_server(settings, demo=args.demo), extensions=extensions) as client:
            try:
                return await COMMANDS[name](client, args)
            except CommandError as exc:
                failure = exc  # raised outside the client, which would wrap it in a group
        raise failure


def _lenient_settings() -> tuple[Settings, list[tuple[str, str]]]:
    """The settings with each invalid one left at its default, and what was wrong with each."""
    try:
        return Settings(), []
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        defaults = {name: Settings.model_fields[name].default for name in bad}
        problems = [
            (f"WIX_{name.upper()} is not valid", describe_validation_error(exc, only=name))
            for name in sorted(bad)
        ]
        return Settings(**defaults), problems


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        text = _text(result)
        if text.startswith(TOOL_ERROR_PREFIX):
            text = text.partition(": ")[2]
        raise CommandError(text)
    return result


def _site(args: argparse.Namespace) -> dict[str, Any]:
    return {"site": args.site} if getattr(args, "site", None) else {}


async def list_sites(client: Client, args: argparse.Namespace) -> int:
    arguments: dict[str, Any] = {"limit": 100} | ({"name_contains": args.name} if args.name else {})
    result = await _call(client, "list_wix_sites", arguments)
    _print(result, as_json=args.json)
    return 0


async def show_job(client: Client, args: argparse.Namespace) -> int:
    result = await _call(client, "get_data_movement_job", {"job_id": args.job_id} | _site(args))
    if args.html:
        card = (result.meta or {}).get(CARD_META_KEY)
        if not isinstance(card, dict):
            raise CommandError("The answer carried no job card to write.")
        try:
            html = filled_card_html(cast(dict[str, Any], card))
            await anyio.Path(args.html).write_text(html, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {args.html}: {exc.strerror}.") from None
        print(f"Wrote the job card to {args.html}: open it in a browser.", file=sys.stderr)
    _print(result, as_json=args.json, args=args)
    return 0


class AppsHost(ClientExtension):
    """Declares MCP Apps support, as hosts that render the job card do."""

    identifier = EXTENSION_ID

    def settings(self) -> dict[str, Any]:
        return {"mimeTypes": [APP_MIME_TYPE]}


async def list_jobs(client: Client, args: argparse.Namespace) -> int:
    if args.all_sites:
        return await _jobs_across_sites(client, args)
    if args.since:
        raise CommandError("--since goes with --all-sites.")
    arguments: dict[str, Any] = {"limit": args.limit} | _site(args)
    if args.status:
        arguments["status"] = args.status
    if args.name:
        arguments["name_contains"] = args.name
    pages = await _pages(client, "list_data_movement_jobs", arguments, args)
    if args.json:
        _print_json(pages)
        return 0
    jobs = [parse_job(raw)[0] for page in pages for raw in _structured(page)["jobs"]]
    if not jobs or not sys.stdout.isatty():
        _print(pages[-1] if not jobs else pages[0], as_json=False, lines_only=bool(jobs))
        for page in pages[1:] if jobs else []:
            _print(page, as_json=False, lines_only=True)
    else:
        _table(jobs)
    _next_page(pages[-1], f"{PROG} jobs", args)
    return 0


async def _jobs_across_sites(client: Client, args: argparse.Namespace) -> int:
    if args.site or args.name or args.cursor or args.all:
        raise CommandError("--all-sites goes with --status, --since and --json only.")
    arguments: dict[str, Any] = {"since": args.since or "7d"}
    if args.status:
        arguments["status"] = args.status
    result = await _call(client, "list_data_movement_jobs_across_sites", arguments)
    _print(result, as_json=args.json)
    return 0


async def show_logs(client: Client, args: argparse.Namespace) -> int:
    arguments = {"job_id": args.job_id, "limit": args.limit} | _site(args)
    pages = await _pages(client, "list_data_movement_job_logs", arguments, args)
    if args.export:
        count = _export(pages, args.export)
        print(f"Wrote {count:,} rejected items to {args.export}.")
        return 0
    if args.json:
        _print_json(pages)
        return 0
    for page in pages:
        _print(page, as_json=False)
    _next_page(pages[-1], f"{PROG} logs {args.job_id}", args)
    return 0


async def _pages(
    client: Client, tool: str, arguments: dict[str, Any], args: argparse.Namespace
) -> list[CallToolResult]:
    """One page from --cursor (or the start), or with --all (or --export) every page."""
    everything = args.all or getattr(args, "export", None)
    cursor = args.cursor
    pages: list[CallToolResult] = []
    while True:
        page = await _call(client, tool, arguments | ({"cursor": cursor} if cursor else {}))
        pages.append(page)
        cursor = _structured(page).get("next_cursor")
        if not everything or not cursor:
            return pages


def _next_page(page: CallToolResult, command: str, args: argparse.Namespace) -> None:
    cursor = _structured(page).get("next_cursor")
    if cursor and not args.all and not args.json:
        print(f"More: {command} --cursor {cursor}   (or --all)")


def _export(pages: list[CallToolResult], path: str) -> int:
    rows: list[tuple[str, str, str]] = []
    for page in pages:
        for log in _structured(page)["logs"]:
            failure = log.get("failure")
            if isinstance(failure, dict):
                details = cast(dict[str, Any], failure)
                rows.append(
                    (
                        str(log.get("sourceItemId", "")),
                        str(details.get("code", "")),
                        str(details.get("description", "")),
                    )
                )
    try:
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["item_or_row", "code", "description"])
            writer.writerows(rows)
    except OSError as exc:
        raise CommandError(f"Could not write {path}: {exc.strerror}.") from None
    return len(rows)


async def watch(client: Client, args: argparse.Namespace) -> int:
    """A live bar (percent, counts, rate, time left) on a terminal, a line per change
    otherwise, then the final summary. Exits 0 only if the job completed; 3 if --timeout ran
    out first."""
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

    deadline = time.monotonic() + args.timeout if args.timeout else None
    with bars.Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("", total=100, rate="")
        result, job = await _poll_until_finished(
            client, {"job_id": args.job_id} | _site(args), show, deadline
        )
    _print(result, as_json=False, args=args)
    if not is_finished(job):
        print(f"Still running after {args.timeout} s: run '{PROG} watch {args.job_id}' again.")
        return WATCH_TIMED_OUT
    return 0 if job.status == "COMPLETED" else 1


async def _poll_until_finished(
    client: Client,
    arguments: dict[str, Any],
    show: Callable[[DataMovementJob], None],
    deadline: float | None,
) -> tuple[CallToolResult, DataMovementJob]:
    delays = chain(POLL_DELAYS, repeat(POLL_DELAYS[-1]))
    while True:
        result = await _call(client, "get_data_movement_job", arguments)
        job, _ = parse_job(_structured(result)["job"])
        show(job)
        if is_finished(job):
            return result, job
        delay = next(delays)
        if deadline is not None:
            if time.monotonic() >= deadline:
                return result, job
            delay = min(delay, deadline - time.monotonic())
        await anyio.sleep(delay)


def _rate(first: tuple[float, int] | None, current: int | None, *, bytes_: bool) -> str:
    if first is None or current is None or time.monotonic() - first[0] < 1:
        return ""
    per_second = (current - first[1]) / (time.monotonic() - first[0])
    if bytes_:
        return f"{per_second / 1e6:.1f} MB/s"
    return f"{per_second:,.0f} items/s" if per_second >= 1 else f"{per_second * 60:,.0f} items/min"


async def list_schedules(client: Client, args: argparse.Namespace) -> int:
    result = await _call(client, "list_data_sync_schedules", _site(args))
    _print(result, as_json=args.json)
    return 0


async def retry(client: Client, args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("this submits a new job: add --yes to do it without asking.")
        what = "skipping items already there" if args.skip_existing else "as it was"
        answer = await anyio.to_thread.run_sync(
            input, f"Submit job {args.job_id} again, {what}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing submitted.")
            return 1
    arguments = {"job_id": args.job_id, "skip_existing": args.skip_existing} | _site(args)
    result = await _call(client, "retry_data_movement_job", arguments)
    _print(result, as_json=args.json, args=args)
    return 0


COMMANDS: dict[str, Command] = {
    "schedules": list_schedules,
    "retry": retry,
    "sites": list_sites,
    "job": show_job,
    "jobs": list_jobs,
    "logs": show_logs,
    "watch": watch,
}


# --- doctor ---------------------------------------------------------------------------------


async def doctor(settings: Settings, problems: list[tuple[str, str]], *, demo: bool) -> int:
    """Every check, ✓ or ✗ with the fix under each failure; exit 0 only when all pass."""
    signing_in = await _oauth_checks()
    wix = await _wix_checks(settings, problems, demo=demo)
    return wix or signing_in


async def _oauth_checks() -> int:
    """With WIX_MCP_OAUTH_* set (HTTP sign-in): the settings, and the provider's keys."""
    from ..serve.auth import OAuthConfigError, load_oauth_settings

    try:
        oauth = load_oauth_settings()
    except OAuthConfigError as exc:
        _check(False, "The OAuth settings are not valid", str(exc))
        return 1
    if oauth is None:
        return 0
    from ..serve.oauth import IssuerKeys

    keys = IssuerKeys(oauth.issuer)
    try:
        await keys.refresh()
    except (httpx.HTTPError, OAuthConfigError, ValueError) as exc:
        _check(
            False,
            f"The identity provider {oauth.issuer} does not publish its signing keys",
            f"{exc}. Check WIX_MCP_OAUTH_ISSUER: it must be the issuer exactly as tokens name it.",
        )
        return 1
    _check(
        keys.count > 0,
        f"The identity provider {oauth.issuer} publishes {keys.count} signing key(s); tokens "
        f"must be for {oauth.audience}",
        "Its key set has no signing key this server can use (RSA or EC).",
    )
    return 0 if keys.count else 1


async def _wix_checks(settings: Settings, problems: list[tuple[str, str]], *, demo: bool) -> int:
    if demo:
        _check(True, f"Demo mode: the built-in emulator at {settings.base_url} stands in for Wix")
    else:
        for text, fix in problems:
            _check(False, text, fix)
        checks = _setting_checks(settings, skip={text.split()[0] for text, _ in problems})
        for passed, text, fix in checks:
            _check(passed, text, fix)
        if problems or not all(passed for passed, _, _ in checks):
            _check(False, "Wix was not asked", "Fix the settings above first, then run again.")
            return 1
    http = create_http_client(settings)
    if settings.account_id:
        async with WixDataMoverClient(http, settings) as client:
            return await _account_access(client)
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
    site = "The demo site" if demo else f"Site {settings.site_id or '(named by the token)'}"
    _check(True, f"{site} {has}")
    return 0


async def _account_access(client: WixDataMoverClient) -> int:
    """Account mode: the account-level call, then whether each site's jobs can be read."""
    from ..wix.sites import Site, fetch_sites

    try:
        sites = await fetch_sites(client)
    except WixApiError as exc:
        return _report_access(exc)
    _check(True, "Wix is reachable")
    _check(True, "Wix accepts the API key")
    _check(True, f"The key has account-level access: it covers {len(sites)} sites")
    unreadable: list[Site] = []
    limiter = anyio.CapacityLimiter(8)

    async def probe(site: Site) -> None:
        async with limiter:
            try:
                await client.query_jobs(limit=1, site=site.id)
            except WixApiError:
                unreadable.append(site)

    async with anyio.create_task_group() as group:
        for site in sites:
            group.start_soon(probe, site)
    readable = len(sites) - len(unreadable)
    names = ", ".join(site.label() for site in unreadable[:5])
    _check(
        not unreadable,
        f"The key reads data movement jobs on {readable} of {len(sites)} sites",
        f"Not readable: {names}. Add them to the key, with the 'Data Mover Manage Jobs' "
        f"permission, at {API_KEYS_URL}.",
    )
    return 0 if not unreadable else 1


def _setting_checks(settings: Settings, *, skip: set[str]) -> list[tuple[bool, str, str]]:
    """Checks of the settings, leaving out those already reported invalid (by variable)."""
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    checks = [
        (
            bool(key),
            "WIX_API_KEY is set" if key else "WIX_API_KEY is not set",
            f"Create an API key at {API_KEYS_URL} and set WIX_API_KEY to it.",
        ),
        (
            not key or len(key) >= 20,
            f"WIX_API_KEY looks like a key ({len(key)} characters)"
            if len(key) >= 20
            else f"WIX_API_KEY is too short to be a key ({len(key)} characters)",
            "Paste the whole key as Wix shows it; keys are long and start with 'IST.'.",
        ),
        (
            bool(settings.site_id or settings.account_id),
            f"WIX_SITE_ID is {settings.site_id}"
            if settings.site_id
            else (
                f"WIX_ACCOUNT_ID is {settings.account_id} (every site of the account)"
                if settings.account_id
                else "WIX_SITE_ID is not set"
            ),
            "Set it to the site's id: the GUID after /dashboard/ in the site's dashboard URL "
            "(or set WIX_ACCOUNT_ID for every site of the account).",
        ),
        (True, f"WIX_API_BASE_URL is {settings.base_url}", ""),
    ]
    return [check for check in checks if check[1].split()[0] not in skip]


def _report_access(error: WixApiError) -> int:
    status = error.status
    reachable = status is not None
    _check(reachable, "Wix is reachable" if reachable else "Wix is not reachable", str(error))
    if reachable:
        accepted = status != 401
        text = "Wix accepts the API key" if accepted else "Wix does not accept the API key"
        _check(accepted, text, "" if accepted else str(error))
        if accepted:
            _check(False, "The key may not read data movement jobs on this site", str(error))
    return 1


def _check(passed: bool, text: str, fix: str = "") -> None:
    print(f"{_colour('✓', 'green') if passed else _colour('✗', 'red')} {text}")
    if not passed and fix:
        print_text(fix, indent="    Fix: ", subsequent="    ")


# --- output ---------------------------------------------------------------------------------


def _print(
    result: CallToolResult,
    *,
    as_json: bool,
    lines_only: bool = False,
    args: argparse.Namespace | None = None,
) -> None:
    if as_json:
        _print_json([result])
        return
    job = getattr(args, "job_id", None) or "ID"
    if site := getattr(args, "site", None):
        job += f" --site {shlex.quote(site)}"
    text = _commands_for_tools(_text(result), job)
    if lines_only:
        text = "\n".join(line for line in text.splitlines() if line.startswith("- "))
    print_text(text)


def _print_json(pages: list[CallToolResult]) -> None:
    """The tool's structured result; with several pages, a list of them."""
    data = [_structured(page) for page in pages]
    print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))


def print_text(text: str, *, indent: str = "", subsequent: str = "  ") -> None:
    width = shutil.get_terminal_size((0, 0)).columns if sys.stdout.isatty() else 0
    for line in text.splitlines():
        if width < 20:
            print(indent + line)
            continue
        glued = UNBREAKABLE.sub(lambda match: match.group().replace(" ", NBSP), line)
        wrapped = textwrap.fill(
            glued,
            width - 1,
            initial_indent=indent,
            subsequent_indent=subsequent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        print(wrapped.replace(NBSP, " "))


def _commands_for_tools(text: str, job: str) -> str:
    """Advice written for an assistant ("call X with this job id"), as commands for a person;
    `job` is how the command names the job (its id, and --site when one was given)."""
    return (
        text.replace("call list_data_movement_job_logs with this job id", f"run: {PROG} logs {job}")
        .replace("call wait_for_data_movement_job again", f"run: {PROG} watch {job}")
        .replace("More jobs: call again with the next_cursor.", "")
        .replace("More logs exist: call again with the next_cursor.", "")
        .replace(" Older jobs exist: call again with the next_cursor.", "")
    )


def _table(jobs: list[DataMovementJob]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(UTC)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("STATUS", "NAME", "ID", "PROGRESS", "WHEN"):
        table.add_column(column, no_wrap=column in ("ID", "STATUS"))
    for job in jobs:
        # job_line: name · id · status [percent] · when, each from Wix and already cleaned.
        name, ident, status, *when = job_line(job, now=now).split(" · ")
        word, _, percent = status.partition(" ")
        colour = {"COMPLETED": "green", "FAILED": "red", "PARTIALLY_SUCCESSFUL": "yellow"}
        table.add_row(
            Text(word, style=colour.get(word, "cyan")),
            Text(name),
            Text(ident),
            Text(percent),
            Text(when[0] if when else ""),
        )
    Console(highlight=False).print(table)


def _colour(text: str, colour: str) -> str:
    from rich.console import Console

    console = Console()
    if not console.is_terminal or console.no_color:
        return text
    codes = {"green": "32", "red": "31"}
    return f"\033[{codes[colour]}m{text}\033[0m"


def _structured(result: CallToolResult) -> dict[str, Any]:
    return result.structured_content or {}


def _text(result: CallToolResult) -> str:
    block = result.content[0] if result.content else None
    return block.text if isinstance(block, TextContent) else ""
