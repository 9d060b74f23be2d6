"""API errors the stub returns, shaped exactly like the real service's.

Body: ``{"type": "error", "error": {"type", "message", "details"?}, "request_id"}`` plus a ``request-id`` header.
Every message says what was wrong *and* how to fix it.
"""
from __future__ import annotations

from typing import Any, Dict, Optional


class StubError(Exception):
    """An API error: raised anywhere in the stub, turned into an HTTP error response by the server."""

    status = 400
    error_type = "invalid_request_error"

    def __init__(self, message: str, *, status: Optional[int] = None, error_type: Optional[str] = None,
                 error_code: Optional[str] = None, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_type is not None:
            self.error_type = error_type
        self.details = dict(details or {})
        if error_code:
            self.details["error_code"] = error_code

    def body(self, request_id: str) -> Dict[str, Any]:
        error: Dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"type": "error", "error": error, "request_id": request_id}

    @property
    def should_retry(self) -> bool:
        # Deterministic errors: tell the SDK not to retry (it retries 408/409/429/5xx by default).
        return False


class InvalidRequest(StubError):
    status = 400
    error_type = "invalid_request_error"


class AuthenticationError(StubError):
    status = 401
    error_type = "authentication_error"


class NotFound(StubError):
    status = 404
    error_type = "not_found_error"


class MethodNotAllowed(StubError):
    status = 405
    error_type = "invalid_request_error"


class Conflict(StubError):
    status = 409
    error_type = "conflict_error"


class RateLimited(StubError):
    status = 429
    error_type = "rate_limit_error"


class Overloaded(StubError):
    status = 529
    error_type = "overloaded_error"


def not_found(kind: str, ident: str, hint: str = "") -> NotFound:
    code = "environment_not_found" if kind == "environment" else None
    msg = f"{kind} {ident!r} not found."
    if hint:
        msg += " " + hint
    if kind in ("agent", "environment", "session", "file", "deployment", "deployment run"):
        msg += " (This is the offline stub: it keeps state only while it runs, so ids from before a kernel or stub " \
               "restart are gone.)"
    return NotFound(msg, error_code=code)
