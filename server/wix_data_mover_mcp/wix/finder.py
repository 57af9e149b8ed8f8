"""Finding jobs by status and by part of their name, newest first, with a stateless cursor.

Wix's query language has no "contains", so a text search reads pages of recent jobs and keeps
those whose name, collection, file or sheet name matches. The cursor handed back encodes
where to resume (the query, Wix's own cursor and how many jobs of that page were already
seen), so any server instance can continue it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import anyio

from ..errors import BudgetExhausted, WixApiError
from .cursors import bounded_count, decode_cursor, encode_cursor, not_ours
from .models import STATUS_SHAPE, Destination, Source, paging_cursor, parse_job

if TYPE_CHECKING:
    from .client import WixDataMoverClient
    from .sites import Site
    from .upstream import Upstream

NEWEST_FIRST = [{"fieldName": "startedAt", "order": "DESC"}]
SCAN_PAGE = 100
SCAN_PAGES = 5
MAX_STATUSES = 10


@dataclass(frozen=True)
class JobPage:
    jobs: list[dict[str, Any]]
    next_cursor: str | None
    scanned: int


@dataclass(frozen=True)
class _Position:
    statuses: tuple[str, ...]
    name_contains: str | None
    wix_cursor: str | None
    skip: int

    def encode(self) -> str:
        data = [list(self.statuses), self.name_contains, self.wix_cursor, self.skip]
        return encode_cursor("jobs", data)

    @classmethod
    def decode(cls, cursor: str) -> _Position:
        hint = "list_data_movement_jobs. Call it without a cursor to start from the newest jobs"
        data = decode_cursor("jobs", cursor, hint=hint)
        if len(data) != 4:
            raise not_ours(hint)
        statuses, name, wix_cursor, skip = data
        start = bounded_count(skip, most=SCAN_PAGE)
        if (
            not isinstance(statuses, list)
            or len(cast(list[Any], statuses)) > MAX_STATUSES
            or not all(
                isinstance(status, str) and STATUS_SHAPE.fullmatch(status)
                for status in cast(list[Any], statuses)
            )
            or not all(isinstance(text, str | None) for text in (name, wix_cursor))
            or start is None
        ):
            raise not_ours(hint)
        return cls(tuple(cast(list[str], statuses)), name, wix_cursor, start)


async def find_jobs(
    client: WixDataMoverClient,
    *,
    statuses: tuple[str, ...] = (),
    name_contains: str | None = None,
    limit: int = 10,
    cursor: str | None = None,
    site: str | None = None,
) -> JobPage:
    start = _Position(statuses, name_contains, wix_cursor=None, skip=0)
    position = _Position.decode(cursor) if cursor else start
    needle = (position.name_contains or "").casefold()
    page_size = SCAN_PAGE if needle else limit
    found: list[dict[str, Any]] = []
    scanned = 0
    wix_cursor, skip = position.wix_cursor, position.skip
    for _ in range(SCAN_PAGES):
        body = await client.query_jobs(
            filter=_status_filter(position.statuses),
            sort=NEWEST_FIRST,
            limit=page_size,
            cursor=wix_cursor,
            site=site,
        )
        jobs = cast(list[dict[str, Any]], body["jobs"])
        next_wix = paging_cursor(body)
        for index in range(skip, len(jobs)):
            scanned += 1
            if needle and needle not in searchable_text(jobs[index]):
                continue
            found.append(jobs[index])
            if len(found) == limit:
                more = index + 1 < len(jobs) or next_wix is not None
                resume = _Position(position.statuses, position.name_contains, wix_cursor, index + 1)
                return JobPage(found, resume.encode() if more else None, scanned)
        if next_wix is None:
            return JobPage(found, None, scanned)
        wix_cursor, skip = next_wix, 0
    resume = _Position(position.statuses, position.name_contains, wix_cursor, 0)
    return JobPage(found, resume.encode(), scanned)


def searchable_text(raw: dict[str, Any]) -> str:
    """What a person may remember a job by: its name, its collections, its file or sheet."""
    job, _ = parse_job(raw)
    source, destination = job.source or Source(), job.destination or Destination()
    words = [
        job.name,
        source.wix_data_collection and source.wix_data_collection.collection_id,
        destination.wix_data_collection and destination.wix_data_collection.collection_id,
        destination.file and destination.file.file_name,
        source.google_sheets and source.google_sheets.sheet_name,
    ]
    return " ".join(word for word in words if word).casefold()


def _status_filter(statuses: tuple[str, ...]) -> dict[str, Any]:
    if not statuses:
        return {}
    if len(statuses) == 1:
        return {"status": {"$eq": statuses[0]}}
    return {"status": {"$in": list(statuses)}}


SINCE = re.compile(r"\s*(\d{1,4})\s*(m|min|h|d|w)\s*", re.IGNORECASE)
SINCE_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 604_800}
PER_SITE = 20
AT_ONCE = 8  # sites read at the same time; the rate budget still bounds the pace


def parse_since(text: str) -> datetime:
    """'7d', '24h', '90m' or '2w' before now, as a UTC time."""
    match = SINCE.fullmatch(text)
    if not match:
        raise WixApiError(
            f"{text[:20]!r} is not a time span; use a number and a unit, such as 24h, 7d or 2w."
        )
    seconds = int(match.group(1)) * SINCE_UNITS[match.group(2).lower()]
    return datetime.now(UTC) - timedelta(seconds=seconds)


@dataclass(frozen=True)
class SiteJobs:
    """One site's matching jobs, or why it could not be read. A site is not `asked` when this
    server's own rate budget ran out before its turn: no request about it was sent."""

    site: Site
    jobs: list[dict[str, Any]]
    error: WixApiError | None = None

    @property
    def asked(self) -> bool:
        return not isinstance(self.error, BudgetExhausted)

    @property
    def retry_in(self) -> float | None:
        """When to ask a site not asked."""
        return self.error.retry_in if isinstance(self.error, BudgetExhausted) else None

    def as_dict(self) -> dict[str, Any]:
        error = str(self.error) if self.error else None
        found = {"id": self.site.id, "name": self.site.name, "jobs": self.jobs, "error": error}
        return found | ({} if self.asked else {"asked": False})


async def find_across_sites(
    upstream: Upstream,
    sites: list[Site],
    *,
    statuses: tuple[str, ...],
    since: datetime | None,
) -> list[SiteJobs]:
    """Each site's newest matching jobs, read a few sites at a time; a site that cannot be
    read is kept with its error, never dropped. Once this server's rate budget is used up, the
    sites left are not asked (nor waited for): they are kept as not asked, with when to ask
    again."""
    filter_ = _status_filter(statuses)
    if since is not None:
        filter_["startedAt"] = {"$gte": since.isoformat(timespec="seconds").replace("+00:00", "Z")}
    limiter = anyio.CapacityLimiter(AT_ONCE)
    found: dict[str, SiteJobs] = {}
    out_of_budget: list[BudgetExhausted] = []

    async def read(site: Site) -> None:
        async with limiter:
            if out_of_budget:
                found[site.id] = SiteJobs(site, [], out_of_budget[0])
                return
            try:
                body = await upstream.call(
                    lambda: upstream.client.query_jobs(
                        filter=filter_, sort=NEWEST_FIRST, limit=PER_SITE, site=site.id
                    )
                )
                found[site.id] = SiteJobs(site, cast(list[dict[str, Any]], body["jobs"]))
            except WixApiError as exc:
                if isinstance(exc, BudgetExhausted):
                    out_of_budget.append(exc)
                found[site.id] = SiteJobs(site, [], exc)

    async with anyio.create_task_group() as group:
        for site in sites:
            group.start_soon(read, site)
    return [found[site.id] for site in sites]
