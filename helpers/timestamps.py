"""What an ISO 8601 time means in the workshop, written once: the evidence, the API's timestamps (RFC 3339), the
tools' arguments, the dashboard's bounds and the recordings all use :func:`parse_iso`.

A trailing ``Z`` (or ``z``) is UTC, as in every timestamp the API sends (``2026-11-18T14:07:00Z``), and so is a
time without an offset (the evidence's window, a learner's ``"2026-11-18T14:07"``). Imports nothing from
``helpers``: the stub and the notebooks' helpers both build on it. Each caller keeps its own words for a time it
refuses (a tool error, a 400, a recording's line).
"""
from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["parse_iso"]


def parse_iso(text: str) -> datetime:
    """``text`` as an aware ``datetime``: ``Z``/``z`` at the end and no offset at all mean UTC; an offset is kept as
    given (``.astimezone(timezone.utc)`` converts). ``ValueError`` when it is not an ISO 8601 time (``TypeError``
    when it is not a string)."""
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
