"""The demo's state between commands. Each `--demo` command runs an emulator of its own, so what
the demo is (when its timeline began, along which its seeded jobs move; the jobs submitted or
stopped through it) is kept in a small JSON file that every such emulator reads when it starts
and again whenever the file has changed, and writes when a job is submitted or stopped.

The file is written whole to a temporary file beside it and renamed over it, so two commands at
once never leave it half written (of two changes at the very same moment, the later rename
wins). A file that is missing, unreadable, of another shape, or older than MAX_AGE_SECONDS
starts the demo afresh; deleting it does the same."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError

from .state import EmulatorState, JobTimeline

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 4 * 3600.0  # then the demo starts over, its jobs moving again


class DemoRecord(BaseModel):
    started_at: float = Field(description="When the demo's timeline began (Unix time).")
    jobs: list[JobTimeline] = Field(
        default_factory=list[JobTimeline], description="Jobs submitted or stopped in the demo."
    )


class SavedDemo:
    """One emulator's view of the demo's file: what it read, and what it writes back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.record = DemoRecord(started_at=0.0)
        self._seen: int | None = None  # the file's mtime as last read or written here
        self._warned = False

    def start(self, now: float) -> float:
        """When the demo began: as the file says, or `now` for a fresh demo (written at once, so
        the next command moves along the same timeline)."""
        record = self._read()
        if record is not None and now - MAX_AGE_SECONDS < record.started_at <= now + 60:
            self.record = record
        else:
            self.record = DemoRecord(started_at=now)
            self._write()
        return self.record.started_at

    def attach(self, state: EmulatorState, base_url: str) -> None:
        """Put the kept jobs in the (seeded) emulator, and keep what changes from now on."""
        self._restore(state, base_url)
        state.on_request = lambda: self.refresh(state, base_url)
        state.on_change = self.keep

    def refresh(self, state: EmulatorState, base_url: str) -> None:
        """Take in what another command kept since this one last looked."""
        if self._mtime() == self._seen:
            return
        record = self._read()
        if record is not None and record.started_at == self.record.started_at:
            self.record = record
            self._restore(state, base_url)

    def keep(self, timeline: JobTimeline) -> None:
        """Write a submitted or stopped job into the file, with what others kept meanwhile."""
        record = self._read()
        if record is not None and record.started_at == self.record.started_at:
            self.record = record
        jobs = {job.id: job for job in self.record.jobs} | {timeline.id: timeline}
        self.record = DemoRecord(started_at=self.record.started_at, jobs=list(jobs.values()))
        self._write()

    def _restore(self, state: EmulatorState, base_url: str) -> None:
        for job in self.record.jobs:
            if job.export_url:  # served by the emulator that made it, on another port
                job.export_url = base_url + urlsplit(job.export_url).path
            state.add_job(job)

    def _read(self) -> DemoRecord | None:
        try:
            mtime = self._mtime()
            record = DemoRecord.model_validate_json(self.path.read_bytes())
        except (OSError, ValueError, ValidationError):
            return None  # missing, unreadable, or of another shape: the demo starts afresh
        self._seen = mtime
        return record

    def _write(self) -> None:
        temporary: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "wb", dir=self.path.parent, prefix=".demo-", suffix=".tmp", delete=False
            ) as file:
                temporary = Path(file.name)
                file.write(self.record.model_dump_json().encode())
            os.replace(temporary, self.path)
            self._seen = self._mtime()
        except OSError as exc:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            if not self._warned:
                self._warned = True
                log.warning(
                    "The demo cannot keep its state in %s (%s): each command starts it afresh.",
                    self.path,
                    exc.strerror or exc,
                )

    def _mtime(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None
