"""Session threads (``/v1/sessions/{id}/threads``): a session's primary thread, the child threads its agent spawns,
their own histories and streams, and what is cross-posted between them.

Sources (quoted where a rule is applied): the SDK's types and docstrings (``BetaManagedAgentsSessionThread``, the
``session.thread_*`` events, ``session_thread_id`` on tool uses and answers) and
https://platform.claude.com/docs/en/managed-agents/multiagent-orchestration:

* "Each session has one primary thread plus zero or more child threads." (SDK) "The full list includes the primary
  thread. parent_thread_id is null for the primary thread." (docs) The primary thread is the session-level stream
  ("the primary thread (which is the same as the session-level event stream)"), so its events are the session's.
* ``session.thread_status_*``: "Emitted on the thread's own stream and cross-posted to the primary stream for child
  threads." (SDK) A subagent's ``always_ask`` tool use or custom tool use "is cross-posted to the primary thread with
  session_thread_id identifying the originating session thread" (docs); the copy keeps the event's id, since "the
  server routes the matching user.tool_confirmation by tool_use_id" (SDK). The answer is stored with
  ``session_thread_id`` "Set by the server to the subagent thread this result was routed to" (SDK), in the session's
  history and in the thread's.
* "A maximum of 25 concurrent threads are supported." (docs) ``stats`` is "Null until the thread's first status
  transition", ``usage`` "Null until the thread's first idle transition" (SDK); a thread's cost is "priced at the
  thread's own served model" (docs, budgets), and its ``startup_seconds`` is "Zero for child threads" (SDK).
* ``session.thread_status_terminated``: "A thread was archived or encountered a terminal error." (docs)

Inferences (no source states them): the primary thread cannot be archived (archive the session), a running thread
cannot be archived (409, like a running session: interrupt it with its ``session_thread_id`` first), and an
interrupt naming a thread the session does not have, or one that is archived, is a 400.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ..events import waits_for_confirmation
from . import budgets, pricing
from .exceptions import Conflict, InvalidRequest, NotFound
from .sse import StoredEvent, Subscriber
from .utils import Cursor, now, paginate, rfc3339
from .validation import sdk_types, validate_event, validate_response

__all__ = ["MAX_CONCURRENT", "THREAD_STATUS", "ThreadState", "SessionThreads", "ThreadsBackend", "cross_post",
           "check_archivable", "close_streams"]

#: "A maximum of 25 concurrent threads are supported." (docs)
MAX_CONCURRENT = 25

#: A child thread's status event -> the status it leaves behind.
THREAD_STATUS = {"session.thread_status_running": "running", "session.thread_status_idle": "idle",
                 "session.thread_status_rescheduled": "rescheduling",
                 "session.thread_status_terminated": "terminated"}


def cross_post(event: dict[str, Any], thread_id: str) -> dict[str, Any] | None:
    """The copy of a child thread's event that the primary thread's stream carries, or None (the event stays on
    the thread's own stream)."""
    if event["type"] in THREAD_STATUS:
        return copy.deepcopy(event)
    if event["type"] == "agent.custom_tool_use" or waits_for_confirmation(event):
        return {**copy.deepcopy(event), "session_thread_id": thread_id}
    return None


class ThreadState:
    """One thread of a session: its record, and (a child's) own history, streams, status and usage."""

    def __init__(self, data: dict[str, Any], created: datetime, model_id: str) -> None:
        self.data = data
        self.id: str = data["id"]
        self.created = created
        self.model_id = model_id
        self.events: list[StoredEvent] = []
        self.subscribers: list[Subscriber] = []
        self.seq = 0
        self.active_seconds = 0.0  # recorded seconds spent running: the replay's clock (advance), whatever its pace
        self.transitioned = False  # stats: null until the first status transition
        self.starting = False  # a child just spawned: running, its session.thread_status_running not yet sent
        self.idled = False  # usage: null until the first idle
        self.tokens: dict[str, int] = {}
        self.spent = Decimal(0)

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def primary(self) -> bool:
        return self.data["parent_thread_id"] is None

    def set_status(self, status: str) -> None:
        self.starting = False
        if status != self.data["status"]:
            self.transitioned = True
        self.idled = self.idled or status == "idle"
        self.data["status"] = status
        self.data["updated_at"] = rfc3339(now())

    def advance(self, seconds: float) -> None:
        """The recording's clock moved on by ``seconds`` while this thread ran (threads run side by side)."""
        self.active_seconds += seconds

    def add_usage(self, model_usage: dict[str, Any]) -> Decimal:
        """A model request of this thread: its tokens, and its list cost at the thread's model (returned)."""
        for k in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
            self.tokens[k] = self.tokens.get(k, 0) + int(model_usage.get(k) or 0)
        cost = pricing.cost_usd(self.model_id, model_usage)
        self.spent += cost
        return cost

    def view(self) -> dict[str, Any]:
        d = copy.deepcopy(self.data)
        active = self.active_seconds
        wall = (datetime.now(timezone.utc) - self.created).total_seconds()
        if self.transitioned:  # offline it ran for the recording's time, so its life is at least that long
            d["stats"] = {"active_seconds": round(active, 3), "startup_seconds": 0.0,
                          "duration_seconds": round(max(wall, active), 3)}
        if self.idled:
            t = self.tokens
            d["usage"] = {"input_tokens": t.get("input_tokens", 0), "output_tokens": t.get("output_tokens", 0),
                          "cache_read_input_tokens": t.get("cache_read_input_tokens", 0),
                          "cache_creation": {"ephemeral_5m_input_tokens": t.get("cache_creation_input_tokens", 0),
                                             "ephemeral_1h_input_tokens": 0},
                          "active_seconds": round(active, 3)}
            if pricing.list_price(self.model_id) is not None:
                d["usage"]["list_cost"] = budgets.usage_cost(self.spent)
        return d


class SessionThreads:
    """The threads of one session: its primary thread and the children its agent spawned, by id."""

    def __init__(self, session: dict[str, Any], created: datetime, primary_id: str) -> None:
        from .multiagent import thread_agent

        self.session_id = session["id"]
        agent = thread_agent(session["agent"])
        self.primary = ThreadState(self._record(primary_id, agent, None, session["created_at"]), created,
                                   agent["model"]["id"])
        self.primary.data["status"] = session["status"]
        self.by_id: dict[str, ThreadState] = {primary_id: self.primary}

    def _record(self, thread_id: str, agent: dict, parent: str | None, t: str) -> dict[str, Any]:
        return {"id": thread_id, "type": "session_thread", "session_id": self.session_id, "agent": agent,
                "parent_thread_id": parent, "status": "idle", "created_at": t, "updated_at": t, "archived_at": None,
                "stats": None, "usage": None, "workflow_run_id": None}

    def create_child(self, thread_id: str, agent: dict) -> ThreadState:
        """A thread the primary thread spawned (``session.thread_created``); its ``session.thread_status_running``
        follows (child threads "start immediately": ``startup_seconds`` is zero)."""
        running = [t for t in self.by_id.values() if not t.primary and t.status == "running"]
        if len(running) >= MAX_CONCURRENT:  # a recording cannot break this; said for whoever writes one
            raise InvalidRequest(f"at most {MAX_CONCURRENT} threads may run at once.")
        created = now()
        child = ThreadState(self._record(thread_id, copy.deepcopy(agent), self.primary.id, rfc3339(created)), created,
                            agent["model"]["id"])
        child.data["status"], child.starting = "running", True
        self.by_id[thread_id] = child
        return child

    def get(self, thread_id: str) -> ThreadState:
        t = self.by_id.get(thread_id)
        if t is None:
            known = ", ".join(self.by_id) or "none"
            raise NotFound(f"thread {thread_id!r} not found in session {self.session_id!r} (its threads: {known}). "
                           f"List them with client.beta.sessions.threads.list({self.session_id!r}).")
        return t

    def advance(self, seconds: float, session_running: bool) -> None:
        """The recording's clock moved on: every thread that runs meanwhile spent that time (the primary thread
        whenever the session runs; a child while its own status is running)."""
        for t in self.by_id.values():
            if session_running if t.primary else t.status == "running":
                t.advance(seconds)

    def children(self) -> list[ThreadState]:
        return [t for t in self.by_id.values() if not t.primary]

    def check_interrupt(self, thread_id: str, where: str) -> None:
        """An interrupt may name any non-archived thread of the session."""
        t = self.by_id.get(thread_id)
        if t is None:
            raise InvalidRequest(f"{where}.session_thread_id: {thread_id!r} is not a thread of session "
                                 f"{self.session_id!r}; its threads: {', '.join(self.by_id)}. Leave it out to "
                                 "interrupt every thread.")
        if t.data["archived_at"]:
            raise InvalidRequest(f"{where}.session_thread_id: thread {thread_id!r} is archived; it runs no more.")

    def store(self, thread: ThreadState, event: dict[str, Any], ts: datetime) -> StoredEvent:
        """Keep a child's event in its own history and send it to the thread's streams."""
        _, sessions = sdk_types()
        validate_event(sessions.BetaManagedAgentsSessionEvent, event)
        thread.seq += 1
        stored = StoredEvent(thread.seq, event, ts)
        thread.events.append(stored)
        if event["type"] in THREAD_STATUS:
            thread.set_status(THREAD_STATUS[event["type"]])
        for sub in list(thread.subscribers):
            sub.deliver(stored)
            if sub.done.is_set():
                thread.subscribers.remove(sub)
        if thread.status == "terminated":
            close_streams(thread)
        return stored

    def view(self, thread: ThreadState, session_status: str, session_view: Callable[[], dict]) -> dict[str, Any]:
        """The thread as the API returns it (validated against the SDK's type)."""
        if thread.primary:
            thread.data["status"] = session_status
            d = thread.view()
            s = session_view()
            d["stats"] = {"active_seconds": s["stats"]["active_seconds"], "startup_seconds": 0.0,
                          "duration_seconds": s["stats"]["duration_seconds"]}
        else:
            d = thread.view()
        _, sessions = sdk_types()
        return validate_response(sessions.BetaManagedAgentsSessionThread, d)

    def listing(self, statuses: Sequence[str], limit: int, page: Cursor | None) -> dict[str, Any]:
        items = [t for t in self.by_id.values() if not statuses or t.status in statuses]
        return paginate(items, lambda t: (t.data["created_at"], t.id), limit=limit, page=page, descending=False)


def close_streams(thread: ThreadState) -> None:
    for sub in thread.subscribers:
        sub.close()
    thread.subscribers.clear()


def check_archivable(thread: ThreadState) -> None:
    """Only an idle (or ended) child thread can be archived."""
    if thread.primary:
        raise InvalidRequest(f"thread {thread.id!r} is the session's primary thread; it lives as long as its "
                             "session. Archive the session instead (client.beta.sessions.archive(session_id)).")
    if thread.status in ("running", "rescheduling") and not thread.data["archived_at"]:
        raise Conflict(f"thread {thread.id!r} is {thread.status} and cannot be archived. Interrupt it first: "
                       "events.send(session_id, events=[{\"type\": \"user.interrupt\", \"session_thread_id\": "
                       f"{thread.id!r}}}]), wait for its session.thread_status_idle, then archive it.")


class ThreadsBackend:
    """The threads routes: list, retrieve, archive, a thread's own events and stream. Uses the owning backend's lock
    and sessions (``backend.sessions.state(id)`` is a ``session_state.SessionState``, whose ``threads`` are a
    :class:`SessionThreads`)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def _thread(self, session_id: str, thread_id: str) -> tuple[Any, ThreadState]:
        s = self.backend.sessions.state(session_id)
        return s, s.threads.get(thread_id)

    def list(self, session_id: str, *, statuses: Sequence[str], limit: int, page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            s = self.backend.sessions.state(session_id)
            s.threads.primary.data["status"] = s.status
            out = s.threads.listing(statuses, limit, page)
            out["data"] = [s.threads.view(t, s.status, s.view) for t in out["data"]]
            return out

    def get(self, session_id: str, thread_id: str) -> dict[str, Any]:
        with self.backend.lock:
            s, t = self._thread(session_id, thread_id)
            return s.threads.view(t, s.status, s.view)

    def archive(self, session_id: str, thread_id: str) -> dict[str, Any]:
        """Archive an idle child thread: it ends (``session.thread_status_terminated``, on its stream and the
        session's) and runs no more."""
        with self.backend.lock:
            s, t = self._thread(session_id, thread_id)
            check_archivable(t)
            if not t.data["archived_at"]:
                t.data["archived_at"] = rfc3339(now())
                if t.status != "terminated":
                    s.emit({"type": "session.thread_status_terminated", "session_thread_id": t.id,
                            "agent_name": t.data["agent"]["name"]}, thread=t.id)
            return s.threads.view(t, s.status, s.view)

    def events(self, session_id: str, thread_id: str, *, limit: int, page: Cursor | None) -> dict[str, Any]:
        """A thread's own history, oldest first (the primary thread's is the session's)."""
        with self.backend.lock:
            s, t = self._thread(session_id, thread_id)
            items = list(s.events if t.primary else t.events)
        out = paginate(items, lambda e: (e.seq,), limit=limit, page=page, descending=False)
        out["data"] = [e.data for e in out["data"]]
        return out

    def subscribe(self, session_id: str, thread_id: str, deltas: Sequence[str], write: Callable[[bytes], Any],
                  head: bytes) -> tuple[Any, Subscriber, ThreadState]:
        """Register a stream of one thread's events (the primary thread's: the session's stream)."""
        with self.backend.lock:
            s, t = self._thread(session_id, thread_id)
            if t.primary:
                s, sub = self.backend.sessions.subscribe(session_id, deltas, None, write, head)
                return s, sub, t
            sub = Subscriber(write, deltas)
            sub.push(head)
            if t.status == "terminated" or s.status == "terminated":
                sub.close()
            else:
                t.subscribers.append(sub)
            return s, sub, t

    def unsubscribe(self, s: Any, sub: Subscriber, t: ThreadState) -> None:
        with self.backend.lock:
            if t.primary:
                self.backend.sessions.unsubscribe(s, sub)
                return
            sub.close()
            if sub in t.subscribers:
                t.subscribers.remove(sub)
