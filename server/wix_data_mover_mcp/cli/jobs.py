"""The commands about jobs and sites: sites, job (and its card as a page), jobs (on one site or
across all of them), schedules, and retry (which asks first)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from typing import Any, cast

import anyio
from mcp import Client

from ..text import quote
from ..tools.card import CARD_META_KEY, filled_card_html
from ..tools.writes import DRY_RUN_RETRY, SUBMIT_FOR_REAL
from ..wix.models import parse_job
from ..words.lists import job_line
from .calls import (
    NOTHING_DONE,
    CommandError,
    UsageError,
    call,
    read_pages,
    result_text,
    say,
    site,
    structured,
)
from .output import next_page, print_json, print_result, print_table, print_text, terminal_width
from .parser import JOBS_PER_PAGE
from .wording import for_people

RETRY_TOOL = "retry_data_movement_job"
# How a list's summary names an account's site: 'On site "Riverside Bakery" (d3e0…): '.
GUID = r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
ON_SITE = re.compile(rf'^On site ((?:".*?" \()?{GUID}\)?): ', re.M)


async def list_sites(client: Client, args: argparse.Namespace) -> int:
    arguments: dict[str, Any] = {"limit": 100} | ({"name_contains": args.name} if args.name else {})
    result = await call(client, "list_wix_sites", arguments, args)
    if not args.json and args.name and not structured(result).get("sites"):
        every = say(args).command("sites")
        print_text(
            f"No site's name contains {quote(args.name, 60)}. To see every site, run {every}."
        )
        return 0
    print_result(result, as_json=args.json, args=args)
    return 0


async def show_job(client: Client, args: argparse.Namespace) -> int:
    result = await call(client, "get_data_movement_job", {"job_id": args.job_id} | site(args), args)
    if args.html:
        card = (result.meta or {}).get(CARD_META_KEY)
        if not isinstance(card, dict):
            raise CommandError("The answer carried no job card to write.")
        try:
            html = filled_card_html(saved_card(cast(dict[str, Any], card), structured(result)))
            await anyio.Path(args.html).write_text(html, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {args.html}: {exc.strerror}.") from None
        print(f"Wrote the job card to {args.html}: open it in a browser.", file=sys.stderr)
    print_result(result, as_json=args.json, args=args)
    return 0


def saved_card(card: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The card as a file keeps: "submitted 50 min ago" would be wrong an hour later, so it
    gives the time instead, and says when it was saved."""
    job, _ = parse_job(answer.get("job") or {})
    given: list[Any] = card.get("timing") or []
    timing = [line for line in given if isinstance(line, str)]
    if job.started_at is not None and timing and timing[0].startswith("It was submitted "):
        timing[0] = f"It was submitted on {_when(job.started_at)}."
    timing.append(f"As of {_when(datetime.now(UTC))}.")
    return card | {"timing": timing}


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d at %H:%M UTC")


async def list_jobs(client: Client, args: argparse.Namespace) -> int:
    if args.all_sites:
        return await _jobs_across_sites(client, args)
    arguments: dict[str, Any] = {"limit": args.limit} | site(args)
    if args.status:
        arguments["status"] = args.status
    if args.name:
        arguments["name_contains"] = args.name
    pages = await read_pages(client, "list_data_movement_jobs", arguments, args)
    if args.json:
        print_json(pages.read)
    else:
        jobs = [parse_job(raw)[0] for page in pages.read for raw in structured(page)["jobs"]]
        width = terminal_width()
        if jobs and (on := ON_SITE.search(result_text(pages.read[0]))):
            print(f"On site {on.group(1)}:", file=sys.stderr)  # the rows name no site
        if not jobs:
            print_result(pages.last, as_json=False, args=args)
        elif width:
            print_table(jobs, width=width)
        else:  # a pipe: one line per job, exactly the jobs --json gives
            now = datetime.now(UTC)
            for job in jobs:
                print_text(f"- {job_line(job, now=now)}")
    next_page(pages, args, "jobs", per_page=JOBS_PER_PAGE)
    return 1 if pages.stopped else 0


async def _jobs_across_sites(client: Client, args: argparse.Namespace) -> int:
    if args.site or args.name or args.cursor or args.all:
        raise UsageError("--all-sites goes with --status, --since and --json only.")
    arguments: dict[str, Any] = {"since": args.since or "7d"}
    if args.status:
        arguments["status"] = args.status
    result = await call(client, "list_data_movement_jobs_across_sites", arguments, args)
    print_result(result, as_json=args.json, args=args)
    return 0


async def list_schedules(client: Client, args: argparse.Namespace) -> int:
    result = await call(client, "list_data_sync_schedules", site(args), args)
    print_result(result, as_json=args.json, args=args)
    return 0


async def retry(client: Client, args: argparse.Namespace) -> int:
    """A dry run prints what would be submitted. A real retry asks first on a terminal: it
    makes every check through a dry run (a running or missing job is refused before any
    question), shows what the retry would do, and submits only on a yes."""
    arguments = {"job_id": args.job_id, "skip_existing": args.skip_existing} | site(args)
    if not args.dry_run and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "Retry submits a new job: add --yes to submit it without asking, or --dry-run "
                "to see what it would submit."
            )
        plan = await call(client, RETRY_TOOL, arguments | {"dry_run": True}, args)
        if not await _confirmed(result_text(plan), args):
            print("Nothing submitted.", file=sys.stderr if args.json else sys.stdout)
            return NOTHING_DONE
    if args.dry_run:
        arguments["dry_run"] = True
    result = await call(client, RETRY_TOOL, arguments, args)
    print_result(result, as_json=args.json, args=args)
    return 0


async def _confirmed(dry_run: str, args: argparse.Namespace) -> bool:
    """The person's yes, asked on the terminal after what the retry would do (the dry run's
    words, as the confirmation an assistant's client shows). With --json, the question goes
    to stderr, so stdout stays the answer."""
    consequence = dry_run.replace(f"{DRY_RUN_RETRY} ", "").replace(f" {SUBMIT_FOR_REAL}", "")
    to = sys.stderr if args.json else sys.stdout
    print_text(for_people(consequence, say(args)), file=to)
    to.write("Submit it? [y/N] ")
    to.flush()
    answer = await anyio.to_thread.run_sync(sys.stdin.readline)
    return answer.strip().lower() in ("y", "yes")
