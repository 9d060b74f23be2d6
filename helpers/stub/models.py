"""State of the Managed Agents stub (moto's ``models.py``): agents, environments, sessions, events, files.

Everything that goes in is validated against the SDK's own request TypedDicts; everything that goes out is
validated against the SDK's own response models (so a stub bug shows up here, not in a learner's notebook).
All state lives in one :class:`Backend`, guarded by one re-entrant lock.
"""
from __future__ import annotations

import base64
import copy
import json
import logging
import random
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import budgets, outputs, pricing
from .exceptions import Conflict, InvalidRequest, NotFound, StubError, not_found

log = logging.getLogger("helpers.stub")

# --------------------------------------------------------------------------------------------------------------
# ids and clocks
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
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise InvalidRequest(f"{name}: {value!r} is not an RFC 3339 timestamp. "
                             "Pass a datetime or a string like '2026-11-18T14:07:00Z'.") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t


# --------------------------------------------------------------------------------------------------------------
# validation with the SDK's own types
# --------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def adapter(tp: Any):
    from pydantic import TypeAdapter

    return TypeAdapter(tp)


def _fmt_loc(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def _format_validation_error(exc: Any, prefix: Sequence[Any]) -> str:
    """Turn a pydantic ValidationError into one readable sentence naming the wrong field(s)."""
    cleaned = []
    for err in exc.errors():
        member = None
        parts: List[Any] = list(prefix)
        for p in err["loc"]:
            if isinstance(p, str) and (p[:1].isupper() or "[" in p or p.startswith("function-")
                                       or p in ("str", "int", "float", "bool", "list", "dict", "none")):
                member = p  # a union member's class name: not part of the user's path
                continue
            parts.append(p)
        cleaned.append((parts, member, err))
    # In a union, members whose `type` literal did not match are noise when another member matched; when none
    # matched, the `type` itself is what is wrong.
    bad = {m for parts, m, e in cleaned if m and parts and parts[-1] == "type" and e["type"] == "literal_error"}
    kept = [c for c in cleaned if c[1] not in bad] or \
        [c for c in cleaned if c[0] and c[0][-1] == "type" and c[2]["type"] == "literal_error"] or cleaned
    msgs: Dict[str, List[str]] = {}
    for parts, _m, err in kept:
        loc = _fmt_loc(parts) or "body"
        if err["type"] == "literal_error" and "expected" in (err.get("ctx") or {}):
            expected = str(err["ctx"]["expected"])
            options = expected.replace(" or ", ", ").split(", ")
            if len(options) > 6:
                expected = ", ".join(options[:4]) + f", ... ({len(options)} options)"
            msg = "should be " + expected
            if parts and parts[-1] == "type":
                msg += f" (got {err.get('input')!r})"
        elif err["type"] == "missing":
            msg = "is required but missing"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field"
        else:
            msg = err["msg"]
        lst = msgs.setdefault(loc, [])
        if msg not in lst:
            lst.append(msg)
    items = list(msgs.items())[:4]
    parts_out = []
    for loc, m in items:
        if all(x.startswith("should be ") for x in m) and len(m) > 1:
            got = m[0].rsplit(" (got ", 1)[-1] if "(got " in m[0] else ""
            opts = [x[len("should be "):].split(" (got ")[0] for x in m]
            parts_out.append(f"{loc} should be one of {', '.join(opts)}" + (f" (got {got}" if got else ""))
        elif m[0].startswith(("is ", "should")):
            parts_out.append(f"{loc} {' or '.join(m)}")
        else:
            parts_out.append(f"{loc}: {' / '.join(m)}")
    text = "; ".join(parts_out)
    if len(msgs) > 4:
        text += f"; and {len(msgs) - 4} more"
    return text


def _materialize(value: Any, path: List[Any]) -> Any:
    """The SDK's TypedDicts use ``Iterable[...]``, which pydantic validates lazily: force it, keeping paths."""
    from pydantic import ValidationError
    if isinstance(value, dict):
        return {k: _materialize(v, path + [k]) for k, v in value.items()}
    if type(value).__name__ == "ValidatorIterator":  # pydantic_core does not export the class
        out = []
        it = iter(value)
        i = 0
        while True:
            try:
                item = next(it)
            except StopIteration:
                break
            except ValidationError as e:
                raise InvalidRequest(_format_validation_error(e, path) + ".") from None
            out.append(_materialize(item, path + [i]))
            i += 1
        return out
    if isinstance(value, list):
        return [_materialize(v, path + [i]) for i, v in enumerate(value)]
    return value


@lru_cache(maxsize=None)
def _list_fields(tp: Any) -> Tuple[str, ...]:
    """The keys of a params TypedDict that take a list (the SDK types them ``Iterable[...]``/``List[...]``)."""
    import collections.abc as abc
    import typing

    try:
        hints = typing.get_type_hints(tp, include_extras=True)
    except Exception:
        return ()
    out = []
    for key, ann in hints.items():
        while typing.get_origin(ann) in (typing.Annotated, typing.Required, typing.NotRequired):
            ann = typing.get_args(ann)[0]
        if typing.get_origin(ann) is typing.Union:
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = args[0] if len(args) == 1 else ann
        if typing.get_origin(ann) in (list, abc.Iterable, abc.Sequence):
            out.append(key)
    return tuple(out)


def _reject_scalars_for_lists(tp: Any, value: Any, path: List[Any], what: str) -> None:
    """A string or a dict where a list belongs: pydantic would iterate it (a str's characters, a dict's keys) and
    report ``content[0]`` for a field the caller never indexed. Say what is wrong instead."""
    if not isinstance(value, dict) or not hasattr(tp, "__annotations__"):
        return
    for key in _list_fields(tp):
        v = value.get(key)
        if isinstance(v, (str, bytes, dict)):
            kind = "a string" if isinstance(v, (str, bytes)) else "an object"
            example = (' e.g. [{"type": "text", "text": "..."}]' if key == "content" else "")
            raise InvalidRequest(f"Invalid {what}: {_fmt_loc(path + [key])}: must be a list, got {kind}. Wrap it in "
                                 f"a list{example}.")


def validate_params(tp: Any, value: Any, path: Sequence[Any] = (), *, what: str = "request body",
                    hint: str = "") -> Any:
    """Validate ``value`` against an SDK params TypedDict; raise a 400 naming the wrong field."""
    from pydantic import ValidationError

    _reject_scalars_for_lists(tp, value, list(path), what)
    try:
        out = adapter(tp).validate_python(value)
        out = _materialize(out, list(path))
    except InvalidRequest as e:
        raise InvalidRequest(f"Invalid {what}: {e.message}" + (f" {hint}" if hint else "")) from None
    except ValidationError as e:
        raise InvalidRequest(f"Invalid {what}: {_format_validation_error(e, path)}." + (f" {hint}" if hint else "")) from None
    # Unknown top-level keys (pydantic ignores them on TypedDicts): the real API rejects them.
    keys = getattr(tp, "__annotations__", None)
    if isinstance(value, dict) and keys is not None and getattr(tp, "__total__", None) is not None:
        allowed = set(keys) - {"betas", "workspace_id"}
        extra = [k for k in value if k not in allowed]
        if extra:
            raise InvalidRequest(f"Invalid {what}: {_fmt_loc(list(path) + [extra[0]])} is not a known field"
                                 f" (known: {', '.join(sorted(allowed))}).")
    return out


VALIDATE_OUTPUT = True


@lru_cache(maxsize=None)
def _union_members(union: Any) -> Dict[str, Any]:
    """``{type literal: model}`` for a discriminated union of SDK models (pydantic would try every member)."""
    import typing

    args = typing.get_args(union)
    if args and typing.get_origin(union) is typing.Annotated:
        args = typing.get_args(args[0])
    out: Dict[str, Any] = {}
    for m in args:
        field = getattr(m, "model_fields", {}).get("type")
        for lit in typing.get_args(field.annotation) if field else ():
            out[lit] = m
    return out


def check_event(union: Any, obj: Dict[str, Any]) -> Dict[str, Any]:
    model = _union_members(union).get(obj.get("type"))
    return check_out(model if model is not None else union, obj)


def check_out(model: Any, obj: Any) -> Any:
    """Validate an outgoing object against the SDK response model (what strict clients will do)."""
    if VALIDATE_OUTPUT:
        from pydantic import ValidationError

        try:
            adapter(model).validate_python(obj)
        except ValidationError as e:  # a stub bug: log loudly, tell the client clearly
            log.error("stub produced an invalid %s: %s\n%s", getattr(model, "__name__", model), e, json.dumps(obj)[:2000])
            raise StubError(f"The workshop stub produced an invalid {getattr(model, '__name__', 'object')} "
                            f"({_format_validation_error(e, ())}). This is a bug in helpers/stub; see the server log.",
                            status=400, error_type="invalid_request_error") from None
    return obj


def _t():
    """Lazy access to the SDK's types (importing them costs ~1 s; only the stub pays it)."""
    from anthropic.types import beta as B
    from anthropic.types.beta import sessions as S

    return B, S


# --------------------------------------------------------------------------------------------------------------
# pagination
# --------------------------------------------------------------------------------------------------------------


def _enc_cursor(direction: str, key: Sequence[Any]) -> str:
    raw = json.dumps([direction, list(key)], separators=(",", ":")).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _dec_cursor(page: str) -> Tuple[str, tuple]:
    try:
        assert page.startswith("page_")
        s = page[5:]
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        direction, key = json.loads(raw)
        assert direction in ("after", "before")
        return direction, tuple(key)
    except Exception:
        raise InvalidRequest(f"page: {page!r} is not a valid cursor. Pass the next_page (or prev_page) value "
                             "from the previous list response unchanged, or omit page to start at the beginning.") from None


def paginate(items: List[Any], key: Callable[[Any], tuple], *, limit: Optional[str], page: Optional[str],
             descending: bool, default_limit: int = 20, max_limit: int = 100,
             bidirectional: bool = False) -> Dict[str, Any]:
    """Cursor pagination over ``items`` in the order of ``key`` (descending or not). Cursors are keys, not offsets,
    so pages stay correct while new items arrive."""
    n = parse_int(limit, "limit", default_limit, 1, max_limit)
    items = sorted(items, key=key, reverse=descending)  # the cursor compares keys, so the order must follow them
    start = 0
    end = None
    if page:
        direction, k = _dec_cursor(page)
        keys = [key(x) for x in items]
        if direction == "after":
            start = next((i for i, kx in enumerate(keys) if (kx < k if descending else kx > k)), len(items))
        else:
            end = next((i for i, kx in enumerate(keys) if not (kx > k if descending else kx < k)), len(items))
            start = max(0, end - n)
    chunk = items[start:start + n] if end is None else items[start:end]
    more_after = start + len(chunk) < len(items)
    out: Dict[str, Any] = {"data": chunk,
                           "next_page": _enc_cursor("after", key(chunk[-1])) if chunk and more_after else None}
    if bidirectional:
        out["prev_page"] = _enc_cursor("before", key(chunk[0])) if chunk and start > 0 else None
    return out


def parse_int(value: Optional[str], name: str, default: Optional[int], lo: int, hi: Optional[int]) -> Optional[int]:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise InvalidRequest(f"{name}: {value!r} is not an integer.") from None
    if n < lo or (hi is not None and n > hi):
        raise InvalidRequest(f"{name}: {n} is out of range; use {lo}..{hi}." if hi else f"{name}: must be >= {lo}.")
    return n


def parse_bool(value: Optional[str], name: str, default: bool = False) -> bool:
    if value is None:
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise InvalidRequest(f"{name}: {value!r} is not a boolean; use true or false.")


def time_filter(query: Dict[str, List[str]], field: str = "created_at") -> Callable[[datetime], bool]:
    bounds = []
    for op in ("gt", "gte", "lt", "lte"):
        vals = query.get(f"{field}[{op}]")
        if vals:
            bounds.append((op, parse_time(vals[-1], f"{field}[{op}]")))

    def ok(t: datetime) -> bool:
        for op, b in bounds:
            if (op == "gt" and not t > b) or (op == "gte" and not t >= b) or (op == "lt" and not t < b) or \
                    (op == "lte" and not t <= b):
                return False
        return True

    return ok


def patch_metadata(current: Dict[str, str], patch: Optional[Dict[str, Optional[str]]]) -> Dict[str, str]:
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


# --------------------------------------------------------------------------------------------------------------
# normalizing requests into complete response objects
# --------------------------------------------------------------------------------------------------------------

_BUILTIN_TOOLS = ("bash", "edit", "read", "write", "glob", "grep", "web_fetch", "web_search")


def _policy(p: Any, default: str) -> Dict[str, Any]:
    return dict(p) if p else {"type": default}


def normalize_tools(tools: Optional[List[Dict[str, Any]]], mcp_servers: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    names: Dict[str, int] = {}
    server_names = {s["name"] for s in mcp_servers}
    for i, t in enumerate(tools or []):
        typ = t["type"]
        if typ == "custom":
            out.append({"type": "custom", "name": t["name"], "description": t["description"],
                        "input_schema": dict(t["input_schema"])})
            if t["name"] in names:
                raise InvalidRequest(f"tools[{i}].name: a custom tool named {t['name']!r} is already defined at "
                                     f"tools[{names[t['name']]}]. Tool names must be unique.")
            names[t["name"]] = i
        elif typ == "agent_toolset_20260401":
            dc = t.get("default_config") or {}
            enabled = dc.get("enabled")
            default = {"enabled": True if enabled is None else enabled,
                       "permission_policy": _policy(dc.get("permission_policy"), "always_allow")}
            configs = []
            for c in t.get("configs") or []:
                cfg = {k: v for k, v in c.items() if v is not None}
                cfg["type"] = c["name"]
                cfg["enabled"] = default["enabled"] if c.get("enabled") is None else c["enabled"]
                cfg["permission_policy"] = _policy(c.get("permission_policy"), default["permission_policy"]["type"])
                configs.append(cfg)
            out.append({"type": typ, "default_config": default, "configs": configs})
        elif typ == "mcp_toolset":
            if t["mcp_server_name"] not in server_names:
                raise InvalidRequest(f"tools[{i}].mcp_server_name: {t['mcp_server_name']!r} is not one of the agent's "
                                     f"mcp_servers ({sorted(server_names) or 'none'}). Add it to mcp_servers.")
            dc = t.get("default_config") or {}
            enabled = dc.get("enabled")
            default = {"enabled": True if enabled is None else enabled,
                       "permission_policy": _policy(dc.get("permission_policy"), "always_ask")}
            configs = [{"name": c["name"],
                        "enabled": default["enabled"] if c.get("enabled") is None else c["enabled"],
                        "permission_policy": _policy(c.get("permission_policy"), default["permission_policy"]["type"])}
                       for c in t.get("configs") or []]
            out.append({"type": typ, "mcp_server_name": t["mcp_server_name"], "default_config": default,
                        "configs": configs})
        else:  # pragma: no cover - the TypedDict union rejects anything else first
            raise InvalidRequest(f"tools[{i}].type: unknown tool type {typ!r}.")
    used = {t["mcp_server_name"] for t in out if t["type"] == "mcp_toolset"}
    unused = sorted(server_names - used)
    if unused:
        raise InvalidRequest(f"mcp_servers: {unused} are not referenced by any mcp_toolset in tools. Add "
                             "{'type': 'mcp_toolset', 'mcp_server_name': ...} for each, or remove the server.")
    return out


@lru_cache(maxsize=1)
def known_models() -> Tuple[str, ...]:
    """The model ids the installed SDK knows for Managed Agents (its ``BetaManagedAgentsModel`` literals)."""
    import typing

    from anthropic.types.beta.beta_managed_agents_model import BetaManagedAgentsModel

    return tuple(x for a in typing.get_args(BetaManagedAgentsModel) for x in typing.get_args(a))


def _check_model(model_id: str) -> None:
    if model_id not in known_models():
        close = [m for m in known_models() if model_id.split("-")[:2] == m.split("-")[:2]][:4]
        raise InvalidRequest(f"model: {model_id!r} is not a model Managed Agents offers (did you mean "
                             f"{' or '.join(map(repr, close or known_models()[:4]))}?). The workshop's model is one "
                             "setting: helpers.MODEL (WORKSHOP_MODEL).")


def normalize_model(model: Any) -> Dict[str, Any]:
    if isinstance(model, str):
        _check_model(model)
        return {"id": model}
    _check_model(model["id"])
    out: Dict[str, Any] = {"id": model["id"]}
    eff = model.get("effort")
    if eff is not None:
        out["effort"] = {"type": eff} if isinstance(eff, str) else dict(eff)
    for k in ("inference_geo", "speed"):
        if model.get(k) is not None:
            out[k] = model[k]
    return out


def normalize_skills(skills: Optional[List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    return [{"type": s["type"], "skill_id": s["skill_id"], "version": s.get("version") or "latest"} for s in skills or []]


def builtin_policy(tools: List[Dict[str, Any]], name: str) -> Optional[str]:
    """How the agent (its normalized ``tools``) runs the built-in tool ``name``: ``"always_allow"``,
    ``"always_ask"``, or None when it does not enable it."""
    for t in tools:
        if t.get("type") != "agent_toolset_20260401":
            continue
        cfg = next((c for c in t.get("configs") or [] if c.get("name", c.get("type")) == name), None)
        cfg = cfg or t.get("default_config") or {}
        if cfg.get("enabled", True):
            return (cfg.get("permission_policy") or {}).get("type", "always_allow")
    return None


def custom_tool_names(tools: List[Dict[str, Any]]) -> List[str]:
    return [t["name"] for t in tools if t.get("type") == "custom"]


# --------------------------------------------------------------------------------------------------------------
# sessions: live state and streams
# --------------------------------------------------------------------------------------------------------------



#: Files a session can hold (the service's documented limit).
MAX_SESSION_FILES = 100


def _check_file_count(n: int) -> None:
    if n > MAX_SESSION_FILES:
        raise InvalidRequest(f"resources: a session holds at most {MAX_SESSION_FILES} files, and this would make it "
                             f"{n}. Put related files in one archive (.zip or .tar.gz) and let the agent extract it.")


def _idle_stream_message(s: "SessionState", limit: float, delivered: int = 0) -> str:
    """What the offline safety net tells a loop that kept reading an idle session's stream (``delivered``: how many
    events that stream carried)."""
    last = next((e.data for e in reversed(s.events) if e.type == "session.status_idle"), None)
    reason = ((last or {}).get("stop_reason") or {}).get("type", "end_turn")
    head = (f"(offline stub) This stream was ended: session {s.id} has been idle ({reason}) for {limit:g} s and "
            "your loop is still reading it. Live, it would wait for the SDK's read timeout (10 minutes). ")
    if delivered == 0 and s.events:
        return head + ("Your stream received none of the session's events: they happened before you opened it. "
                       "Open the stream first (with client.beta.sessions.events.stream(...) as stream:), then send "
                       "the message inside the with block.")
    if reason == "requires_action":
        ids = ((last or {}).get("stop_reason") or {}).get("event_ids", [])
        return head + (f"The session is waiting for an answer to {ids}. If your loop answers tool calls (notebook 04), "
                       "send a user.custom_tool_result (or user.tool_confirmation) for each, then keep reading until "
                       "an idle that is not requires_action; if it does not (notebook 03), break on every "
                       "session.status_idle.")
    return head + ("Break out of the loop on session.status_idle when its stop_reason is not requires_action, "
                   "and on session.status_terminated.")

class StoredEvent:
    __slots__ = ("seq", "data", "ts", "type", "frame")

    def __init__(self, seq: int, data: Dict[str, Any], ts: datetime) -> None:
        self.seq = seq
        self.data = data
        self.ts = ts
        self.type = data["type"]
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self.frame = f"event: {self.type}\ndata: {payload}\n\n".encode()


_END_STREAM = ("session.status_terminated", "session.deleted")


def delta_frames(ev: StoredEvent, deltas: set) -> bytes:
    """Preview frames (event_start, event_delta...) sent before a final agent.message / agent.thinking."""
    if ev.type not in deltas:
        return b""
    eid = ev.data["id"]
    out: List[Dict[str, Any]] = [{"type": "event_start", "event": {"type": ev.type, "id": eid}}]
    if ev.type == "agent.message":
        for i, block in enumerate(ev.data.get("content") or []):
            text = block.get("text") if block.get("type") == "text" else None
            if text is None:
                break  # previews cover leading text blocks only
            for k in range(0, max(len(text), 1), 32):
                out.append({"type": "event_delta", "event_id": eid, "delta": {
                    "type": "content_delta", "index": i, "content": {"type": "text", "text": text[k:k + 32]}}})
    return b"".join(f"event: {o['type']}\ndata: {json.dumps(o, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()
                    for o in out)


class Subscriber:
    """One open SSE stream. Events are written straight to its socket by whoever emits them (under the backend
    lock, so frames never interleave and order is kept); the server thread that owns the connection only sends
    keepalives and waits for ``done``."""

    def __init__(self, write: Callable[[bytes], Any], deltas: Sequence[str] = (), cut_after: Optional[int] = None) -> None:
        self.write = write
        self.deltas = set(deltas)
        self.cut_after = cut_after
        self.sent = 0
        self.last_activity = time.monotonic()  # when this stream last carried an event (or opened)
        self.done = threading.Event()

    def deliver(self, ev: StoredEvent) -> None:
        if self.done.is_set():
            return
        try:
            self.write(delta_frames(ev, self.deltas) + ev.frame if self.deltas else ev.frame)
        except OSError:  # the client went away (or stopped reading for too long)
            self.close()
            return
        self.sent += 1
        self.last_activity = time.monotonic()
        if ev.type in _END_STREAM or (self.cut_after is not None and self.sent >= self.cut_after):
            self.close()

    def keepalive(self) -> None:
        if self.done.is_set():
            return
        try:
            self.write(b": keepalive\n\n")
        except OSError:
            self.close()

    def close(self) -> None:
        self.done.set()


class SessionState:
    def __init__(self, data: Dict[str, Any], created: datetime) -> None:
        self.data = data
        self.id: str = data["id"]
        self.created = created
        self.events: List[StoredEvent] = []
        self.subscribers: List[Subscriber] = []
        self.engine: Any = None  # replay.Replayer
        self.active_seconds = 0.0
        self.running_since: Optional[float] = None
        self.outcomes: Dict[str, str] = {}  # outcome_id -> description
        self.tokens: Dict[str, str] = {}  # resource id -> authorization_token (write-only)
        self.seq = 0
        self.spent = Decimal(0)  # list cost so far, in dollars (budgets.py, pricing.py)
        self.had_budget = data.get("budget") is not None
        self.writes: Dict[str, Tuple[str, bytes, str]] = {}  # agent.tool_use id -> the session output it writes

    @property
    def status(self) -> str:
        return self.data["status"]

    def view(self) -> Dict[str, Any]:
        d = dict(self.data)
        active = self.active_seconds + (time.monotonic() - self.running_since if self.running_since else 0.0)
        d["stats"] = {"active_seconds": round(active, 3),
                      "duration_seconds": round((datetime.now(timezone.utc) - self.created).total_seconds(), 3)}
        d["usage"] = dict(self.data["usage"])
        d["usage"]["active_seconds"] = round(active, 3)
        if pricing.list_price(self.data["agent"]["model"]["id"]) is not None:
            d["usage"]["list_cost"] = budgets.usage_cost(self.spent)
        return d


_STATUS_OF = {"session.status_running": "running", "session.status_idle": "idle",
              "session.status_terminated": "terminated", "session.status_rescheduled": "rescheduling"}


class Backend:
    """All of the stub's state. Thread-safe: every public method takes ``self.lock``."""

    def __init__(self, *, recordings_dir: Any = None, speed: Any = "instant", fault: Optional[Dict[str, Any]] = None,
                 keepalive: float = 10.0, max_gap: float = 4.0, idle_stream_timeout: Optional[float] = None,
                 interrupt_wait: Optional[float] = 30.0) -> None:
        from .recordings import Library

        self.lock = threading.RLock()
        self.agents: Dict[str, List[Dict[str, Any]]] = {}
        self.environments: Dict[str, Dict[str, Any]] = {}
        self.sessions: Dict[str, SessionState] = {}
        self.files: Dict[str, Tuple[Dict[str, Any], bytes]] = {}
        self.library = Library(recordings_dir)
        self.speed = speed
        self.fault = dict(fault or {})
        self.keepalive = keepalive
        self.max_gap = max_gap
        # A safety net for learners' loops (None = off, as the service): once the session has been idle and the
        # stream silent this long, the stream closes, so a loop that forgot to stop on idle ends instead of hanging.
        self.idle_stream_timeout = idle_stream_timeout
        # How long a recorded user.interrupt waits for the learner's before the replay plays on (None: forever).
        self.interrupt_wait = interrupt_wait
        from .deployments import DeploymentsBackend
        from .replay import Scheduler

        self.deployments = DeploymentsBackend(self)  # /v1/deployments and /v1/deployment_runs (deployments.py)
        self.scheduler = Scheduler(self)

    # ---------------------------------------------------------------- speed
    @property
    def speed(self) -> Any:
        return self._speed

    @speed.setter
    def speed(self, value: Any) -> None:
        self._speed = parse_speed(value)

    # ---------------------------------------------------------------- agents
    def _agent_versions(self, agent_id: str) -> List[Dict[str, Any]]:
        v = self.agents.get(agent_id)
        if v is None:
            raise not_found("agent", agent_id, "Create one with client.beta.agents.create(...) and use its .id; "
                                               "list yours with client.beta.agents.list().")
        return v

    def create_agent(self, body: Dict[str, Any]) -> Dict[str, Any]:
        B, _ = _t()
        from anthropic.types.beta import agent_create_params

        p = validate_params(agent_create_params.AgentCreateParams, body, what="agent")
        if p.get("multiagent"):
            raise InvalidRequest("multiagent: multi-agent orchestration is not supported by the workshop stub; "
                                 "remove the multiagent field.")
        if not p["name"].strip():
            raise InvalidRequest("name: must be non-empty. Give the agent a name, e.g. name='incident-responder'.")
        mcp = [dict(s) for s in p.get("mcp_servers") or []]
        t = rfc3339(now())
        agent = {"id": new_id("agent"), "type": "agent", "name": p["name"], "model": normalize_model(p["model"]),
                 "system": p.get("system"), "description": p.get("description"),
                 "tools": normalize_tools(p.get("tools"), mcp), "mcp_servers": mcp,
                 "skills": normalize_skills(p.get("skills")), "metadata": patch_metadata({}, p.get("metadata")),
                 "execution_identity": dict(p.get("execution_identity") or {"type": "service_account"}),
                 "multiagent": None, "version": 1, "created_at": t, "updated_at": t, "archived_at": None}
        check_out(B.BetaManagedAgentsAgent, agent)
        with self.lock:
            self.agents[agent["id"]] = [agent]
        return agent

    def get_agent(self, agent_id: str, version: Optional[int] = None) -> Dict[str, Any]:
        with self.lock:
            versions = self._agent_versions(agent_id)
            if version is None:
                return versions[-1]
            if not 1 <= version <= len(versions):
                raise NotFound(f"agent {agent_id!r} has no version {version}; its versions are 1..{len(versions)}. "
                               "Omit version for the latest.")
            return versions[version - 1]

    def update_agent(self, agent_id: str, body: Dict[str, Any]) -> Dict[str, Any]:
        B, _ = _t()
        from anthropic.types.beta import agent_update_params

        p = validate_params(agent_update_params.AgentUpdateParams, body, what="agent update")
        with self.lock:
            versions = self._agent_versions(agent_id)
            cur = versions[-1]
            if cur["archived_at"]:
                raise InvalidRequest(f"agent {agent_id!r} is archived and cannot be updated. Create a new agent.")
            if "version" in p and p["version"] != cur["version"]:
                raise Conflict(f"agent {agent_id!r} is at version {cur['version']}, but the update said version="
                               f"{p['version']}. Someone changed it since you read it (or you ran the update twice: "
                               "your variable still holds the old version): retrieve the agent, re-apply your change, "
                               "and pass the current version (or omit version to overwrite).")
            if p.get("multiagent"):
                raise InvalidRequest("multiagent: not supported by the workshop stub; remove the field.")
            new = dict(cur)
            if "name" in p:
                if not (p["name"] or "").strip():
                    raise InvalidRequest("name: cannot be cleared; give a non-empty name or omit it.")
                new["name"] = p["name"]
            if "model" in p:
                if p["model"] is None:
                    raise InvalidRequest("model: cannot be cleared; give a model id or omit it.")
                new["model"] = normalize_model(p["model"])
            for k in ("system", "description"):
                if k in p:
                    new[k] = p[k] or None
            if "mcp_servers" in p:
                new["mcp_servers"] = [dict(s) for s in p["mcp_servers"] or []]
            if "tools" in p or "mcp_servers" in p:
                raw_tools = p["tools"] if "tools" in p else cur["tools"]
                new["tools"] = normalize_tools(raw_tools or [], new["mcp_servers"])
            if "skills" in p:
                new["skills"] = normalize_skills(p["skills"])
            if "execution_identity" in p:
                new["execution_identity"] = dict(p["execution_identity"] or {"type": "service_account"})
            if "metadata" in p:
                new["metadata"] = patch_metadata(cur["metadata"], p["metadata"])
            changed = any(new[k] != cur[k] for k in new)
            if not changed:
                return cur  # a no-op update does not make a new version
            new["version"] = cur["version"] + 1
            new["updated_at"] = rfc3339(now())
            check_out(B.BetaManagedAgentsAgent, new)
            versions.append(new)
            return new

    def list_agents(self, query: Dict[str, List[str]]) -> Dict[str, Any]:
        include_archived = parse_bool(_q(query, "include_archived"), "include_archived")
        ok = time_filter(query)
        with self.lock:
            items = [v[-1] for v in self.agents.values()
                     if (include_archived or not v[-1]["archived_at"]) and ok(parse_time(v[0]["created_at"], "x"))]
        return paginate(items, lambda a: (a["created_at"], a["id"]), limit=_q(query, "limit"), page=_q(query, "page"),
                        descending=True)

    def archive_agent(self, agent_id: str) -> Dict[str, Any]:
        with self.lock:
            versions = self._agent_versions(agent_id)
            cur = versions[-1]
            if not cur["archived_at"]:
                t = rfc3339(now())
                for v in versions:
                    v["archived_at"] = t
            return cur

    def list_agent_versions(self, agent_id: str, query: Dict[str, List[str]]) -> Dict[str, Any]:
        with self.lock:
            items = list(reversed(self._agent_versions(agent_id)))
        return paginate(items, lambda a: (a["version"],), limit=_q(query, "limit"), page=_q(query, "page"),
                        descending=True)

    # ---------------------------------------------------------------- environments
    def _env(self, env_id: str) -> Dict[str, Any]:
        e = self.environments.get(env_id)
        if e is None:
            raise not_found("environment", env_id, "Create one with client.beta.environments.create(name=...) "
                                                   "and pass its .id.")
        return e

    @staticmethod
    def _normalize_config(cfg: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if not cfg or cfg.get("type") == "cloud":
            cfg = cfg or {}
            net = cfg.get("networking") or {"type": "unrestricted"}
            if net["type"] == "limited":
                net = {"type": "limited", "allowed_hosts": list(net.get("allowed_hosts") or []),
                       "allow_mcp_servers": bool(net.get("allow_mcp_servers")),
                       "allow_package_managers": bool(net.get("allow_package_managers"))}
            else:
                net = {"type": "unrestricted"}
            pk = cfg.get("packages") or {}
            packages = {"type": "packages", **{k: list(pk.get(k) or []) for k in ("apt", "cargo", "gem", "go", "npm", "pip")}}
            return {"type": "cloud", "networking": net, "packages": packages}
        return {"type": "self_hosted"}

    def create_environment(self, body: Dict[str, Any]) -> Dict[str, Any]:
        B, _ = _t()
        from anthropic.types.beta import environment_create_params

        p = validate_params(environment_create_params.EnvironmentCreateParams, body, what="environment")
        if not p["name"].strip():
            raise InvalidRequest("name: must be non-empty.")
        t = rfc3339(now())
        env = {"id": new_id("env"), "type": "environment", "name": p["name"],
               "config": self._normalize_config(p.get("config")), "description": p.get("description"),
               "metadata": patch_metadata({}, p.get("metadata")), "scope": p.get("scope"),
               "created_at": t, "updated_at": t, "archived_at": None}
        check_out(B.BetaEnvironment, env)
        with self.lock:
            self.environments[env["id"]] = env
        return env

    def get_environment(self, env_id: str) -> Dict[str, Any]:
        with self.lock:
            return self._env(env_id)

    def update_environment(self, env_id: str, body: Dict[str, Any]) -> Dict[str, Any]:
        B, _ = _t()
        from anthropic.types.beta import environment_update_params

        p = validate_params(environment_update_params.EnvironmentUpdateParams, body, what="environment update")
        with self.lock:
            cur = self._env(env_id)
            new = dict(cur)
            if p.get("config") is not None:
                cfg = self._normalize_config(p["config"])
                if cfg["type"] != cur["config"]["type"]:
                    raise InvalidRequest(f"config.type: cannot change an environment from {cur['config']['type']!r} "
                                         f"to {cfg['type']!r}. Create a new environment instead.",
                                         error_code="invalid_config_type_change")
                new["config"] = cfg
            if "name" in p and p["name"] is not None:
                new["name"] = p["name"]
            for k in ("description", "scope"):
                if k in p:
                    new[k] = p[k]
            if "metadata" in p:
                new["metadata"] = patch_metadata(cur["metadata"], p["metadata"])
            new["updated_at"] = rfc3339(now())
            check_out(B.BetaEnvironment, new)
            self.environments[env_id] = new
            return new

    def list_environments(self, query: Dict[str, List[str]]) -> Dict[str, Any]:
        include_archived = parse_bool(_q(query, "include_archived"), "include_archived")
        with self.lock:
            items = [e for e in self.environments.values() if include_archived or not e["archived_at"]]
        return paginate(items, lambda e: (e["created_at"], e["id"]), limit=_q(query, "limit"), page=_q(query, "page"),
                        descending=True)

    def archive_environment(self, env_id: str) -> Dict[str, Any]:
        with self.lock:
            e = self._env(env_id)
            if not e["archived_at"]:
                e["archived_at"] = e["updated_at"] = rfc3339(now())
            return e

    def delete_environment(self, env_id: str) -> Dict[str, Any]:
        with self.lock:
            self._env(env_id)
            busy = [s.id for s in self.sessions.values() if s.data["environment_id"] == env_id and s.status == "running"]
            if busy:
                raise InvalidRequest(f"environment {env_id!r} has running sessions {busy}; interrupt or delete them first.")
            del self.environments[env_id]
        return {"id": env_id, "type": "environment_deleted"}

    # ---------------------------------------------------------------- files
    def upload_file(self, filename: str, content: bytes, mime_type: str) -> Dict[str, Any]:
        B, _ = _t()
        meta = {"id": new_id("file"), "type": "file", "filename": filename or "unnamed", "mime_type": mime_type,
                "size_bytes": len(content), "created_at": rfc3339(now()), "downloadable": False}
        check_out(B.BetaFileMetadata, meta)
        with self.lock:
            self.files[meta["id"]] = (meta, content)
        return meta

    def _file(self, file_id: str) -> Tuple[Dict[str, Any], bytes]:
        f = self.files.get(file_id)
        if f is None:
            raise not_found("file", file_id, "Upload it first with client.beta.files.upload(file=open(path, 'rb')) "
                                             "and use the returned .id.")
        return f

    def get_file(self, file_id: str) -> Dict[str, Any]:
        with self.lock:
            return self._file(file_id)[0]

    def file_content(self, file_id: str) -> Tuple[Dict[str, Any], bytes]:
        with self.lock:
            meta, content = self._file(file_id)
        if not meta.get("downloadable"):
            raise InvalidRequest(f"File {file_id!r} is not downloadable: only files the agent or its tools create "
                                 "can be downloaded, not files you uploaded (or their copies in a session). You have "
                                 "the original on your machine; its metadata is client.beta.files.retrieve_metadata(id).")
        return meta, content

    def delete_file(self, file_id: str) -> Dict[str, Any]:
        with self.lock:
            self._file(file_id)
            del self.files[file_id]
        return {"id": file_id, "type": "file_deleted"}

    def list_files(self, query: Dict[str, List[str]]) -> Dict[str, Any]:
        with self.lock:
            items = [m for m, _ in self.files.values()]
        ids = query.get("ids[]") or query.get("ids")
        if ids is not None:
            if _q(query, "page") or _q(query, "limit"):
                raise InvalidRequest("ids: cannot be combined with page or limit; a list by ids is always one page.")
            wanted = list(dict.fromkeys(ids))
            if len(wanted) > 100:
                raise InvalidRequest(f"ids: at most 100 ids (after removing duplicates), got {len(wanted)}; "
                                     "split the list into several calls.")
            items = [m for m in items if m["id"] in set(wanted)]  # unknown or deleted ids are left out
            items.sort(key=lambda m: (m["created_at"], m["id"]), reverse=True)
            return {"data": items, "next_page": None}
        scope = _q(query, "scope_id")
        if scope:
            items = [m for m in items if (m.get("scope") or {}).get("id") == scope]
        return paginate(items, lambda m: (m["created_at"], m["id"]), limit=_q(query, "limit"), page=_q(query, "page"),
                        descending=True, max_limit=1000)

    # ---------------------------------------------------------------- sessions
    def _session(self, session_id: str) -> SessionState:
        s = self.sessions.get(session_id)
        if s is None:
            raise not_found("session", session_id, "Create one with client.beta.sessions.create(agent=..., "
                                                   "environment_id=...) and use its .id.")
        return s

    def _resolve_agent(self, ref: Any) -> Dict[str, Any]:
        if isinstance(ref, str):
            agent = self.get_agent(ref)
        else:
            agent = self.get_agent(ref["id"], ref.get("version"))
        if agent["archived_at"]:
            raise InvalidRequest(f"agent {agent['id']!r} is archived; sessions cannot use it. Create a new agent.")
        snap = {k: agent[k] for k in ("id", "type", "name", "model", "system", "description", "tools", "mcp_servers",
                                      "skills", "execution_identity", "version", "multiagent")}
        if isinstance(ref, dict) and ref.get("type") == "agent_with_overrides":
            if ref.get("model") is not None:
                snap["model"] = normalize_model(ref["model"])
            if "system" in ref:
                snap["system"] = ref["system"]
            if ref.get("mcp_servers") is not None:
                snap["mcp_servers"] = [dict(s) for s in ref["mcp_servers"]]
            if ref.get("tools") is not None or ref.get("mcp_servers") is not None:
                snap["tools"] = normalize_tools(ref["tools"] if ref.get("tools") is not None else agent["tools"],
                                                snap["mcp_servers"])
            if ref.get("skills") is not None:
                snap["skills"] = normalize_skills(ref["skills"])
        return snap

    def _make_resource(self, r: Dict[str, Any], t: str, session_id: str,
                       files: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """A session resource; a file's session copy goes into ``files`` (default: the stub's files)."""
        files = self.files if files is None else files
        if r["type"] == "file":
            meta, content = self._file(r["file_id"])
            # The session gets its own instance of the file, with a new file_id scoped to the session
            # (files.list(scope_id=session_id) lists it).
            copy_meta = {**meta, "id": new_id("file"), "created_at": t, "downloadable": False,
                         "scope": {"type": "session", "id": session_id}}
            files[copy_meta["id"]] = (copy_meta, content)
            return {"type": "file", "id": new_id("sesrsc"), "file_id": copy_meta["id"],
                    "mount_path": r.get("mount_path") or f"/mnt/session/uploads/{r['file_id']}",
                    "created_at": t, "updated_at": t}
        if r["type"] == "github_repository":
            repo = r["url"].rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
            out = {"type": "github_repository", "id": new_id("sesrsc"), "url": r["url"],
                   "mount_path": r.get("mount_path") or f"/workspace/{repo}", "created_at": t, "updated_at": t}
            if r.get("checkout"):
                out["checkout"] = dict(r["checkout"])
            return out
        out = {k: v for k, v in r.items() if v is not None}
        return out

    def create_session(self, body: Dict[str, Any], *, deployment_id: Optional[str] = None) -> Dict[str, Any]:
        """A new session; ``deployment_id`` when a deployment's run creates it (deployments.py)."""
        B, _ = _t()
        from anthropic.types.beta import session_create_params

        raw = body.get("agent") if isinstance(body, dict) else None
        if isinstance(raw, dict) and raw.get("type") == "agent" and set(raw) - {"type", "id", "version"}:
            extra = sorted(set(raw) - {"type", "id", "version"})
            raise InvalidRequest(f"Invalid session: agent.{extra[0]} is not a known field (an agent reference has "
                                 "type, id and version). Pass agent=agent.id, or {\"type\": \"agent\", \"id\": "
                                 "agent.id, \"version\": agent.version} to pin a version, not the agent object.")
        if isinstance(body, dict) and "budget" in body:
            budgets.check_shape(body["budget"])
        p = validate_params(session_create_params.SessionCreateParams, body, what="session")
        with self.lock:
            env = self._env(p["environment_id"])
            if env["archived_at"]:
                raise InvalidRequest(f"environment {env['id']!r} is archived; create a new environment for new "
                                     "sessions.", error_code="environment_archived")
            snap = self._resolve_agent(p["agent"])
            budgets.check_models(p.get("budget"), snap["model"]["id"])
            created = now()
            t = rfc3339(created)
            session_id = new_id("sesn")
            wanted = p.get("resources") or []
            _check_file_count(sum(r["type"] == "file" for r in wanted))
            for r in wanted:
                if r["type"] == "file":
                    self._file(r["file_id"])  # every file exists before any copy is made
            copies: Dict[str, Any] = {}  # the session's file copies, kept only if the whole create succeeds
            resources = [self._make_resource(r, t, session_id, copies) for r in wanted]
            metadata = patch_metadata({}, p.get("metadata"))
            data = {"id": session_id, "type": "session", "status": "idle", "agent": snap,
                    "environment_id": env["id"], "metadata": metadata, "resources": resources,
                    "vault_ids": list(p.get("vault_ids") or []), "outcome_evaluations": [], "stats": {}, "usage": {},
                    "title": p.get("title"), "budget": p.get("budget"), "deployment_id": deployment_id,
                    "created_at": t, "updated_at": t, "archived_at": None}
            state = SessionState(data, created)
            from .replay import Replayer

            state.engine = Replayer(self, state)
            if "recording" in metadata:
                state.engine.choose(metadata["recording"])  # 400 on an unknown name / missing tools
            initial = p.get("initial_events") or []
            if len(initial) > 50:
                raise InvalidRequest(f"initial_events: at most 50 events, got {len(initial)}. Send the rest with "
                                     "client.beta.sessions.events.send after creating the session.")
            plan = state.engine.check(list(initial), path="initial_events") if initial else None
            check_out(B.BetaManagedAgentsSession, state.view())
            self.files.update(copies)
            self.sessions[state.id] = state
            if plan is not None:
                state.engine.apply(plan)
            return state.view()

    def get_session(self, session_id: str) -> Dict[str, Any]:
        with self.lock:
            return self._session(session_id).view()

    def update_session(self, session_id: str, body: Dict[str, Any]) -> Dict[str, Any]:
        B, _ = _t()
        from anthropic.types.beta import session_update_params

        if isinstance(body, dict) and body.get("budget") is not None:
            budgets.check_shape(body["budget"])
        p = validate_params(session_update_params.SessionUpdateParams, body, what="session update")
        with self.lock:
            s = self._session(session_id)
            if p.get("vault_ids"):
                raise InvalidRequest("vault_ids: attaching vaults by updating a session is not supported yet (the "
                                     "field is reserved). Pass vault_ids when you create the session instead.")
            if p.get("agent") and s.status == "running":
                raise InvalidRequest(
                    "agent: the session is running, and its agent can only be updated while it is not running. "
                    "Send {\"type\": \"user.interrupt\"} (or wait for session.status_idle), then update it.")
            if "budget" in p:
                budgets.check_update(s.data.get("budget"), p["budget"], ever_had=s.had_budget, spent_usd=s.spent,
                                     status=s.status, model_id=s.data["agent"]["model"]["id"])
            d = dict(s.data)
            if "title" in p:
                d["title"] = p["title"]
            if "metadata" in p:
                d["metadata"] = patch_metadata(d["metadata"], p["metadata"])
                if d["metadata"].get("recording") != s.data["metadata"].get("recording") and "recording" in d["metadata"]:
                    s.engine.choose(d["metadata"]["recording"], switching=True)
            if "budget" in p:
                d["budget"] = p["budget"]
            if "vault_ids" in p:
                d["vault_ids"] = list(p["vault_ids"] or [])
            if p.get("agent"):
                snap = dict(d["agent"])
                a = p["agent"]
                if a.get("mcp_servers") is not None:
                    snap["mcp_servers"] = [dict(x) for x in a["mcp_servers"]]
                if a.get("tools") is not None or a.get("mcp_servers") is not None:
                    snap["tools"] = normalize_tools(a["tools"] if a.get("tools") is not None else snap["tools"],
                                                    snap["mcp_servers"])
                d["agent"] = snap
            d["updated_at"] = rfc3339(now())
            view = dict(d)
            view["stats"] = {}
            check_out(B.BetaManagedAgentsSession, view)
            # session.updated carries only what changed (the agent as its full snapshot); no change, no event
            changed: Dict[str, Any] = {}
            for key in ("title", "budget", "agent"):
                if key in d and d[key] != s.data.get(key):
                    changed[key] = d[key]
            if d["metadata"] != s.data["metadata"] and d["metadata"]:
                changed["metadata"] = d["metadata"]
            s.data = d
            if changed:
                self.emit(s, {"type": "session.updated", **copy.deepcopy(changed)})
            if "budget" in changed:
                s.engine.budget_changed()  # a raised or removed budget resumes the work it paused
            return s.view()

    def list_sessions(self, query: Dict[str, List[str]]) -> Dict[str, Any]:
        include_archived = parse_bool(_q(query, "include_archived"), "include_archived")
        agent_id = _q(query, "agent_id")
        agent_version = parse_int(_q(query, "agent_version"), "agent_version", None, 1, None)
        statuses = query.get("statuses[]") or query.get("statuses") or []
        bad = [x for x in statuses if x not in ("rescheduling", "running", "idle", "terminated")]
        if bad:
            raise InvalidRequest(f"statuses[]: {bad[0]!r} is not a session status; use rescheduling, running, idle "
                                 "or terminated.")
        order = _order(query, "desc")
        ok = time_filter(query)
        mem = _q(query, "memory_store_id")
        dep = _q(query, "deployment_id")
        with self.lock:
            items = []
            for s in self.sessions.values():
                d = s.data
                if not include_archived and d["archived_at"]:
                    continue
                if agent_id and d["agent"]["id"] != agent_id:
                    continue
                if agent_version is not None and d["agent"]["version"] != agent_version:
                    continue
                if statuses and d["status"] not in statuses:
                    continue
                if not ok(s.created):
                    continue
                if dep and d.get("deployment_id") != dep:
                    continue
                if mem and not any(r.get("memory_store_id") == mem for r in d["resources"]):
                    continue
                items.append(s)
            page = paginate(items, lambda s: (s.data["created_at"], s.id), limit=_q(query, "limit"),
                            page=_q(query, "page"), descending=order == "desc", bidirectional=True)
            page["data"] = [s.view() for s in page["data"]]
            return page

    def archive_session(self, session_id: str) -> Dict[str, Any]:
        with self.lock:
            s = self._session(session_id)
            if s.status == "running" and not s.data["archived_at"]:
                raise InvalidRequest("session is running and cannot be archived. Stop it first: send "
                                     "{\"type\": \"user.interrupt\"}, wait for session.status_idle, then archive it.")
            if not s.data["archived_at"]:
                s.data["archived_at"] = s.data["updated_at"] = rfc3339(now())
            return s.view()

    def delete_session(self, session_id: str) -> Dict[str, Any]:
        with self.lock:
            s = self._session(session_id)
            self.emit(s, {"type": "session.deleted"})
            s.engine.stop()
            for sub in s.subscribers:
                sub.close()
            s.subscribers.clear()
            del self.sessions[session_id]
        return {"id": session_id, "type": "session_deleted"}

    # ---------------------------------------------------------------- session resources
    def list_resources(self, session_id: str, query: Dict[str, List[str]]) -> Dict[str, Any]:
        with self.lock:
            items = list(self._session(session_id).data["resources"])
        return paginate(items, lambda r: (r.get("created_at", ""), r.get("id", "")), limit=_q(query, "limit"),
                        page=_q(query, "page"), descending=False)

    def add_resource(self, session_id: str, body: Dict[str, Any]) -> Dict[str, Any]:
        from anthropic.types.beta.sessions import resource_add_params

        p = validate_params(resource_add_params.ResourceAddParams, body, what="resource")
        with self.lock:
            s = self._session(session_id)
            _check_file_count(1 + sum(x["type"] == "file" for x in s.data["resources"]))
            r = self._make_resource({"type": "file", **p}, rfc3339(now()), session_id)
            s.data["resources"] = s.data["resources"] + [r]
            return r

    def get_resource(self, session_id: str, resource_id: str) -> Dict[str, Any]:
        with self.lock:
            for r in self._session(session_id).data["resources"]:
                if r.get("id") == resource_id:
                    return r
        raise not_found("session resource", resource_id, "List them with client.beta.sessions.resources.list(session_id).")

    def delete_resource(self, session_id: str, resource_id: str) -> Dict[str, Any]:
        with self.lock:
            s = self._session(session_id)
            self.get_resource(session_id, resource_id)
            s.data["resources"] = [r for r in s.data["resources"] if r.get("id") != resource_id]
        return {"id": resource_id, "type": "session_resource_deleted"}

    def update_resource(self, session_id: str, resource_id: str, body: Dict[str, Any]) -> Dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("authorization_token"), str):
            raise InvalidRequest("Invalid resource update: authorization_token is required and must be a string.")
        extra = [k for k in body if k != "authorization_token"]
        if extra:
            raise InvalidRequest(f"Invalid resource update: {extra[0]} is not a known field (known: authorization_token).")
        with self.lock:
            r = self.get_resource(session_id, resource_id)
            if r["type"] != "github_repository":
                raise InvalidRequest(f"resource {resource_id!r} is a {r['type']} resource; only github_repository "
                                     "resources take a new authorization_token.")
            r["updated_at"] = rfc3339(now())  # the token itself is write-only: never shown again
            self._session(session_id).tokens[resource_id] = body["authorization_token"]
            return r

    # ---------------------------------------------------------------- threads (multiagent: live-only)
    def list_threads(self, session_id: str, query: Dict[str, List[str]]) -> Dict[str, Any]:
        with self.lock:
            self._session(session_id)
        return paginate([], lambda t: (t["created_at"], t["id"]), limit=_q(query, "limit"), page=_q(query, "page"),
                        descending=False)

    def thread_not_found(self, session_id: str, thread_id: str) -> NotFound:
        with self.lock:
            self._session(session_id)
        return NotFound(f"thread {thread_id!r} not found in session {session_id!r}. Threads belong to multiagent "
                        "sessions (a coordinator agent with callable_agents), which the offline stub does not run: "
                        "its sessions have no threads. Run notebook 06's multiagent cells live to see them.")

    # ---------------------------------------------------------------- events
    def send_events(self, session_id: str, body: Any) -> Dict[str, Any]:
        if not isinstance(body, dict) or "events" not in body:
            raise InvalidRequest("Invalid request body: events is required but missing. Send "
                                 "events=[{'type': 'user.message', 'content': [{'type': 'text', 'text': '...'}]}].")
        extra = [k for k in body if k != "events"]
        if extra:
            raise InvalidRequest(f"Invalid request body: {extra[0]} is not a known field (known: events).")
        events = body["events"]
        if not isinstance(events, list) or not events:
            raise InvalidRequest("events: must be a non-empty list of events.")
        with self.lock:
            s = self._session(session_id)
            plan = s.engine.check(events, path="events")  # validates the whole batch; raises before any change
            stored = s.engine.apply(plan)
        return {"data": stored}

    def list_events(self, session_id: str, query: Dict[str, List[str]]) -> Dict[str, Any]:
        types = query.get("types[]") or query.get("types") or []
        order = _order(query, "asc")
        ok = time_filter(query)
        with self.lock:
            s = self._session(session_id)
            items = [e for e in s.events if (not types or e.type in types) and ok(e.ts)]
        page = paginate(items, lambda e: (e.seq,), limit=_q(query, "limit"), page=_q(query, "page"),
                        descending=order == "desc", max_limit=1000)
        page["data"] = [e.data for e in page["data"]]
        return page

    def subscribe(self, session_id: str, deltas: Sequence[str], cut_after: Optional[int],
                  write: Callable[[bytes], Any], head: bytes) -> Tuple[SessionState, Subscriber]:
        """Register a stream and send its response head, atomically: it gets every event emitted after that."""
        bad = [d for d in deltas if d not in ("agent.message", "agent.thinking")]
        if bad:
            raise InvalidRequest(f"event_deltas[]: {bad[0]!r} is not supported; use agent.message and/or agent.thinking.")
        with self.lock:
            s = self._session(session_id)
            sub = Subscriber(write, deltas, cut_after if cut_after is not None else self.fault.get("cut_stream_after"))
            write(head)
            if s.status == "terminated":
                sub.close()
            else:
                s.subscribers.append(sub)
            return s, sub

    def send_keepalive(self, s: SessionState, sub: Subscriber) -> None:
        with self.lock:
            limit = self.idle_stream_timeout
            if limit is not None and s.status == "idle" and time.monotonic() - sub.last_activity >= limit:
                body = {"type": "error", "error": {"type": "invalid_request_error",
                                                   "message": _idle_stream_message(s, limit, sub.sent)}}
                try:  # an SSE error frame: the SDK raises it as an APIStatusError in the learner's loop
                    sub.write(f"event: error\ndata: {json.dumps(body)}\n\n".encode())
                except OSError:
                    pass
                sub.close()
                return
            sub.keepalive()

    def unsubscribe(self, s: SessionState, sub: Subscriber) -> None:
        with self.lock:
            sub.close()
            try:
                s.subscribers.remove(sub)
            except ValueError:
                pass

    def emit(self, s: SessionState, event: Dict[str, Any]) -> Dict[str, Any]:
        """Store one event (fresh id and processed_at unless given), update session state, fan out to streams."""
        _, S = _t()
        ts = now()
        event.setdefault("id", new_id("sevt"))
        event["processed_at"] = rfc3339(ts)
        typ = event["type"]
        if typ == "session.usage":
            event["usage"] = s.view()["usage"]
        check_event(S.BetaManagedAgentsSessionEvent, event)
        s.seq += 1
        ev = StoredEvent(s.seq, event, ts)
        if typ != "session.deleted":
            s.events.append(ev)
        status = _STATUS_OF.get(typ)
        if status:
            self.set_status(s, status)
        elif typ == "span.model_request_end":
            self._add_usage(s, event["model_usage"])
        elif typ == "agent.tool_use":
            w = outputs.written_file(event)
            if w is not None:
                s.writes[event["id"]] = w
        elif typ == "agent.tool_result" and event.get("tool_use_id") in s.writes:
            w = s.writes.pop(event["tool_use_id"])
            if not event.get("is_error"):
                self._save_output(s, *w)
        elif typ == "span.outcome_evaluation_end":
            s.data["outcome_evaluations"] = s.data["outcome_evaluations"] + [{
                "type": "outcome_evaluation", "outcome_id": event["outcome_id"],
                "description": s.outcomes.get(event["outcome_id"], ""), "iteration": event["iteration"],
                "result": event["result"], "explanation": event["explanation"], "completed_at": event["processed_at"]}]
        if s.subscribers:
            for sub in list(s.subscribers):
                sub.deliver(ev)
                if sub.done.is_set():
                    s.subscribers.remove(sub)
        if typ == "session.status_terminated":
            for sub in s.subscribers:
                sub.close()
            s.subscribers.clear()
        return event

    def set_status(self, s: SessionState, status: str) -> None:
        if s.data["status"] == status:
            return
        mono = time.monotonic()
        if status == "running" and s.running_since is None:
            s.running_since = mono
        elif status != "running" and s.running_since is not None:
            s.active_seconds += mono - s.running_since
            s.running_since = None
        s.data["status"] = status
        s.data["updated_at"] = rfc3339(now())

    def _save_output(self, s: SessionState, filename: str, content: bytes, mime: str) -> None:
        """A file the agent wrote under /mnt/session/outputs/: downloadable, scoped to its session (outputs.py)."""
        B, _ = _t()
        for fid, (meta, _old) in list(self.files.items()):  # writing the same path again replaces the file
            if meta.get("filename") == filename and (meta.get("scope") or {}).get("id") == s.id and meta["downloadable"]:
                del self.files[fid]
        meta = {"id": new_id("file"), "type": "file", "filename": filename, "mime_type": mime,
                "size_bytes": len(content), "created_at": rfc3339(now()), "downloadable": True,
                "scope": {"type": "session", "id": s.id}}
        check_out(B.BetaFileMetadata, meta)
        self.files[meta["id"]] = (meta, content)

    @staticmethod
    def _add_usage(s: SessionState, mu: Dict[str, Any]) -> None:
        s.spent += pricing.cost_usd(s.data["agent"]["model"]["id"], mu)
        u = dict(s.data["usage"])
        for k in ("input_tokens", "output_tokens", "cache_read_input_tokens"):
            u[k] = u.get(k, 0) + int(mu.get(k) or 0)
        cc = dict(u.get("cache_creation") or {})
        cc["ephemeral_5m_input_tokens"] = cc.get("ephemeral_5m_input_tokens", 0) + int(mu.get("cache_creation_input_tokens") or 0)
        u["cache_creation"] = cc
        s.data["usage"] = u

    def close(self) -> None:
        self.scheduler.stop()
        with self.lock:
            for s in self.sessions.values():
                for sub in s.subscribers:
                    sub.close()
                s.subscribers.clear()


def _q(query: Dict[str, List[str]], name: str) -> Optional[str]:
    v = query.get(name)
    return v[-1] if v else None


def _order(query: Dict[str, List[str]], default: str) -> str:
    o = _q(query, "order") or default
    if o not in ("asc", "desc"):
        raise InvalidRequest(f"order: {o!r} is not valid; use 'asc' or 'desc'.")
    return o


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
