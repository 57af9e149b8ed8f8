"""Finding the API key in text, whole or in part, and taking it out.

An upstream (or a proxy, or a fault) may echo the key back, and not always whole: without its
`IST.` prefix, its first thirty characters, a piece inside a longer word. So any run of RUN
characters of the key's secret part counts as the key. The secret part of a JWT-shaped key
(`IST.<header>.<payload>.<signature>`) is its payload and signature, since every key's header
is alike; of any other key, the whole key.

A Scrubber is built once per key: the set of the secret's RUN-character runs, and the set of its
SAMPLE-character pieces. Text is sampled every RUN - SAMPLE + 1 characters, since every
RUN-character window contains a piece starting at such a position; only where a piece is found
are the windows around it looked up. Most text is thus read in a handful of set lookups per
hundred characters, whatever the key's length.

Logs pass through `SecretsFilter`, which scrubs every key a client of this process holds.
"""

from __future__ import annotations

import logging
import re
from functools import cache

REDACTED = "[redacted]"
RUN = 12
SAMPLE = 6
_JWT_PART = re.compile(r"[A-Za-z0-9_-]+")


def secret_parts(key: str) -> list[str]:
    """What of the key is secret: a JWT's payload and signature, or the whole key."""
    parts = key.split(".")
    if parts[0] == "IST":
        parts = parts[1:]
    if len(parts) == 3 and all(_JWT_PART.fullmatch(part) for part in parts):
        return parts[1:]
    return [key]


class Scrubber:
    """Takes every run of RUN characters of a key's secret (or the whole of a shorter one) out
    of text."""

    def __init__(self, key: str) -> None:
        parts = [part for part in secret_parts(key) if part]
        self._window = min([RUN, *(len(part) for part in parts)])
        self._sample = min(SAMPLE, self._window)
        self._stride = self._window - self._sample + 1
        self._runs = {
            part[i : i + self._window]
            for part in parts
            for i in range(len(part) - self._window + 1)
        }
        self._pieces = {
            part[i : i + self._sample]
            for part in parts
            for i in range(len(part) - self._sample + 1)
        }

    def finds(self, text: str) -> bool:
        return bool(self._starts(text))

    def scrub(self, text: str) -> str:
        """The text with each stretch made of the secret's runs replaced by [redacted]."""
        starts = self._starts(text)
        if not starts:
            return text
        kept: list[str] = []
        end = 0
        span_start, span_end = starts[0], starts[0] + self._window
        for start in starts[1:]:
            if start <= span_end:
                span_end = max(span_end, start + self._window)
                continue
            kept += [text[end:span_start], REDACTED]
            end = span_end
            span_start, span_end = start, start + self._window
        kept += [text[end:span_start], REDACTED, text[span_end:]]
        return "".join(kept)

    def _starts(self, text: str) -> list[int]:
        """Where, in order, a window of the text is a run of the secret."""
        window, sample, runs, pieces = self._window, self._sample, self._runs, self._pieces
        if not runs or len(text) < window:
            return []
        starts: set[int] = set()
        last = len(text) - window
        for at in range(0, len(text) - sample + 1, self._stride):
            if text[at : at + sample] in pieces:
                for start in range(max(0, at + sample - window), min(at, last) + 1):
                    if text[start : start + window] in runs:
                        starts.add(start)
        return sorted(starts)


@cache
def scrubber_for(key: str) -> Scrubber:
    return Scrubber(key)


class SecretsFilter(logging.Filter):
    """A handler's filter that scrubs every key a client of this process holds (`guard`) from
    each record: its message, and the text of its exception and stack."""

    scrubbers: dict[int, Scrubber] = {}  # noqa: RUF012 - one registry for the process

    @classmethod
    def guard(cls, scrubber: Scrubber) -> None:
        cls.scrubbers[id(scrubber)] = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.scrubbers:
            return True
        message = self._scrubbed(record.getMessage())
        if message != record.msg or record.args:
            record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrubbed(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrubbed(record.stack_info)
        return True

    def _scrubbed(self, text: str) -> str:
        for scrubber in list(self.scrubbers.values()):
            text = scrubber.scrub(text)
        return text
