"""Commands for people: doctor, job, jobs, logs, watch.

They call the same MCP tools as an assistant (in-process), so a person sees the same words,
with the advice turned into commands to run. On a terminal, text wraps to its width (never
inside a URL, an id or a duration) and jobs are a table; in a pipe, lines stay whole. Errors
are one line on stderr and a non-zero exit, never a traceback.

This module runs one: COMMANDS names each command's function (in jobs.py, logs.py, watch.py,
doctor.py); calls.py and output.py are what they share.
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

from ..config import Settings, SettingsError, load_settings
from ..serve.app import build_server
from ..words.arguments import job_id_problem
from .calls import PROG, CommandError
from .demo import demo_or_real_settings
from .doctor import doctor, lenient_settings
from .jobs import list_jobs, list_schedules, list_sites, retry, show_job
from .logs import show_logs
from .watch import watch

Command = Callable[[Client, argparse.Namespace], Awaitable[int]]


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
        return await doctor(*lenient_settings(), demo=False)
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
