"""The emulator's jobs, their timelines, movement logs, injected faults and request counts."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

FINAL = ("COMPLETED", "PARTIALLY_SUCCESSFUL", "FAILED")
TERMINATED = {
    "code": "EMULATOR_TERMINATED",
    "description": "Terminated on request. (The emulator's own code: Wix documents no status "
    "or error code for a terminated job.)",
}
Outcome = Literal["COMPLETED", "PARTIALLY_SUCCESSFUL", "FAILED"]
FaultKind = Literal[
    "rate_limit",  # 429, with Retry-After when retry_after is set
    "server_error",  # a 5xx status (default 503), empty Wix-style body
    "latency",  # answer normally after `delay` seconds
    "hang",  # no answer for `delay` seconds (default 60): the client times out
    "malformed_json",  # 200 with JSON cut short
    "html",  # an HTML error page from a proxy
    "no_job",  # 200 with a body that has no `job`
    "empty",  # 200 with an empty body
    "reset",  # headers, half a body, then the connection closes
    "oversized",  # 200 with a body larger than any client should read (5 MiB)
]


@dataclass
class JobTimeline:
    """A job whose state follows the clock: waiting, initializing, running, then its outcome."""

    site_id: str
    fields: dict[str, Any]
    submitted_at: float
    pending: float = 2.0
    initializing: float = 3.0
    running: float = 20.0
    outcome: Outcome = "COMPLETED"
    units: Literal["ITEMS", "BYTES"] = "ITEMS"
    items: int = 100
    size_bytes: int = 0
    rejected: int = 0
    updated: int = 0  # of the successful items, how many existed already
    fails_at: float = 1.0  # fraction of the run after which a FAILED job stops
    error: dict[str, Any] | None = None
    cause: str | None = None
    failures: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    export_url: str | None = None
    terminated_at: float | None = None

    @property
    def id(self) -> str:
        return self.fields["id"]

    def render(self, now: float) -> dict[str, Any]:
        started = self.submitted_at + self.pending
        running_from = started + self.initializing
        stops = running_from + self.running * (self.fails_at if self.outcome == "FAILED" else 1)
        terminated = self.terminated_at is not None and self.terminated_at < stops
        if terminated and self.terminated_at is not None:
            stops = self.terminated_at
            started, running_from = min(started, stops), min(running_from, stops)
        job = dict(self.fields)
        # startedAt is when the job was submitted (Wix's reference and SDK say so), set for
        # every job, queued ones included. logsRecorded is never null in the SDK's types.
        job["startedAt"] = rfc3339(self.submitted_at)
        job["logsRecorded"] = 0
        if now < started:
            return job | {"status": "UNINITIALIZED"}
        if now < running_from:
            return job | {"status": "INITIALIZING"}
        finished = now >= stops and not terminated and self.outcome != "FAILED"
        fraction = (
            1.0 if finished else max(0.0, min(1.0, (min(now, stops) - running_from) / self.running))
        )
        job["progress"] = self._progress(fraction)
        job["logsRecorded"] = job["progress"]["itemsRejected"]  # one log per rejected item
        if now < stops:
            return job | {"status": "IN_PROGRESS"}
        job["finishedAt"] = rfc3339(stops)
        if terminated:
            # The emulator's choice, not Wix's: Wix documents no status or error code for a
            # terminated job, so this one fails with a code of its own that says so plainly.
            return job | {"status": "FAILED", "error": TERMINATED}
        if self.outcome == "FAILED":
            return job | {"status": "FAILED", "error": self.error or {"code": "WDH0000"}}
        if self.outcome == "PARTIALLY_SUCCESSFUL":
            job["partiallySuccessfulOptions"] = {"cause": self.cause or "Some items were rejected."}
        if self.export_url:
            job["destination"] = _with_download_url(job["destination"], self.export_url)
        return job | {"status": self.outcome}

    def _progress(self, fraction: float) -> dict[str, Any]:
        total = self.size_bytes if self.units == "BYTES" else self.items
        rejected = int(self.rejected * fraction)
        successful = max(0, int(self.items * fraction) - rejected)
        updated = min(successful, int(self.updated * fraction))
        # Wix's SDK types these counters as JSON numbers.
        progress: dict[str, Any] = {
            "current": int(total * fraction),
            "total": total,
            "itemsSuccessful": successful,
            "itemsRejected": rejected,
            "units": self.units,
        }
        if "wixDataCollection" in self.fields.get("destination", {}):
            # Created and updated are a collection's terms; the SDK says nothing of them for
            # files, translations or stores, so they are not sent there.
            info = {"itemsCreated": successful - updated, "itemsUpdated": updated}
            progress["itemsSuccessfulInfo"] = info
        return progress

    def logs(self, now: float) -> list[dict[str, Any]]:
        rendered = self.render(now)
        count = int(rendered.get("progress", {}).get("itemsRejected", 0))
        return [self._log(index) for index in range(count)]

    def _log(self, index: int) -> dict[str, Any]:
        failures = self.failures or [("WDE0080", "The item could not be saved.")]
        code, description = failures[index % len(failures)]
        # Wix's types name a row number only for a CSV file (from 2: its first row is the
        # header); every other source names the item by its id, JSONL files included.
        source: dict[str, Any] = self.fields.get("source") or {}
        file: dict[str, Any] = source.get("file") or {}
        item_id = (
            str(2 + index * 7)
            if file.get("format") == "CSV"
            else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.id}/{index}"))
        )
        return {"sourceItemId": item_id, "failure": {"code": code, "description": description}}


def _with_download_url(destination: dict[str, Any], url: str) -> dict[str, Any]:
    return destination | {"file": destination.get("file", {}) | {"url": url}}


def rfc3339(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


@dataclass
class Fault:
    kind: FaultKind
    remaining: int | None = None  # None: every request until cleared
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class EmulatorState:
    """Everything the emulator knows. Safe to change from tests while it serves."""

    api_keys: set[str]
    jobs: dict[str, JobTimeline] = field(default_factory=dict[str, JobTimeline])
    faults: dict[str, list[Fault]] = field(default_factory=dict[str, list[Fault]])
    requests: Counter[str] = field(default_factory=Counter[str])
    request_times: list[float] = field(default_factory=list[float])  # for rate checks
    cursors: dict[str, tuple[dict[str, Any], int]] = field(
        default_factory=dict[str, tuple[dict[str, Any], int]]
    )
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The account and its sites (Query Sites), and the sites the keys do not cover (403).
    account_id: str = ""
    sites: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    uncovered: set[str] = field(default_factory=set[str])
    pace: float = 1.0  # how long submitted jobs take, as a share of their usual time
    schedules: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict[str, list[dict[str, Any]]]
    )
    # The demo's file, when it keeps the demo between commands (saved.py): read before each
    # request, written when a job is submitted or stopped.
    on_request: Callable[[], None] | None = None
    on_change: Callable[[JobTimeline], None] | None = None

    def now(self) -> float:
        return time.time()

    def add_job(self, timeline: JobTimeline) -> JobTimeline:
        with self.lock:
            self.jobs[timeline.id] = timeline
        return timeline

    def refresh(self) -> None:
        if self.on_request is not None:
            self.on_request()

    def changed(self, timeline: JobTimeline) -> None:
        """A job was submitted or stopped through the API."""
        if self.on_change is not None:
            self.on_change(timeline)

    def job(self, site_id: str, job_id: str) -> JobTimeline | None:
        timeline = self.jobs.get(job_id)
        return timeline if timeline is not None and timeline.site_id == site_id else None

    def same_source(self, site_id: str, fields: dict[str, Any]) -> JobTimeline | None:
        """The latest job of the site that read the same source (the same file, collection or
        sheet, of the same other site), as a new job's model of how much there is to move."""

        def key(fields: dict[str, Any]) -> str:
            source = json.loads(json.dumps(fields.get("source") or {}))
            for part in source.values():
                if isinstance(part, dict):
                    cast(dict[str, Any], part).pop("url", None)  # written by Wix
            return json.dumps([source, fields.get("sourceSiteId")], sort_keys=True)

        wanted = key(fields)
        same = [t for t in self.jobs.values() if t.site_id == site_id and key(t.fields) == wanted]
        return max(same, key=lambda t: t.submitted_at, default=None)

    def site_jobs(self, site_id: str) -> list[dict[str, Any]]:
        now = self.now()
        return [t.render(now) for t in self.jobs.values() if t.site_id == site_id]

    def inject(
        self, kind: FaultKind, *, job_id: str = "*", count: int | None = None, **options: Any
    ) -> None:
        """Add a fault for one job's requests (by id) or for every request ("*")."""
        with self.lock:
            self.faults.setdefault(job_id, []).append(Fault(kind, remaining=count, **options))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, job_id: str | None) -> Fault | None:
        with self.lock:
            for key in (job_id, "*"):
                queue = self.faults.get(key or "") if key else None
                if not queue:
                    continue
                fault = queue[0]
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.pop(0)
                return fault
        return None

    def count(self, route: str) -> None:
        with self.lock:
            self.requests[route] += 1
            self.request_times.append(time.monotonic())

    def remember_cursor(self, query: dict[str, Any], offset: int) -> str:
        token = uuid.uuid4().hex
        with self.lock:
            self.cursors[token] = (query, offset)
        return token
