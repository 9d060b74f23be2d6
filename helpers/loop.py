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
2. For every new event (deduplicated by id): calls ``on_event(event)``, renders it (``render=True``),
   and answers ``agent.custom_tool_use`` with ``user.custom_tool_result`` whose ``custom_tool_use_id``
   is the event's id (``is_error=True`` with the error text when your handler raises or reports an
   error). Each call is answered at most once.
3. Stops on ``session.status_idle`` with ``end_turn``, ``retries_exhausted``, ``budget_reached`` or
   ``refusal``; on ``requires_action`` it cannot resolve (no handler, or a built-in tool waiting for a
   ``user.tool_confirmation`` and no ``confirm=`` callback) it returns with ``pending`` ids instead of
   waiting forever; on ``session.status_terminated`` and ``session.deleted``.
4. If the stream ends or drops before that, it reconnects: opens a new stream, lists the full
   history (every page), replays what it missed, then tails the new stream.
5. ``timeout`` seconds in total (None: no limit), after which it raises :class:`LoopTimeout` with what it saw last.

Errors: only a dropped connection or a retryable API status (408, 409, 429, 5xx) makes ``run`` reconnect
(and resend whatever did not go through). Anything else is raised as it is: a 4xx with the API's own message,
and any exception from your ``on_event``, ``confirm`` or message (a ``handle_tool`` error goes to the agent).
"""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any, Callable, Iterable

from . import render as _render

__all__ = ["run", "RunResult", "ToolCall", "LoopError", "LoopTimeout", "STOP_REASONS", "list_events", "tool_result"]

#: Idle stop reasons that end a run (``requires_action`` is handled separately).
STOP_REASONS = ("end_turn", "retries_exhausted", "budget_reached", "refusal")

#: Events that end a session for good.
TERMINAL_EVENTS = ("session.status_terminated", "session.deleted")

DEFAULT_TIMEOUT = 300.0


class LoopError(RuntimeError):
    """The loop could not keep a stream open (too many failed reconnects)."""


class LoopTimeout(LoopError, TimeoutError):
    """No stop within the run's ``timeout``."""


@dataclass
class ToolCall:
    """One custom tool call the loop answered."""

    id: str
    name: str
    input: dict
    result: str
    is_error: bool = False


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

    @property
    def messages(self) -> list[str]:
        """The text of every ``agent.message`` in this run, in order."""
        return [_message_text(e) for e in self.events if _get(e, "type") == "agent.message"]

    @property
    def text(self) -> str:
        """The agent's last message of this run ("" if it said nothing)."""
        messages = self.messages
        return messages[-1] if messages else ""

    @property
    def types(self) -> list[str]:
        """The event types in order (handy for asserting on a run)."""
        return [_get(e, "type") for e in self.events]

    def __repr__(self) -> str:
        return (
            f"RunResult(stop_reason={self.stop_reason!r}, events={len(self.events)}, "
            f"tool_calls={len(self.tool_calls)}, pending={self.pending!r}, reconnects={self.reconnects})"
        )


# --------------------------------------------------------------------------- small helpers
def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _message_text(event: Any) -> str:
    parts = []
    for block in _get(event, "content") or []:
        if _get(block, "type") == "text":
            parts.append(_get(block, "text", ""))
    return "".join(parts)


def _stop_reason(event: Any) -> tuple[str | None, list[str]]:
    sr = _get(event, "stop_reason")
    return _get(sr, "type"), list(_get(sr, "event_ids") or [])


def tool_result(custom_tool_use_id: str, text: str, is_error: bool = False) -> dict:
    """The ``user.custom_tool_result`` event that answers one ``agent.custom_tool_use``."""
    event = {
        "type": "user.custom_tool_result",
        "custom_tool_use_id": custom_tool_use_id,
        "content": [{"type": "text", "text": text if text else "(no output)"}],
    }
    if is_error:
        event["is_error"] = True
    return event


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


_EXAMPLE = "a str, or an event dict such as {'type': 'user.message', 'content': [{'type': 'text', 'text': '...'}]}"


def _message_events(message: Any) -> list[dict]:
    """The events to send for ``message`` (a str, an event dict, a list of them, or None); checked up front."""
    if message is None:
        return []
    if isinstance(message, (str, dict)):
        items, name = [message], "message"
    elif isinstance(message, (list, tuple, Iterator)):
        items, name = list(message), "message[{}]"
        if not items:
            raise ValueError(f"loop.run: message is empty; pass {_EXAMPLE} (or None to follow a session that is "
                             "already started).")
    else:
        items, name = [message], "message"
    events = []
    for i, item in enumerate(items):
        label = name.format(i)
        todo = _find_todo(item, label)
        if todo:
            raise ValueError(f"loop.run: {todo} is still the TODO placeholder (check.TODO): finish the TODO cell "
                             f"that sets it and run that cell, then pass {_EXAMPLE}.")
        if isinstance(item, str):
            item = {"type": "user.message", "content": [{"type": "text", "text": item}]}
        if not isinstance(item, dict):
            raise TypeError(f"loop.run: {label} is a {type(item).__name__} ({item!r:.80}); pass {_EXAMPLE}.")
        if not isinstance(item.get("type"), str):
            raise ValueError(f"loop.run: {label} has no 'type'; pass {_EXAMPLE}.")
        events.append(item)
    return events


def _verdict(answer: Any, tool_use_id: str) -> dict | None:
    """What ``confirm(event)`` returned, as the user.tool_confirmation to send (None: leave it to the caller)."""
    if answer is None:
        return None
    if answer in ("allow", "deny"):
        return {"type": "user.tool_confirmation", "tool_use_id": tool_use_id, "result": answer}
    if isinstance(answer, dict) and answer.get("type") == "user.tool_confirmation":
        return {**answer, "tool_use_id": answer.get("tool_use_id") or tool_use_id}
    raise ValueError(f"loop.run: confirm() returned {answer!r:.80}; return \"allow\", \"deny\", None (decide later), "
                     "or a user.tool_confirmation event dict.")


def _session_id(session: Any) -> str:
    """Accept a session id, a session object or a dict with an "id"."""
    if _is_todo(session):
        raise ValueError("loop.run: the session is still the TODO placeholder (check.TODO): finish the cell that "
                         "creates it, then pass session.id.")
    if not isinstance(session, str):
        sid = session.get("id") if isinstance(session, dict) else getattr(session, "id", None)
        if not isinstance(sid, str):
            raise TypeError(f"loop.run: pass session.id (a str like 'sesn_...'), not a {type(session).__name__}.")
        session = sid
    return session


def list_events(client: Any, session_id: str) -> list:
    """The session's full history, every page, oldest first."""
    return list(client.beta.sessions.events.list(session_id, limit=1000))


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
        raise TypeError("loop.run needs the sync client: client = helpers.connect() (an anthropic.Anthropic). "
                        "For an AsyncAnthropic, write the loop with `async with client.beta.sessions.events.stream(...)`.")
    session_id = _session_id(session_id)
    to_send = _message_events(message)  # pending until a send goes through
    started = time.monotonic()
    deadline = started + timeout if timeout is not None else float("inf")
    result = RunResult(session_id=session_id)
    seen: set[str] = set()
    answered: set[str] = set()  # custom tool use ids with a result (ours or earlier)
    confirmed: set[str] = set()  # tool use ids with a confirmation
    waiting: dict[str, Any] = {}  # tool_use id -> agent.tool_use waiting for confirmation
    unsent: dict[str, Any] = {}  # custom tool use id -> event whose result did not go through yet
    results: dict[str, ToolCall] = {}  # what the handler answered, so a resend does not call it twice
    verdicts: dict[str, dict | None] = {}  # what confirm() said, likewise
    caught_up = False  # the history from before this run is noted
    failures = 0
    last_type = "(none yet)"
    closed = threading.Event()  # we closed the stream ourselves (the deadline)

    def remaining() -> float:
        return deadline - time.monotonic()

    def finish(stop: str | None, pending: list[str] | None = None, idle: Any = None) -> RunResult:
        result.stop_reason = stop
        result.pending = list(pending or [])
        result.idle_event = idle
        result.seconds = time.monotonic() - started
        return result

    def send(events: list[dict]) -> None:
        client.beta.sessions.events.send(session_id, events=events)

    def answer(event: Any) -> None:
        """Answer one agent.custom_tool_use, exactly once (the handler runs once; the send is retried)."""
        eid = _get(event, "id")
        if eid in answered or handle_tool is None:
            return
        if eid not in results:
            name, tool_input = _get(event, "name"), _get(event, "input") or {}
            text, is_error = _call_handler(handle_tool, name, tool_input)
            results[eid] = call = ToolCall(id=eid, name=name, input=tool_input, result=text, is_error=is_error)
            result.tool_calls.append(call)
        call = results[eid]
        unsent[eid] = event
        send([tool_result(eid, call.result, call.is_error)])
        unsent.pop(eid, None)
        answered.add(eid)

    def maybe_confirm(event: Any) -> None:
        eid = _get(event, "id")
        if confirm is None or eid in confirmed:
            return
        if eid not in verdicts:
            verdicts[eid] = _verdict(confirm(event), eid)
        if verdicts[eid] is not None:
            send([verdicts[eid]])
            confirmed.add(eid)

    def owed(eid: str) -> bool:
        """An answer we have but could not send yet (it goes out after the reconnect)."""
        return eid in unsent or (eid in waiting and verdicts.get(eid) is not None)

    def note_answers(event: Any) -> None:
        """Remember results and confirmations that are already in the session."""
        t = _get(event, "type")
        if t == "user.custom_tool_result":
            answered.add(_get(event, "custom_tool_use_id"))
            unsent.pop(_get(event, "custom_tool_use_id"), None)
        elif t == "user.tool_confirmation":
            confirmed.add(_get(event, "tool_use_id"))
            waiting.pop(_get(event, "tool_use_id"), None)

    def handle(event: Any) -> RunResult | None:
        """Process one new event; return the result when the run is over."""
        nonlocal last_type
        eid = _get(event, "id")
        if eid is not None:
            if eid in seen:
                return None
            seen.add(eid)
        t = _get(event, "type")
        last_type = t
        result.events.append(event)
        note_answers(event)
        dropped = None
        if t == "agent.custom_tool_use":  # answer first: the agent waits on it, whatever the callbacks do
            try:
                answer(event)
            except Exception as exc:
                if not _retryable(exc):
                    raise
                dropped = exc  # kept in `unsent`: resent after the reconnect
        if on_event is not None:
            on_event(event)
        if render:
            _render.show(event)
        if dropped is not None:
            raise dropped
        if t in ("agent.tool_use", "agent.mcp_tool_use") and _get(event, "evaluated_permission") == "ask":
            waiting[eid] = event
            maybe_confirm(event)
        elif t == "session.status_idle":
            reason, ids = _stop_reason(event)
            if reason == "requires_action":
                pending = [i for i in ids if i not in answered and i not in confirmed and not owed(i)]
                if pending:
                    return finish("requires_action", pending, event)
                return None  # everything it waits for is answered: the agent carries on
            return finish(reason, idle=event)
        elif t in TERMINAL_EVENTS:
            return finish(t.split(".", 1)[1].removeprefix("status_"), idle=event)
        return None

    def catch_up(history: list) -> RunResult | None:
        """Fold the listed history in. On the first connect, old events are only noted (not
        replayed); a session that already sits idle with nothing to do returns at once."""
        nonlocal caught_up
        if caught_up:
            for event in history:
                done = handle(event)
                if done is not None:
                    return done
            return None
        for event in history:
            seen.add(_get(event, "id"))
            note_answers(event)
        caught_up = True
        if to_send:
            return None
        # Nothing to send: continue whatever the session is doing.
        if not history:
            raise ValueError(f"loop.run: session {session_id} has not been started, so there is nothing to follow. "
                             f"Pass the message that starts it: loop.run(client, session_id, message), with {_EXAMPLE}.")
        unanswered = [e for e in history if _get(e, "type") == "agent.custom_tool_use" and _get(e, "id") not in answered]
        last_status = next(
            (e for e in reversed(history) if str(_get(e, "type", "")).startswith("session.status_")
             or _get(e, "type") in TERMINAL_EVENTS), None)
        for e in history:
            if _get(e, "type") in ("agent.tool_use", "agent.mcp_tool_use") and _get(e, "evaluated_permission") == "ask" \
                    and _get(e, "id") not in confirmed:
                waiting[_get(e, "id")] = e
        for e in unanswered:
            answer(e)
        for e in list(waiting.values()):
            maybe_confirm(e)
        if last_status is None:
            return None
        lt = _get(last_status, "type")
        if lt in TERMINAL_EVENTS:
            return finish(lt.split(".", 1)[1].removeprefix("status_"), idle=last_status)
        if lt == "session.status_idle":
            later_user = any(
                str(_get(e, "type", "")).startswith("user.")
                for e in history[history.index(last_status) + 1:]
            )
            reason, ids = _stop_reason(last_status)
            if reason == "requires_action":
                pending = [i for i in ids if i not in answered and i not in confirmed]
                if pending:
                    return finish("requires_action", pending, last_status)
                return None
            if not later_user and not unanswered:
                return finish(reason, idle=last_status)
        return None

    def resend_answers() -> None:
        """Answer what is still owed: tool calls whose result did not go through, confirmations."""
        for e in list(unsent.values()):
            answer(e)
        for e in list(waiting.values()):
            maybe_confirm(e)

    def close(stream: Any) -> None:
        """The watchdog: close the stream at the deadline (an error from reading it then is ours, not news)."""
        closed.set()
        _close_quietly(stream)

    while True:
        if remaining() <= 0:
            raise LoopTimeout(
                f"loop.run: no stop within {timeout:g}s on session {session_id} (last event: {last_type}). "
                "The agent may still be working: call loop.run(client, session_id) again to keep following it, "
                "or pass a larger timeout=."
            )
        new_before = len(result.events)
        timers: list[threading.Timer] = []
        try:
            # The read timeout is what is left of the run: a silent stream cannot outlive it.
            kw = {"timeout": max(remaining(), 0.5)} if timeout is not None else {}
            stream = client.beta.sessions.events.stream(session_id, **kw)
            if timeout is not None:
                # Keepalives reset the read timeout, so a watchdog also closes the stream at the deadline.
                timers.append(threading.Timer(max(remaining(), 0.0), close, [stream]))
            try:
                for timer in timers:
                    timer.daemon = True
                    timer.start()
                with stream:
                    done = catch_up(list_events(client, session_id))
                    if done is not None:
                        return done
                    resend_answers()
                    if to_send:
                        send(to_send)
                        to_send = []
                    for event in stream:
                        done = handle(event)
                        if done is not None:
                            return done
                        if remaining() <= 0:
                            break
            finally:
                for timer in timers:
                    timer.cancel()
        except LoopError:
            raise
        except Exception as exc:
            # Reconnect on a dropped connection or a retryable status; everything else is the caller's to see.
            if not (_retryable(exc) or closed.is_set()):
                raise
            if remaining() <= 0:
                continue  # the deadline: LoopTimeout, raised above
            if len(result.events) > new_before:
                failures = 0
            failures += 1
            if failures > max_reconnects:
                raise LoopError(
                    f"loop.run: the stream for session {session_id} failed {failures} times in a row; "
                    f"last error: {type(exc).__name__}: {exc}"
                ) from exc
        else:
            if remaining() <= 0:
                continue  # the deadline: LoopTimeout, raised above
            # The stream simply ended before a stop. That is normal now and then (proxies, deploys);
            # a stream that ends again and again without anything new is a failure.
            if len(result.events) > new_before:
                failures = 0
            else:
                failures += 1
                if failures > max_reconnects:
                    raise LoopError(
                        f"loop.run: the stream for session {session_id} ended {failures} times in a row "
                        f"without a new event and without a stop (last event: {last_type})."
                    )
        # Reconnect: open a new stream, list the history, then tail.
        result.reconnects += 1
        if remaining() > 0 and failures:
            time.sleep(min(0.25 * (2 ** max(failures - 1, 0)), 5.0, remaining()))


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

    transport: tuple = (anthropic.APIConnectionError, ConnectionError)
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
            error = _get(exc.body, "error") if isinstance(exc.body, dict) else None
            return _get(error, "type") in _RETRYABLE_ERROR_TYPES
        if exc.response.headers.get("x-should-retry") == "false":  # the server says so (the SDK obeys it too)
            return False
        return status in (408, 409, 429) or status >= 500
    return False
