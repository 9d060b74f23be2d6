"""The replay engine: plays a recording into a session as the learner's events arrive (rules in docs/design.md).

One :class:`Replayer` per session holds the walk's state; one :class:`Scheduler` thread steps every session whose
next event is due, so HTTP handler threads never wait on a replay. All state changes happen under the backend lock.

The engine only walks a recording. What a client may send when (pending tool uses, a second answer refused, ...) is
the session's business (session_state.SessionState); the engine sees its session through a :class:`Host` (emit, schedule,
settings, what waits for an answer), and never imports the Backend.

Details beyond the design doc's rules:

* Pace: the gap before an agent-side line is its recorded ``processed_at`` gap, capped at ``max_gap`` recorded
  seconds (default 4), divided by the speed. ``"instant"`` has no gaps.
* A ``user.message`` sent while the agent is running (nothing pending) is queued and starts the next recorded
  turn when it comes (while something is pending it is a 400: session_state.SessionState.check_events).
* Answering only some of the blocking events re-emits ``session.status_idle`` (``requires_action``) with the rest;
  a recorded ``requires_action`` whose events were all answered already is not emitted. ``stop_reason.event_ids``
  lists at most 5 of the waiting ids, oldest first (the host's window), so a client answering only the listed ids
  keeps answering across several idles.
* ``user.interrupt`` jumps to the next recorded ``user.interrupt`` of the same turn (not past the next
  ``user.message``); without one the turn ends with ``session.status_idle`` ``end_turn`` and the next message
  plays the recording's next turn.
* Spans stay balanced: a ``span.model_request_end`` closes the start that is open (an interrupt may have skipped the
  recorded one), is dropped when none is open, and ending a turn early closes an open one first.
* ``user.define_outcome`` starts the work like ``user.message`` (the agent begins on receipt). A recorded one the
  learner did not send (they started with a message) is stood in for by that message, and the grading is skipped:
  the turn ends with ``session.status_idle`` (``end_turn``) where the recording's first ``span.outcome_evaluation_*``
  line was.
* ``session.updated`` and ``session.usage`` lines are skipped: the session emits its own (an update's, and a usage
  snapshot right before each ``session.status_idle``: session_state.py).
* A recorded ``user.interrupt`` is a wait point like the others, but it does not wait forever: if no interrupt
  arrives within ``interrupt_wait`` seconds (default 30), the engine says so in an ``agent.message``
  (:data:`NO_INTERRUPT`) and plays on (the recording's turn then ends), so a run nobody interrupts still stops.
* Budgets: before each recorded ``span.model_request_start``, a session whose list cost has reached its budget
  (``Host.over_budget``) stops with ``session.status_idle`` ``budget_reached`` instead (the request in flight
  finished; no new one starts), as does a recorded ``budget_reached`` line of a session over its cap (one under its
  cap, which a recording made at another model's price or a raised budget leaves, ends the turn there with ``end_turn``:
  the recording has nothing after its stop). :meth:`Replayer.budget_changed` (a raised or removed budget) resumes the
  walk where it stopped, :data:`RESUME_DELAY` seconds later (``session.status_running`` after the update's
  ``session.updated``: live, "An accepted update resumes the session's paused work automatically", docs,
  managed-agents/budgets; how soon is not documented).
* After the last line, each further ``user.message`` gets ``session.status_running``, one ``agent.message``
  (:data:`NO_MORE_TURNS`) and ``session.status_idle`` ``end_turn``.
* Threads: a line with ``thread`` is that child thread's own event (the host cross-posts what the session's stream
  shows too); recorded thread ids map to fresh ones, any id the recording does not spawn to the primary thread. Each
  thread has its own open model request. A child's recorded ``session.thread_status_running`` while it runs already
  is dropped, and its ``requires_action`` idle lists its own waiting ids (dropped once all are answered). A
  ``user.interrupt`` naming a thread stops that thread (:meth:`Replayer._stop_thread`); its recorded interrupt, if
  nobody sends it, waits like the session's and says so (:data:`NO_THREAD_INTERRUPT`).
"""
from __future__ import annotations

import copy
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from typing import Any, NamedTuple, Protocol

from ..toolset import enabled_builtin_tools
from .exceptions import InvalidRequest
from .fit import Actor, Fit, actors, custom_unfit, mcp_unfit, mount_unfit, team_unfit
from .recordings import DEFAULT_NAME, Library, Line, Recording
from .utils import new_id

__all__ = ["Host", "ReplaySettings", "Replayer", "Scheduler", "Fit", "NO_INTERRUPT", "NO_THREAD_INTERRUPT",
           "NO_MORE_TURNS", "RESUME_DELAY"]

log = logging.getLogger("helpers.stub")

# Ids an event may reference, remapped to the fresh ids the stub gave the referenced events.
_REF_KEYS = ("tool_use_id", "custom_tool_use_id", "mcp_tool_use_id", "model_request_start_id",
             "outcome_evaluation_start_id", "outcome_id", "phase_started_id", "event_id")
_THREAD_KEYS = ("session_thread_id", "to_session_thread_id", "from_session_thread_id")

NO_INTERRUPT = ("(replay) This run was stopped by a user.interrupt at this point when it was recorded, and none "
                "arrived within {:g} s, so the replay ends the turn here. Send {{\"type\": \"user.interrupt\"}} "
                "while the session is running to stop it yourself.")

#: Seconds from an accepted budget update to the resumed work's ``session.status_running`` (inference: live resumes
#: asynchronously, so a client that follows the session must wait for it; the docs give no figure).
RESUME_DELAY = 0.25

NO_THREAD_INTERRUPT = ("(replay) A user.interrupt stopped one session thread ({}) at this point when this was "
                       "recorded, and none arrived within {:g} s, so the replay stops that thread here. Send "
                       "{{\"type\": \"user.interrupt\", \"session_thread_id\": ...}} while it runs to stop it "
                       "yourself.")

NO_MORE_TURNS = ("(replay) This recording has no more turns. Start a new session to replay it again, or set "
                 "WORKSHOP_MODE=live with an API key to talk to a real agent.")


class ReplaySettings(NamedTuple):
    speed: Any  # "instant" or a multiplier of the recorded pace
    max_gap: float  # longest pause replayed, in recorded seconds
    interrupt_wait: float | None  # seconds a recorded user.interrupt waits for the learner's (None: forever)


class Host(Protocol):
    """All a :class:`Replayer` may do to its session (sessions.py hands it one)."""

    def emit(self, event: dict[str, Any], thread: str | None = None) -> dict[str, Any]:
        """Store an event in the session's history and send it to its streams; returns it as stored. With
        ``thread`` (a child thread's id) it is that thread's own event (the session cross-posts what it must)."""

    def schedule(self, delay: float) -> None:
        """Have the engine stepped again in ``delay`` seconds."""

    def settings(self) -> ReplaySettings:
        """The replay settings now (the speed may change while a session plays)."""

    def alive(self) -> bool:
        """The session still exists and is not terminated."""

    def waiting_on(self, thread: str | None = None) -> list[str]:
        """The ids of the tool uses waiting for an answer (custom tool results, confirmations), as a requires_action
        idle lists them: the oldest, at most 5 (the window). With ``thread``: that thread's only."""

    def abandon_waiting(self, thread: str | None = None) -> bool:
        """An interrupt arrived: nothing (of ``thread``, if given) waits for an answer any more. True when something
        did."""

    def primary_thread_id(self) -> str:
        """The id of the session's primary thread."""

    def thread_status(self, thread: str) -> str | None:
        """The status of one of the session's child threads (None: no such thread; "starting": spawned, running,
        its session.thread_status_running not sent yet)."""

    def over_budget(self) -> bool:
        """The session's list cost has reached its budget: no new model request may start."""

    def take_up(self, event: dict[str, Any]) -> None:
        """The agent takes up a sent event now: a queued ``user.message`` (``processed_at`` null) appears on the
        stream again, with its ``processed_at``."""

    def advance(self, seconds: float) -> None:
        """The recording's clock moved on by ``seconds`` (recorded, whatever the pace): the session's active time
        follows it while it runs."""


class _Pause(NamedTuple):
    """Stop stepping: ``until`` is when to step again (None: when the learner sends something)."""

    until: float | None


_Step = int | _Pause  # a walk step: the budget it spent (go on), or a pause


class Replayer:
    """The walk of one session through its recording: where it is, which learner events wait to be matched, the
    ids it gave to recorded events."""

    def __init__(self, host: Host, library: Library, label: str = "") -> None:
        self.host = host
        self.library = library
        self.label = label  # for the server log
        self.rec: Recording | None = None
        self.pos = 0
        self.idmap: dict[str, str] = {}
        self.inbox: deque = deque()  # the learner's events not yet matched to a recorded line
        self.last_confirmation: str | None = None
        self.last_rec_ts: Any = None
        self.last_emit = 0.0
        self.turn_active = False
        self.interrupt_id: str | None = None
        self.stopped = False
        self.scheduled: float | None = None
        self.waiting_since: float | None = None  # when the walk reached a recorded user.interrupt
        self.open_spans: dict[str | None, str] = {}  # recorded thread (None: primary) -> its open model request
        self.thread_interrupts: deque = deque()  # the learner's user.interrupt events that name one thread
        self.stopped_threads: set = set()  # recorded child threads an interrupt stopped (their lines are skipped)
        self.open_evaluation: dict[str, Any] | None = None  # the span.outcome_evaluation_start not yet ended
        self.no_outcome = False  # the recording defines an outcome here and the learner did not
        self.settings = ReplaySettings("instant", 0.0, None)  # read from the host at each step
        self.budget_stopped = False  # idle with budget_reached: waits for a raised or removed budget
        self.resume_at: float | None = None  # when a raised or removed budget resumes the walk

    @property
    def recording(self) -> Recording | None:
        return self.rec

    # ------------------------------------------------------------------ choosing a recording
    def _why_unfit(self, rec: Recording, fit: Fit, suggest: bool = True) -> str | None:
        """Why the session ``fit`` describes could not have produced ``rec``; None when it could (the rules: fit.py,
        and here the built-in tools' policies). ``suggest``: name the recordings that would fit (for the 400)."""
        why = team_unfit(rec, fit)
        if why:
            return why
        for actor in actors(rec, fit):
            why = (custom_unfit(rec, actor) or (mount_unfit(rec, fit.mounts) if actor.thread is None else None)
                   or self._builtin_unfit(rec, actor, fit, suggest) or mcp_unfit(rec, actor, fit))
            if why:
                return why
        return None

    def _builtin_unfit(self, rec: Recording, actor: Actor, fit: Fit, suggest: bool) -> str | None:
        """The built-in tools the actor calls are enabled, with the recorded permission policy."""
        for name, seen in sorted(rec.builtin_tools(actor.thread).items()):
            policy = enabled_builtin_tools(actor.tools).get(name)
            if policy is None:
                return (f"recording {rec.name!r} calls the built-in {name} tool, which {actor.label} does not "
                        f"enable. Add {{\"type\": \"agent_toolset_20260401\"}} with {name} enabled to the agent's "
                        "tools (see helpers.resources.agent_tools()), then start a new session with it.")
            want = "always_ask" if "ask" in seen else "always_allow"
            if policy != want:
                fits = [f"{r.name!r} (say {' '.join(map(repr, r.keywords))} in your message, or "
                        f"metadata={{'recording': {r.name!r}}})" for r in self.library.all()
                        if suggest and name in r.builtin_tools() and r.name != rec.name
                        and self._why_unfit(r, fit, suggest=False) is None]
                return (f"recording {rec.name!r} was made with {name} set to {want}, but {actor.label} runs "
                        f"{name} with {policy}, so live its calls would "
                        + ("wait for a user.tool_confirmation" if policy == "always_ask" else "run without asking")
                        + ". Offline, use a recording made with the same policy: "
                        + ("; ".join(fits) if fits else "none uses this policy") + ".")
        return None

    def _check_fit(self, rec: Recording, fit: Fit) -> None:
        why = self._why_unfit(rec, fit)
        if why:
            raise InvalidRequest("(offline stub) " + why)

    def choose(self, name: str, fit: Fit, switching: bool = False) -> Recording:
        """The recording ``name`` (``metadata.recording``), for the session ``fit`` describes; a 400 when there is
        none or the session could not have made it. It plays unless one already does (when ``switching``: unless one
        has started)."""
        rec = self.library.get(name)
        if rec is None:
            raise InvalidRequest(f"metadata.recording: no recording named {name!r}. Available recordings: "
                                 f"{self.library.names()} (in {self.library.directory}).")
        self._check_fit(rec, fit)
        if self.rec is None or (switching and self.pos == 0):
            self.rec = rec
        return rec

    def select(self, text: str, fit: Fit, outcome_only: bool = False) -> Recording:
        """The recording whose keywords ``text`` (what starts the work) has, else the default one."""
        recs = self.library.all()
        if not recs:
            raise InvalidRequest(f"The stub has no recordings to replay (looked in {self.library.directory}). "
                                 "Run scripts/make_recordings.py, or start the stub with recordings_dir=...")
        if outcome_only:  # work started by a user.define_outcome alone: a recording that starts the same way
            recs = [r for r in recs if r.starts_with_outcome()] or recs
        rec = next((r for r in recs if r.matches(text)), None) or \
            next((r for r in recs if r.name == DEFAULT_NAME), None) or recs[0]
        self._check_fit(rec, fit)
        return rec

    def use(self, rec: Recording) -> None:
        """Play ``rec`` (chosen by :meth:`select` for the batch that starts the work) unless one already plays."""
        if self.rec is None:
            self.rec = rec

    # ------------------------------------------------------------------ the learner's events
    def receive(self, event: dict[str, Any]) -> None:
        """A sent event, as stored: it waits in the inbox for the recorded line it matches (an interrupt: for the
        next step)."""
        typ = event["type"]
        if typ == "user.interrupt" and event.get("session_thread_id") not in (None, self.host.primary_thread_id()):
            self.thread_interrupts.append(event)
            return
        if typ == "user.interrupt":
            self.interrupt_id = event["id"]
            return
        if typ in ("user.message", "user.define_outcome"):  # the agent begins work on receipt of either
            self.turn_active = True
        self.inbox.append(event)

    def wake(self) -> None:
        self.host.schedule(0.0)

    def stop(self) -> None:
        self.stopped = True

    def fail(self) -> None:
        """The engine failed on this session: say so in a session.error and end the turn."""
        self.stopped = True
        self.host.emit({"type": "session.error", "error": {
            "type": "unknown_error", "message": "The stub's replay engine failed; see the server log.",
            "retry_status": {"type": "terminal"}}})
        self._end_turn_now()

    # ------------------------------------------------------------------ walking the recording
    def _take(self, line: Line) -> dict[str, Any] | None:
        want = line.event
        for ev in self.inbox:
            if ev["type"] != line.type:
                continue
            for key in ("custom_tool_use_id", "tool_use_id", "session_thread_id"):
                if key in want and want[key] in self.idmap and ev.get(key) != self.idmap[want[key]]:
                    break
            else:
                self.inbox.remove(ev)
                return ev
        return None

    def _index_from(self, typ: str) -> int | None:
        """The next recorded line of type ``typ`` (a user.interrupt: one that stops the whole session)."""
        assert self.rec is not None
        for j in range(self.pos, len(self.rec.lines)):
            line = self.rec.lines[j]
            if line.type == typ and not (typ == "user.interrupt" and line.event.get("session_thread_id")):
                return j
        return None

    def _thread_id(self, recorded: str) -> str:
        """The session's id for a recorded thread id: a fresh one for a thread the recording spawns, the primary
        thread's for any other."""
        assert self.rec is not None
        if recorded in self.rec.child_threads():
            return self.idmap.setdefault(recorded, new_id("sthr"))
        return self.host.primary_thread_id()

    def _remap_ids(self, ev: dict[str, Any]) -> None:
        """Give the ids the event references the fresh ids of the events they name."""
        def walk(obj: Any) -> None:
            if isinstance(obj, dict):
                for k, v in obj.items():
                    if k in _REF_KEYS and isinstance(v, str) and v in self.idmap:
                        obj[k] = self.idmap[v]
                    elif k in _THREAD_KEYS and isinstance(v, str):
                        obj[k] = self._thread_id(v)
                    elif k == "event_ids" and isinstance(v, list):
                        obj[k] = [self.idmap.get(x, x) for x in v]
                    else:
                        walk(v)
            elif isinstance(obj, list):
                for x in obj:
                    walk(x)

        walk(ev)

    def _remap(self, src: dict[str, Any], thread: str | None = None) -> dict[str, Any] | None:
        """A recorded agent-side event of ``thread`` (recorded id; None: the primary's), as this session emits it
        (fresh ids); None when it is not to be emitted."""
        ev = copy.deepcopy(src)
        old = ev.pop("id")
        ev.pop("processed_at", None)
        fresh = new_id("sevt")
        ev["id"] = fresh
        self.idmap[old] = fresh
        self._remap_ids(ev)
        typ = ev["type"]
        if typ == "span.model_request_start":
            self.open_spans[thread] = fresh
        elif typ == "span.model_request_end":
            if ev.get("model_request_start_id") != self.open_spans.get(thread):
                # An interrupt skipped the recorded start this line closes: close the one that is open instead,
                # or drop the line when no model request is open.
                if thread not in self.open_spans:
                    return None
                ev["model_request_start_id"] = self.open_spans[thread]
            self.open_spans.pop(thread, None)
        elif typ.startswith("session.thread_status_"):
            return self._thread_status(ev, thread)
        elif typ == "span.outcome_evaluation_start":
            self.open_evaluation = {"outcome_evaluation_start_id": fresh, "outcome_id": ev["outcome_id"],
                                    "iteration": ev["iteration"]}
        elif typ == "span.outcome_evaluation_end":
            self.open_evaluation = None
        elif typ == "session.status_idle":
            sr = ev["stop_reason"]
            if sr.get("type") == "requires_action":
                waiting = self.host.waiting_on()  # the window of at most 5 ids the session lists
                if not waiting:
                    return None  # everything it waited on is already answered
                sr["event_ids"] = waiting
            else:
                if sr.get("type") == "budget_reached" and not self.host.over_budget():
                    # Recorded at another model's list price (or before a raise): this session is under its cap, so
                    # it would not stop for the budget; the recording has nothing after this stop, so the turn ends.
                    sr = ev["stop_reason"] = {"type": "end_turn"}
                self.turn_active = False
                self.budget_stopped = sr.get("type") == "budget_reached"
        return ev

    def _thread_status(self, ev: dict[str, Any], thread: str | None) -> dict[str, Any] | None:
        """A child thread's status line: dropped when it would change nothing (running while running), and a
        requires_action idle lists the thread's own waiting ids (dropped when all are answered already)."""
        tid = ev["session_thread_id"]
        if ev["type"] == "session.thread_status_running" and self.host.thread_status(tid) == "running":
            return None
        sr = ev.get("stop_reason") or {}
        if ev["type"] == "session.thread_status_idle" and sr.get("type") == "requires_action":
            waiting = self.host.waiting_on(tid)
            if not waiting:
                return None
            sr["event_ids"] = waiting
        return ev

    def _close_open_span(self, thread: str | None = None) -> None:
        """A model request cut short produces no output event; its span.model_request_end closes it."""
        start = self.open_spans.pop(thread, None)
        if start is not None:
            self.host.emit({"type": "span.model_request_end", "model_request_start_id": start,
                            "model_usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                            "cache_read_input_tokens": 0}},
                           thread=None if thread is None else self._thread_id(thread))

    def _stop_thread(self, recorded: str) -> None:
        """An interrupt stops one child thread: its open request closes, it goes idle (end_turn) and nothing it has
        left in the recording plays (until the primary thread sends it new work)."""
        tid = self._thread_id(recorded)
        self.stopped_threads.add(recorded)
        self.host.abandon_waiting(tid)
        self._close_open_span(recorded)
        if self.host.thread_status(tid) in ("starting", "running", "rescheduling"):
            self.host.emit({"type": "session.thread_status_idle", "session_thread_id": tid,
                            "agent_name": self.rec.child_threads()[recorded] if self.rec else "",
                            "stop_reason": {"type": "end_turn"}}, thread=tid)

    def _take_thread_interrupts(self) -> None:
        """The learner's interrupts of one thread each: that thread stops (the others play on)."""
        while self.thread_interrupts:
            event = self.thread_interrupts.popleft()
            recorded = next((r for r in (self.rec.child_threads() if self.rec else {})
                             if self.idmap.get(r) == event["session_thread_id"]), None)
            if recorded is not None:
                self._stop_thread(recorded)

    def _skipped(self, line: Line) -> bool:
        """A line of a thread an interrupt stopped (or that only a stopped thread could cause) is not played; the
        primary thread sending that thread new work starts it again."""
        if not self.stopped_threads:
            return False
        ev = line.event
        if line.thread in self.stopped_threads:
            return True
        if line.type == "agent.thread_message_received" and ev.get("from_session_thread_id") in self.stopped_threads:
            return True
        if line.type == "user.interrupt" and ev.get("session_thread_id") in self.stopped_threads:
            return True  # the recorded interrupt of that thread: the learner's came first
        if line.type == "agent.thread_message_sent" and ev.get("to_session_thread_id") in self.stopped_threads:
            self.stopped_threads.discard(ev["to_session_thread_id"])
        return False

    def _close_open_evaluation(self) -> None:
        """An interrupt during outcome grading ends the evaluation with result ``interrupted`` (the SDK's docstring
        of span.outcome_evaluation_end.result: "'interrupted': user sent an interrupt while evaluation was in
        progress"), before anything else happens."""
        if self.open_evaluation is not None:
            self.host.emit({"type": "span.outcome_evaluation_end", **self.open_evaluation, "result": "interrupted",
                            "explanation": "The evaluation was interrupted (user.interrupt) before it finished.",
                            "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                      "cache_read_input_tokens": 0}})
            self.open_evaluation = None

    def _end_turn_now(self) -> None:
        """The session stops: every child thread still running, then the primary thread (an interrupt without a
        session_thread_id "interrupts every non-archived thread", SDK docstring)."""
        for recorded in (self.rec.child_threads() if self.rec else {}):
            if recorded in self.idmap and self.host.thread_status(self.idmap[recorded]) in ("starting", "running",
                                                                                             "rescheduling"):
                self._stop_thread(recorded)
        self._close_open_span()
        self.host.emit({"type": "session.status_idle", "stop_reason": {"type": "end_turn"}})
        self.turn_active = False

    def _stop_at_budget(self) -> None:
        self._close_open_span()
        self.host.emit({"type": "session.status_idle", "stop_reason": {"type": "budget_reached"}})
        self.turn_active = False
        self.budget_stopped = True

    def budget_changed(self) -> None:
        """The session's budget was raised or removed: a walk its cap stopped goes on, RESUME_DELAY seconds after the
        update (the service resumes it asynchronously: the update returns first)."""
        if self.budget_stopped and not self.host.over_budget():
            self.resume_at = time.monotonic() + RESUME_DELAY
            self.host.schedule(RESUME_DELAY)

    def _resume(self, now: float) -> bool:
        """Resume the walk a raised or removed budget let go on, once it is due; True when it did."""
        if self.resume_at is None or now < self.resume_at:
            return False
        self.resume_at = None
        if self.host.over_budget():  # lowered again meanwhile: still paused
            return False
        self.budget_stopped = False
        self.host.emit({"type": "session.status_running"})
        self.turn_active = True
        return True

    def step(self, now: float) -> float | None:
        """Emit what is due. Returns when to be called again, or None to wait for the learner."""
        if self.stopped or not self.host.alive():
            return None
        self.settings = self.host.settings()  # for this step
        if self.thread_interrupts:
            self._take_thread_interrupts()
        if self.interrupt_id is not None:
            self._take_interrupt(now)
        if self.budget_stopped and not self._resume(now):
            return self.resume_at  # paused at the budget (a message that would start work is refused: session_state.py)
        budget = 64
        while budget > 0:
            r = self._advance(now)
            if isinstance(r, _Pause):
                return r.until
            budget -= r
        return now  # yield to other sessions, come back at once

    def _take_interrupt(self, now: float) -> None:
        """Jump to the recorded user.interrupt of this turn, or end the turn here when it has none."""
        iid, self.interrupt_id = self.interrupt_id, None
        abandoned = self.host.abandon_waiting()
        rec = self.rec
        if rec is None or not (self.turn_active or abandoned):
            return
        self._close_open_evaluation()
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

    def _advance(self, now: float) -> _Step:
        """One step of the walk."""
        rec = self.rec
        if rec is None:
            return _Pause(None)
        if self.pos >= len(rec.lines):
            return self._past_the_end()
        line = rec.lines[self.pos]
        if (line.when and line.when.get("confirmation") != self.last_confirmation) or self._skipped(line):
            self.pos += 1
            return 0
        if line.client_side:
            return self._client_line(line, now)
        return self._agent_line(line, now)

    def _past_the_end(self) -> _Step:
        """After the last line, each further user.message gets NO_MORE_TURNS."""
        msg = next((e for e in self.inbox if e["type"] == "user.message"), None)
        if msg is None:
            if self.turn_active:
                self._end_turn_now()
            return _Pause(None)
        self.inbox.remove(msg)
        self.host.take_up(msg)
        self.host.emit({"type": "session.status_running"})
        self.host.emit({"type": "agent.message", "content": [{"type": "text", "text": NO_MORE_TURNS}]})
        self._end_turn_now()
        return 3

    def _client_line(self, line: Line, now: float) -> _Step:
        """A recorded learner event: go on once the learner sent it (or what stands in for it)."""
        ev = self._take(line)
        if ev is None:
            return self._stand_in(line, now)
        self.idmap[line.event["id"]] = ev["id"]
        if line.type == "user.define_outcome":
            self.idmap[line.event["outcome_id"]] = ev["outcome_id"]
            self.no_outcome = False
        if line.type == "user.tool_confirmation":
            self.last_confirmation = ev["result"]
        elif line.type == "user.message":
            self.turn_active = True
            self.host.take_up(ev)
        self.last_rec_ts = line.ts or self.last_rec_ts
        self.last_emit = now
        self.pos += 1
        return 0

    def _stand_in(self, line: Line, now: float) -> _Step:
        """The learner has not sent the recorded ``line``: what they sent instead may stand in for it; a recorded
        interrupt waits ``interrupt_wait`` seconds; anything else waits for the learner."""
        rec = self.rec
        assert rec is not None
        outcome = next((e for e in self.inbox if e["type"] == "user.define_outcome"), None)
        if line.type == "user.message" and outcome is not None:
            # Work started by an outcome alone, in a recording that starts with a message: the outcome stands in
            # for it (this recording has no grading to play).
            self.inbox.remove(outcome)
            self.idmap[line.event["id"]] = outcome["id"]
            self.turn_active = True
            self.pos += 1
            return 0
        msg = next((e for e in self.inbox if e["type"] == "user.message"), None)
        if line.type == "user.define_outcome" and msg is not None:
            # The learner started with a message and no outcome: the message stands in for the recorded outcome
            # (and for a recorded message right after it), and nothing will be graded.
            self.inbox.remove(msg)
            self.no_outcome = True
            self.turn_active = True
            self.pos += 1
            if self.pos < len(rec.lines) and rec.lines[self.pos].type == "user.message":
                self.pos += 1
            return 0
        limit = self.settings.interrupt_wait
        if line.type == "user.interrupt" and limit is not None:
            if self.waiting_since is None:
                self.waiting_since = now
            if now - self.waiting_since < limit:
                return _Pause(self.waiting_since + limit)  # come back then, unless the interrupt comes first
            self.waiting_since = None  # nobody interrupted: say so, and play on
            self.pos += 1
            target = line.event.get("session_thread_id")
            text = NO_THREAD_INTERRUPT.format(self._thread_id(target), limit) if target else NO_INTERRUPT.format(limit)
            self.host.emit({"type": "agent.message", "content": [{"type": "text", "text": text}]})
            self.last_emit = now
            return 1
        return _Pause(None)  # a wait point

    def _agent_line(self, line: Line, now: float) -> _Step:
        """A recorded agent-side event: emit it when it is due."""
        if line.type in ("session.updated", "session.usage"):  # (parse() refuses session.deleted lines)
            self.pos += 1
            return 0
        rec = self.rec
        assert rec is not None
        if self.no_outcome and line.type.startswith("span.outcome_evaluation"):
            # Nobody defined an outcome, so nothing grades the work: the turn ends where grading began.
            nxt = self._index_from("user.message")
            self.pos = nxt if nxt is not None else len(rec.lines)
            self._end_turn_now()
            return 1
        if line.type == "span.model_request_start" and self.host.over_budget():
            self._stop_at_budget()  # the position stays: a raised budget resumes here
            return _Pause(None)
        settings = self.settings
        if settings.speed != "instant" and line.ts is not None and self.last_rec_ts is not None:
            gap = min(settings.max_gap, max(0.0, (line.ts - self.last_rec_ts).total_seconds())) / settings.speed
            due = self.last_emit + gap
            if due > now + 0.0005:
                return _Pause(due)
        ev = self._remap(line.event, line.thread)
        self.pos += 1
        if line.ts is not None and self.last_rec_ts is not None:
            self.host.advance(max(0.0, (line.ts - self.last_rec_ts).total_seconds()))
        self.last_rec_ts = line.ts or self.last_rec_ts
        self.last_emit = now
        spent = 0
        if ev is not None:
            if ev["type"] == "session.status_idle":
                self._close_open_span()  # no span outlives its turn, whatever the interrupt skipped
            self.host.emit(ev, thread=None if line.thread is None else self._thread_id(line.thread))
            spent = 1
        if not self.host.alive():
            self.stopped = True
            return _Pause(None)
        return spent


class Scheduler:
    """One background thread that steps every session whose next event is due."""

    def __init__(self, lock: Any) -> None:
        self.cond = threading.Condition(lock)
        self.heap: list[Any] = []
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
                nxt = self._step(engine, t)
                if nxt is not None:
                    engine.scheduled = nxt
                    heapq.heappush(self.heap, (nxt, next(self.counter), engine))

    @staticmethod
    def _step(engine: Replayer, t: float) -> float | None:
        try:
            return engine.step(t)
        except Exception:  # never let one session kill the scheduler
            log.exception("replay of session %s failed", engine.label)
            try:
                engine.fail()
            except Exception:
                log.exception("could not report the failure")
            return None
