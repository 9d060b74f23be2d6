"""One session's state and the API's rules for it (moto's ``models``, the part of ``/v1/sessions`` that is one
session): :class:`SessionState`, used by :class:`helpers.stub.sessions.SessionsBackend`.

* What a client may send, and when (:meth:`SessionState.check_events`, the whole batch checked before any change):
  the event types a client sends (:data:`SENDABLE`, each validated against its SDK params type), no new work at
  the budget, no ``user.define_outcome`` while tool uses wait, one answer per tool call and none that nothing waits
  for, ``user.tool_result`` only on self-hosted environments, ``system.message`` last.
* What an accepted batch does (:meth:`SessionState.accept`): ids, a queued ``user.message`` (``processed_at`` null
  until taken up), the status, the re-emitted idle when some of the waiting ids are answered, an answer routed to the
  child thread that asked; a ``user.interrupt`` while the session is paused at its budget is accepted and ignored
  (echoed with ``processed_at`` null, never stored or streamed).
* What each emitted event changes (:meth:`SessionState.emit`): the history and its streams, the status, the usage and
  list cost, what waits for an answer (:class:`_Waiting`, listed at most :data:`EVENT_IDS_WINDOW` at a time), the
  outcome evaluations, the outputs and memories the agent writes; a child thread's event goes to the thread, and
  what the session's stream must show of it is cross-posted (threads.py).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..events import EVENT_IDS_WINDOW, SESSION_STATUS, event_text, waits_for_confirmation
from ..sandbox import mounted_at
from . import budgets, mounts, multiagent, outputs, pricing
from .exceptions import Conflict, InvalidRequest
from .fit import Fit, roster_name
from .recordings import Recording
from .replay import Replayer
from .sse import StoredEvent, Subscriber
from .threads import SessionThreads, close_streams, cross_post
from .utils import new_id, now, rfc3339
from .validation import check_system_message, sdk_types, validate_event, validate_params

__all__ = ["SessionState", "Plan", "SENDABLE"]


#: What a client may send (the ``type`` of each event in ``events.send``).
SENDABLE = ("user.message", "user.interrupt", "user.tool_confirmation", "user.custom_tool_result",
            "user.define_outcome", "user.tool_result", "system.message")


@lru_cache(maxsize=1)
def _sendable_params() -> dict[str, Any]:
    """The SDK's params TypedDict of each sendable event type."""
    _, sessions = sdk_types()
    return {"user.message": sessions.BetaManagedAgentsUserMessageEventParams,
            "user.interrupt": sessions.BetaManagedAgentsUserInterruptEventParams,
            "user.tool_confirmation": sessions.BetaManagedAgentsUserToolConfirmationEventParams,
            "user.custom_tool_result": sessions.BetaManagedAgentsUserCustomToolResultEventParams,
            "user.define_outcome": sessions.BetaManagedAgentsUserDefineOutcomeEventParams,
            "user.tool_result": sessions.BetaManagedAgentsUserToolResultEventParams,
            "system.message": sessions.BetaManagedAgentsSystemMessageEventParams}


class Plan:
    """A validated batch of sent events, ready to apply (validation happens before any state changes)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.recording: Recording | None = None


class _Waiting:
    """The tool uses a session waits on: custom tool uses for a result, tool uses for a confirmation (id -> tool
    name, in the order they were emitted), and the ids already answered. A batch is checked against a copy."""

    def __init__(self, results: dict[str, str], confirmations: dict[str, str], answered: set) -> None:
        self.results = results
        self.confirmations = confirmations
        self.answered = answered

    def copy(self) -> _Waiting:
        return _Waiting(dict(self.results), dict(self.confirmations), set(self.answered))

    def ids(self) -> list[str]:
        return list(self.results) + list(self.confirmations)

    def window(self) -> list[str]:
        """What a requires_action idle lists in ``stop_reason.event_ids``: the oldest waiting ids, at most
        EVENT_IDS_WINDOW of them (a window that slides as they are answered)."""
        return self.ids()[:EVENT_IDS_WINDOW]

    def answer(self, event: dict[str, Any]) -> None:
        """A checked ``user.custom_tool_result`` or ``user.tool_confirmation`` answers its tool use."""
        if event["type"] == "user.custom_tool_result":
            tool_use_id = event["custom_tool_use_id"]
            self.results.pop(tool_use_id, None)
        else:
            tool_use_id = event["tool_use_id"]
            self.confirmations.pop(tool_use_id, None)
        self.answered.add(tool_use_id)

    def clear(self) -> bool:
        """Abandon everything waiting (an interrupt does); True when something was."""
        busy = bool(self.results or self.confirmations)
        self.results.clear()
        self.confirmations.clear()
        return busy


class SessionState:
    """One session: its object, its history and open streams, and the API's rules for what a client may send when
    (:meth:`check_events` validates a batch, :meth:`accept` applies it). The replay engine plays the agent's side
    through the session's ``replay.Host`` (sessions.py); it never sees this class."""

    def __init__(self, data: dict[str, Any], created: datetime) -> None:
        self.data = data
        self.id: str = data["id"]
        self.created = created
        self.events: list[StoredEvent] = []
        self.subscribers: list[Subscriber] = []
        self.replayer: Replayer | None = None  # set by the Backend
        self.active_seconds = 0.0  # recorded seconds spent running: the replay's clock, whatever its pace
        self.outcomes: dict[str, str] = {}  # outcome_id -> description
        self.tokens: dict[str, str] = {}  # resource id -> authorization_token (write-only)
        self.waiting = _Waiting({}, {}, set())
        self.queued: dict[str, StoredEvent] = {}  # user.message id -> its history entry, sent and not yet taken up
        self.seq = 0
        self.spent = Decimal(0)  # list cost so far, in dollars (pricing.py)
        self.had_budget = data.get("budget") is not None  # a removed budget cannot be added back
        self.writes: dict[str, tuple[str, bytes, str]] = {}  # agent.tool_use id -> the session output it writes
        self.new_outputs: list[tuple[str, bytes, str]] = []  # written, not yet stored as files (Backend does)
        self.memory_writes: dict[str, tuple[str, str, str]] = {}  # agent.tool_use id -> (mount, path, content)
        self.new_memory_writes: list[tuple[str, str, str]] = []  # written, not yet stored as memories (Backend does)
        #: why this session could not have made a recording, for what its skills and memory mounts decide (set by
        #: the Backend: mounts.py), or None
        self.mounts_unfit: Callable[[Recording], str | None] | None = None
        self.threads = SessionThreads(data, created, new_id("sthr"))  # its primary thread and the children (threads.py)
        self.routes: dict[str, str] = {}  # a child thread's tool use waiting on the client -> that thread's id

    @property
    def status(self) -> str:
        return self.data["status"]

    def view(self) -> dict[str, Any]:
        d = dict(self.data)
        active = self.active_seconds
        wall = (datetime.now(timezone.utc) - self.created).total_seconds()
        # offline the session ran for the recording's time, so its life is at least that long (instant replays)
        d["stats"] = {"active_seconds": round(active, 3), "duration_seconds": round(max(wall, active), 3)}
        d["usage"] = dict(self.data["usage"])
        d["usage"]["active_seconds"] = round(active, 3)
        if pricing.list_price(self.data["agent"]["model"]["id"]) is not None:
            d["usage"]["list_cost"] = budgets.usage_cost(self.spent)
        return d

    def over_budget(self) -> bool:
        """The list cost has reached the budget: no new model request may start (budget_reached)."""
        cap = budgets.cap_usd(self.data.get("budget"))
        return cap is not None and self.spent >= cap

    def paused_at_budget(self) -> bool:
        """Idle because its cap stopped it (the last idle's stop reason is ``budget_reached``: a tool ask outranks the
        cap, and then the session reports ``requires_action``) and still at or over the cap."""
        if self.status != "idle" or not self.over_budget():
            return False
        last = next((e.data for e in reversed(self.events) if e.type == "session.status_idle"), None)
        return ((last or {}).get("stop_reason") or {}).get("type") == "budget_reached"

    def check_budget_fit(self, rec: Recording) -> None:
        """A recording that stops at its budget fits a session whose cap that recorded spend reaches; one that reads
        skills or memories, or writes memories, fits a session whose agent and mounts could have (mounts.py)."""
        why = budgets.unfit(rec, self.data.get("budget"), self.data["agent"]["model"]["id"])
        if not why and self.mounts_unfit is not None:
            why = self.mounts_unfit(rec)
        if why:
            raise InvalidRequest("(offline stub) " + why)

    def mounts(self) -> list[str]:
        """Where the agent finds what this session mounts: a file where its mount_path roots it under the uploads
        directory (docs: managed-agents/files, "File paths"), a repository at its mount_path."""
        return [mounted_at(r.get("mount_path"), r.get("file_id", "")) if r.get("type") == "file"
                else r.get("mount_path", "") for r in self.data["resources"]]

    # ---------------------------------------------------------------- what a client may send, and when
    def check_events(self, events: Sequence[Any], path: str, *, file_exists: Callable[[str], bool],
                     self_hosted: bool, fit: Callable[[], Fit]) -> Plan:
        """Validate a whole batch against the API's rules and this session's state; raise a 400 before any change.
        ``path``: ``"events"`` (events.send) or ``"initial_events"`` (sessions.create)."""
        if self.data["archived_at"]:
            raise Conflict(f"session {self.id!r} is archived and takes no more events. Create a new session.")
        if self.status == "terminated":
            # 400, not 409: terminated is final, no state change makes it valid (notebook 05 shows this answer).
            raise InvalidRequest(f"session {self.id!r} is terminated and takes no more events. Create a new session.")
        plan = Plan()
        waiting = self.waiting.copy()  # this batch's view: its answers count for the events after them
        for i, ev in enumerate(events):
            where = f"{path}[{i}]"
            ev = self._validate_sent(ev, path, i)
            typ = ev["type"]
            if typ in ("user.message", "user.define_outcome"):  # each starts the agent's work
                self._check_under_budget(where, typ)
                if typ == "user.define_outcome":  # a user.message may come at any time: it is queued (docs)
                    self._check_may_start(where, waiting)
                if self.replayer is not None and self.replayer.recording is None and plan.recording is None:
                    plan.recording = self._recording_for(events, fit())
                if typ == "user.define_outcome" and ev["rubric"].get("type") == "file" \
                        and not file_exists(ev["rubric"].get("file_id")):
                    raise InvalidRequest(f"{where}.rubric.file_id: file {ev['rubric'].get('file_id')!r} not found; "
                                         "upload it with client.beta.files.upload first.")
            elif typ == "user.custom_tool_result":
                self._answer(ev["custom_tool_use_id"], waiting.results, waiting, f"{where}.custom_tool_use_id",
                             done="was already answered; send one user.custom_tool_result per tool use",
                             stray="is not waiting for a result",
                             fix="Reply to the id of the agent.custom_tool_use event you received.")
            elif typ == "user.tool_confirmation":
                if ev.get("deny_message") and ev["result"] != "deny":
                    raise InvalidRequest(f"{where}.deny_message: only allowed with result 'deny'.")
                self._answer(ev["tool_use_id"], waiting.confirmations, waiting, f"{where}.tool_use_id",
                             done="was already confirmed or denied", stray="is not waiting for a confirmation",
                             fix="Confirm the id of an agent.tool_use event whose evaluated_permission is 'ask'.")
            elif typ == "user.tool_result" and not self_hosted:
                raise InvalidRequest(f"{where}.type: user.tool_result is only valid on self_hosted environments. "
                                     "To answer an agent.custom_tool_use, send user.custom_tool_result with "
                                     "custom_tool_use_id.")
            elif typ == "user.interrupt":
                if ev.get("session_thread_id"):
                    self.threads.check_interrupt(ev["session_thread_id"], where)
                waiting.clear()
            elif typ == "system.message":
                check_system_message(events, i, where)
            plan.events.append(ev)
        return plan

    @staticmethod
    def _validate_sent(ev: Any, path: str, i: int) -> dict[str, Any]:
        """One sent event: a type a client may send (here), with the fields its SDK params type has."""
        where = f"{path}[{i}]"
        if not isinstance(ev, dict) or not isinstance(ev.get("type"), str):
            raise InvalidRequest(f"{where}: each event must be an object with a string 'type' "
                                 f"(one of {', '.join(SENDABLE)}).")
        typ = ev["type"]
        types = _sendable_params()
        if typ not in types:
            raise InvalidRequest(f"{where}.type: {typ!r} is not an event a client can send; use one of "
                                 f"{', '.join(SENDABLE)}.")
        if path == "initial_events" and typ not in ("user.message", "user.define_outcome"):
            raise InvalidRequest(f"{where}.type: initial_events may only hold user.message and "
                                 f"user.define_outcome, not {typ!r}. Send it with events.send after creating.")
        return validate_params(types[typ], ev, [path, i], what=f"{typ} event")

    def _check_under_budget(self, where: str, typ: str) -> None:
        """At or over its budget a session takes only events that settle work in progress: "Any event that would
        start new work, such as `user.message`, is rejected with a 400 error naming this list" (docs, budgets)."""
        if self.over_budget():
            spent, cap = budgets.usage_cost(self.spent)["amount"], self.data["budget"]["max_list_cost"]["amount"]
            raise InvalidRequest(
                f"{where}: session {self.id!r} is at its budget (list cost {spent} cents of {cap[:20]} cents), so it "
                f"takes no {typ}: only events that settle work in progress (user.tool_confirmation, "
                "user.tool_result, user.custom_tool_result, user.interrupt). Raise the budget with "
                "client.beta.sessions.update(session_id, budget=...), or remove it with budget=None: the session "
                "then resumes its work on its own.")

    def _check_may_start(self, where: str, waiting: _Waiting) -> None:
        """A user.message or user.define_outcome is refused while tool uses wait for an answer."""
        if waiting.results:
            raise InvalidRequest(
                f"{where}: session {self.id!r} is waiting for results of custom tool uses "
                f"{sorted(waiting.results)}; send a user.custom_tool_result for each first (or a "
                "user.interrupt to abandon them).")
        if waiting.confirmations:
            raise InvalidRequest(
                f"{where}: session {self.id!r} is waiting for confirmation of tool uses {sorted(waiting.confirmations)}; "
                "send a user.tool_confirmation (result 'allow' or 'deny') for each first.")

    @staticmethod
    def _answer(tool_use_id: str, pending: dict[str, str], waiting: _Waiting, where: str, *, done: str, stray: str,
                fix: str) -> None:
        """Mark ``tool_use_id`` answered in this batch's view, or refuse: a second answer to the same tool call
        (``done``), or an answer to an id nothing waits on (``stray``)."""
        if tool_use_id in pending:
            del pending[tool_use_id]
            waiting.answered.add(tool_use_id)
        elif tool_use_id in waiting.answered:
            raise InvalidRequest(f"{where}: {tool_use_id!r} {done}. Still waiting: {sorted(pending)}.")
        else:
            raise InvalidRequest(f"{where}: {tool_use_id!r} {stray}; pending ids: {sorted(pending)}. {fix}")

    def _recording_for(self, events: Sequence[Any], fit: Fit) -> Recording:
        """The recording a batch that starts the work asks for: by its messages and outcome descriptions."""
        assert self.replayer is not None
        batch = [e for e in events if isinstance(e, dict)]
        text = " ".join(event_text(e, " ") if e.get("type") == "user.message" else str(e.get("description", ""))
                        for e in batch)
        rec = self.replayer.select(text, fit, outcome_only=not any(e.get("type") == "user.message" for e in batch))
        self.check_budget_fit(rec)
        return rec

    def accept(self, plan: Plan) -> list[dict[str, Any]]:
        """Apply a batch :meth:`check_events` validated: store each event and hand it to the replay engine."""
        assert self.replayer is not None
        if plan.recording is not None:
            self.replayer.use(plan.recording)
        stored = []
        resolved = False
        for ev in plan.events:
            ev = copy.deepcopy(ev)
            typ = ev["type"]
            ev["id"] = new_id("sevt")
            if typ == "user.interrupt" and self.paused_at_budget():
                # "accepted and ignored: it does not appear in the event list and changes nothing" (docs, budgets)
                stored.append({**ev, "processed_at": None})
                continue
            if typ == "user.define_outcome":
                ev["outcome_id"] = new_id("outc")
                self.outcomes[ev["outcome_id"]] = ev["description"]
            # A message sent while the agent works, or waits for tool answers, is queued: it appears with
            # processed_at null, and again with its processed_at when the agent takes it up (take_up).
            queued = typ == "user.message" and (self.status == "running" or bool(self.waiting.ids()))
            route = self._route(ev)
            out = self.emit(ev, queued=queued)
            if route is not None:  # the thread it concerns keeps it in its own history too
                self.threads.store(self.threads.get(route), copy.deepcopy(out), now())
            stored.append(out)
            if typ == "user.define_outcome" or (typ == "user.message" and not self.waiting.ids()):
                self.set_status("running")  # the agent begins work on receipt of either
            elif typ in ("user.custom_tool_result", "user.tool_confirmation"):
                self.waiting.answer(ev)
                resolved = True
            self.replayer.receive(out)
        if resolved and self.waiting.ids() and self.status == "idle":
            # Resolving only some of the blocking events re-emits idle with the remainder (the service does this).
            self.emit({"type": "session.status_idle", "stop_reason": {"type": "requires_action",
                                                                      "event_ids": self.waiting.window()}})
        self.replayer.wake()
        return stored

    def _route(self, ev: dict[str, Any]) -> str | None:
        """The child thread a sent event concerns: an answer to a tool use cross-posted from it (the server sets
        ``session_thread_id`` on the stored answer, SDK docstring), or an interrupt that names it."""
        if ev["type"] == "user.interrupt":
            tid = ev.get("session_thread_id")
            return tid if tid and tid != self.threads.primary.id else None
        key = {"user.custom_tool_result": "custom_tool_use_id", "user.tool_confirmation": "tool_use_id"}.get(ev["type"])
        route = self.routes.pop(ev[key], None) if key else None
        if route is not None:
            ev["session_thread_id"] = route
        return route

    # ---------------------------------------------------------------- the history and its streams
    def emit(self, event: dict[str, Any], *, queued: bool = False, thread: str | None = None) -> dict[str, Any]:
        """Store one event (fresh id and processed_at unless given), update the session, fan out to streams.
        ``queued``: a user.message the agent takes up later: stored and streamed with processed_at null.
        ``thread``: a child thread's own event (threads.py says what the session's stream also carries).
        Every ``session.status_idle`` comes right after a ``session.usage`` snapshot (:meth:`_usage_snapshot`).
        The caller holds the backend lock."""
        if "agent_name" in event:  # a recorded thread event names the subagent as the recording does
            roster = multiagent.roster(self.data["agent"].get("multiagent"))
            event["agent_name"] = roster_name(event["agent_name"], roster) or event["agent_name"]
        if thread is not None:
            return self._emit_on_thread(event, thread)
        typ = event["type"]
        if typ == "session.status_idle":
            self.emit(self._usage_snapshot())
        _, sessions = sdk_types()
        ts = now()
        event.setdefault("id", new_id("sevt"))
        event["processed_at"] = None if queued else rfc3339(ts)
        validate_event(sessions.BetaManagedAgentsSessionEvent, event)
        self.seq += 1
        ev = StoredEvent(self.seq, event, ts)
        if queued:
            self.queued[event["id"]] = ev
        if typ != "session.deleted":
            self.events.append(ev)
        self._update(event)
        if self.subscribers:
            for sub in list(self.subscribers):
                sub.deliver(ev)
                if sub.done.is_set():
                    self.subscribers.remove(sub)
        if typ == "session.status_terminated":
            self.close_streams()
        return event

    def _usage_snapshot(self) -> dict[str, Any]:
        """The ``session.usage`` event the session emits "immediately before it goes idle, whatever the stop reason"
        (docs, events-and-streaming, "Tracking usage"; budgets: "The usage event always immediately precedes this idle
        event"): the session's cumulative usage as its object reports it (tokens, ``list_cost``, ``active_seconds``)
        and its budget, or null (SDK: ``BetaManagedAgentsSessionUsageEvent``)."""
        return {"type": "session.usage", "usage": self.view()["usage"], "budget": copy.deepcopy(self.data.get("budget"))}

    def _emit_on_thread(self, event: dict[str, Any], thread_id: str) -> dict[str, Any]:
        """A child thread's event: in its own history and streams; its usage counts for the session's (priced at the
        thread's model); what the session's stream must show too is cross-posted there, with the same id."""
        thread = self.threads.get(thread_id)
        ts = now()
        event.setdefault("id", new_id("sevt"))
        event["processed_at"] = rfc3339(ts)
        self.threads.store(thread, event, ts)
        if event["type"] == "span.model_request_end":
            self._add_usage(event["model_usage"], thread.add_usage(event["model_usage"]))
        if event["type"] == "agent.tool_use" and outputs.written_file(event) is not None:
            self.writes[event["id"]] = outputs.written_file(event)
        elif event["type"] == "agent.tool_result" and event.get("tool_use_id") in self.writes:
            written = self.writes.pop(event["tool_use_id"])
            if not event.get("is_error"):
                self.new_outputs.append(written)
        copied = cross_post(event, thread_id)
        if copied is not None:
            self.emit(copied)
        return event

    def take_up(self, event: dict[str, Any]) -> None:
        """The agent takes up a queued user.message: its history entry gets its processed_at, and it appears on the
        streams again (the docs: a queued event shows with processed_at null, and again once processed)."""
        old = self.queued.pop(event["id"], None)
        if old is None:
            return
        ts = now()
        data = {**old.data, "processed_at": rfc3339(ts)}
        ev = StoredEvent(old.seq, data, ts)
        self.events[self.events.index(old)] = ev
        for sub in list(self.subscribers):
            sub.deliver(ev)
            if sub.done.is_set():
                self.subscribers.remove(sub)

    def _update(self, event: dict[str, Any]) -> None:
        """What an emitted event changes: the status, the usage, the outcome evaluations, what waits for answers."""
        typ = event["type"]
        status = SESSION_STATUS.get(typ)
        if status:
            self.set_status(status)
        elif typ == "span.model_request_end":
            self._add_usage(event["model_usage"], self.threads.primary.add_usage(event["model_usage"]))
        elif typ == "session.thread_created":
            roster = multiagent.roster(self.data["agent"].get("multiagent"))
            self.threads.create_child(event["session_thread_id"], roster[event["agent_name"]])
        elif typ == "span.outcome_evaluation_end":
            self.data["outcome_evaluations"] = self.data["outcome_evaluations"] + [{
                "type": "outcome_evaluation", "outcome_id": event["outcome_id"],
                "description": self.outcomes.get(event["outcome_id"], ""), "iteration": event["iteration"],
                "result": event["result"], "explanation": event["explanation"], "completed_at": event["processed_at"]}]
        elif typ == "agent.custom_tool_use":  # waits for a user.custom_tool_result
            self.waiting.results[event["id"]] = event["name"]
            if event.get("session_thread_id"):  # cross-posted from a child thread: its answer goes there
                self.routes[event["id"]] = event["session_thread_id"]
        elif typ == "agent.tool_result" and event.get("tool_use_id") in self.memory_writes:
            written_memory = self.memory_writes.pop(event["tool_use_id"])
            if not event.get("is_error"):
                self.new_memory_writes.append(written_memory)  # a memory, by this session (mounts.py)
        elif typ == "agent.tool_result" and event.get("tool_use_id") in self.writes:
            written = self.writes.pop(event["tool_use_id"])
            if not event.get("is_error"):
                self.new_outputs.append(written)  # a session output (outputs.py)
        if waits_for_confirmation(event):
            self.waiting.confirmations[event["id"]] = event["name"]  # waits for a user.tool_confirmation
            if event.get("session_thread_id"):
                self.routes[event["id"]] = event["session_thread_id"]
        if typ == "agent.tool_use" and outputs.written_file(event) is not None:
            self.writes[event["id"]] = outputs.written_file(event)
        if typ == "agent.tool_use" and mounts.written_memory(event) is not None:
            self.memory_writes[event["id"]] = mounts.written_memory(event)

    def set_status(self, status: str) -> None:
        if self.data["status"] == status:
            return
        self.data["status"] = status
        self.data["updated_at"] = rfc3339(now())
        self.threads.primary.set_status(status)

    def _add_usage(self, mu: dict[str, Any], cost: Decimal) -> None:
        """One model request's tokens and list cost (priced at the model of the thread that made it)."""
        self.spent += cost
        u = dict(self.data["usage"])
        for k in ("input_tokens", "output_tokens", "cache_read_input_tokens"):
            u[k] = u.get(k, 0) + int(mu.get(k) or 0)
        cc = dict(u.get("cache_creation") or {})
        cc["ephemeral_5m_input_tokens"] = cc.get("ephemeral_5m_input_tokens", 0) + int(mu.get("cache_creation_input_tokens") or 0)
        u["cache_creation"] = cc
        self.data["usage"] = u

    def release(self) -> None:
        """Drop what a deleted session holds (its history, the replay), so nothing left referring to it keeps it."""
        self.events = []
        self.outcomes.clear()
        self.tokens.clear()
        self.replayer = None
        for t in self.threads.children():
            t.events = []

    def close_streams(self) -> None:
        for sub in self.subscribers:
            sub.close()
        self.subscribers.clear()
        for t in self.threads.children():
            close_streams(t)
