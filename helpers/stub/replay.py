"""The replay engine: plays a recording into a session as the learner's events arrive (rules in docs/design.md).

One :class:`Replayer` per session holds the walk's state; one :class:`Scheduler` thread steps every session whose
next event is due, so HTTP handler threads never wait on a replay. All state changes happen under the backend lock.

Details beyond the design doc's rules:

* Pace: the gap before an agent-side line is its recorded ``processed_at`` gap, capped at ``max_gap`` recorded
  seconds (default 4), divided by the speed. ``"instant"`` has no gaps.
* A batch of events is validated as a whole (types, fields, pending ids) before any of it is applied.
* ``user.message`` while custom tool results or confirmations are pending is a 400 (answer or interrupt first);
  while the agent is running (nothing pending) it is queued and starts the next recorded turn when it comes.
* Answering only some of the blocking events re-emits ``session.status_idle`` (``requires_action``) with the rest;
  a recorded ``requires_action`` whose events were all answered already is not emitted.
* ``user.interrupt`` jumps to the next recorded ``user.interrupt`` of the same turn (not past the next
  ``user.message``); without one the turn ends with ``session.status_idle`` ``end_turn`` and the next message
  plays the recording's next turn.
* Spans stay balanced: a ``span.model_request_end`` closes the start that is open (an interrupt may have skipped the
  recorded one), is dropped when none is open, and ending a turn early closes an open one first.
* ``user.define_outcome`` starts the work like ``user.message`` (the agent begins on receipt). A recorded one the
  learner did not send (they started with a message) is stood in for by that message, and the grading is skipped:
  the turn ends with ``session.status_idle`` (``end_turn``) where the recording's first ``span.outcome_evaluation_*``
  line was.
* ``session.updated`` lines are skipped; ``session.usage`` lines carry the session's accumulated usage.
* A recorded ``user.interrupt`` is a wait point like the others, but it does not wait forever: if no interrupt
  arrives within ``interrupt_wait`` seconds (default 30), the engine says so in an ``agent.message``
  (:data:`NO_INTERRUPT`) and plays on (the recording's turn then ends), so a run nobody interrupts still stops.
* Budgets (budgets.py): before each recorded ``span.model_request_start``, a session whose list cost has reached its
  budget stops with ``session.status_idle`` ``budget_reached`` instead (the request in flight finished; no new one
  starts). Raising or removing the budget resumes the walk where it stopped; a ``user.message`` meanwhile gets the
  same stop again. A recording that stops at its budget fits only a session whose cap it reached.
* After the last line, each further ``user.message`` gets ``session.status_running``, one ``agent.message``
  (:data:`NO_MORE_TURNS`) and ``session.status_idle`` ``end_turn``.
"""
from __future__ import annotations

import copy
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from typing import Any, Dict, List, Optional, Sequence

from . import budgets
from .exceptions import InvalidRequest
from .models import builtin_policy, custom_tool_names, new_id, validate_params
from .recordings import DEFAULT_NAME, Line, Recording

log = logging.getLogger("helpers.stub")

# Ids an event may reference, remapped to the fresh ids the stub gave the referenced events.
_REF_KEYS = ("tool_use_id", "custom_tool_use_id", "mcp_tool_use_id", "model_request_start_id",
             "outcome_evaluation_start_id", "outcome_id", "phase_started_id", "event_id")
_THREAD_KEYS = ("session_thread_id", "to_session_thread_id", "from_session_thread_id")
_SENDABLE = ("user.message", "user.interrupt", "user.tool_confirmation", "user.custom_tool_result",
             "user.define_outcome", "user.tool_result", "system.message")

NO_INTERRUPT = ("(replay) This run was stopped by a user.interrupt at this point when it was recorded, and none "
                "arrived within {:g} s, so the replay ends the turn here. Send {{\"type\": \"user.interrupt\"}} "
                "while the session is running to stop it yourself.")

NO_MORE_TURNS = ("(replay) This recording has no more turns. Start a new session to replay it again, or set "
                 "WORKSHOP_MODE=live with an API key to talk to a real agent.")


def _param_types() -> Dict[str, Any]:
    from anthropic.types.beta.sessions import (
        BetaManagedAgentsSystemMessageEventParams,
        BetaManagedAgentsUserCustomToolResultEventParams,
        BetaManagedAgentsUserDefineOutcomeEventParams,
        BetaManagedAgentsUserInterruptEventParams,
        BetaManagedAgentsUserMessageEventParams,
        BetaManagedAgentsUserToolConfirmationEventParams,
        BetaManagedAgentsUserToolResultEventParams,
    )

    return {"user.message": BetaManagedAgentsUserMessageEventParams,
            "user.interrupt": BetaManagedAgentsUserInterruptEventParams,
            "user.tool_confirmation": BetaManagedAgentsUserToolConfirmationEventParams,
            "user.custom_tool_result": BetaManagedAgentsUserCustomToolResultEventParams,
            "user.define_outcome": BetaManagedAgentsUserDefineOutcomeEventParams,
            "user.tool_result": BetaManagedAgentsUserToolResultEventParams,
            "system.message": BetaManagedAgentsSystemMessageEventParams}


def _text_of(ev: Dict[str, Any]) -> str:
    return " ".join(b.get("text", "") for b in ev.get("content") or [] if isinstance(b, dict))


def _resolve(tid: str, pending: Dict[str, str], answered: set, where: str, *, done: str, stray: str, fix: str) -> None:
    """Mark the tool use ``tid`` answered in this batch's copy of the state, or say why it cannot be."""
    if tid in pending:
        del pending[tid]
        answered.add(tid)
    elif tid in answered:
        raise InvalidRequest(f"{where}: {tid!r} {done}. Still waiting: {sorted(pending)}.")
    else:
        raise InvalidRequest(f"{where}: {tid!r} {stray}; pending ids: {sorted(pending)}. {fix}")


class Plan:
    """A validated batch, ready to apply (validation happens before any state changes)."""

    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []
        self.recording: Optional[Recording] = None


class Replayer:
    def __init__(self, backend: Any, state: Any) -> None:
        self.b = backend
        self.s = state
        self.rec: Optional[Recording] = None
        self.pos = 0
        self.idmap: Dict[str, str] = {}
        self.pending_custom: Dict[str, str] = {}   # fresh agent.custom_tool_use id -> tool name
        self.pending_confirm: Dict[str, str] = {}  # fresh agent.tool_use id (evaluated_permission ask) -> name
        self.answered: set = set()
        self.inbox: deque = deque()
        self.last_confirmation: Optional[str] = None
        self.last_rec_ts: Any = None
        self.last_emit = 0.0
        self.turn_active = False
        self.interrupt_id: Optional[str] = None
        self.stopped = False
        self.scheduled: Optional[float] = None
        self.waiting_since: Optional[float] = None  # when the walk reached a recorded user.interrupt
        self.open_span: Optional[str] = None  # the span.model_request_start emitted and not yet ended
        self.no_outcome = False  # the recording defines an outcome here and the learner did not
        self.budget_stopped = False  # idle with budget_reached: waits for a raised or removed budget

    # ------------------------------------------------------------------ choosing a recording
    def _agent_tools(self) -> List[str]:
        return custom_tool_names(self.s.data["agent"]["tools"])

    def _why_unfit(self, rec: Recording, suggest: bool = True) -> Optional[str]:
        """Why this session (its agent, its mounts) could not have produced ``rec``; None when it could.
        ``suggest``: name the recordings that would fit (for the 400's message)."""
        have = self._agent_tools()
        missing = [t for t in rec.custom_tools if t not in have]
        if missing:
            return (f"recording {rec.name!r} needs custom tools the session's agent lacks: {', '.join(missing)} "
                    f"(the agent has {have or 'no custom tools'}). Create the agent with "
                    "tools=helpers.incident.CUSTOM_TOOLS (or add the missing tools with client.beta.agents.update), "
                    "then start a new session with it.")
        mounts = [r.get("mount_path", "") for r in self.s.data["resources"]]
        for path in rec.sandbox_paths():
            if not any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts if m):
                return (f"recording {rec.name!r} reads {path} in the sandbox, but this session mounts nothing there "
                        f"(its mounts: {mounts or 'none'}), so live those commands would fail. Mount the file when "
                        f"you create the session: resources=[{{\"type\": \"file\", \"file_id\": log_file.id, "
                        f"\"mount_path\": \"{path}\"}}] (helpers.resources.new_session does this).")
        why = self._budget_unfit(rec)
        if why:
            return why
        tools = self.s.data["agent"]["tools"]
        for name, seen in sorted(rec.builtin_tools().items()):
            policy = builtin_policy(tools, name)
            if policy is None:
                return (f"recording {rec.name!r} calls the built-in {name} tool, which the session's agent does not "
                        f"enable. Add {{\"type\": \"agent_toolset_20260401\"}} with {name} enabled to the agent's "
                        "tools (see helpers.resources.agent_tools()), then start a new session with it.")
            want = "always_ask" if "ask" in seen else "always_allow"
            if policy != want:
                fits = [f"{r.name!r} (say {' '.join(map(repr, r.keywords))} in your message, or "
                        f"metadata={{'recording': {r.name!r}}})" for r in self.b.library.all()
                        if suggest and name in r.builtin_tools() and r.name != rec.name
                        and self._why_unfit(r, suggest=False) is None]
                return (f"recording {rec.name!r} was made with {name} set to {want}, but the session's agent runs "
                        f"{name} with {policy}, so live its calls would "
                        + ("wait for a user.tool_confirmation" if policy == "always_ask" else "run without asking")
                        + ". Offline, use a recording made with the same policy: "
                        + ("; ".join(fits) if fits else "none uses this policy") + ".")
        return None

    def _budget_unfit(self, rec: Recording) -> Optional[str]:
        """A recording that stops at its budget fits a session whose cap that recorded spend reaches."""
        spent = budgets.recorded_cost(rec.lines, self.s.data["agent"]["model"]["id"])
        if spent is None:
            return None
        cap = budgets.cap_usd(self.s.data.get("budget"))
        if cap is None or cap > spent:
            have = "no budget" if cap is None else f"a budget of {budgets.pricing.to_minor_units(cap)} cents"
            fits = max(1, int(spent * 100))  # whole cents the recorded spend reaches
            return (f"recording {rec.name!r} stops with budget_reached after spending {spent * 100:.2f} cents at "
                    f"list price, but this session has {have}, so live it would not stop there. Create the session "
                    f"(or deployment) with budget={{\"type\": \"limit\", \"max_list_cost\": {{\"amount\": "
                    f"\"{fits}\", \"currency\": \"USD\"}}}} or less.")
        return None

    def _check_tools(self, rec: Recording) -> None:
        why = self._why_unfit(rec)
        if why:
            raise InvalidRequest("(offline stub) " + why)

    def choose(self, name: str, switching: bool = False) -> Recording:
        rec = self.b.library.get(name)
        if rec is None:
            raise InvalidRequest(f"metadata.recording: no recording named {name!r}. Available recordings: "
                                 f"{self.b.library.names()} (in {self.b.library.directory}).")
        self._check_tools(rec)
        if self.rec is None or (switching and self.pos == 0):
            self.rec = rec
        return rec

    def _select(self, text: str, outcome_only: bool = False) -> Recording:
        recs = self.b.library.all()
        if not recs:
            raise InvalidRequest(f"The stub has no recordings to replay (looked in {self.b.library.directory}). "
                                 "Run scripts/make_recordings.py, or start the stub with recordings_dir=...")
        if outcome_only:  # work started by a user.define_outcome alone: a recording that starts the same way
            recs = [r for r in recs if r.starts_with_outcome()] or recs
        rec = next((r for r in recs if r.matches(text)), None) or \
            next((r for r in recs if r.name == DEFAULT_NAME), None) or recs[0]
        self._check_tools(rec)
        return rec

    # ------------------------------------------------------------------ validating a batch (no state changes)
    def check(self, events: Sequence[Any], path: str = "events") -> Plan:
        types = _param_types()
        plan = Plan()
        s = self.s
        if s.data["archived_at"]:
            raise InvalidRequest(f"session {s.id!r} is archived and takes no more events. Create a new session.")
        if s.status == "terminated":
            raise InvalidRequest(f"session {s.id!r} is terminated and takes no more events. Create a new session.")
        pending_custom = dict(self.pending_custom)
        pending_confirm = dict(self.pending_confirm)
        answered = set(self.answered)
        rec = self.rec
        for i, ev in enumerate(events):
            where = f"{path}[{i}]"
            if not isinstance(ev, dict) or not isinstance(ev.get("type"), str):
                raise InvalidRequest(f"{where}: each event must be an object with a string 'type' "
                                     f"(one of {', '.join(_SENDABLE)}).")
            typ = ev["type"]
            if typ not in types:
                raise InvalidRequest(f"{where}.type: {typ!r} is not an event a client can send; use one of "
                                     f"{', '.join(_SENDABLE)}.")
            if path == "initial_events" and typ not in ("user.message", "user.define_outcome"):
                raise InvalidRequest(f"{where}.type: initial_events may only hold user.message and "
                                     f"user.define_outcome, not {typ!r}. Send it with events.send after creating.")
            ev = validate_params(types[typ], ev, [path, i], what=f"{typ} event")
            if typ in ("user.message", "user.define_outcome"):  # each starts the agent's work
                if pending_custom:
                    raise InvalidRequest(
                        f"{where}: session {s.id!r} is waiting for results of custom tool uses "
                        f"{sorted(pending_custom)}; send a user.custom_tool_result for each first (or a "
                        "user.interrupt to abandon them).")
                if pending_confirm:
                    raise InvalidRequest(
                        f"{where}: session {s.id!r} is waiting for confirmation of tool uses {sorted(pending_confirm)}; "
                        "send a user.tool_confirmation (result 'allow' or 'deny') for each first.")
                if rec is None:  # chosen by what the batch asks for: its messages and outcome descriptions
                    batch = [e for e in events if isinstance(e, dict)]
                    rec = plan.recording = self._select(" ".join(
                        _text_of(e) if e.get("type") == "user.message" else str(e.get("description", ""))
                        for e in batch), outcome_only=not any(e.get("type") == "user.message" for e in batch))
                if typ == "user.define_outcome":
                    rub = ev["rubric"]
                    if rub.get("type") == "file" and rub.get("file_id") not in self.b.files:
                        raise InvalidRequest(f"{where}.rubric.file_id: file {rub.get('file_id')!r} not found; upload "
                                             "it with client.beta.files.upload first.")
            elif typ == "user.custom_tool_result":
                _resolve(ev["custom_tool_use_id"], pending_custom, answered, f"{where}.custom_tool_use_id",
                         done="was already answered; send one user.custom_tool_result per tool use",
                         stray="is not waiting for a result",
                         fix="Reply to the id of the agent.custom_tool_use event you received.")
            elif typ == "user.tool_confirmation":
                if ev.get("deny_message") and ev["result"] != "deny":
                    raise InvalidRequest(f"{where}.deny_message: only allowed with result 'deny'.")
                _resolve(ev["tool_use_id"], pending_confirm, answered, f"{where}.tool_use_id",
                         done="was already confirmed or denied", stray="is not waiting for a confirmation",
                         fix="Confirm the id of an agent.tool_use event whose evaluated_permission is 'ask'.")
            elif typ == "user.tool_result":
                env = self.b.environments.get(s.data["environment_id"])
                if not env or env["config"]["type"] != "self_hosted":
                    raise InvalidRequest(f"{where}.type: user.tool_result is only valid on self_hosted environments. "
                                         "To answer an agent.custom_tool_use, send user.custom_tool_result with "
                                         "custom_tool_use_id.")
            elif typ == "user.interrupt":
                pending_custom.clear()
                pending_confirm.clear()
            plan.events.append(ev)
        return plan

    # ------------------------------------------------------------------ applying a validated batch
    def apply(self, plan: Plan) -> List[Dict[str, Any]]:
        if plan.recording is not None and self.rec is None:
            self.rec = plan.recording
        stored = []
        resolved = False
        for ev in plan.events:
            ev = copy.deepcopy(ev)
            typ = ev["type"]
            ev["id"] = new_id("sevt")
            if typ == "user.define_outcome":
                ev["outcome_id"] = new_id("outc")
                self.s.outcomes[ev["outcome_id"]] = ev["description"]
            queued = typ == "user.message" and self.s.status == "running"
            out = self.b.emit(self.s, ev)
            # A message sent while the agent works is queued: the reply says so with processed_at null (the history
            # shows when it was taken).
            stored.append({**out, "processed_at": None} if queued else out)
            if typ in ("user.message", "user.define_outcome"):  # the agent begins work on receipt of either
                self.turn_active = True
                self.b.set_status(self.s, "running")
                self.inbox.append(out)
            elif typ == "user.custom_tool_result":
                self.pending_custom.pop(ev["custom_tool_use_id"], None)
                self.answered.add(ev["custom_tool_use_id"])
                self.inbox.append(out)
                resolved = True
            elif typ == "user.tool_confirmation":
                self.pending_confirm.pop(ev["tool_use_id"], None)
                self.answered.add(ev["tool_use_id"])
                self.inbox.append(out)
                resolved = True
            elif typ == "user.interrupt":
                self.interrupt_id = out["id"]
            else:
                self.inbox.append(out)
        if resolved and (self.pending_custom or self.pending_confirm) and self.s.status == "idle":
            # Resolving only some of the blocking events re-emits idle with the remainder (the service does this).
            self.b.emit(self.s, {"type": "session.status_idle", "stop_reason": {
                "type": "requires_action", "event_ids": list(self.pending_custom) + list(self.pending_confirm)}})
        self.b.scheduler.schedule(self, 0.0)
        return stored

    # ------------------------------------------------------------------ walking the recording
    def stop(self) -> None:
        self.stopped = True

    def _take(self, line: Line) -> Optional[Dict[str, Any]]:
        want = line.event
        for ev in self.inbox:
            if ev["type"] != line.type:
                continue
            for key in ("custom_tool_use_id", "tool_use_id"):
                if key in want and want[key] in self.idmap and ev.get(key) != self.idmap[want[key]]:
                    break
            else:
                self.inbox.remove(ev)
                return ev
        return None

    def _index_from(self, typ: str) -> Optional[int]:
        assert self.rec is not None
        for j in range(self.pos, len(self.rec.lines)):
            if self.rec.lines[j].type == typ:
                return j
        return None

    def _remap(self, src: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        ev = copy.deepcopy(src)
        old = ev.pop("id")
        ev.pop("processed_at", None)
        fresh = new_id("sevt")
        ev["id"] = fresh
        self.idmap[old] = fresh

        def walk(obj: Any) -> None:
            if isinstance(obj, dict):
                for k, v in obj.items():
                    if k in _REF_KEYS and isinstance(v, str) and v in self.idmap:
                        obj[k] = self.idmap[v]
                    elif k in _THREAD_KEYS and isinstance(v, str):
                        obj[k] = self.idmap.setdefault(v, new_id("sthr"))
                    elif k == "event_ids" and isinstance(v, list):
                        obj[k] = [self.idmap.get(x, x) for x in v]
                    else:
                        walk(v)
            elif isinstance(obj, list):
                for x in obj:
                    walk(x)

        walk(ev)
        typ = ev["type"]
        if typ == "span.model_request_start":
            self.open_span = fresh
        elif typ == "span.model_request_end":
            if ev.get("model_request_start_id") != self.open_span:
                # An interrupt skipped the recorded start this line closes: close the one that is open instead,
                # or drop the line when no model request is open.
                if self.open_span is None:
                    return None
                ev["model_request_start_id"] = self.open_span
            self.open_span = None
        elif typ == "agent.custom_tool_use":
            self.pending_custom[fresh] = ev["name"]
        elif typ in ("agent.tool_use", "agent.mcp_tool_use") and ev.get("evaluated_permission") == "ask":
            self.pending_confirm[fresh] = ev["name"]
        elif typ == "session.status_idle":
            sr = ev["stop_reason"]
            if sr.get("type") == "requires_action":
                ids = [x for x in sr.get("event_ids", []) if x in self.pending_custom or x in self.pending_confirm]
                if not ids:
                    return None  # everything it waited on is already answered
                sr["event_ids"] = ids
            else:
                self.turn_active = False
                if sr.get("type") == "budget_reached":
                    self.budget_stopped = True
        return ev

    def _close_open_span(self) -> None:
        """A model request cut short produces no output event; its span.model_request_end closes it."""
        if self.open_span is not None:
            self.b.emit(self.s, {"type": "span.model_request_end", "model_request_start_id": self.open_span,
                                 "model_usage": {"input_tokens": 0, "output_tokens": 0,
                                                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
            self.open_span = None

    def _end_turn_now(self) -> None:
        self._close_open_span()
        self.b.emit(self.s, {"type": "session.status_idle", "stop_reason": {"type": "end_turn"}})
        self.turn_active = False

    def _over_budget(self) -> bool:
        cap = budgets.cap_usd(self.s.data.get("budget"))
        return cap is not None and self.s.spent >= cap

    def _stop_at_budget(self) -> None:
        self._close_open_span()
        self.b.emit(self.s, {"type": "session.status_idle", "stop_reason": {"type": "budget_reached"}})
        self.turn_active = False
        self.budget_stopped = True

    def budget_changed(self) -> None:
        """The session's budget was raised or removed: a walk its cap stopped starts again."""
        if self.budget_stopped and not self._over_budget() and self.s.status == "idle":
            self.budget_stopped = False
            self.b.emit(self.s, {"type": "session.status_running"})
            self.turn_active = True
            self.b.scheduler.schedule(self, 0.0)

    def step(self, now: float) -> Optional[float]:
        """Emit what is due. Returns when to be called again, or None to wait for the learner."""
        if self.stopped or self.s.status == "terminated" or self.b.sessions.get(self.s.id) is not self.s:
            return None
        rec = self.rec
        if self.interrupt_id is not None:
            iid, self.interrupt_id = self.interrupt_id, None
            busy = self.turn_active or self.pending_custom or self.pending_confirm
            self.pending_custom.clear()
            self.pending_confirm.clear()
            if rec is not None and busy:
                j = self._index_from("user.interrupt")
                nxt = self._index_from("user.message")
                if j is not None and (nxt is None or j < nxt):
                    self.waiting_since = None
                    self.idmap[rec.lines[j].event["id"]] = iid
                    self.pos = j + 1
                    self.last_rec_ts = rec.lines[j].ts or self.last_rec_ts
                    self.last_emit = now
                else:
                    self.pos = nxt if nxt is not None else len(rec.lines)
                    self.inbox = deque(e for e in self.inbox if e["type"] == "user.message")
                    self._end_turn_now()
        if self.budget_stopped:
            msg = next((e for e in self.inbox if e["type"] == "user.message"), None)
            if msg is not None:  # no model request can start: the same stop again
                self.inbox.remove(msg)
                self.b.emit(self.s, {"type": "session.status_running"})
                self._stop_at_budget()
            return None
        budget = 64
        while budget > 0:
            if rec is None:
                return None
            if self.pos >= len(rec.lines):
                msg = next((e for e in self.inbox if e["type"] == "user.message"), None)
                if msg is None:
                    if self.turn_active:
                        self._end_turn_now()
                    return None
                self.inbox.remove(msg)
                self.b.emit(self.s, {"type": "session.status_running"})
                self.b.emit(self.s, {"type": "agent.message", "content": [{"type": "text", "text": NO_MORE_TURNS}]})
                self._end_turn_now()
                budget -= 3
                continue
            line = rec.lines[self.pos]
            if line.when and line.when.get("confirmation") != self.last_confirmation:
                self.pos += 1
                continue
            if line.client_side:
                ev = self._take(line)
                if ev is None:
                    outcome = next((e for e in self.inbox if e["type"] == "user.define_outcome"), None)
                    if line.type == "user.message" and outcome is not None:
                        # Work started by an outcome alone, in a recording that starts with a message: the outcome
                        # stands in for it (this recording has no grading to play).
                        self.inbox.remove(outcome)
                        self.idmap[line.event["id"]] = outcome["id"]
                        self.turn_active = True
                        self.pos += 1
                        continue
                    msg = next((e for e in self.inbox if e["type"] == "user.message"), None)
                    if line.type == "user.define_outcome" and msg is not None:
                        # The learner started with a message and no outcome: the message stands in for the recorded
                        # outcome (and for a recorded message right after it), and nothing will be graded.
                        self.inbox.remove(msg)
                        self.no_outcome = True
                        self.turn_active = True
                        self.pos += 1
                        if self.pos < len(rec.lines) and rec.lines[self.pos].type == "user.message":
                            self.pos += 1
                        continue
                    limit = self.b.interrupt_wait
                    if line.type == "user.interrupt" and limit is not None:
                        if self.waiting_since is None:
                            self.waiting_since = now
                        if now - self.waiting_since < limit:
                            return self.waiting_since + limit  # come back then, unless the interrupt comes first
                        self.waiting_since = None  # nobody interrupted: say so, and play on
                        self.pos += 1
                        self.b.emit(self.s, {"type": "agent.message",
                                             "content": [{"type": "text", "text": NO_INTERRUPT.format(limit)}]})
                        self.last_emit = now
                        budget -= 1
                        continue
                    return None  # a wait point
                self.idmap[line.event["id"]] = ev["id"]
                if line.type == "user.define_outcome":
                    self.idmap[line.event["outcome_id"]] = ev["outcome_id"]
                    self.no_outcome = False
                if line.type == "user.tool_confirmation":
                    self.last_confirmation = ev["result"]
                elif line.type == "user.message":
                    self.turn_active = True
                self.last_rec_ts = line.ts or self.last_rec_ts
                self.last_emit = now
                self.pos += 1
                continue
            if line.type == "session.updated":  # (parse() refuses session.deleted lines)
                self.pos += 1
                continue
            if self.no_outcome and line.type.startswith("span.outcome_evaluation"):
                # Nobody defined an outcome, so nothing grades the work: the turn ends where grading began.
                nxt = self._index_from("user.message")
                self.pos = nxt if nxt is not None else len(rec.lines)
                self._end_turn_now()
                budget -= 1
                continue
            if line.type == "span.model_request_start" and self._over_budget():
                self._stop_at_budget()  # the position stays: a raised budget resumes here
                return None
            speed = self.b.speed
            if speed != "instant" and line.ts is not None and self.last_rec_ts is not None:
                gap = min(self.b.max_gap, max(0.0, (line.ts - self.last_rec_ts).total_seconds())) / speed
                due = self.last_emit + gap
                if due > now + 0.0005:
                    return due
            ev = self._remap(line.event)
            self.pos += 1
            self.last_rec_ts = line.ts or self.last_rec_ts
            self.last_emit = now
            if ev is not None:
                if ev["type"] == "session.status_idle":
                    self._close_open_span()  # no span outlives its turn, whatever the interrupt skipped
                self.b.emit(self.s, ev)
                budget -= 1
            if self.s.status == "terminated":
                self.stopped = True
                return None
        return now  # yield to other sessions, come back at once


class Scheduler:
    """One background thread that steps every session whose next event is due."""

    def __init__(self, backend: Any) -> None:
        self.b = backend
        self.cond = threading.Condition(backend.lock)
        self.heap: List[Any] = []
        self.counter = itertools.count()
        self.running = True
        self.thread = threading.Thread(target=self._run, name="stub-replay", daemon=True)
        self.thread.start()

    def schedule(self, engine: Replayer, delay: float) -> None:
        due = time.monotonic() + delay
        with self.cond:
            if engine.scheduled is not None and engine.scheduled <= due:
                return
            engine.scheduled = due
            heapq.heappush(self.heap, (due, next(self.counter), engine))
            self.cond.notify()

    def stop(self) -> None:
        with self.cond:
            self.running = False
            self.cond.notify_all()
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout=5)

    def _run(self) -> None:
        with self.cond:
            while self.running:
                if not self.heap:
                    self.cond.wait()
                    continue
                due, _, engine = self.heap[0]
                t = time.monotonic()
                if due > t:
                    self.cond.wait(due - t)
                    continue
                heapq.heappop(self.heap)
                if engine.scheduled != due:
                    continue  # superseded by an earlier schedule
                engine.scheduled = None
                try:
                    nxt = engine.step(t)
                except Exception:  # never let one session kill the scheduler
                    log.exception("replay of session %s failed", engine.s.id)
                    try:
                        engine.stopped = True
                        self.b.emit(engine.s, {"type": "session.error", "error": {
                            "type": "unknown_error", "message": "The stub's replay engine failed; see the server log.",
                            "retry_status": {"type": "terminal"}}})
                        engine._end_turn_now()
                    except Exception:
                        log.exception("could not report the failure")
                    continue
                if nxt is not None:
                    engine.scheduled = nxt
                    heapq.heappush(self.heap, (nxt, next(self.counter), engine))
