"""Standard input with a bound on line length, for the stdio transport.

The SDK reads stdin a line at a time and keeps a whole line in memory, however long. A line
longer than MAX_LINE_BYTES is dropped here as it streams in, and a line that is not JSON
takes its place, so the server logs it as a bad message and reads on.
"""

from __future__ import annotations

import io
import logging
import os
import sys

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 4 * 1024 * 1024
REFUSED = b"(a message longer than the limit was refused)\n"


class BoundedLines(io.RawIOBase):
    def __init__(self, fd: int, limit: int = MAX_LINE_BYTES) -> None:
        self._fd = fd
        self._limit = limit
        self._line = 0  # bytes of the current line passed on so far
        self._dropping = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # pyright: ignore[reportIncompatibleMethodOverride]
        while True:
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


def bound_stdin(limit: int = MAX_LINE_BYTES) -> None:
    """Serve MCP from a stdin whose lines never exceed `limit` bytes."""
    buffered = io.BufferedReader(BoundedLines(sys.stdin.fileno(), limit))
    sys.stdin = io.TextIOWrapper(buffered, encoding="utf-8", errors="replace")
