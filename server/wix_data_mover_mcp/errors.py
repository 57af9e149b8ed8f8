"""The one error the Wix client raises. Kept apart from the client so that code which only
handles it does not import the HTTP stack."""

from __future__ import annotations


class WixApiError(Exception):
    """A call to Wix failed. The text is a sentence for the model and the person behind it."""

    def __init__(self, message: str, *, status: int | None = None, request_id: str | None = None):
        self.status = status
        self.request_id = request_id
        self.message = message
        super().__init__(message + (f" (Wix request id {request_id})" if request_id else ""))

    def after_attempts(self, attempts: int) -> WixApiError:
        if attempts < 2:
            return self
        message = f"{self.message} Gave up after {attempts} attempts."
        return WixApiError(message, status=self.status, request_id=self.request_id)


class BudgetExhausted(WixApiError):
    """This server's own rate budget for the key is used up; nothing was sent to Wix."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in
