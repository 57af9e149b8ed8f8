"""The server's own paging cursors: opaque, length-bounded, and accepted back only whole.

A cursor from Wix is never shown as it is: it travels inside one of these, so text from Wix
cannot reach the model through it, and every cursor handed out fits what the tools accept.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import WixApiError

MAX_CURSOR_CHARS = 6000


def encode_cursor(kind: str, data: list[Any]) -> str:
    text = base64.urlsafe_b64encode(json.dumps([kind, *data]).encode()).decode().rstrip("=")
    if len(text) > MAX_CURSOR_CHARS:
        raise WixApiError(
            "Wix's paging position is too long to hand on as a cursor; narrow the search "
            "(fewer statuses, or a name) to see older entries."
        )
    return text


def decode_cursor(kind: str, cursor: str, *, hint: str) -> list[Any]:
    """The data inside a cursor of this kind; a WixApiError saying what to do otherwise. The
    data's shape is the caller's to check (with `not_ours` for the same sentence)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))
        if isinstance(value, list) and value and value[0] == kind:
            return value[1:]  # pyright: ignore[reportUnknownVariableType]
    # RecursionError: JSON nested deeper than the parser goes, which no cursor of ours is.
    except (ValueError, TypeError, binascii.Error, RecursionError):
        pass
    raise not_ours(hint)


def not_ours(hint: str) -> WixApiError:
    """What a forged, damaged or foreign cursor gets: where a good one comes from."""
    return WixApiError(f"That cursor was not given out by {hint}.")


def bounded_count(value: Any, *, most: int) -> int | None:
    """`value` when it is a whole number from 0 to `most` (JSON's true is not one), else None."""
    return value if type(value) is int and 0 <= value <= most else None
