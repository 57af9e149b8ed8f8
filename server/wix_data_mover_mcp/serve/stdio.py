"""Standard input with a bound on line length, for the stdio transport, and that Ctrl-C ends.

The SDK reads stdin a line at a time and keeps a whole line in memory, however long. A line
longer than MAX_LINE_BYTES is dropped here as it streams in, and a line that is not JSON
takes its place, so the server logs it as a bad message and reads on.

The SDK reads stdin in a worker thread, which a cancelled event loop waits for: while the
client holds stdin open, Ctrl-C alone would never stop the server. So Ctrl-C ends the input
instead, as if the client had closed it, and the server stops the way it always does then.
"""

from __future__ import annotations

import io
import logging
import os
import select
import signal
import sys
from types import FrameType

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 4 * 1024 * 1024
REFUSED = b"(a message longer than the limit was refused)\n"


class BoundedLines(io.RawIOBase):
    def __init__(self, fd: int, limit: int = MAX_LINE_BYTES) -> None:
        self._fd = fd
        self._limit = limit
        self._line = 0  # bytes of the current line passed on so far
        self._dropping = False
        self.stopped = False
        # A reader blocked on fd also wakes when this pipe is written to (POSIX select).
        self._wake: tuple[int, int] | None = os.pipe() if os.name == "posix" else None

    def readable(self) -> bool:
        return True

    def stop(self) -> None:
        """End the input here, as if it had closed; safe in a signal handler."""
        self.stopped = True
        if self._wake is not None:
            os.write(self._wake[1], b"\0")

    def readinto(self, buffer: memoryview) -> int:  # pyright: ignore[reportIncompatibleMethodOverride]
        while True:
            if self._wake is not None:
                ready, _, _ = select.select([self._fd, self._wake[0]], [], [])
                if self._wake[0] in ready:
                    self.stopped = True
            if self.stopped:
                return 0
            chunk = os.read(self._fd, len(buffer))
            if not chunk:
                return 0
            out = self._filter(chunk)
            if out:
                buffer[: len(out)] = out
                return len(out)

    def _filter(self, chunk: bytes) -> bytes:
        out = bytearray()
        for piece in chunk.splitlines(keepends=True):
            ends = piece.endswith(b"\n")
            if self._dropping:
                if ends:
                    self._dropping, self._line = False, 0
                    out += REFUSED
                continue
            if self._line + len(piece) > self._limit and not (
                ends and self._line + len(piece) - 1 <= self._limit
            ):
                log.error("Refused a message over %d MiB on stdin.", self._limit // 1024 // 1024)
                self._dropping = True
                out += b"\n"  # ends what was already passed on of this line
                if ends:
                    self._dropping, self._line = False, 0
                    out += REFUSED
                continue
            out += piece
            self._line = 0 if ends else self._line + len(piece)
        return bytes(out)


def bound_stdin(limit: int = MAX_LINE_BYTES) -> BoundedLines:
    """Serve MCP from a stdin whose lines never exceed `limit` bytes; the input is returned,
    for stop_on_ctrl_c."""
    lines = BoundedLines(sys.stdin.fileno(), limit)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(lines), encoding="utf-8", errors="replace")
    return lines


def stop_on_ctrl_c(lines: BoundedLines) -> None:
    """Ctrl-C (SIGINT) ends the input, so the server stops as when its client leaves; a second
    Ctrl-C stops at once. Call from the main thread before serving."""

    def interrupted(signum: int, frame: FrameType | None) -> None:
        if lines.stopped:
            raise KeyboardInterrupt
        log.info("Stopping: Ctrl-C ended the input.")
        lines.stop()

    signal.signal(signal.SIGINT, interrupted)
