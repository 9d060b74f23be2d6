"""Sessions (state and rules, moto's ``models`` for ``/v1/sessions``), beside :class:`helpers.stub.models.Backend`,
which owns one :class:`SessionsBackend`; one session's own state and rules are session_state.py's.

* Creating a session: its environment (not archived), its agent as the session copies it (agents.py), its budget
  (budgets.py) and vaults (vaults.py), its resources (at most :data:`MAX_SESSION_FILES` files, each a session copy:
  files.py; at most 8 memory stores, each once), the recording it asks for (``metadata["recording"]``) and its
  initial events (at most 50), all checked before anything is kept.
* Updating one: no agent change while it runs (409), a budget by budgets.py's rules (a raise resumes the work it
  paused), a ``session.updated`` carrying only what changed; archiving or deleting a running session is a 409, and
  deleting releases its history, streams and file copies.
* Its resources, its events (``send_events``: the whole batch checked first; ``list_events``) and its streams
  (``subscribe``; the offline idle-stream safety net's message, :func:`_idle_stream_message`).
* What the replay engine may do to a session (:class:`_ReplayHost`, the ``replay.Host`` it is handed), which
  recordings a session could have produced (``_fit``, fit.py; ``_mounts_unfit``, mounts.py), and the memories its
  agent writes through a mounted store.
"""
from __future__ import annotations

import builtins
import copy
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..events import EVENT_IDS_WINDOW
from ..sandbox import UPLOADS_DIR
from . import budgets, mounts, multiagent
from .agents import normalize_tools
from .exceptions import Conflict, InvalidRequest, get_or_404
from .fit import Fit
from .memory_stores import MAX_STORES_PER_SESSION
from .recordings import Recording
from .replay import Replayer, ReplaySettings
from .session_state import Plan, SessionState
from .sse import Subscriber, error_frame
from .utils import Cursor, TimeRange, new_id, now, paginate, patch_metadata, rfc3339
from .validation import sdk_types, validate_response

__all__ = ["SessionsBackend", "MAX_SESSION_FILES"]


#: Files a session can hold: "A maximum of 500 files is supported per session"
#: (https://platform.claude.com/docs/en/managed-agents/files, "Multiple files"; the page said 100 until mid-2026).
MAX_SESSION_FILES = 500


def _check_file_count(n: int) -> None:
    if n > MAX_SESSION_FILES:
        raise InvalidRequest(f"resources: a session holds at most {MAX_SESSION_FILES} files, and this would make it "
                             f"{n}. Put related files in one archive (.zip or .tar.gz) and let the agent extract it.")


def _check_memory_stores(wanted: list[dict[str, Any]]) -> None:
    """At most 8 memory stores a session, each once (the cookbook's memory notebook: "A session can attach up to
    eight memory stores")."""
    if len(wanted) > MAX_STORES_PER_SESSION:
        raise InvalidRequest(f"resources: {len(wanted)} memory stores; a session attaches at most "
                             f"{MAX_STORES_PER_SESSION}.")
    ids = [r["memory_store_id"] for r in wanted]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InvalidRequest(f"resources: memory store {twice[0]!r} is attached twice; attach each store once.")


def _idle_stream_message(s: SessionState, limit: float, delivered: int = 0) -> str:
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


class _ReplayHost:
    """What the replay engine of one session may do (the :class:`replay.Host` interface): emit events, be
    scheduled, read the replay settings, see and abandon what waits for an answer."""

    __slots__ = ("_backend", "_state")

    def __init__(self, backend: Any, state: SessionState) -> None:
        self._backend = backend
        self._state = state

    def emit(self, event: dict[str, Any], thread: str | None = None) -> dict[str, Any]:
        out = self._state.emit(event, thread=thread)
        if self._state.new_outputs:
            self._backend.files.save_outputs(self._state)
        if self._state.new_memory_writes:
            self._backend.sessions.save_memory_writes(self._state)
        return out

    def schedule(self, delay: float) -> None:
        assert self._state.replayer is not None
        self._backend.scheduler.schedule(self._state.replayer, delay)

    def settings(self) -> ReplaySettings:
        b = self._backend
        return ReplaySettings(b.speed, b.max_gap, b.interrupt_wait)

    def alive(self) -> bool:
        s = self._state
        return s.status != "terminated" and self._backend.sessions.sessions.get(s.id) is s

    def waiting_on(self, thread: str | None = None) -> list[str]:
        if thread is None:
            return self._state.waiting.window()
        routes = self._state.routes
        return [i for i in self._state.waiting.ids() if routes.get(i) == thread][:EVENT_IDS_WINDOW]

    def abandon_waiting(self, thread: str | None = None) -> bool:
        s = self._state
        if thread is None:
            s.routes.clear()
            return s.waiting.clear()
        mine = [i for i, t in s.routes.items() if t == thread]
        for i in mine:
            s.routes.pop(i)
            s.waiting.results.pop(i, None)
            s.waiting.confirmations.pop(i, None)
        return bool(mine)

    def primary_thread_id(self) -> str:
        return self._state.threads.primary.id

    def thread_status(self, thread: str) -> str | None:
        t = self._state.threads.by_id.get(thread)
        return None if t is None else "starting" if t.starting else t.status

    def over_budget(self) -> bool:
        return self._state.over_budget()

    def take_up(self, event: dict[str, Any]) -> None:
        self._state.take_up(event)

    def advance(self, seconds: float) -> None:
        running = self._state.status == "running"
        if running:  # the recorded time between two events the agent spent working
            self._state.active_seconds += seconds
        self._state.threads.advance(seconds, running)


class SessionsBackend:
    """Sessions (``sessions[id]``: a :class:`SessionState`). Uses the owning backend's lock, its replay settings and
    scheduler, and its other resources (agents, environments, files, memory stores, skills, vaults)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.sessions: dict[str, SessionState] = {}

    # ---------------------------------------------------------------- what a session writes
    def save_memory_writes(self, s: SessionState) -> None:
        """What the agent wrote under a memory store's mount: memories of that store, each write a version by the
        session (``created_by``: a ``session_actor``; mounts.py)."""
        stores = {r["mount_path"]: r["memory_store_id"] for r in s.data["resources"] if r["type"] == "memory_store"}
        while s.new_memory_writes:
            mount, path, content = s.new_memory_writes.pop(0)
            if mount in stores and stores[mount] in self.backend.memory.stores:
                self.backend.memory.write(stores[mount], path, content, {"type": "session_actor", "session_id": s.id},
                                  check_archived=False)

    def _mounts_unfit(self, rec: Recording, s: SessionState) -> str | None:
        """Why session ``s`` could not have made ``rec``, for what its skills and memory mounts decide."""
        events = [ln.event for ln in rec.lines]
        stores = {r["mount_path"]: (r["memory_store_id"], r.get("access") or "read_write",
                                    self.backend.memory.paths(r["memory_store_id"]))
                  for r in s.data["resources"] if r["type"] == "memory_store"}
        return mounts.unfit(rec.name, events, self.backend.skills.mounted(s.data["agent"]["skills"]), stores)

    # ---------------------------------------------------------------- sessions
    def state(self, session_id: str) -> SessionState:
        return get_or_404(self.sessions, "session", session_id, "Create one with client.beta.sessions.create(agent=..., "
                                                                "environment_id=...) and use its .id.")

    def _make_resource(self, r: dict[str, Any], t: str, session_id: str, copies: dict[str, Any]) -> dict[str, Any]:
        """A session resource; a file's session copy goes into ``copies`` (files.py stores them: ``keep``)."""
        if r["type"] == "file":
            copy_id, stored = self.backend.files.session_copy(r["file_id"], session_id, t)
            copies[copy_id] = stored
            return {"type": "file", "id": new_id("sesrsc"), "file_id": copy_id,
                    "mount_path": r.get("mount_path") or f"{UPLOADS_DIR}/{r['file_id']}",
                    "created_at": t, "updated_at": t}
        if r["type"] == "github_repository":
            repo = r["url"].rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
            out = {"type": "github_repository", "id": new_id("sesrsc"), "url": r["url"],
                   "mount_path": r.get("mount_path") or f"/workspace/{repo}", "created_at": t, "updated_at": t}
            if r.get("checkout"):
                out["checkout"] = dict(r["checkout"])
            return out
        if r["type"] == "memory_store":
            return self.backend.memory.attach(r)  # mounted at /mnt/memory/<slug> (memory_stores.py)
        out = {k: v for k, v in r.items() if v is not None}
        return out

    def create(self, p: dict[str, Any], *, deployment_id: str | None = None) -> dict[str, Any]:
        """``p``: the validated ``SessionCreateParams``; ``deployment_id`` when a deployment's run creates it."""
        beta, _ = sdk_types()
        with self.backend.lock:
            env = self.backend.environments.get(p["environment_id"])
            if env["archived_at"]:
                raise InvalidRequest(f"environment {env['id']!r} is archived; create a new environment for new "
                                     "sessions.", error_code="environment_archived")
            snap = self.backend.agents.snapshot(p["agent"])
            budgets.check_models(p.get("budget"), snap["model"]["id"])
            self.backend.vaults.check_session_vaults(list(p.get("vault_ids") or []))
            created = now()
            t = rfc3339(created)
            session_id = new_id("sesn")
            wanted = p.get("resources") or []
            _check_file_count(sum(r["type"] == "file" for r in wanted))
            _check_memory_stores([r for r in wanted if r["type"] == "memory_store"])
            for r in wanted:
                if r["type"] == "file":
                    self.backend.files.get(r["file_id"])  # every file exists before any copy is made
            copies: dict[str, Any] = {}  # the session's file copies, kept only if the whole create succeeds
            resources = [self._make_resource(r, t, session_id, copies) for r in wanted]
            metadata = patch_metadata({}, p.get("metadata"))
            data = {"id": session_id, "type": "session", "status": "idle", "agent": snap,
                    "environment_id": env["id"], "metadata": metadata, "resources": resources,
                    "vault_ids": list(p.get("vault_ids") or []), "outcome_evaluations": [], "stats": {}, "usage": {},
                    "title": p.get("title"), "budget": p.get("budget"), "deployment_id": deployment_id,
                    "created_at": t, "updated_at": t, "archived_at": None}
            state = SessionState(data, created)
            state.replayer = Replayer(_ReplayHost(self.backend, state), self.backend.library, session_id)
            state.mounts_unfit = lambda rec: self._mounts_unfit(rec, state)
            if "recording" in metadata:  # 400 on an unknown name / a session that could not have made it
                state.check_budget_fit(state.replayer.choose(metadata["recording"], self._fit(state)))
            initial = p.get("initial_events") or []
            if len(initial) > 50:
                raise InvalidRequest(f"initial_events: at most 50 events, got {len(initial)}. Send the rest with "
                                     "client.beta.sessions.events.send after creating the session.")
            plan = self._check_events(state, list(initial), "initial_events") if initial else None
            validate_response(beta.BetaManagedAgentsSession, state.view())
            self.backend.files.keep(copies)
            self.sessions[state.id] = state
            if plan is not None:
                state.accept(plan)
            return state.view()

    def get(self, session_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self.state(session_id).view()

    def update(self, session_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``SessionUpdateParams``."""
        beta, _ = sdk_types()
        with self.backend.lock:
            s = self.state(session_id)
            if p.get("vault_ids"):
                raise InvalidRequest("vault_ids: attaching vaults by updating a session is not supported yet (the "
                                     "field is reserved). Pass vault_ids when you create the session instead.")
            if p.get("agent") and s.status == "running":
                raise Conflict(
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
                    s.replayer.choose(d["metadata"]["recording"], self._fit(s), switching=True)
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
            validate_response(beta.BetaManagedAgentsSession, view)
            # session.updated carries only what changed (the agent as its full snapshot); no change, no event
            changed: dict[str, Any] = {}
            for key in ("title", "budget", "agent"):
                if key in d and d[key] != s.data.get(key):
                    changed[key] = d[key]
            if d["metadata"] != s.data["metadata"] and d["metadata"]:
                changed["metadata"] = d["metadata"]
            s.data = d
            if changed:
                s.emit({"type": "session.updated", **copy.deepcopy(changed)})
            if "budget" in changed:
                s.replayer.budget_changed()  # a raised or removed budget resumes the work it paused
            return s.view()

    def list(self, *, include_archived: bool, agent_id: str | None, agent_version: int | None,
                      statuses: Sequence[str], order: str, created_at: TimeRange, memory_store_id: str | None,
                      deployment_id: str | None, limit: int, page: Cursor | None) -> dict[str, Any]:
        ok, mem, dep = created_at.contains, memory_store_id, deployment_id
        with self.backend.lock:
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
            out = paginate(items, lambda s: (s.data["created_at"], s.id), limit=limit, page=page,
                           descending=order == "desc", bidirectional=True)
            out["data"] = [s.view() for s in out["data"]]
            return out

    def archive(self, session_id: str) -> dict[str, Any]:
        with self.backend.lock:
            s = self.state(session_id)
            if s.status == "running" and not s.data["archived_at"]:
                raise Conflict("session is running and cannot be archived. Stop it first: send "
                                     "{\"type\": \"user.interrupt\"}, wait for session.status_idle, then archive it.")
            if not s.data["archived_at"]:
                s.data["archived_at"] = s.data["updated_at"] = rfc3339(now())
            return s.view()

    def delete(self, session_id: str) -> dict[str, Any]:
        """Delete an idle (or terminated) session: its history, its streams and its file copies go with it. A running
        session cannot be deleted (409): the docs say to send an interrupt event first."""
        with self.backend.lock:
            s = self.state(session_id)
            if s.status in ("running", "rescheduling"):
                raise Conflict(f"session {session_id!r} is {s.status} and cannot be deleted. Send "
                               "{\"type\": \"user.interrupt\"}, wait for session.status_idle, then delete it.")
            s.emit({"type": "session.deleted"})
            s.replayer.stop()
            s.close_streams()
            del self.sessions[session_id]
            self.backend.files.delete_scoped(session_id)  # its own instances of its files
            s.release()
        return {"id": session_id, "type": "session_deleted"}

    # ---------------------------------------------------------------- session resources
    def list_resources(self, session_id: str, *, limit: int, page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            items = list(self.state(session_id).data["resources"])
        return paginate(items, lambda r: (r.get("created_at", ""), r.get("id", "")), limit=limit, page=page,
                        descending=False)

    def add_resource(self, session_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``ResourceAddParams``."""
        with self.backend.lock:
            s = self.state(session_id)
            _check_file_count(1 + sum(x["type"] == "file" for x in s.data["resources"]))
            copies: dict[str, Any] = {}
            r = self._make_resource({"type": "file", **p}, rfc3339(now()), session_id, copies)
            self.backend.files.keep(copies)
            s.data["resources"] = s.data["resources"] + [r]
            return r

    def get_resource(self, session_id: str, resource_id: str) -> dict[str, Any]:
        with self.backend.lock:
            resources = {r.get("id"): r for r in self.state(session_id).data["resources"]}
            return get_or_404(resources, "session resource", resource_id, "List them with "
                              "client.beta.sessions.resources.list(session_id).")

    def delete_resource(self, session_id: str, resource_id: str) -> dict[str, Any]:
        with self.backend.lock:
            s = self.state(session_id)
            self.get_resource(session_id, resource_id)
            s.data["resources"] = [r for r in s.data["resources"] if r.get("id") != resource_id]
        return {"id": resource_id, "type": "session_resource_deleted"}

    def update_resource(self, session_id: str, resource_id: str, *, authorization_token: str) -> dict[str, Any]:
        with self.backend.lock:
            r = self.get_resource(session_id, resource_id)
            if r["type"] != "github_repository":
                raise InvalidRequest(f"resource {resource_id!r} is a {r['type']} resource; only github_repository "
                                     "resources take a new authorization_token.")
            r["updated_at"] = rfc3339(now())  # the token itself is write-only: never shown again
            self.state(session_id).tokens[resource_id] = authorization_token
            return r

    # ---------------------------------------------------------------- events
    def send_events(self, session_id: str, events: builtins.list[Any]) -> dict[str, Any]:
        """``events``: a non-empty list, each validated here as a whole batch before any is applied."""
        with self.backend.lock:
            s = self.state(session_id)
            plan = self._check_events(s, events, "events")  # the whole batch; raises before any change
            stored = s.accept(plan)
        return {"data": stored}

    def _check_events(self, s: SessionState, events: builtins.list[Any], path: str) -> Plan:
        env = self.backend.environments.find(s.data["environment_id"])
        return s.check_events(events, path, file_exists=self.backend.files.exists,
                              self_hosted=bool(env) and env["config"]["type"] == "self_hosted",
                              fit=lambda: self._fit(s))

    def _fit(self, s: SessionState) -> Fit:
        """What the replay needs to know of a session to tell which recordings it could have produced (fit.py)."""
        agent = s.data["agent"]
        env = self.backend.environments.find(s.data["environment_id"])
        return Fit(tools=agent["tools"], mounts=s.mounts(), mcp_servers=agent.get("mcp_servers") or [],
                   roster=multiagent.roster(agent.get("multiagent")),
                   networking=(env or {}).get("config", {}).get("networking"),
                   credential_urls=self.backend.vaults.credential_urls(list(s.data.get("vault_ids") or [])))

    def list_events(self, session_id: str, *, types: Sequence[str], order: str, created_at: TimeRange, limit: int,
                    page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            s = self.state(session_id)
            items = [e for e in s.events if (not types or e.type in types) and created_at.contains(e.ts)]
        out = paginate(items, lambda e: (e.seq,), limit=limit, page=page, descending=order == "desc")
        out["data"] = [e.data for e in out["data"]]
        return out

    def subscribe(self, session_id: str, deltas: Sequence[str], cut_after: int | None,
                  write: Callable[[bytes], Any], head: bytes) -> tuple[SessionState, Subscriber]:
        """Register a stream and send its response head, atomically: it gets every event emitted after that."""
        with self.backend.lock:
            s = self.state(session_id)
            sub = Subscriber(write, deltas, cut_after if cut_after is not None else self.backend.fault.get("cut_stream_after"))
            sub.push(head)  # queued like every frame: written by the stream's own thread, never under the lock
            if s.status == "terminated":
                sub.close()
            else:
                s.subscribers.append(sub)
            return s, sub

    def send_keepalive(self, s: SessionState, sub: Subscriber) -> None:
        with self.backend.lock:
            limit = self.backend.idle_stream_timeout
            if limit is not None and s.status == "idle" and time.monotonic() - sub.last_activity >= limit:
                body = {"type": "error", "error": {"type": "invalid_request_error",
                                                   "message": _idle_stream_message(s, limit, sub.sent)}}
                sub.close(error_frame(body))  # the SDK raises it as an APIStatusError in the learner's loop
                return
            sub.keepalive()

    def unsubscribe(self, s: SessionState, sub: Subscriber) -> None:
        with self.backend.lock:
            sub.close()
            try:
                s.subscribers.remove(sub)
            except ValueError:
                pass

    def running_in(self, env_id: str) -> builtins.list[str]:
        """The ids of the sessions of environment ``env_id`` that are running."""
        return [s.id for s in self.sessions.values() if s.data["environment_id"] == env_id and s.status == "running"]

    def close_streams(self) -> None:
        with self.backend.lock:
            for s in self.sessions.values():
                s.close_streams()
