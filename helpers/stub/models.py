"""State of the Managed Agents stub (moto's ``models.py``): agents, environments, sessions, events, files, and the
rules that go with them.

:class:`SessionState` holds one session and the API's rules for what a client may send when (tool uses waiting for
an answer, a second answer to the same tool call refused, no message while tool uses wait). The :class:`Backend`
holds everything, guarded by one re-entrant lock. Its methods take typed keyword arguments and bodies already
validated against the SDK's params types (responses.py parses them); everything they return is validated against
the SDK's response models (validation.py), so a stub bug shows up here, not in a learner's notebook.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..events import EVENT_IDS_WINDOW, SESSION_STATUS, event_text, waits_for_confirmation
from ..sandbox import UPLOADS_DIR, mounted_at
from . import budgets, mounts, multiagent, outputs, pricing
from .agents import AgentsBackend, normalize_tools
from .deployments import DeploymentsBackend
from .dreams import DreamsBackend
from .environments import EnvironmentsBackend
from .exceptions import Conflict, InvalidRequest, not_found
from .files import FilesBackend
from .fit import Fit, roster_name
from .memory_stores import MAX_STORES_PER_SESSION, MemoryStoresBackend
from .recordings import Library, Recording
from .replay import Replayer, ReplaySettings, Scheduler
from .skills import SkillsBackend
from .sse import StoredEvent, Subscriber, error_frame
from .threads import SessionThreads, ThreadsBackend, close_streams, cross_post
from .utils import Cursor, TimeRange, new_id, now, paginate, parse_speed, patch_metadata, rfc3339
from .validation import check_system_message, sdk_types, validate_event, validate_params, validate_response
from .vaults import VaultsBackend

__all__ = ["Backend", "SessionState", "Plan", "SENDABLE", "MAX_SESSION_FILES", "patch_metadata"]

log = logging.getLogger("helpers.stub")


# --------------------------------------------------------------------------------------------------------------
# normalizing requests into complete response objects
# --------------------------------------------------------------------------------------------------------------

_BUILTIN_TOOLS = ("bash", "edit", "read", "write", "glob", "grep", "web_fetch", "web_search")


# --------------------------------------------------------------------------------------------------------------
# sessions: live state and streams
# --------------------------------------------------------------------------------------------------------------


#: Files a session can hold (the service's documented limit).
MAX_SESSION_FILES = 100


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
    through a :class:`_ReplayHost`; it never sees this class."""

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
        The caller holds the backend lock."""
        if "agent_name" in event:  # a recorded thread event names the subagent as the recording does
            roster = multiagent.roster(self.data["agent"].get("multiagent"))
            event["agent_name"] = roster_name(event["agent_name"], roster) or event["agent_name"]
        if thread is not None:
            return self._emit_on_thread(event, thread)
        _, sessions = sdk_types()
        ts = now()
        event.setdefault("id", new_id("sevt"))
        event["processed_at"] = None if queued else rfc3339(ts)
        typ = event["type"]
        if typ == "session.usage":
            event["usage"] = self.view()["usage"]
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


class _ReplayHost:
    """What the replay engine of one session may do (the :class:`replay.Host` interface): emit events, be
    scheduled, read the replay settings, see and abandon what waits for an answer."""

    __slots__ = ("_backend", "_state")

    def __init__(self, backend: Backend, state: SessionState) -> None:
        self._backend = backend
        self._state = state

    def emit(self, event: dict[str, Any], thread: str | None = None) -> dict[str, Any]:
        out = self._state.emit(event, thread=thread)
        if self._state.new_outputs:
            self._backend.files.save_outputs(self._state)
        if self._state.new_memory_writes:
            self._backend.save_memory_writes(self._state)
        return out

    def schedule(self, delay: float) -> None:
        assert self._state.replayer is not None
        self._backend.scheduler.schedule(self._state.replayer, delay)

    def settings(self) -> ReplaySettings:
        b = self._backend
        return ReplaySettings(b.speed, b.max_gap, b.interrupt_wait)

    def alive(self) -> bool:
        s = self._state
        return s.status != "terminated" and self._backend.sessions.get(s.id) is s

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


class Backend:
    """All of the stub's state. Thread-safe: every public method takes ``self.lock``."""

    def __init__(self, *, recordings_dir: Any = None, speed: Any = "instant", fault: dict[str, Any] | None = None,
                 keepalive: float = 10.0, max_gap: float = 4.0, idle_stream_timeout: float | None = None,
                 interrupt_wait: float | None = 30.0) -> None:
        self.lock = threading.RLock()
        self.sessions: dict[str, SessionState] = {}
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
        self.scheduler = Scheduler(self.lock)
        self.files = FilesBackend(self)  # /v1/files (files.py)
        self.environments = EnvironmentsBackend(self)  # /v1/environments (environments.py)
        self.agents = AgentsBackend(self)  # /v1/agents (agents.py)
        self.deployments = DeploymentsBackend(self)  # /v1/deployments and /v1/deployment_runs (deployments.py)
        self.skills = SkillsBackend(self)  # /v1/skills (skills.py)
        self.memory = MemoryStoresBackend(self)  # /v1/memory_stores (memory_stores.py)
        self.dreams = DreamsBackend(self)  # /v1/dreams (dreams.py)
        self.vaults = VaultsBackend(self)  # /v1/vaults and their credentials (vaults.py)
        self.threads = ThreadsBackend(self)  # /v1/sessions/{id}/threads (threads.py)

    # ---------------------------------------------------------------- speed
    @property
    def speed(self) -> Any:
        return self._speed

    @speed.setter
    def speed(self, value: Any) -> None:
        self._speed = parse_speed(value)


    # ---------------------------------------------------------------- what a session writes
    def save_memory_writes(self, s: SessionState) -> None:
        """What the agent wrote under a memory store's mount: memories of that store, each write a version by the
        session (``created_by``: a ``session_actor``; mounts.py)."""
        stores = {r["mount_path"]: r["memory_store_id"] for r in s.data["resources"] if r["type"] == "memory_store"}
        while s.new_memory_writes:
            mount, path, content = s.new_memory_writes.pop(0)
            if mount in stores and stores[mount] in self.memory.stores:
                self.memory.write(stores[mount], path, content, {"type": "session_actor", "session_id": s.id},
                                  check_archived=False)

    def _mounts_unfit(self, rec: Recording, s: SessionState) -> str | None:
        """Why session ``s`` could not have made ``rec``, for what its skills and memory mounts decide."""
        events = [ln.event for ln in rec.lines]
        stores = {r["mount_path"]: (r["memory_store_id"], r.get("access") or "read_write",
                                    self.memory.paths(r["memory_store_id"]))
                  for r in s.data["resources"] if r["type"] == "memory_store"}
        return mounts.unfit(rec.name, events, self.skills.mounted(s.data["agent"]["skills"]), stores)

    # ---------------------------------------------------------------- sessions
    def _session(self, session_id: str) -> SessionState:
        s = self.sessions.get(session_id)
        if s is None:
            raise not_found("session", session_id, "Create one with client.beta.sessions.create(agent=..., "
                                                   "environment_id=...) and use its .id.")
        return s

    def _make_resource(self, r: dict[str, Any], t: str, session_id: str, copies: dict[str, Any]) -> dict[str, Any]:
        """A session resource; a file's session copy goes into ``copies`` (files.py stores them: ``keep``)."""
        if r["type"] == "file":
            copy_id, stored = self.files.session_copy(r["file_id"], session_id, t)
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
            return self.memory.attach(r)  # mounted at /mnt/memory/<slug> (memory_stores.py)
        out = {k: v for k, v in r.items() if v is not None}
        return out

    def create_session(self, p: dict[str, Any], *, deployment_id: str | None = None) -> dict[str, Any]:
        """``p``: the validated ``SessionCreateParams``; ``deployment_id`` when a deployment's run creates it."""
        beta, _ = sdk_types()
        with self.lock:
            env = self.environments.get(p["environment_id"])
            if env["archived_at"]:
                raise InvalidRequest(f"environment {env['id']!r} is archived; create a new environment for new "
                                     "sessions.", error_code="environment_archived")
            snap = self.agents.snapshot(p["agent"])
            budgets.check_models(p.get("budget"), snap["model"]["id"])
            self.vaults.check_session_vaults(list(p.get("vault_ids") or []))
            created = now()
            t = rfc3339(created)
            session_id = new_id("sesn")
            wanted = p.get("resources") or []
            _check_file_count(sum(r["type"] == "file" for r in wanted))
            _check_memory_stores([r for r in wanted if r["type"] == "memory_store"])
            for r in wanted:
                if r["type"] == "file":
                    self.files.get(r["file_id"])  # every file exists before any copy is made
            copies: dict[str, Any] = {}  # the session's file copies, kept only if the whole create succeeds
            resources = [self._make_resource(r, t, session_id, copies) for r in wanted]
            metadata = patch_metadata({}, p.get("metadata"))
            data = {"id": session_id, "type": "session", "status": "idle", "agent": snap,
                    "environment_id": env["id"], "metadata": metadata, "resources": resources,
                    "vault_ids": list(p.get("vault_ids") or []), "outcome_evaluations": [], "stats": {}, "usage": {},
                    "title": p.get("title"), "budget": p.get("budget"), "deployment_id": deployment_id,
                    "created_at": t, "updated_at": t, "archived_at": None}
            state = SessionState(data, created)
            state.replayer = Replayer(_ReplayHost(self, state), self.library, session_id)
            state.mounts_unfit = lambda rec: self._mounts_unfit(rec, state)
            if "recording" in metadata:  # 400 on an unknown name / a session that could not have made it
                state.check_budget_fit(state.replayer.choose(metadata["recording"], self._fit(state)))
            initial = p.get("initial_events") or []
            if len(initial) > 50:
                raise InvalidRequest(f"initial_events: at most 50 events, got {len(initial)}. Send the rest with "
                                     "client.beta.sessions.events.send after creating the session.")
            plan = self._check_events(state, list(initial), "initial_events") if initial else None
            validate_response(beta.BetaManagedAgentsSession, state.view())
            self.files.keep(copies)
            self.sessions[state.id] = state
            if plan is not None:
                state.accept(plan)
            return state.view()

    def get_session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            return self._session(session_id).view()

    def update_session(self, session_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``SessionUpdateParams``."""
        beta, _ = sdk_types()
        with self.lock:
            s = self._session(session_id)
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

    def list_sessions(self, *, include_archived: bool, agent_id: str | None, agent_version: int | None,
                      statuses: Sequence[str], order: str, created_at: TimeRange, memory_store_id: str | None,
                      deployment_id: str | None, limit: int, page: Cursor | None) -> dict[str, Any]:
        ok, mem, dep = created_at.contains, memory_store_id, deployment_id
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
            out = paginate(items, lambda s: (s.data["created_at"], s.id), limit=limit, page=page,
                           descending=order == "desc", bidirectional=True)
            out["data"] = [s.view() for s in out["data"]]
            return out

    def archive_session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            s = self._session(session_id)
            if s.status == "running" and not s.data["archived_at"]:
                raise Conflict("session is running and cannot be archived. Stop it first: send "
                                     "{\"type\": \"user.interrupt\"}, wait for session.status_idle, then archive it.")
            if not s.data["archived_at"]:
                s.data["archived_at"] = s.data["updated_at"] = rfc3339(now())
            return s.view()

    def delete_session(self, session_id: str) -> dict[str, Any]:
        """Delete an idle (or terminated) session: its history, its streams and its file copies go with it. A running
        session cannot be deleted (409): the docs say to send an interrupt event first."""
        with self.lock:
            s = self._session(session_id)
            if s.status in ("running", "rescheduling"):
                raise Conflict(f"session {session_id!r} is {s.status} and cannot be deleted. Send "
                               "{\"type\": \"user.interrupt\"}, wait for session.status_idle, then delete it.")
            s.emit({"type": "session.deleted"})
            s.replayer.stop()
            s.close_streams()
            del self.sessions[session_id]
            self.files.delete_scoped(session_id)  # its own instances of its files
            s.release()
        return {"id": session_id, "type": "session_deleted"}

    # ---------------------------------------------------------------- session resources
    def list_resources(self, session_id: str, *, limit: int, page: Cursor | None) -> dict[str, Any]:
        with self.lock:
            items = list(self._session(session_id).data["resources"])
        return paginate(items, lambda r: (r.get("created_at", ""), r.get("id", "")), limit=limit, page=page,
                        descending=False)

    def add_resource(self, session_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``ResourceAddParams``."""
        with self.lock:
            s = self._session(session_id)
            _check_file_count(1 + sum(x["type"] == "file" for x in s.data["resources"]))
            copies: dict[str, Any] = {}
            r = self._make_resource({"type": "file", **p}, rfc3339(now()), session_id, copies)
            self.files.keep(copies)
            s.data["resources"] = s.data["resources"] + [r]
            return r

    def get_resource(self, session_id: str, resource_id: str) -> dict[str, Any]:
        with self.lock:
            for r in self._session(session_id).data["resources"]:
                if r.get("id") == resource_id:
                    return r
        raise not_found("session resource", resource_id, "List them with client.beta.sessions.resources.list(session_id).")

    def delete_resource(self, session_id: str, resource_id: str) -> dict[str, Any]:
        with self.lock:
            s = self._session(session_id)
            self.get_resource(session_id, resource_id)
            s.data["resources"] = [r for r in s.data["resources"] if r.get("id") != resource_id]
        return {"id": resource_id, "type": "session_resource_deleted"}

    def update_resource(self, session_id: str, resource_id: str, *, authorization_token: str) -> dict[str, Any]:
        with self.lock:
            r = self.get_resource(session_id, resource_id)
            if r["type"] != "github_repository":
                raise InvalidRequest(f"resource {resource_id!r} is a {r['type']} resource; only github_repository "
                                     "resources take a new authorization_token.")
            r["updated_at"] = rfc3339(now())  # the token itself is write-only: never shown again
            self._session(session_id).tokens[resource_id] = authorization_token
            return r

    # ---------------------------------------------------------------- events
    def send_events(self, session_id: str, events: list[Any]) -> dict[str, Any]:
        """``events``: a non-empty list, each validated here as a whole batch before any is applied."""
        with self.lock:
            s = self._session(session_id)
            plan = self._check_events(s, events, "events")  # the whole batch; raises before any change
            stored = s.accept(plan)
        return {"data": stored}

    def _check_events(self, s: SessionState, events: list[Any], path: str) -> Plan:
        env = self.environments.find(s.data["environment_id"])
        return s.check_events(events, path, file_exists=self.files.exists,
                              self_hosted=bool(env) and env["config"]["type"] == "self_hosted",
                              fit=lambda: self._fit(s))

    def _fit(self, s: SessionState) -> Fit:
        """What the replay needs to know of a session to tell which recordings it could have produced (fit.py)."""
        agent = s.data["agent"]
        env = self.environments.find(s.data["environment_id"])
        return Fit(tools=agent["tools"], mounts=s.mounts(), mcp_servers=agent.get("mcp_servers") or [],
                   roster=multiagent.roster(agent.get("multiagent")),
                   networking=(env or {}).get("config", {}).get("networking"),
                   credential_urls=self.vaults.credential_urls(list(s.data.get("vault_ids") or [])))

    def list_events(self, session_id: str, *, types: Sequence[str], order: str, created_at: TimeRange, limit: int,
                    page: Cursor | None) -> dict[str, Any]:
        with self.lock:
            s = self._session(session_id)
            items = [e for e in s.events if (not types or e.type in types) and created_at.contains(e.ts)]
        out = paginate(items, lambda e: (e.seq,), limit=limit, page=page, descending=order == "desc")
        out["data"] = [e.data for e in out["data"]]
        return out

    def subscribe(self, session_id: str, deltas: Sequence[str], cut_after: int | None,
                  write: Callable[[bytes], Any], head: bytes) -> tuple[SessionState, Subscriber]:
        """Register a stream and send its response head, atomically: it gets every event emitted after that."""
        with self.lock:
            s = self._session(session_id)
            sub = Subscriber(write, deltas, cut_after if cut_after is not None else self.fault.get("cut_stream_after"))
            sub.push(head)  # queued like every frame: written by the stream's own thread, never under the lock
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
                sub.close(error_frame(body))  # the SDK raises it as an APIStatusError in the learner's loop
                return
            sub.keepalive()

    def unsubscribe(self, s: SessionState, sub: Subscriber) -> None:
        with self.lock:
            sub.close()
            try:
                s.subscribers.remove(sub)
            except ValueError:
                pass

    def close(self) -> None:
        self.scheduler.stop()
        with self.lock:
            for s in self.sessions.values():
                s.close_streams()

