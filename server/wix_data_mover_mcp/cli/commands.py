"""Commands for people: doctor, job, jobs, logs, watch, sites, schedules, retry.

They call the same MCP tools as an assistant (in-process), so a person sees the same words,
with the advice turned into commands to run. On a terminal, text wraps to its width (never
inside a URL, an id or a duration) and jobs are a table; in a pipe, lines stay whole. Errors
are one line on stderr and a non-zero exit, never a traceback: 1 when the command failed, 2
when what was given (a flag, an argument, a setting) cannot work, refused before anything
starts where it can be told.

This module runs one: COMMANDS names each command's function (in jobs.py, logs.py, watch.py,
doctor.py); calls.py, output.py and wording.py are what they share.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from ..config import API_KEYS_URL, Settings, SettingsError, load_settings
from ..errors import WixApiError
from ..serve.app import build_server
from ..wix.cursors import decode_cursor
from ..wix.finder import parse_since
from ..words.arguments import job_id_problem, status_problem
from .calls import BAD_USAGE, PROG, CommandError, UsageError
from .demo import demo_or_real_settings
from .doctor import doctor, lenient_settings
from .jobs import list_jobs, list_schedules, list_sites, retry, show_job
from .logs import show_logs
from .watch import watch
from .wording import program

Command = Callable[[Client, argparse.Namespace], Awaitable[int]]
ACCOUNT_ONLY = "set WIX_ACCOUNT_ID (with an account-level API key), or add --demo to try it"


def run(name: str, args: argparse.Namespace, **server: Any) -> int:
    """Run one command; `server` goes to build_server (tests give a transport)."""
    try:
        return anyio.run(_run, name, args, server)
    except CommandError as exc:
        print(f"{PROG} {name}: {exc}", file=sys.stderr)
        return exc.code
    except SettingsError as exc:
        print(f"{PROG} {name}: {exc}", file=sys.stderr)
        return BAD_USAGE


async def _run(name: str, args: argparse.Namespace, server: dict[str, Any]) -> int:
    if problem := usage_problem(name, args):
        raise UsageError(problem)  # before anything starts or connects
    if name == "doctor" and not args.demo:
        return await doctor(*lenient_settings(), demo=False)
    with demo_or_real_settings(demo=args.demo, real=load_settings) as settings:
        assert isinstance(settings, Settings)  # load_settings raises instead
        if name == "doctor":
            return await doctor(settings, [], demo=True)
        if problem := settings_problem(name, args, settings):
            raise UsageError(problem)
        if name == "retry":  # the person asked for it, and confirms below
            settings = settings.model_copy(update={"allow_writes": True})
        # `job --html` asks as a host that renders MCP Apps would, so the answer carries the card.
        extensions = [AppsHost()] if getattr(args, "html", None) else []
        app = build_server(settings, demo=args.demo, **server)
        async with Client(app, extensions=extensions) as client:
            try:
                return await COMMANDS[name](client, args)
            except (CommandError, BrokenPipeError) as exc:
                failure = exc  # raised outside the client, which would wrap it in a group
        raise failure


def usage_problem(name: str, args: argparse.Namespace) -> str | None:
    """What cannot work in the arguments themselves, in one sentence; None when all can."""
    if (job_id := getattr(args, "job_id", None)) and (problem := job_id_problem(job_id)):
        return problem
    statuses: list[str] = getattr(args, "status", None) or []
    for word in statuses:
        if problem := status_problem(word.strip().upper()):
            return problem
    if name == "jobs":
        if args.since and not args.all_sites:
            return "--since goes with --all-sites."
        if args.all_sites and (args.site or args.name or args.cursor or args.all):
            return "--all-sites goes with --status, --since and --json only."
        if args.since:
            try:
                parse_since(args.since)
            except WixApiError as exc:
                return str(exc).replace("time span", "time span for --since")
    if cursor := getattr(args, "cursor", None):
        kind = "logs" if name == "logs" else "jobs"
        command = f"{program()} {kind}"
        try:
            decode_cursor(kind, cursor, hint="")
        except WixApiError:
            return f"That --cursor was not printed by '{command}': leave it out for the first page."
    return None


def settings_problem(name: str, args: argparse.Namespace, settings: Settings) -> str | None:
    """What cannot work with these settings, said before calling any tool."""
    account_only = name == "sites" or getattr(args, "all_sites", False)
    if account_only and settings.account_id is None:
        what = "Listing sites" if name == "sites" else "--all-sites"
        return f"{what} needs an account: {ACCOUNT_ONLY}."
    if getattr(args, "site", None) and settings.account_id is None:
        return (
            "--site works in account mode only (WIX_ACCOUNT_ID, with an account-level key); "
            f"this reads the one site WIX_SITE_ID names ({settings.site_id or 'not set'}): "
            "leave out --site."
        )
    if settings.api_key is None:
        return (
            f"WIX_API_KEY is not set: create an API key at {API_KEYS_URL} with the 'Data Mover "
            "Manage Jobs' permission and set WIX_API_KEY to it (with WIX_SITE_ID or "
            "WIX_ACCOUNT_ID); or add --demo to try the built-in emulator."
        )
    if settings.site_id is None and settings.account_id is None:
        return (
            "Neither WIX_SITE_ID nor WIX_ACCOUNT_ID is set: set WIX_SITE_ID to the site's id "
            "(the GUID after /dashboard/ in the site's dashboard URL), or WIX_ACCOUNT_ID for "
            "every site of an account (with an account-level key)."
        )
    return None


class AppsHost(ClientExtension):
    """Declares MCP Apps support, as hosts that render the job card do."""

    identifier = EXTENSION_ID

    def settings(self) -> dict[str, Any]:
        return {"mimeTypes": [APP_MIME_TYPE]}


COMMANDS: dict[str, Command] = {
    "schedules": list_schedules,
    "retry": retry,
    "sites": list_sites,
    "job": show_job,
    "jobs": list_jobs,
    "logs": show_logs,
    "watch": watch,
}
