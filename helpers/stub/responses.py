"""The HTTP layer of the stub (moto's ``responses.py``): parse and coerce a request's parameters, call the backend.

Each handler takes ``(backend, req)`` and returns ``(status, body)``; body is a dict (sent as JSON),
``(bytes, content_type)``, or a :class:`Stream` (the SSE stream: the server hands it the connection). Every query
parameter and request body is parsed here, into typed keyword arguments (a 400 naming the parameter when it is
wrong); the backends (models.py composes them) never see a raw query.
"""
from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from ..i18n import _
from . import budgets
from .deployments import check_schedule
from .dreams import FINAL as DREAM_FINAL
from .exceptions import InvalidRequest, StubError, offline_hint
from .models import Backend
from .request import Request, Result, Stream, check_name, check_text, validated_body
from .skills import OLD_DIALECT
from .sse import stream_head
from .urls import MANAGED_AGENTS_BETA
from .validation import sdk_types, validate_params
from .vaults import scrub

__all__ = ["Request", "Stream", "Result"] + [  # and one handler per route of urls.py
    "create_agent", "list_agents", "get_agent", "update_agent", "archive_agent", "list_agent_versions",
    "create_environment", "list_environments", "get_environment", "update_environment", "archive_environment",
    "delete_environment", "create_session", "list_sessions", "get_session", "update_session", "archive_session",
    "delete_session", "send_events", "list_events", "stream_events", "list_resources", "add_resource",
    "get_resource", "delete_resource", "update_resource", "list_threads", "get_thread", "archive_thread",
    "list_thread_events", "stream_thread", "upload_file",
    "list_files", "get_file", "delete_file", "download_file", "create_deployment", "list_deployments",
    "get_deployment", "update_deployment", "archive_deployment", "pause_deployment", "unpause_deployment",
    "run_deployment", "list_deployment_runs", "get_deployment_run", "create_vault", "list_vaults", "get_vault",
    "update_vault", "archive_vault", "delete_vault", "create_credential", "list_credentials", "get_credential",
    "update_credential", "archive_credential", "delete_credential", "validate_credential"]

_SESSION_STATUSES = ("rescheduling", "running", "idle", "terminated")
_DELTA_TYPES = ("agent.message", "agent.thinking")


# ------------------------------------------------------------------------------------------------ agents
def create_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.agents.create(validated_body(req, "AgentCreateParams", "agent"))


def list_agents(backend: Backend, req: Request) -> Result:
    return 200, backend.agents.list(include_archived=req.q_bool("include_archived"), created_at=req.q_time_range(),
                              **req.q_page())


def get_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.agents.get(req.params["agent_id"], req.q_int("version", None, 1, None))


def update_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.agents.update(req.params["agent_id"], validated_body(req, "AgentUpdateParams",
                                                           "agent update"))


def archive_agent(backend: Backend, req: Request) -> Result:
    return 200, backend.agents.archive(req.params["agent_id"])


def list_agent_versions(backend: Backend, req: Request) -> Result:
    return 200, backend.agents.list_versions(req.params["agent_id"], **req.q_page())


# ------------------------------------------------------------------------------------------------ environments
def create_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.environments.create(validated_body(req, "EnvironmentCreateParams", "environment"))


def list_environments(backend: Backend, req: Request) -> Result:
    return 200, backend.environments.list(include_archived=req.q_bool("include_archived"), **req.q_page())


def get_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.environments.get(req.params["environment_id"])


def update_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.environments.update(req.params["environment_id"], validated_body(
        req, "EnvironmentUpdateParams", "environment update"))


def archive_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.environments.archive(req.params["environment_id"])


def delete_environment(backend: Backend, req: Request) -> Result:
    return 200, backend.environments.delete(req.params["environment_id"])


# ------------------------------------------------------------------------------------------------ sessions
def create_session(backend: Backend, req: Request) -> Result:
    raw = req.json().get("agent")
    # An inference (docs/design.md, "The stub's own words"): no docs page or SDK rule refuses an agent reference's
    # extra fields (the SDK's BetaManagedAgentsAgentParams, a TypedDict, names type, id and version and forbids none);
    # the agent object passed whole is what this reads as (3.1).
    if isinstance(raw, dict) and raw.get("type") == "agent" and set(raw) - {"type", "id", "version"}:
        extra = sorted(set(raw) - {"type", "id", "version"})
        raise InvalidRequest(f"Invalid session: agent.{extra[0]} is not a known field (an agent reference has "
                             "type, id and version). " + offline_hint(_(
                                 "pass agent=agent.id, or {reference} to pin a version, not the agent object.").format(
                                 reference='{"type": "agent", "id": agent.id, "version": agent.version}')))
    budgets.check_shape(req.json().get("budget"))
    return 200, backend.sessions.create(validated_body(req, "SessionCreateParams", "session"))


def list_sessions(backend: Backend, req: Request) -> Result:
    include_archived = req.q_bool("include_archived")
    agent_version = req.q_int("agent_version", None, 1, None)
    statuses = req.q_list("statuses") or []
    bad = [x for x in statuses if x not in _SESSION_STATUSES]
    if bad:
        raise InvalidRequest(f"statuses[]: {bad[0]!r} is not a session status; use rescheduling, running, idle "
                             "or terminated.")
    return 200, backend.sessions.list(include_archived=include_archived, agent_id=req.q("agent_id"),
                                agent_version=agent_version, statuses=statuses, order=req.q_order("desc"),
                                created_at=req.q_time_range(), memory_store_id=req.q("memory_store_id"),
                                deployment_id=req.q("deployment_id"), **req.q_page())


def get_session(backend: Backend, req: Request) -> Result:
    return 200, backend.sessions.get(req.params["session_id"])


def update_session(backend: Backend, req: Request) -> Result:
    if req.json().get("budget") is not None:
        budgets.check_shape(req.json()["budget"])
    return 200, backend.sessions.update(req.params["session_id"], validated_body(req, "SessionUpdateParams",
                                                               "session update"))


def archive_session(backend: Backend, req: Request) -> Result:
    return 200, backend.sessions.archive(req.params["session_id"])


def delete_session(backend: Backend, req: Request) -> Result:
    return 200, backend.sessions.delete(req.params["session_id"])


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
    return 200, backend.sessions.send_events(req.params["session_id"], events)


def list_events(backend: Backend, req: Request) -> Result:
    order = req.q_order("asc")
    return 200, backend.sessions.list_events(req.params["session_id"], types=req.q_list("types") or [], order=order,
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
    _deltas(req)
    session_id = req.params["session_id"]

    def serve(write: Callable[[bytes], Any], request_id: str) -> None:
        s, sub = backend.sessions.subscribe(session_id, deltas, cut, write, stream_head(request_id))
        try:  # this thread writes the stream out; emitters only queue frames (sse.Subscriber)
            sub.pump(backend.keepalive, lambda: backend.sessions.send_keepalive(s, sub))
        finally:
            backend.sessions.unsubscribe(s, sub)

    return 200, Stream(serve)


def list_resources(backend: Backend, req: Request) -> Result:
    return 200, backend.sessions.list_resources(req.params["session_id"], **req.q_page())


def add_resource(backend: Backend, req: Request) -> Result:
    return 200, backend.sessions.add_resource(req.params["session_id"], validated_body(req, "sessions.ResourceAddParams",
                                                             "resource"))


def get_resource(backend: Backend, req: Request) -> Result:
    return 200, backend.sessions.get_resource(req.params["session_id"], req.params["resource_id"])


def delete_resource(backend: Backend, req: Request) -> Result:
    return 200, backend.sessions.delete_resource(req.params["session_id"], req.params["resource_id"])


def update_resource(backend: Backend, req: Request) -> Result:
    body = req.json()
    if not isinstance(body.get("authorization_token"), str):
        raise InvalidRequest("Invalid resource update: authorization_token is required and must be a string.")
    extra = [k for k in body if k != "authorization_token"]
    if extra:
        raise InvalidRequest(f"Invalid resource update: {extra[0]} is not a known field (known: authorization_token).")
    return 200, backend.sessions.update_resource(req.params["session_id"], req.params["resource_id"],
                                  authorization_token=body["authorization_token"])


# ------------------------------------------------------------------------------------------------ threads
_THREAD_STATUSES = ("running", "idle", "rescheduling", "terminated")


def list_threads(backend: Backend, req: Request) -> Result:
    statuses = req.q_list("statuses") or []
    bad = [x for x in statuses if x not in _THREAD_STATUSES]
    if bad:
        raise InvalidRequest(f"statuses[]: {bad[0]!r} is not a thread status; use running, idle, rescheduling or "
                             "terminated.")
    return 200, backend.threads.list(req.params["session_id"], statuses=statuses,
                                     **req.q_page(default_limit=1000, max_limit=1000))


def get_thread(backend: Backend, req: Request) -> Result:
    return 200, backend.threads.get(req.params["session_id"], req.params["thread_id"])


def archive_thread(backend: Backend, req: Request) -> Result:
    return 200, backend.threads.archive(req.params["session_id"], req.params["thread_id"])


def list_thread_events(backend: Backend, req: Request) -> Result:
    return 200, backend.threads.events(req.params["session_id"], req.params["thread_id"], **req.q_page(max_limit=1000))


def _deltas(req: Request) -> list[str]:
    deltas = req.q_list("event_deltas") or []
    bad = [d for d in deltas if d not in _DELTA_TYPES]
    if bad:
        raise InvalidRequest(f"event_deltas[]: {bad[0]!r} is not supported; use agent.message and/or agent.thinking.")
    return deltas


def stream_thread(backend: Backend, req: Request) -> Result:
    """One thread's own stream (``/threads/{thread_id}/stream``): its events from when it opens."""
    deltas = _deltas(req)
    session_id, thread_id = req.params["session_id"], req.params["thread_id"]
    backend.threads.get(session_id, thread_id)  # a 404 before the stream opens

    def serve(write: Callable[[bytes], Any], request_id: str) -> None:
        s, sub, t = backend.threads.subscribe(session_id, thread_id, deltas, write, stream_head(request_id))
        try:
            sub.pump(backend.keepalive, lambda: backend.sessions.send_keepalive(s, sub))
        finally:
            backend.threads.unsubscribe(s, sub, t)

    return 200, Stream(serve)


# ------------------------------------------------------------------------------------------------ deployments
def _deployment_body(req: Request, params_type: str, what: str) -> dict[str, Any]:
    """A deployment body: its budget and schedule checked first (clearer messages than the type check's)."""
    body = req.json()
    budgets.check_shape(body.get("budget"))
    check_schedule(body.get("schedule"))
    return validated_body(req, params_type, what)


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
    return {name: (filename, content, ctype) for name, filename, content, ctype in _multipart_parts(
        req, "POST /v1/files takes multipart/form-data with a 'file' part. Use client.beta.files.upload(file=open("
             "path, 'rb')) or file=(name, bytes, mime_type).")}


def _multipart_parts(req: Request, usage: str) -> list[tuple[str, str | None, bytes, str]]:
    """The parts of a multipart/form-data body, in order: ``(name, filename, bytes, content type)``; a 400 saying
    ``usage`` when the body is not multipart."""
    ctype = req.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
        raise InvalidRequest(usage)
    delimiter = b"--" + ctype.split("boundary=", 1)[1].split(";", 1)[0].strip().strip('"').encode()
    body = req.body
    parts: list[tuple[str, str | None, bytes, str]] = []
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
            parts.append((str(name), msg.get_filename(), body[blank + 4:content_end],
                          msg.get_content_type() if msg.get("content-type") else "application/octet-stream"))
    return parts


def upload_file(backend: Backend, req: Request) -> Result:
    parts = _multipart(req)
    if "file" not in parts:
        raise InvalidRequest(f"file: is required but missing (parts sent: {sorted(parts)}). Pass file=open(path, 'rb').")
    filename, content, mime = parts["file"]
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    check_text(name, ["file.filename"])
    check_text(mime, ["file.content_type"])
    check_name({"name": name}, "file")
    if mime in ("application/octet-stream", "") and name:
        mime = mimetypes.guess_type(name)[0] or ("text/plain" if name.endswith((".log", ".txt", ".md")) else mime)
    return 200, backend.files.upload(name or "unnamed", content, mime)


#: files.list(scope_id=...): "Filtering by `scope_id` requires the `managed-agents-2026-04-01` beta header" (docs,
#: managed-agents/files, "Listing and downloading session files"), and the SDK's beta.files methods send no beta header
#: by default. The docs do not say how the service answers a request without it; the stub's 400 is its choice.
_SCOPE_NEEDS_BETA = ("scope_id is a Managed Agents parameter of the Files API: send the header 'anthropic-beta: "
                     f"{MANAGED_AGENTS_BETA}' with it. The SDK's client.beta.files methods do not send it by default: "
                     f"call client.beta.files.list(scope_id=session.id, betas=[\"{MANAGED_AGENTS_BETA}\"]), or the "
                     "workshop's list_outputs(client, session.id) (from helpers.outputs), which also waits for outputs "
                     "that lag the idle.")


def list_files(backend: Backend, req: Request) -> Result:
    beta = {b.strip() for b in req.headers.get("anthropic-beta", "").split(",")}
    if req.q("scope_id") is not None and MANAGED_AGENTS_BETA not in beta:
        raise InvalidRequest(_SCOPE_NEEDS_BETA)
    ids = req.q_list("ids")
    if ids is not None:
        if req.q("page") or req.q("limit"):
            raise InvalidRequest("ids: cannot be combined with page or limit; a list by ids is always one page.")
        ids = list(dict.fromkeys(ids))
        if len(ids) > 100:
            raise InvalidRequest(f"ids: at most 100 ids (after removing duplicates), got {len(ids)}; "
                                 "split the list into several calls.")
        return 200, backend.files.list(ids=ids, scope_id=None, limit=len(ids), page=None)
    return 200, backend.files.list(ids=None, scope_id=req.q("scope_id"), **req.q_page(max_limit=1000))


def get_file(backend: Backend, req: Request) -> Result:
    return 200, backend.files.get(req.params["file_id"])


def delete_file(backend: Backend, req: Request) -> Result:
    return 200, backend.files.delete(req.params["file_id"])


def download_file(backend: Backend, req: Request) -> Result:
    meta, content = backend.files.content(req.params["file_id"])
    return 200, (content, meta["mime_type"])



# ------------------------------------------------------------------------------------------------ notebook 08
# Skills (skills.py), memory stores (memory_stores.py) and dreams (dreams.py): the same work as above, parse and
# coerce, then call the resource's backend.
__all__ += [
    "create_skill", "list_skills", "get_skill", "delete_skill", "create_skill_version", "list_skill_versions",
    "get_skill_version", "delete_skill_version", "download_skill_version", "create_memory_store",
    "list_memory_stores", "get_memory_store", "update_memory_store", "delete_memory_store", "archive_memory_store",
    "create_memory", "list_memories", "get_memory", "update_memory", "delete_memory", "list_memory_versions",
    "get_memory_version", "redact_memory_version", "create_dream", "list_dreams", "get_dream", "archive_dream",
    "cancel_dream"]

_SKILL_UPLOAD = ("Skills are uploaded as multipart/form-data with one files[] part per file. Use "
                 "client.beta.skills.create(files=[(\"incident-runbooks/SKILL.md\", text, \"text/markdown\"), ...]).")


def _skills_dialect(req: Request) -> None:
    if OLD_DIALECT in {b.strip() for b in req.headers.get("anthropic-beta", "").split(",")}:
        raise InvalidRequest(f"(offline stub) anthropic-beta: {OLD_DIALECT} asks for the Skills API's first dialect, "
                             "which addresses versions by Unix epoch timestamps; the stub serves only the version ids "
                             "the installed SDK's types describe. Drop that beta header (the Skills API needs none).")


def _skill_files(req: Request) -> tuple[list[tuple[str, bytes]], str | None]:
    """The ``files[]`` parts (path, bytes) and the ``display_name`` of a skill upload."""
    _skills_dialect(req)
    parts = _multipart_parts(req, _SKILL_UPLOAD)
    files, display = [], None
    for name, filename, content, _ctype in parts:
        if name in ("files[]", "files"):
            check_text(filename or "", ["files.filename"])
            files.append((filename or "", content))
        elif name == "display_name":
            try:
                display = content.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidRequest("display_name: is not UTF-8 text.") from None
            check_text(display, ["display_name"])
        else:
            raise InvalidRequest(f"{name}: is not a field of a skill upload (fields: files[], display_name).")
    return files, display


def create_skill(backend: Backend, req: Request) -> Result:
    files, display = _skill_files(req)
    return 200, backend.skills.create(files, display)


def list_skills(backend: Backend, req: Request) -> Result:
    _skills_dialect(req)
    source = req.q("source")
    if source not in (None, "custom", "anthropic"):
        raise InvalidRequest(f"source: {source!r} is not a skill source; use custom or anthropic.")
    return 200, backend.skills.list(source=source, **req.q_page(max_limit=1000))


def get_skill(backend: Backend, req: Request) -> Result:
    _skills_dialect(req)
    return 200, backend.skills.get(req.params["skill_id"])


def delete_skill(backend: Backend, req: Request) -> Result:
    _skills_dialect(req)
    return 200, backend.skills.delete(req.params["skill_id"])


def create_skill_version(backend: Backend, req: Request) -> Result:
    files, display = _skill_files(req)
    if display is not None:
        raise InvalidRequest("display_name: a version takes only files[]; the display name belongs to the skill.")
    return 200, backend.skills.create_version(req.params["skill_id"], files)


def list_skill_versions(backend: Backend, req: Request) -> Result:
    _skills_dialect(req)
    return 200, backend.skills.list_versions(req.params["skill_id"], **req.q_page(max_limit=1000))


def get_skill_version(backend: Backend, req: Request) -> Result:
    _skills_dialect(req)
    return 200, backend.skills.get_version(req.params["skill_id"], req.params["version"])


def delete_skill_version(backend: Backend, req: Request) -> Result:
    _skills_dialect(req)
    return 200, backend.skills.delete_version(req.params["skill_id"], req.params["version"])


def download_skill_version(backend: Backend, req: Request) -> Result:
    _skills_dialect(req)
    return 200, (backend.skills.download(req.params["skill_id"], req.params["version"]), "application/zip")


def _memory_body(req: Request, params_type: str, what: str, path_params: tuple[str, ...] = ()) -> dict[str, Any]:
    """A memory store's or a memory's body, validated against the SDK's params type of that name (whose
    ``path_params`` the URL carries: they are checked with the body, then left out of it)."""
    beta, _ = sdk_types()
    body = req.json()
    misplaced = sorted((set(body) & set(path_params)) | ({"view"} & set(body)))
    if misplaced:
        where = "view is a query parameter" if misplaced[0] == "view" else "it is part of the path"
        raise InvalidRequest(f"{misplaced[0]}: is not a field of the body ({where}).")
    if params_type.startswith("memory_stores."):
        from anthropic.types.beta import memory_stores as module

        params_type = params_type.split(".", 1)[1]
    else:
        module = beta
    out = validate_params(getattr(module, params_type), {**body, **{k: req.params[k] for k in path_params}}, what=what)
    return {k: v for k, v in out.items() if k not in path_params}


def _view(req: Request, default: str) -> str:
    view = req.q("view") or default
    if view not in ("basic", "full"):
        raise InvalidRequest(f"view: {view!r} is not a view; use basic (content null) or full (content included).")
    return view


def create_memory_store(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.create(_memory_body(req, "MemoryStoreCreateParams", "memory store"))


def list_memory_stores(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.list(include_archived=req.q_bool("include_archived"), created_at=req.q_time_range(),
                                    **req.q_page())


def get_memory_store(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.get(req.params["memory_store_id"])


def update_memory_store(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.update(req.params["memory_store_id"],
                                      _memory_body(req, "MemoryStoreUpdateParams", "memory store update"))


def delete_memory_store(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.delete(req.params["memory_store_id"])


def archive_memory_store(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.archive(req.params["memory_store_id"])


def create_memory(backend: Backend, req: Request) -> Result:
    body = _memory_body(req, "memory_stores.MemoryCreateParams", "memory")
    return 200, backend.memory.create_memory(req.params["memory_store_id"], body, _view(req, "basic"))


def list_memories(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.list_memories(
        req.params["memory_store_id"], path_prefix=req.q("path_prefix"), depth=req.q_int("depth", 0, 0, 20),
        view=_view(req, "basic"), **req.q_page())


def get_memory(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.get_memory(req.params["memory_store_id"], req.params["memory_id"], _view(req, "full"))


def update_memory(backend: Backend, req: Request) -> Result:
    body = _memory_body(req, "memory_stores.MemoryUpdateParams", "memory update", ("memory_store_id",))
    return 200, backend.memory.update_memory(req.params["memory_store_id"], req.params["memory_id"], body,
                                             _view(req, "basic"))


def delete_memory(backend: Backend, req: Request) -> Result:
    expected = req.q("expected_content_sha256")
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise InvalidRequest("expected_content_sha256: 64 lowercase hexadecimal characters (the memory's "
                             "content_sha256 as you last read it), or omit it to delete unconditionally.")
    return 200, backend.memory.delete_memory(req.params["memory_store_id"], req.params["memory_id"], expected)


def list_memory_versions(backend: Backend, req: Request) -> Result:
    operation = req.q("operation")
    if operation not in (None, "created", "modified", "deleted"):
        raise InvalidRequest(f"operation: {operation!r} is not an operation; use created, modified or deleted.")
    filters = {k: req.q(k) for k in ("memory_id", "session_id", "api_key_id", "service_account_id")}
    filters["operation"] = operation
    return 200, backend.memory.list_versions(req.params["memory_store_id"], filters=filters,
                                             created_at=req.q_time_range(), view=_view(req, "basic"), **req.q_page())


def get_memory_version(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.get_version(req.params["memory_store_id"], req.params["memory_version_id"],
                                           _view(req, "full"))


def redact_memory_version(backend: Backend, req: Request) -> Result:
    return 200, backend.memory.redact(req.params["memory_store_id"], req.params["memory_version_id"])


def create_dream(backend: Backend, req: Request) -> Result:
    return 200, backend.dreams.create(validated_body(req, "DreamCreateParams", "dream"))


def list_dreams(backend: Backend, req: Request) -> Result:
    statuses = req.q_list("statuses") or []
    bad = [x for x in statuses if x not in ("pending", "running", *DREAM_FINAL)]
    if bad:
        raise InvalidRequest(f"statuses[]: {bad[0]!r} is not a dream status; use pending, running, completed, failed "
                             "or canceled.")
    return 200, backend.dreams.list(include_archived=req.q_bool("include_archived"), statuses=statuses,
                                    created_at=req.q_time_range(), **req.q_page())


def get_dream(backend: Backend, req: Request) -> Result:
    return 200, backend.dreams.get(req.params["dream_id"])


def archive_dream(backend: Backend, req: Request) -> Result:
    return 200, backend.dreams.archive(req.params["dream_id"])


def cancel_dream(backend: Backend, req: Request) -> Result:
    return 200, backend.dreams.cancel(req.params["dream_id"])


# ------------------------------------------------------------------------------------------------ vaults
def _vault_body(req: Request, params_type: str, what: str) -> dict[str, Any]:
    """A vault or credential body, validated against the SDK's params type (in ``anthropic.types.beta.vaults`` for
    credentials); an error about it never repeats a secret the body holds (vaults.scrub)."""
    from anthropic.types.beta import vaults as vault_types

    body = req.json()
    try:
        if params_type.startswith("Credential"):
            if "vault_id" in body:
                raise InvalidRequest(f"Invalid {what}: vault_id is not a known field of the body; it is the path's.")
            tp = getattr(vault_types, params_type)
            checked = validate_params(tp, {**body, "vault_id": req.params["vault_id"]} if "Update" in params_type
                                      else body, what=what)
            checked.pop("vault_id", None)
            return checked
        return validated_body(req, params_type, what)
    except StubError as e:
        raise scrub(e, body) from None


def _credential_call(req: Request, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except StubError as e:
        raise scrub(e, req.json() if req.body.strip() else {}) from None


def create_vault(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.create(_vault_body(req, "VaultCreateParams", "vault"))


def list_vaults(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.list(include_archived=req.q_bool("include_archived"), **req.q_page())


def get_vault(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.get(req.params["vault_id"])


def update_vault(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.update(req.params["vault_id"], _vault_body(req, "VaultUpdateParams", "vault update"))


def archive_vault(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.archive(req.params["vault_id"])


def delete_vault(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.delete(req.params["vault_id"])


def create_credential(backend: Backend, req: Request) -> Result:
    p = _vault_body(req, "CredentialCreateParams", "credential")
    return 200, _credential_call(req, lambda: backend.vaults.create_credential(req.params["vault_id"], p))


def list_credentials(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.list_credentials(req.params["vault_id"], include_archived=req.q_bool("include_archived"),
                                                **req.q_page())


def get_credential(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.get_credential(req.params["vault_id"], req.params["credential_id"])


def update_credential(backend: Backend, req: Request) -> Result:
    p = _vault_body(req, "CredentialUpdateParams", "credential update")
    return 200, _credential_call(req, lambda: backend.vaults.update_credential(req.params["vault_id"],
                                                                               req.params["credential_id"], p))


def archive_credential(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.archive_credential(req.params["vault_id"], req.params["credential_id"])


def delete_credential(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.delete_credential(req.params["vault_id"], req.params["credential_id"])


def validate_credential(backend: Backend, req: Request) -> Result:
    return 200, backend.vaults.validate_credential(req.params["vault_id"], req.params["credential_id"])
