"""The HTTP layer of the stub (moto's ``responses.py``): parse and coerce a request's parameters, call the backend.

Each handler takes ``(backend, req)`` and returns ``(status, body)``; body is a dict (sent as JSON),
``(bytes, content_type)``, or a :class:`Stream` (the SSE stream: the server hands it the connection). Every query
parameter and request body is parsed here, into typed keyword arguments (a 400 naming the parameter when it is
wrong); the backend (models.py) never sees a raw query.
"""
from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from . import budgets
from .deployments import check_schedule
from .exceptions import InvalidRequest
from .models import Backend
from .sse import stream_head
from .utils import TimeRange, decode_cursor, parse_time
from .validation import sdk_types, validate_params

__all__ = ["Request", "Stream", "Result"] + [  # and one handler per route of urls.py
    "create_agent", "list_agents", "get_agent", "update_agent", "archive_agent", "list_agent_versions",
    "create_environment", "list_environments", "get_environment", "update_environment", "archive_environment",
    "delete_environment", "create_session", "list_sessions", "get_session", "update_session", "archive_session",
    "delete_session", "send_events", "list_events", "stream_events", "list_resources", "add_resource",
    "get_resource", "delete_resource", "update_resource", "list_threads", "thread_not_found", "upload_file",
    "list_files", "get_file", "delete_file", "download_file", "create_deployment", "list_deployments",
    "get_deployment", "update_deployment", "archive_deployment", "pause_deployment", "unpause_deployment",
    "run_deployment", "list_deployment_runs", "get_deployment_run"]

_SESSION_STATUSES = ("rescheduling", "running", "idle", "terminated")
_DELTA_TYPES = ("agent.message", "agent.thinking")


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
#: Names (agents, environments, files) are at most this long: the stub's limit (the SDK and docs state none).
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
                _encodable(k, path + [k])
                stack.append((v, path + [k]))
        elif isinstance(value, list):
            stack.extend((v, path + [i]) for i, v in enumerate(value))
        elif isinstance(value, str):
            _encodable(value, path)


def _encodable(text: str, path: list[Any]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidRequest(f"{_loc(path) or 'body'}: contains a lone UTF-16 surrogate ({text[e.start]!r} at "
                             f"character {e.start}), which is not valid Unicode text. Send only whole characters "
                             "(a surrogate pair, or the character itself).") from None


def _loc(path: list[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def _named(body: dict[str, Any], what: str) -> dict[str, Any]:
    name = body.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise InvalidRequest(f"name: is {len(name):,} characters long; {what} names are at most {MAX_NAME} characters.")
    return body


def _body(req: Request, params_type: str, what: str) -> dict[str, Any]:
    """The request's JSON body, validated against the SDK's params TypedDict named ``params_type`` (in
    ``anthropic.types.beta``, or ``sessions.`` in its sessions module)."""
    beta, sessions = sdk_types()
    module, _, name = params_type.rpartition(".")
    body = validate_params(getattr(sessions if module else beta, name), req.json(), what=what)
    return _named(body, what.split()[0]) if what.startswith(("agent", "environment")) else body


# ------------------------------------------------------------------------------------------------ agents
def create_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.create_agent(_body(req, "AgentCreateParams", "agent"))


def list_agents(backend: Backend, req: Request) -> Result:
    return 200, backend.list_agents(include_archived=req.q_bool("include_archived"), created_at=req.q_time_range(),
                              **req.q_page())


def get_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.get_agent(req.params["agent_id"], req.q_int("version", None, 1, None))


def update_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.update_agent(req.params["agent_id"], _body(req, "AgentUpdateParams",
                                                           "agent update"))


def archive_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.archive_agent(req.params["agent_id"])


def list_agent_versions(backend: Backend, req: Request) -> Result:
    return 200, backend.list_agent_versions(req.params["agent_id"], **req.q_page())


# ------------------------------------------------------------------------------------------------ environments
def create_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.create_environment(_body(req, "EnvironmentCreateParams", "environment"))


def list_environments(backend: Backend, req: Request) -> Result:
    return 200, backend.list_environments(include_archived=req.q_bool("include_archived"), **req.q_page())


def get_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.get_environment(req.params["environment_id"])


def update_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.update_environment(req.params["environment_id"], _body(
        req, "EnvironmentUpdateParams", "environment update"))


def archive_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.archive_environment(req.params["environment_id"])


def delete_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.delete_environment(req.params["environment_id"])


# ------------------------------------------------------------------------------------------------ sessions
def create_session(backend: Backend, req: Request) -> Result:
    raw = req.json().get("agent")
    if isinstance(raw, dict) and raw.get("type") == "agent" and set(raw) - {"type", "id", "version"}:
        extra = sorted(set(raw) - {"type", "id", "version"})
        raise InvalidRequest(f"Invalid session: agent.{extra[0]} is not a known field (an agent reference has "
                             "type, id and version). Pass agent=agent.id, or {\"type\": \"agent\", \"id\": "
                             "agent.id, \"version\": agent.version} to pin a version, not the agent object.")
    budgets.check_shape(req.json().get("budget"))
    return 200, backend.create_session(_body(req, "SessionCreateParams", "session"))


def list_sessions(backend: Backend, req: Request) -> Result:
    include_archived = req.q_bool("include_archived")
    agent_version = req.q_int("agent_version", None, 1, None)
    statuses = req.q_list("statuses") or []
    bad = [x for x in statuses if x not in _SESSION_STATUSES]
    if bad:
        raise InvalidRequest(f"statuses[]: {bad[0]!r} is not a session status; use rescheduling, running, idle "
                             "or terminated.")
    return 200, backend.list_sessions(include_archived=include_archived, agent_id=req.q("agent_id"),
                                agent_version=agent_version, statuses=statuses, order=req.q_order("desc"),
                                created_at=req.q_time_range(), memory_store_id=req.q("memory_store_id"),
                                deployment_id=req.q("deployment_id"), **req.q_page())


def get_session(backend: Backend, req: Request) -> Result:
    return 200, backend.get_session(req.params["session_id"])


def update_session(backend: Backend, req: Request) -> Result:
    if req.json().get("budget") is not None:
        budgets.check_shape(req.json()["budget"])
    return 200, backend.update_session(req.params["session_id"], _body(req, "SessionUpdateParams",
                                                               "session update"))


def archive_session(backend: Backend, req: Request) -> Result:
    return 200, backend.archive_session(req.params["session_id"])


def delete_session(backend: Backend, req: Request) -> Result:
    return 200, backend.delete_session(req.params["session_id"])


def send_events(backend: Backend, req: Request) -> Result:
    body = req.json()
    if "events" not in body:
        raise InvalidRequest("Invalid request body: events is required but missing. Send "
                             "events=[{'type': 'user.message', 'content': [{'type': 'text', 'text': '...'}]}].")
    extra = [k for k in body if k != "events"]
    if extra:
        raise InvalidRequest(f"Invalid request body: {extra[0]} is not a known field (known: events).")
    events = body["events"]
    if not isinstance(events, list) or not events:
        raise InvalidRequest("events: must be a non-empty list of events.")
    return 200, backend.send_events(req.params["session_id"], events)


def list_events(backend: Backend, req: Request) -> Result:
    order = req.q_order("asc")
    return 200, backend.list_events(req.params["session_id"], types=req.q_list("types") or [], order=order,
                              created_at=req.q_time_range(), **req.q_page(max_limit=1000))


def stream_events(backend: Backend, req: Request) -> Result:
    """The SSE stream: every event emitted after it opens, with preview deltas for ``event_deltas[]`` types."""
    deltas = req.q_list("event_deltas") or []
    cut: int | None = None
    if req.headers.get("x-stub-cut-stream-after"):  # test-only: end the stream after N events
        try:
            cut = int(req.headers["x-stub-cut-stream-after"])
        except ValueError:
            raise InvalidRequest("x-stub-cut-stream-after: must be an integer.") from None
    bad = [d for d in deltas if d not in _DELTA_TYPES]
    if bad:
        raise InvalidRequest(f"event_deltas[]: {bad[0]!r} is not supported; use agent.message and/or agent.thinking.")
    session_id = req.params["session_id"]

    def serve(write: Callable[[bytes], Any], request_id: str) -> None:
        s, sub = backend.subscribe(session_id, deltas, cut, write, stream_head(request_id))
        try:  # this thread writes the stream out; emitters only queue frames (sse.Subscriber)
            sub.pump(backend.keepalive, lambda: backend.send_keepalive(s, sub))
        finally:
            backend.unsubscribe(s, sub)

    return 200, Stream(serve)


def list_resources(backend: Backend, req: Request) -> Result:
    return 200, backend.list_resources(req.params["session_id"], **req.q_page())


def add_resource(backend: Backend, req: Request) -> Result:
    return 200, backend.add_resource(req.params["session_id"], _body(req, "sessions.ResourceAddParams",
                                                             "resource"))


def get_resource(backend: Backend, req: Request) -> Result:
    return 200, backend.get_resource(req.params["session_id"], req.params["resource_id"])


def delete_resource(backend: Backend, req: Request) -> Result:
    return 200, backend.delete_resource(req.params["session_id"], req.params["resource_id"])


def update_resource(backend: Backend, req: Request) -> Result:
    body = req.json()
    if not isinstance(body.get("authorization_token"), str):
        raise InvalidRequest("Invalid resource update: authorization_token is required and must be a string.")
    extra = [k for k in body if k != "authorization_token"]
    if extra:
        raise InvalidRequest(f"Invalid resource update: {extra[0]} is not a known field (known: authorization_token).")
    return 200, backend.update_resource(req.params["session_id"], req.params["resource_id"],
                                  authorization_token=body["authorization_token"])


# ------------------------------------------------------------------------------------------------ threads
def list_threads(backend: Backend, req: Request) -> Result:
    return 200, backend.list_threads(req.params["session_id"], **req.q_page())


def thread_not_found(backend: Backend, req: Request) -> Result:
    raise backend.thread_not_found(req.params["session_id"], req.params["thread_id"])


# ------------------------------------------------------------------------------------------------ deployments
def _deployment_body(req: Request, params_type: str, what: str) -> dict[str, Any]:
    """A deployment body: its budget and schedule checked first (clearer messages than the type check's)."""
    body = req.json()
    budgets.check_shape(body.get("budget"))
    check_schedule(body.get("schedule"))
    return _body(req, params_type, what)


def create_deployment(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.create(_deployment_body(req, "DeploymentCreateParams", "deployment"))


def list_deployments(backend: Backend, req: Request) -> Result:
    include_archived, status = req.q_bool("include_archived"), req.q("status")
    if status is not None and status not in ("active", "paused"):
        raise InvalidRequest(f"status: {status!r} is not a deployment status; use active or paused (archived "
                             "deployments: include_archived=true).")
    if status and include_archived:
        raise InvalidRequest("status and include_archived cannot be combined: filter by status (active or paused), "
                             "or pass include_archived=true for every deployment.")
    return 200, backend.deployments.list(include_archived=include_archived, status=status, agent_id=req.q("agent_id"),
                                   created_at=req.q_time_range(), **req.q_page())


def get_deployment(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.get(req.params["deployment_id"])


def update_deployment(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.update(req.params["deployment_id"], _deployment_body(
        req, "DeploymentUpdateParams", "deployment update"))


def archive_deployment(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.archive(req.params["deployment_id"])


def pause_deployment(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.pause(req.params["deployment_id"])


def unpause_deployment(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.unpause(req.params["deployment_id"])


def run_deployment(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.run(req.params["deployment_id"])


def list_deployment_runs(backend: Backend, req: Request) -> Result:
    trigger = req.q("trigger_type")
    if trigger is not None and trigger not in ("schedule", "manual"):
        raise InvalidRequest(f"trigger_type: {trigger!r} is not a trigger; use schedule or manual.")
    has_error = None if req.q("has_error") is None else req.q_bool("has_error")
    return 200, backend.deployments.list_runs(deployment_id=req.q("deployment_id"), has_error=has_error,
                                        trigger_type=trigger, created_at=req.q_time_range(),
                                        **req.q_page(max_limit=1000))


def get_deployment_run(backend: Backend, req: Request) -> Result:
    return 200, backend.deployments.get_run(req.params["deployment_run_id"])


# ------------------------------------------------------------------------------------------------ files
def _multipart(req: Request) -> dict[str, tuple[str | None, bytes, str]]:
    """Split a multipart/form-data body into ``{name: (filename, bytes, content type)}`` (fast on 10+ MB logs)."""
    ctype = req.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
        raise InvalidRequest("POST /v1/files takes multipart/form-data with a 'file' part. Use "
                             "client.beta.files.upload(file=open(path, 'rb')) or file=(name, bytes, mime_type).")
    delimiter = b"--" + ctype.split("boundary=", 1)[1].split(";", 1)[0].strip().strip('"').encode()
    body = req.body
    parts: dict[str, tuple[str | None, bytes, str]] = {}
    # Offsets into the body, so that a part's content is copied once (splitting would copy it three times).
    at = body.find(delimiter)
    while at != -1:
        start = at + len(delimiter)
        at = body.find(delimiter, start)
        end = at if at != -1 else len(body)
        if body.startswith(b"--", start, end):
            break  # the closing delimiter
        blank = body.find(b"\r\n\r\n", start, end)
        if blank == -1:
            continue
        content_end = end - 2 if body.endswith(b"\r\n", blank + 4, end) else end
        msg = BytesParser(policy=HTTP).parsebytes(body[start:blank].lstrip(b"\r\n") + b"\r\n\r\n")
        name = msg.get_param("name", header="content-disposition")
        if name:
            parts[str(name)] = (msg.get_filename(), body[blank + 4:content_end],
                                msg.get_content_type() if msg.get("content-type") else "application/octet-stream")
    return parts


def upload_file(backend: Backend, req: Request) -> Result:
    parts = _multipart(req)
    if "file" not in parts:
        raise InvalidRequest(f"file: is required but missing (parts sent: {sorted(parts)}). Pass file=open(path, 'rb').")
    filename, content, mime = parts["file"]
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    _encodable(name, ["file.filename"])
    _encodable(mime, ["file.content_type"])
    _named({"name": name}, "file")
    if mime in ("application/octet-stream", "") and name:
        mime = mimetypes.guess_type(name)[0] or ("text/plain" if name.endswith((".log", ".txt", ".md")) else mime)
    return 200, backend.upload_file(name or "unnamed", content, mime)


def list_files(backend: Backend, req: Request) -> Result:
    ids = req.q_list("ids")
    if ids is not None:
        if req.q("page") or req.q("limit"):
            raise InvalidRequest("ids: cannot be combined with page or limit; a list by ids is always one page.")
        ids = list(dict.fromkeys(ids))
        if len(ids) > 100:
            raise InvalidRequest(f"ids: at most 100 ids (after removing duplicates), got {len(ids)}; "
                                 "split the list into several calls.")
        return 200, backend.list_files(ids=ids, scope_id=None, limit=len(ids), page=None)
    return 200, backend.list_files(ids=None, scope_id=req.q("scope_id"), **req.q_page(max_limit=1000))


def get_file(backend: Backend, req: Request) -> Result:
    return 200, backend.get_file(req.params["file_id"])


def delete_file(backend: Backend, req: Request) -> Result:
    return 200, backend.delete_file(req.params["file_id"])


def download_file(backend: Backend, req: Request) -> Result:
    meta, content = backend.file_content(req.params["file_id"])
    return 200, (content, meta["mime_type"])

