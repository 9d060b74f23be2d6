"""A request as the stub's HTTP layer reads it: :class:`Request` (its path parameters, query parameters coerced to
typed values with a 400 naming the one that is wrong, its JSON body), what a handler returns (:data:`Result`, or a
:class:`Stream` for the SSE stream), and the checks every body gets before anything looks at it: nesting at most
:data:`MAX_DEPTH` levels and no lone UTF-16 surrogate (:func:`check_json`, :func:`check_text`), names at most
:data:`MAX_NAME` characters (:func:`check_name`), the body validated against the SDK's params type
(:func:`validated_body`).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .exceptions import InvalidRequest
from .utils import TimeRange, decode_cursor, parse_time
from .validation import sdk_types, validate_params

__all__ = ["Request", "Stream", "Result", "MAX_DEPTH", "MAX_NAME", "check_json", "check_text", "check_name",
           "validated_body"]


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    _json: Any = field(default=None, repr=False)

    def json(self) -> Any:
        if self._json is None:
            if not self.body.strip():
                raise InvalidRequest(f"{self.method} {self.path} needs a JSON body, but the request had none.")
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError) as e:
                raise InvalidRequest(f"The request body is not valid JSON ({e}). Send a JSON object.") from None
            except RecursionError:
                raise InvalidRequest(f"The request body's JSON nests deeper than {MAX_DEPTH} levels; flatten "
                                     "it.") from None
            if not isinstance(self._json, dict):
                raise InvalidRequest("The request body must be a JSON object.")
            check_json(self._json)
        return self._json

    # ---------------------------------------------------------------- query parameters
    def q(self, name: str) -> str | None:
        """The last value of query parameter ``name`` (None when absent)."""
        v = self.query.get(name)
        return v[-1] if v else None

    def q_list(self, name: str) -> list[str] | None:
        """All values of the array parameter ``name`` (sent as ``name[]=a&name[]=b``); None when absent."""
        v = self.query.get(name + "[]")
        return v if v is not None else self.query.get(name)

    def q_int(self, name: str, default: int | None, lo: int, hi: int | None) -> int | None:
        value = self.q(name)
        if value is None or value == "":
            return default
        try:
            n = int(value)
        except ValueError:
            raise InvalidRequest(f"{name}: {value!r} is not an integer.") from None
        if n < lo or (hi is not None and n > hi):
            raise InvalidRequest(f"{name}: {n} is out of range; use {lo}..{hi}." if hi else f"{name}: must be >= {lo}.")
        return n

    def q_bool(self, name: str, default: bool = False) -> bool:
        value = self.q(name)
        if value is None:
            return default
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise InvalidRequest(f"{name}: {value!r} is not a boolean; use true or false.")

    def q_order(self, default: str) -> str:
        o = self.q("order") or default
        if o not in ("asc", "desc"):
            raise InvalidRequest(f"order: {o!r} is not valid; use 'asc' or 'desc'.")
        return o

    def q_time_range(self, name: str = "created_at") -> TimeRange:
        """``created_at[gt]``, ``[gte]``, ``[lt]``, ``[lte]``: RFC 3339 bounds."""
        bounds = []
        for op in ("gt", "gte", "lt", "lte"):
            value = self.q(f"{name}[{op}]")
            if value:
                bounds.append((op, parse_time(value, f"{name}[{op}]")))
        return TimeRange(tuple(bounds))

    def q_page(self, default_limit: int = 20, max_limit: int = 100) -> dict[str, Any]:
        """``limit`` and ``page`` (a cursor from a previous list response), as keyword arguments."""
        limit = self.q_int("limit", default_limit, 1, max_limit)
        page = self.q("page")
        return {"limit": limit, "page": decode_cursor(page) if page else None}


@dataclass
class Stream:
    """A streamed response: ``serve(write, request_id)`` writes the response head, then the events, until the
    stream ends (the server gives it the connection's ``write``)."""

    serve: Callable[[Callable[[bytes], Any], str], None]


Result = tuple[int, Any]

#: The deepest JSON a request may nest (a tool's input_schema included): the stub's limit, far above real use.
MAX_DEPTH = 64
#: Names (agents, environments, deployments, files) are at most this long: the stub's limit (the SDK and docs state
#: none).
MAX_NAME = 256


def check_json(doc: Any) -> None:
    """Refuse, before anything looks at it, JSON that the stub could store but never send back: nesting deeper than
    MAX_DEPTH, or a string holding a lone UTF-16 surrogate (valid JSON escapes such as "\\ud800", but not UTF-8)."""
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise InvalidRequest(f"{_loc(path[:8])}...: the request body nests deeper than {MAX_DEPTH} levels; "
                                 "flatten it.")
        if isinstance(value, dict):
            for k, v in value.items():
                check_text(k, path + [k])
                stack.append((v, path + [k]))
        elif isinstance(value, list):
            stack.extend((v, path + [i]) for i, v in enumerate(value))
        elif isinstance(value, str):
            check_text(value, path)


def check_text(text: str, path: list[Any]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidRequest(f"{_loc(path) or 'body'}: contains a lone UTF-16 surrogate ({text[e.start]!r} at "
                             f"character {e.start}), which is not valid Unicode text. Send only whole characters "
                             "(a surrogate pair, or the character itself).") from None


def _loc(path: list[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def check_name(body: dict[str, Any], what: str) -> dict[str, Any]:
    name = body.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise InvalidRequest(f"name: is {len(name):,} characters long; {what} names are at most {MAX_NAME} characters.")
    return body


def validated_body(req: Request, params_type: str, what: str) -> dict[str, Any]:
    """The request's JSON body, validated against the SDK's params TypedDict named ``params_type`` (in
    ``anthropic.types.beta``, or ``sessions.`` in its sessions module)."""
    beta, sessions = sdk_types()
    module, _, name = params_type.rpartition(".")
    body = validate_params(getattr(sessions if module else beta, name), req.json(), what=what)
    return check_name(body, what.split()[0]) if what.startswith(("agent", "environment", "deployment")) else body
