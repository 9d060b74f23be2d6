"""API errors the stub returns, shaped exactly like the real service's.

Body: ``{"type": "error", "error": {"type", "message", "details"?}, "request_id"}`` plus a ``request-id`` header.
Every message says what was wrong *and* how to fix it. Every error is deterministic, so the server sends
``x-should-retry: false`` with each (the SDK would retry a 409 otherwise).

The status, the error type and which requests are refused are claims about the live API (cited in docs/design.md);
the words of every message are the stub's own: no source quotes the live API's. Where a message a workshop learner
meets goes on to guess what the caller meant, that advice starts with :data:`OFFLINE_HINT`, so nobody takes it for
the live API's words ("The stub's own words", in docs/design.md). That advice is the workshop's, not the API's, so
it speaks the learner's language (:func:`offline_hint`); the API's part of a message stays English, as live.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ..i18n import _

__all__ = ["StubError", "InvalidRequest", "AuthenticationError", "NotFound", "MethodNotAllowed", "Conflict",
           "not_found", "get_or_404", "MemoryPreconditionFailed", "MemoryPathConflict", "OFFLINE_HINT",
           "offline_hint"]

#: How the advice of a message starts where it is the stub's guess at what the caller meant (the live API gives the
#: same status and error type, in its own words, without it).
OFFLINE_HINT = "Offline hint:"


def offline_hint(advice: str) -> str:
    """``advice`` (already in the learner's language: its caller wraps it in ``_()``) after :data:`OFFLINE_HINT`, in
    that language too. The stub serves from a thread of the learner's kernel, so :mod:`helpers.i18n` speaks the
    notebook's language here as in the checks (walkthroughs 7 and 8 met the English advice inside a Japanese ❌)."""
    return _("Offline hint: {advice}").format(advice=advice)


class StubError(Exception):
    """An API error: raised anywhere in the stub, turned into an HTTP error response by the server."""

    status = 400
    error_type = "invalid_request_error"

    def __init__(self, message: str, *, status: int | None = None, error_type: str | None = None,
                 error_code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_type is not None:
            self.error_type = error_type
        self.details = dict(details or {})
        if error_code:
            self.details["error_code"] = error_code

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"type": "error", "error": error, "request_id": request_id}


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


T = TypeVar("T")


def get_or_404(table: Mapping[str, T], kind: str, ident: str, hint: str = "") -> T:
    """``table[ident]``, or the API's 404 when no ``kind`` has that id (:func:`not_found`; ``hint`` says what to do).
    The one lookup of every resource the stub keeps."""
    found = table.get(ident)
    if found is None:
        raise not_found(kind, ident, hint)
    return found


def not_found(kind: str, ident: str, hint: str = "") -> NotFound:
    code = "environment_not_found" if kind == "environment" else None
    msg = f"{kind} {ident!r} not found."
    if hint:
        msg += " " + hint
    if kind in ("agent", "environment", "session", "file", "deployment", "deployment run", "skill", "memory store",
                "memory", "memory version", "dream"):
        msg += " (This is the offline stub: it keeps state only while it runs, so ids from before a kernel or stub " \
               "restart are gone.)"
    return NotFound(msg, error_code=code)


class RequestTimeout(StubError):
    status = 408
    error_type = "timeout_error"


class RequestTooLarge(StubError):
    status = 413
    error_type = "request_too_large"  # the API errors page: "413 - request_too_large"


class MemoryPreconditionFailed(StubError):
    """409 ``memory_precondition_failed_error`` (the SDK's ``ErrorType``): an update's ``precondition`` or a delete's
    ``expected_content_sha256`` no longer matches the memory."""

    status = 409
    error_type = "memory_precondition_failed_error"


class MemoryPathConflict(StubError):
    """409 ``memory_path_conflict_error``: a create or rename targets a path another memory uses or overlaps. The error
    object names the memory in the way (``conflicting_memory_id``, ``conflicting_path``), as the API reference's
    ``BetaManagedAgentsMemoryPathConflictErrorObject`` does."""

    status = 409
    error_type = "memory_path_conflict_error"

    def __init__(self, message: str, *, conflicting_memory_id: str, conflicting_path: str) -> None:
        super().__init__(message)
        self.conflicting_memory_id = conflicting_memory_id
        self.conflicting_path = conflicting_path

    def body(self, request_id: str) -> dict[str, Any]:
        out = super().body(request_id)
        out["error"].update(conflicting_memory_id=self.conflicting_memory_id, conflicting_path=self.conflicting_path)
        return out
