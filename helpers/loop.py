"""The event loop, packaged: stream a session, answer custom tools, stop cleanly, never hang.

Notebook 03 has you write this loop by hand; from then on the series uses this one:

    from helpers import loop
    result = loop.run(client, session.id, "Investigate Incident-2277", handle_tool=incident.handle_tool)
    result.stop_reason   # "end_turn", "requires_action", "retries_exhausted", "budget_reached", "refusal", "terminated", ...
    result.text          # the agent's last message
    result.tool_calls    # the custom tool calls this run answered, with what it answered

What ``run`` does, in order:

1. Opens the stream FIRST, then lists the history once (so it knows which events are old and which
   tool calls are already answered), then sends your message. Nothing that happens after the
   stream opened can be missed.
2. For every new event (deduplicated by id): calls ``on_event(event)``, renders it (``render=True``; joining a
   session with no message renders what came before first, marked as such),
   and answers ``agent.custom_tool_use`` with ``user.custom_tool_result`` whose ``custom_tool_use_id``
   is the event's id (``is_error=True`` with the error text when your handler raises or reports an
   error). Each call is answered at most once.
3. Stops on ``session.status_idle`` with ``end_turn``, ``retries_exhausted``, ``budget_reached`` or
   ``refusal``; on ``requires_action`` it cannot resolve (no handler, or a built-in tool waiting for a
   ``user.tool_confirmation`` and no ``confirm=`` callback) it returns with ``pending`` ids instead of
   waiting forever; on ``session.status_terminated`` and ``session.deleted``. Joining a session (no message)
   whose last stop is ``budget_reached`` followed by a budget change (``sessions.update(budget=...)``), it waits
   for the resumed work instead: the platform resumes such a session on its own, a moment after the update.
4. If the stream ends or drops before that, it reconnects: opens a new stream, lists the full
   history (every page), replays what it missed, then tails the new stream.
5. ``timeout`` seconds in total (None: no limit), after which it raises :class:`LoopTimeout` with what it saw last.
   Every request (open the stream, list a page, send) gets what is left of the run as its own timeout, and
   none is retried by the SDK, so a server that never answers cannot keep ``run`` going past its deadline.

Errors: only a dropped connection or a retryable API status (408, 409, 429, 5xx) makes ``run`` reconnect
(and resend whatever did not go through; this is the loop's retry, so the SDK's own is off while ``timeout`` is
set). Anything else is raised as it is: a 4xx with the API's own message, and any exception from your
``on_event``, ``confirm`` or message (a ``handle_tool`` error goes to the agent).
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import render as _render
from .events import (
    TERMINAL_EVENTS,
    ToolCall,
    custom_tool_result,
    event_text,
    get,
    is_status_event,
    stop_reason,
    terminal_stop_reason,
    tool_confirmation,
    waits_for_confirmation,
)
from .i18n import _, ngettext

__all__ = ["run", "RunResult", "ToolCall", "LoopError", "LoopTimeout", "list_events", "tool_result"]

#: The ``user.custom_tool_result`` for one ``agent.custom_tool_use`` (one builder: ``helpers.events``).
tool_result = custom_tool_result

DEFAULT_TIMEOUT = 300.0

#: The shortest timeout a request gets near the deadline (seconds): a last request may still go through.
MIN_REQUEST_TIMEOUT = 0.5


class LoopError(RuntimeError):
    """The loop could not keep a stream open (too many failed reconnects)."""


class LoopTimeout(LoopError, TimeoutError):
    """No stop within the run's ``timeout``."""


@dataclass
class RunResult:
    """What one ``run`` saw and did."""

    session_id: str
    stop_reason: str | None = None
    events: list = field(default_factory=list)
    tool_calls: list = field(default_factory=list)
    pending: list = field(default_factory=list)
    reconnects: int = 0
    idle_event: Any = None
    seconds: float = 0.0
    #: The session's totals at the last ``session.usage`` the run saw (the session emits one right before each idle:
    #: tokens, ``list_cost``, ``active_seconds``), or None.
    usage: Any = None

    @property
    def messages(self) -> list[str]:
        """The text of every ``agent.message`` in this run, in order."""
        return [event_text(e) for e in self.events if get(e, "type") == "agent.message"]

    @property
    def text(self) -> str:
        """The agent's last message of this run ("" if it said nothing)."""
        messages = self.messages
        return messages[-1] if messages else ""

    @property
    def types(self) -> list[str]:
        """The event types in order (handy for asserting on a run)."""
        return [get(e, "type") for e in self.events]

    def __repr__(self) -> str:
        return (
            f"RunResult(stop_reason={self.stop_reason!r}, events={len(self.events)}, "
            f"tool_calls={len(self.tool_calls)}, pending={self.pending!r}, reconnects={self.reconnects})"
        )


# --------------------------------------------------------------------------- small helpers
def _call_handler(handle_tool: Callable, name: str, tool_input: Any) -> tuple[str, bool]:
    """Run the learner's handler. Returns (text, is_error); never raises.

    A handler may return a str, a ``(text, is_error)`` tuple, or anything JSON-serialisable;
    raising counts as an error whose text is the exception."""
    try:
        out = handle_tool(name, tool_input)
    except Exception as exc:  # the agent gets the error, the loop keeps going
        return f"{name} failed: {type(exc).__name__}: {exc}", True
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], bool):
        text, is_error = out
        return (text if isinstance(text, str) else json.dumps(text, default=str)), is_error
    if out is None:
        return "(no output)", False
    if isinstance(out, str):
        return out, False
    return json.dumps(out, default=str), False


def _is_todo(value: Any) -> bool:
    """``helpers.check.TODO``, the placeholder an unfinished exercise cell leaves (by type: no import cycle)."""
    return type(value).__name__ == "_Todo"


def _find_todo(value: Any, where: str) -> str | None:
    """Where inside ``value`` the TODO placeholder sits (e.g. "message[0]['content'][0]['text']"), or None."""
    if _is_todo(value):
        return where
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _find_todo(item, f"{where}[{key!r}]")
        if found:
            return found
    return None


_EVENT_EXAMPLE = "{'type': 'user.message', 'content': [{'type': 'text', 'text': '...'}]}"


def _example() -> str:
    """What ``message`` may be, in the learner's language (its example is code)."""
    return _("a str, or an event dict such as {event}").format(event=_EVENT_EXAMPLE)


def _message_events(message: Any) -> list[dict]:
    """The events to send for ``message`` (a str, an event dict, a list of them, or None); checked up front."""
    if message is None:
        return []
    if isinstance(message, (str, dict)):
        items, name = [message], "message"
    elif isinstance(message, (list, tuple, Iterator)):
        items, name = list(message), "message[{}]"
        if not items:
            raise ValueError(_("loop.run: message is empty; pass {example} (or None to follow a session that is "
                               "already started).").format(example=_example()))
    else:
        items, name = [message], "message"
    events = []
    for i, item in enumerate(items):
        label = name.format(i)
        todo = _find_todo(item, label)
        if todo:
            raise ValueError(_("loop.run: {todo} is still the TODO placeholder (check.TODO): finish the TODO cell "
                               "that sets it and run that cell, then pass {example}.").format(todo=todo,
                                                                                             example=_example()))
        if isinstance(item, str):
            item = {"type": "user.message", "content": [{"type": "text", "text": item}]}
        if not isinstance(item, dict):
            raise TypeError(_("loop.run: {label} is a {type} ({value}); pass {example}.").format(
                label=label, type=type(item).__name__, value=f"{item!r:.80}", example=_example()))
        if not isinstance(item.get("type"), str):
            raise ValueError(_("loop.run: {label} has no 'type'; pass {example}.").format(label=label,
                                                                                           example=_example()))
        events.append(item)
    return events


def _verdict(answer: Any, tool_use_id: str) -> dict | None:
    """What ``confirm(event)`` returned, as the user.tool_confirmation to send (None: leave it to the caller)."""
    if answer is None:
        return None
    if answer in ("allow", "deny"):
        return tool_confirmation(tool_use_id, answer)
    if isinstance(answer, dict) and answer.get("type") == "user.tool_confirmation":
        return {**answer, "tool_use_id": answer.get("tool_use_id") or tool_use_id}
    raise ValueError(_("loop.run: confirm() returned {answer}; return \"allow\", \"deny\", None (decide later), or a "
                       "user.tool_confirmation event dict.").format(answer=f"{answer!r:.80}"))


def _session_id(session: Any) -> str:
    """Accept a session id, a session object or a dict with an "id"."""
    if _is_todo(session):
        raise ValueError(_("loop.run: the session is still the TODO placeholder (check.TODO): finish the cell that "
                           "creates it, then pass session.id."))
    if not isinstance(session, str):
        sid = get(session, "id")
        if not isinstance(sid, str):
            raise TypeError(_("loop.run: pass session.id (a str like 'sesn_...'), not a {type}.").format(
                type=type(session).__name__))
        session = sid
    return session


def _changes_budget(event: Any) -> bool:
    """A ``session.updated`` that sets or removes the session's budget (``budget: null`` is a removal)."""
    if get(event, "type") != "session.updated":
        return False
    if isinstance(event, dict):
        return "budget" in event
    return "budget" in (getattr(event, "model_fields_set", None) or ()) or get(event, "budget") is not None


def list_events(client: Any, session_id: str, deadline: float | None = None) -> list:
    """The session's full history, every page, oldest first.

    With a ``deadline`` (a ``time.monotonic()`` value) each page request gets what is left as its timeout,
    so listing cannot outlive it (the timeout error is the SDK's ``APITimeoutError``)."""
    history: list = []
    cursor = None
    while True:
        kw = {"page": cursor} if cursor else {}
        if deadline is not None:
            kw["timeout"] = max(deadline - time.monotonic(), MIN_REQUEST_TIMEOUT)
        page = client.beta.sessions.events.list(session_id, limit=1000, **kw)
        history.extend(page.data)
        cursor = getattr(page, "next_page", None)
        if not cursor or not page.data:
            return history


# --------------------------------------------------------------------------- the loop
def run(
    client: Any,
    session_id: str,
    message: str | dict | Iterable[dict] | None = None,
    *,
    handle_tool: Callable[[str, dict], Any] | None = None,
    confirm: Callable[[Any], str | dict | None] | None = None,
    on_event: Callable[[Any], None] | None = None,
    render: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_reconnects: int = 5,
) -> RunResult:
    """Drive one turn of a session until it stops. See the module docstring for the rules.

    Args:
        session_id: the session's id (a session object or a dict with an "id" works too).
        message: a str (sent as a ``user.message``), one event dict, a list of event dicts, or
            None to continue a session that is already running or waiting (nothing is sent).
        handle_tool: ``handle_tool(name, input)`` answers ``agent.custom_tool_use``; return a str
            (or ``(text, is_error)``, e.g. ``incident.run_tool``'s ToolResult); raising sends
            ``is_error=True`` with the error text.
        confirm: ``confirm(event) -> "allow" | "deny" | None`` (or a user.tool_confirmation dict) answers built-in tool calls
            waiting for a ``user.tool_confirmation`` (None leaves it to you: the run returns
            ``requires_action`` with the ids in ``pending``).
        on_event: called once for every new event, in order (the dashboard's hook).
        render: print one line per event with ``helpers.render.show``.
        timeout: seconds for the whole run (None: no limit); then :class:`LoopTimeout`.
        max_reconnects: consecutive failed stream attempts before :class:`LoopError`.
    """
    if any(c.__name__.startswith("Async") for c in type(client).__mro__):
        raise TypeError(_("loop.run needs the sync client: client = helpers.connect() (an anthropic.Anthropic). "
                          "For an AsyncAnthropic, write the loop with `async with "
                          "client.beta.sessions.events.stream(...)`."))
    return _Run(client, _session_id(session_id), _message_events(message), handle_tool=handle_tool,
                confirm=confirm, on_event=on_event, render=render, timeout=timeout,
                max_reconnects=max_reconnects).drive()


class _Run:
    """One ``run``: its state as attributes, one method per step (catch up, handle, answer, confirm, finish)."""

    def __init__(self, client: Any, session_id: str, to_send: list[dict], *, handle_tool: Callable | None,
                 confirm: Callable | None, on_event: Callable | None, render: bool, timeout: float | None,
                 max_reconnects: int) -> None:
        # While a timeout is set the loop is the only one to retry: an SDK retry of a request that timed out
        # at the deadline would start a second wait.
        with_options = getattr(client, "with_options", None)
        self.client = with_options(max_retries=0) if timeout is not None and callable(with_options) else client
        self.session_id = session_id
        self.to_send = to_send  # pending until a send goes through
        self.handle_tool, self.confirm, self.on_event, self.render = handle_tool, confirm, on_event, render
        self.timeout, self.max_reconnects = timeout, max_reconnects
        self.started = time.monotonic()
        self.deadline = self.started + timeout if timeout is not None else None
        self.result = RunResult(session_id=session_id)
        self.seen: set[str] = set()
        self.answered: set[str] = set()  # custom tool use ids with a result (ours or earlier)
        self.confirmed: set[str] = set()  # tool use ids with a confirmation
        self.waiting: dict[str, Any] = {}  # tool_use id -> agent.tool_use waiting for confirmation
        self.unsent: dict[str, Any] = {}  # custom tool use id -> event whose result did not go through yet
        self.calls: dict[str, ToolCall] = {}  # what the handler answered, so a resend does not call it twice
        self.verdicts: dict[str, dict | None] = {}  # what confirm() said, likewise
        self.caught_up = False  # the history from before this run is noted
        self.failures = 0
        self.last_type: str | None = None  # the type of the last event seen ("(none yet)" in the messages)
        self.closed = threading.Event()  # we closed the stream ourselves (the deadline)

    def last_seen(self) -> str:
        """The type of the last event seen, as the errors name it."""
        return self.last_type or _("(none yet)")

    # ---- time
    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def request_options(self) -> dict:
        """The per-request timeout: what is left of the run (a silent server cannot outlive it)."""
        return {} if self.deadline is None else {"timeout": max(self.remaining(), MIN_REQUEST_TIMEOUT)}

    # ---- the stop
    def finish(self, stop: str | None, pending: list[str] | None = None, idle: Any = None) -> RunResult:
        self.result.stop_reason = stop
        self.result.pending = list(pending or [])
        self.result.idle_event = idle
        self.result.seconds = time.monotonic() - self.started
        return self.result

    def pending(self, ids: list[str]) -> list[str]:
        """The ids a ``requires_action`` idle waits on that have no answer, sent or owed."""
        return [i for i in ids if i not in self.answered and i not in self.confirmed and not self.owed(i)]

    def stop_on_idle(self, event: Any) -> RunResult | None:
        """The result a ``session.status_idle`` ends the run with; None when the agent carries on."""
        reason, ids = stop_reason(event)
        if reason != "requires_action":
            return self.finish(reason, idle=event)
        pending = self.pending(ids)
        return self.finish("requires_action", pending, event) if pending else None

    # ---- answers
    def send(self, events: list[dict]) -> None:
        self.client.beta.sessions.events.send(self.session_id, events=events, **self.request_options())

    def answer(self, event: Any) -> None:
        """Answer one agent.custom_tool_use, exactly once (the handler runs once; the send is retried)."""
        eid = get(event, "id")
        if eid in self.answered or self.handle_tool is None:
            return
        if eid not in self.calls:
            name, tool_input = get(event, "name"), get(event, "input") or {}
            text, is_error = _call_handler(self.handle_tool, name, tool_input)
            self.calls[eid] = call = ToolCall(id=eid, name=name, input=tool_input, result=text, is_error=is_error)
            self.result.tool_calls.append(call)
        call = self.calls[eid]
        self.unsent[eid] = event
        self.send([tool_result(eid, call.result, call.is_error or None)])
        self.unsent.pop(eid, None)
        self.answered.add(eid)

    def confirm_tool(self, event: Any) -> None:
        """Ask ``confirm(event)`` once and send its verdict (again after a reconnect if it did not go through)."""
        eid = get(event, "id")
        if self.confirm is None or eid in self.confirmed:
            return
        if eid not in self.verdicts:
            self.verdicts[eid] = _verdict(self.confirm(event), eid)
        if self.verdicts[eid] is not None:
            self.send([self.verdicts[eid]])
            self.confirmed.add(eid)

    def owed(self, eid: str) -> bool:
        """An answer we have but could not send yet (it goes out after the reconnect)."""
        return eid in self.unsent or (eid in self.waiting and self.verdicts.get(eid) is not None)

    def resend_answers(self) -> None:
        """Answer what is still owed: tool calls whose result did not go through, confirmations."""
        for event in list(self.unsent.values()):
            self.answer(event)
        for event in list(self.waiting.values()):
            self.confirm_tool(event)

    def note(self, event: Any) -> None:
        """Remember a result or confirmation that is already in the session."""
        t = get(event, "type")
        if t == "user.custom_tool_result":
            self.answered.add(get(event, "custom_tool_use_id"))
            self.unsent.pop(get(event, "custom_tool_use_id"), None)
        elif t == "user.tool_confirmation":
            self.confirmed.add(get(event, "tool_use_id"))
            self.waiting.pop(get(event, "tool_use_id"), None)

    # ---- events
    def handle(self, event: Any) -> RunResult | None:
        """Process one new event; return the result when the run is over."""
        eid = get(event, "id")
        if eid is not None:
            if eid in self.seen:
                return None
            self.seen.add(eid)
        t = self.last_type = get(event, "type")
        self.result.events.append(event)
        self.note(event)
        if t == "session.usage":
            self.result.usage = get(event, "usage")
        dropped = None
        if t == "agent.custom_tool_use":  # answer first: the agent waits on it, whatever the callbacks do
            try:
                self.answer(event)
            except Exception as exc:
                if not _retryable(exc):
                    raise
                dropped = exc  # kept in `unsent`: resent after the reconnect
        if self.on_event is not None:
            self.on_event(event)
        if self.render:
            _render.show(event)
        if dropped is not None:
            raise dropped
        if waits_for_confirmation(event):
            self.waiting[eid] = event
            self.confirm_tool(event)
        elif t == "session.status_idle":
            return self.stop_on_idle(event)
        elif t in TERMINAL_EVENTS:
            return self.finish(terminal_stop_reason(t), idle=event)
        return None

    def catch_up(self, history: list) -> RunResult | None:
        """Fold the listed history in. On the first connect, old events are only noted (not replayed);
        after a reconnect, what the stream missed is handled like new events."""
        if self.caught_up:
            for event in history:
                done = self.handle(event)
                if done is not None:
                    return done
            return None
        for event in history:
            self.seen.add(get(event, "id"))
            self.note(event)
        self.caught_up = True
        return None if self.to_send else self.follow(history)

    def follow(self, history: list) -> RunResult | None:
        """Nothing to send: continue whatever the session is doing (answer what waits; return if it is done)."""
        if not history:
            raise ValueError(_("loop.run: session {session} has not been started, so there is nothing to follow. "
                               "Pass the message that starts it: loop.run(client, session_id, message), with "
                               "{example}.").format(session=self.session_id, example=_example()))
        if self.render:  # what happened before you joined, so the run reads from its first event
            for event in history:
                _render.show(event)
            print(ngettext("(joined: the {n} event above came before this follower; what follows is live)",
                           "(joined: the {n} events above came before this follower; what follows is live)",
                           len(history)).format(n=len(history)), flush=True)
        # A user.interrupt abandons what waited before it: only later calls are still owed an answer.
        since = max((i + 1 for i, e in enumerate(history) if get(e, "type") == "user.interrupt"), default=0)
        unanswered = [e for e in history[since:] if get(e, "type") == "agent.custom_tool_use"
                      and get(e, "id") not in self.answered]
        self.waiting.update((get(e, "id"), e) for e in history[since:]
                            if waits_for_confirmation(e) and get(e, "id") not in self.confirmed)
        for event in unanswered:
            self.answer(event)
        for event in list(self.waiting.values()):
            self.confirm_tool(event)
        last = next((e for e in reversed(history) if is_status_event(get(e, "type"))), None)
        lt = get(last, "type")
        if lt in TERMINAL_EVENTS:
            return self.finish(terminal_stop_reason(lt), idle=last)
        if lt != "session.status_idle":
            return None
        if stop_reason(last)[0] == "requires_action":
            return self.stop_on_idle(last)
        later = history[history.index(last) + 1:]
        # A user event after the stop means more work is coming; an interrupt after it changes nothing (nothing runs).
        later_user = any(str(get(e, "type", "")).startswith("user.") and get(e, "type") != "user.interrupt"
                         for e in later)
        # A budget_reached idle followed by a change of the budget is stale: "An accepted update resumes the
        # session's paused work automatically" (docs, budgets), a moment later: wait for it to run again.
        resumed = stop_reason(last)[0] == "budget_reached" and any(_changes_budget(e) for e in later)
        return None if later_user or unanswered or resumed else self.stop_on_idle(last)

    # ---- the connection
    def close(self, stream: Any) -> None:
        """The watchdog: close the stream at the deadline (an error from reading it then is ours, not news)."""
        self.closed.set()
        _close_quietly(stream)

    def attempt(self) -> RunResult | None:
        """One connection: open the stream, catch up from the history, send, tail. None: the stream ended."""
        stream = self.client.beta.sessions.events.stream(self.session_id, **self.request_options())
        watchdog = None
        if self.deadline is not None:
            # Keepalives reset the read timeout, so a watchdog also closes the stream at the deadline.
            watchdog = threading.Timer(max(self.remaining(), 0.0), self.close, [stream])
            watchdog.daemon = True
            watchdog.start()
        try:
            with stream:
                done = self.catch_up(list_events(self.client, self.session_id, self.deadline))
                if done is not None:
                    return done
                self.resend_answers()
                if self.to_send:
                    self.send(self.to_send)
                    self.to_send = []
                for event in stream:
                    done = self.handle(event)
                    if done is not None or self.remaining() <= 0:
                        return done
        finally:
            if watchdog is not None:
                watchdog.cancel()
        return None

    def count_failure(self, new_before: int, exc: BaseException | None = None) -> None:
        """An attempt that ended without a stop: reset the count if it brought news, raise after too many."""
        if len(self.result.events) > new_before:
            self.failures = 0
            if exc is None:
                return  # the stream simply ended after news (proxies, deploys do that): reconnect
        self.failures += 1
        if self.failures <= self.max_reconnects:
            return
        if exc is not None:
            raise LoopError(_("loop.run: the stream for session {session} failed {n} times in a row; last error: "
                              "{error}").format(session=self.session_id, n=self.failures,
                                                error=f"{type(exc).__name__}: {exc}")) from exc
        raise LoopError(_("loop.run: the stream for session {session} ended {n} times in a row without a new event and "
                          "without a stop (last event: {last}).").format(session=self.session_id, n=self.failures,
                                                                         last=self.last_seen()))

    def drive(self) -> RunResult:
        """Connect, and reconnect, until a stop, the deadline (:class:`LoopTimeout`) or too many failures."""
        while True:
            if self.remaining() <= 0:
                raise LoopTimeout(_(
                    "loop.run: no stop within {timeout:g}s on session {session} (last event: {last}). The agent may "
                    "still be working: call loop.run(client, session_id) again to keep following it, or pass a larger "
                    "timeout=.").format(timeout=self.timeout, session=self.session_id, last=self.last_seen()))
            new_before = len(self.result.events)
            try:
                done = self.attempt()
            except LoopError:
                raise
            except Exception as exc:
                # Reconnect on a dropped connection or a retryable status; everything else is the caller's to see.
                if not (_retryable(exc) or self.closed.is_set()):
                    raise
                if self.remaining() <= 0:
                    continue  # the deadline: LoopTimeout, raised above
                self.count_failure(new_before, exc)
            else:
                if done is not None:
                    return done
                if self.remaining() <= 0:
                    continue  # the deadline: LoopTimeout, raised above
                self.count_failure(new_before)
            # Reconnect: open a new stream, list the history, then tail.
            self.result.reconnects += 1
            if self.remaining() > 0 and self.failures:
                time.sleep(min(0.25 * (2 ** max(self.failures - 1, 0)), 5.0, self.remaining()))


def _close_quietly(stream: Any) -> None:
    """Close a stream another thread may be reading: shutting the socket down wakes a blocked read."""
    try:
        stream.response.extensions["network_stream"].get_extra_info("socket").shutdown(socket.SHUT_RDWR)
    except Exception:
        pass
    try:
        stream.close()
    except Exception:
        pass


#: Error types of an ``event: error`` frame inside a stream that are worth a reconnect.
_RETRYABLE_ERROR_TYPES = ("api_error", "overloaded_error", "rate_limit_error", "timeout_error")


def _retryable(exc: BaseException) -> bool:
    """A dropped connection or a status that may pass (408, 409, 429, 5xx); not a 4xx, not a Python error."""
    import anthropic

    from .deadline import StreamDeadline

    # A stream ended at its own timeout (helpers/deadline.py) is a connection to make again, like a dropped one.
    transport: tuple = (anthropic.APIConnectionError, ConnectionError, StreamDeadline)
    for module in ("httpx2", "httpx"):  # the SDK's HTTP library has changed before: accept either
        try:
            transport += (__import__(module).TransportError,)
        except (ImportError, AttributeError):  # pragma: no cover
            pass
    if isinstance(exc, transport):
        return True
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        if status < 400:  # an `event: error` frame inside an open (200) stream: its body says which
            error = get(exc.body, "error") if isinstance(exc.body, dict) else None
            return get(error, "type") in _RETRYABLE_ERROR_TYPES
        if exc.response.headers.get("x-should-retry") == "false":  # the server says so (the SDK obeys it too)
            return False
        return status in (408, 409, 429) or status >= 500
    return False
