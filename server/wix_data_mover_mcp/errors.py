"""The errors that carry a sentence for the model and the person behind it, and incidents: the
one way an unexpected exception becomes such a sentence. Kept apart from the client so that code
which only handles them does not import the HTTP stack."""

from __future__ import annotations

import logging
import secrets

log = logging.getLogger("wix_data_mover_mcp")


class WixApiError(Exception):
    """A call to Wix failed. The text is a sentence for the model and the person behind it.

    `unsent` is True when the request surely changed nothing at Wix: it never reached Wix (no
    connection, no room in the budget) or Wix refused it (a 4xx answer other than a proxy's
    408). Otherwise a request
    that changes something may have been carried out though its answer was lost."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        unsent: bool = False,
    ):
        self.status = status
        self.request_id = request_id
        self.message = message
        self.unsent = unsent
        super().__init__(message + (f" (Wix request id {request_id})" if request_id else ""))

    def after_attempts(self, attempts: int) -> WixApiError:
        if attempts < 2:
            return self
        message = f"{self.message} Gave up after {attempts} attempts."
        return WixApiError(
            message, status=self.status, request_id=self.request_id, unsent=self.unsent
        )


class BudgetExhausted(WixApiError):
    """This server's own rate budget for the key is used up; nothing was sent to Wix."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message, unsent=True)
        self.retry_in = retry_in


class Incident(WixApiError):
    """Something went wrong inside this server. The sentence names an incident id that the log
    names too, beside the traceback, so whoever runs the server can find what happened."""

    def __init__(self, incident_id: str, doing: str) -> None:
        super().__init__(
            f"Something went wrong inside this server while {doing} (incident {incident_id}). "
            "Try again; if it happens again, give the incident id to whoever runs this server."
        )
        self.incident_id = incident_id


def incident(exc: BaseException, doing: str) -> Incident:
    """Log `exc` with its traceback once, under a new short id, and return the sentence."""
    ident = secrets.token_hex(4)
    log.error("Incident %s while %s", ident, doing, exc_info=exc)
    return Incident(ident, doing)
