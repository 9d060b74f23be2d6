"""Small shared machinery of the stub (moto's ``utils.py``): ids, the clock, pagination cursors, the replay speed,
and two questions about an agent's normalized tools. Depends on nothing but exceptions.py.
"""
from __future__ import annotations

import base64
import json
import random
import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from ..timestamps import parse_iso
from .exceptions import InvalidRequest

__all__ = ["new_id", "now", "rfc3339", "parse_time", "Cursor", "encode_cursor", "decode_cursor", "paginate", "patch_metadata",
           "TimeRange", "parse_speed", "custom_tool_names"]

# --------------------------------------------------------------------------------------------------------------
# ids and clock
# --------------------------------------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_rng = random.Random(secrets.randbits(128))


def new_id(prefix: str) -> str:
    """An id shaped like the service's: ``agent_011CZkZaBF1tNoB5wlCeusgy`` (random, not secret)."""
    return f"{prefix}_011C" + "".join(_rng.choices(_B58, k=20))


_clock_lock = threading.Lock()
_last_ts = datetime(1970, 1, 1, tzinfo=timezone.utc)


def now() -> datetime:
    """A strictly increasing UTC time (microsecond resolution), so ``processed_at`` orders events totally."""
    global _last_ts
    with _clock_lock:
        t = datetime.now(timezone.utc)
        if t <= _last_ts:
            t = _last_ts + timedelta(microseconds=1)
        _last_ts = t
        return t


def rfc3339(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str, name: str) -> datetime:
    """An RFC 3339 timestamp (naive means UTC); a 400 naming ``name`` otherwise."""
    try:
        return parse_iso(value)
    except (ValueError, TypeError):
        raise InvalidRequest(f"{name}: {value!r} is not an RFC 3339 timestamp. "
                             "Pass a datetime or a string like '2026-11-18T14:07:00Z'.") from None


class TimeRange(NamedTuple):
    """The ``created_at[gt|gte|lt|lte]`` bounds of a list request; ``contains(t)`` is True when ``t`` is within."""

    bounds: tuple = ()  # ((op, datetime), ...)

    def contains(self, t: datetime) -> bool:
        for op, b in self.bounds:
            if (op == "gt" and not t > b) or (op == "gte" and not t >= b) or (op == "lt" and not t < b) or \
                    (op == "lte" and not t <= b):
                return False
        return True


# --------------------------------------------------------------------------------------------------------------
# pagination
# --------------------------------------------------------------------------------------------------------------


class Cursor(NamedTuple):
    """A decoded ``page`` value: the key of the item the page starts after (or ends before)."""

    direction: str  # "after" | "before"
    key: tuple


def encode_cursor(direction: str, key: Sequence[Any]) -> str:
    raw = json.dumps([direction, list(key)], separators=(",", ":")).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(page: str) -> Cursor:
    """The cursor a ``next_page``/``prev_page`` value holds; a 400 when it is not one."""
    try:
        s = page[5:]
        direction, key = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    except Exception:  # not base64, not JSON, not a pair: all the same clear 400
        raise _bad_cursor(page) from None
    if not (page.startswith("page_") and direction in ("after", "before") and isinstance(key, list)
            and all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in key)):
        raise _bad_cursor(page)
    return Cursor(direction, tuple(key))


def _bad_cursor(page: str) -> InvalidRequest:
    return InvalidRequest(f"page: {page[:100]!r} is not a valid cursor. Pass the next_page (or prev_page) value from "
                          "the previous list response unchanged, or omit page to start at the beginning.")


def paginate(items: list[Any], key: Callable[[Any], tuple], *, limit: int, page: Cursor | None,
             descending: bool, bidirectional: bool = False) -> dict[str, Any]:
    """Cursor pagination over ``items`` in the order of ``key`` (descending or not). Cursors are keys, not offsets,
    so pages stay correct while new items arrive."""
    n = limit
    items = sorted(items, key=key, reverse=descending)  # the cursor compares keys, so the order must follow them
    start = 0
    end = None
    if page:
        direction, k = page
        keys = [key(x) for x in items]
        if keys and [type(x) for x in keys[0]] != [type(x) for x in k]:
            raise InvalidRequest("page: not a cursor of this list. Pass the next_page (or prev_page) value from the "
                                 "previous response of the same list unchanged, or omit page.")
        if direction == "after":
            start = next((i for i, kx in enumerate(keys) if (kx < k if descending else kx > k)), len(items))
        else:
            end = next((i for i, kx in enumerate(keys) if not (kx > k if descending else kx < k)), len(items))
            start = max(0, end - n)
    chunk = items[start:start + n] if end is None else items[start:end]
    more_after = start + len(chunk) < len(items)
    out: dict[str, Any] = {"data": chunk,
                           "next_page": encode_cursor("after", key(chunk[-1])) if chunk and more_after else None}
    if bidirectional:
        out["prev_page"] = encode_cursor("before", key(chunk[0])) if chunk and start > 0 else None
    return out


# --------------------------------------------------------------------------------------------------------------
# settings and agent tools
# --------------------------------------------------------------------------------------------------------------


def parse_speed(value: Any) -> Any:
    """``"instant"`` (no delays) or a positive multiplier of the recorded pace (1 = as recorded, 2 = twice as fast)."""
    if value is None or value == "instant":
        return "instant"
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"speed must be 'instant' or a positive number, not {value!r}") from None
    if f <= 0:
        raise ValueError(f"speed must be 'instant' or a positive number, not {value!r}")
    return f


def custom_tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [t["name"] for t in tools if t.get("type") == "custom"]


# --------------------------------------------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------------------------------------------


def patch_metadata(current: dict[str, str], patch: dict[str, str | None] | None) -> dict[str, str]:
    out = dict(current)
    for k, v in (patch or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    for k, v in out.items():
        if len(k) > 64 or len(v) > 512:
            raise InvalidRequest(f"metadata: key {k[:70]!r} is too long; keys are limited to 64 characters and values "
                                 "to 512.", error_code="invalid_metadata")
    if len(out) > 16:
        raise InvalidRequest(f"metadata: at most 16 keys are allowed; this would make {len(out)}. Remove some keys "
                             "(set them to null in an update).", error_code="invalid_metadata")
    return out
