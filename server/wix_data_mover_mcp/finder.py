"""Finding jobs by status and by part of their name, newest first, with a stateless cursor.

Wix's query language has no "contains", so a text search reads pages of recent jobs and keeps
those whose name, collection, file or sheet name matches. The cursor handed back encodes
where to resume (the query, Wix's own cursor and how many jobs of that page were already
seen), so any server instance can continue it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .cursors import decode_cursor, encode_cursor
from .errors import WixApiError
from .models import Destination, Source, paging_cursor, parse_job

if TYPE_CHECKING:
    from .client import WixDataMoverClient

NEWEST_FIRST = [{"fieldName": "startedAt", "order": "DESC"}]
SCAN_PAGE = 100
SCAN_PAGES = 5


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
        try:
            statuses, name, wix_cursor, skip = data
            texts = [*statuses, name or "", wix_cursor or ""]
            if not all(isinstance(text, str) for text in texts) or int(skip) < 0:
                raise ValueError
            return cls(tuple(statuses), name, wix_cursor, int(skip))
        except (ValueError, TypeError):
            raise WixApiError(f"That cursor was not given out by {hint}.") from None


async def find_jobs(
    client: WixDataMoverClient,
    *,
    statuses: tuple[str, ...] = (),
    name_contains: str | None = None,
    limit: int = 10,
    cursor: str | None = None,
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
