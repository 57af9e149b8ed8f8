"""What a call ended as when its result alone does not say: a dry run, a confirmation the person
declined, a site outside their grants. Tools note it; the server reads it for the audit trail
and the metrics."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from mcp.server.mcpserver.exceptions import ToolError


@dataclass(frozen=True)
class Noted:
    outcome: str  # "dry_run", "declined" or "refused"
    reason: str | None = None  # for a refusal: "site", "write" or "insufficient_scope"


class Refused(ToolError):
    """A call refused by the site access policy, in one sentence; `reason` is 'site' (not among
    the caller's sites, or no such site: the same words either way) or 'write'."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        note(Noted("refused", reason))


_noted: ContextVar[list[Noted] | None] = ContextVar("noted_outcomes", default=None)


def noting() -> list[Noted]:
    """Starts collecting what the call about to run notes (each call starts afresh, in its own
    context), and returns the list it fills."""
    noted: list[Noted] = []
    _noted.set(noted)
    return noted


def note(outcome: Noted) -> None:
    if (noted := _noted.get()) is not None:
        noted.append(outcome)
