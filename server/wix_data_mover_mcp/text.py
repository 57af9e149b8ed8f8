"""Making text from outside (Wix, job names, logs) safe to place inside our own sentences."""

from __future__ import annotations

import re
import unicodedata

from .config import is_guid

_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]+")


def clean(text: object, limit: int) -> str:
    """One line, no control or direction characters, at most `limit` characters."""
    cleaned = _INVISIBLE.sub(" ", unicodedata.normalize("NFC", str(text)))
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


_QUOTE_MARKS = re.compile(
    '["\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u275d\u275e\u301d\u301e\uff02]'
)


def quote(text: object, limit: int = 120) -> str:
    """Outside text in double quotes, so it can never read as the server's own words: any
    double quotation mark inside it (straight, curly or other) becomes a single one."""
    return '"' + _QUOTE_MARKS.sub("'", clean(text, limit)) + '"'


def plain_url(url: str, limit: int = 600) -> str:
    """A URL left clickable when it is a plain http(s) URL, quoted otherwise."""
    cleaned = url.strip()
    plain = not _INVISIBLE.search(cleaned) and not any(ch.isspace() for ch in cleaned)
    if plain and cleaned.startswith(("https://", "http://")) and len(cleaned) <= limit:
        return cleaned
    return quote(cleaned, 200)


CODE_SHAPE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def shown_id(value: str | None) -> str:
    """A GUID as it is; anything else from Wix quoted, so it cannot pass for our words."""
    if not value:
        return "(no id)"
    return value if is_guid(value) else quote(value, 60)


def shown_code(value: str) -> str:
    return value if CODE_SHAPE.fullmatch(value) else quote(value, 40)
