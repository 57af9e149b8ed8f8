"""The commands about jobs and sites: sites, job (and its card as a page), jobs (on one site or
across all of them), schedules, and retry (which asks first)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, cast

import anyio
from mcp import Client

from ..tools.card import CARD_META_KEY, filled_card_html
from ..wix.models import parse_job
from .calls import PROG, CommandError, call, read_pages, site, structured
from .output import next_page, print_json, print_result, print_table

DEMO_STATE_NOTE = (
    "With --demo, each command starts its own emulator and it stops when the command ends: "
    "the new job is gone in the next command. To keep jobs between commands, run "
    f"'{PROG} emulator' and point the commands at it with the settings it prints."
)


async def list_sites(client: Client, args: argparse.Namespace) -> int:
    arguments: dict[str, Any] = {"limit": 100} | ({"name_contains": args.name} if args.name else {})
    result = await call(client, "list_wix_sites", arguments)
    print_result(result, as_json=args.json)
    return 0


async def show_job(client: Client, args: argparse.Namespace) -> int:
    result = await call(client, "get_data_movement_job", {"job_id": args.job_id} | site(args))
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
    print_result(result, as_json=args.json, args=args)
    return 0


async def list_jobs(client: Client, args: argparse.Namespace) -> int:
    if args.all_sites:
        return await _jobs_across_sites(client, args)
    if args.since:
        raise CommandError("--since goes with --all-sites.")
    arguments: dict[str, Any] = {"limit": args.limit} | site(args)
    if args.status:
        arguments["status"] = args.status
    if args.name:
        arguments["name_contains"] = args.name
    pages = await read_pages(client, "list_data_movement_jobs", arguments, args)
    if args.json:
        print_json(pages)
        return 0
    jobs = [parse_job(raw)[0] for page in pages for raw in structured(page)["jobs"]]
    if not jobs or not sys.stdout.isatty():
        print_result(pages[-1] if not jobs else pages[0], as_json=False, lines_only=bool(jobs))
        for page in pages[1:] if jobs else []:
            print_result(page, as_json=False, lines_only=True)
    else:
        print_table(jobs)
    next_page(pages[-1], f"{PROG} jobs", args)
    return 0


async def _jobs_across_sites(client: Client, args: argparse.Namespace) -> int:
    if args.site or args.name or args.cursor or args.all:
        raise CommandError("--all-sites goes with --status, --since and --json only.")
    arguments: dict[str, Any] = {"since": args.since or "7d"}
    if args.status:
        arguments["status"] = args.status
    result = await call(client, "list_data_movement_jobs_across_sites", arguments)
    print_result(result, as_json=args.json)
    return 0


async def list_schedules(client: Client, args: argparse.Namespace) -> int:
    result = await call(client, "list_data_sync_schedules", site(args))
    print_result(result, as_json=args.json)
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
    arguments = {"job_id": args.job_id, "skip_existing": args.skip_existing} | site(args)
    result = await call(client, "retry_data_movement_job", arguments)
    print_result(result, as_json=args.json, args=args)
    if args.demo:
        print(DEMO_STATE_NOTE, file=sys.stderr)
    return 0
