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
5. ``timeout`` seconds in total, after which it raises :class:`LoopTimeout` with what it saw last.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
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


def _message_events(message: Any) -> list[dict]:
    if message is None:
        return []
    if isinstance(message, str):
        return [{"type": "user.message", "content": [{"type": "text", "text": message}]}]
    if isinstance(message, dict):
        return [message]
    return list(message)


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
    confirm: Callable[[Any], str | None] | None = None,
    on_event: Callable[[Any], None] | None = None,
    render: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    max_reconnects: int = 5,
) -> RunResult:
    """Drive one turn of a session until it stops. See the module docstring for the rules.

    Args:
        message: a str (sent as a ``user.message``), one event dict, a list of event dicts, or
            None to continue a session that is already running or waiting (nothing is sent).
        handle_tool: ``handle_tool(name, input)`` answers ``agent.custom_tool_use``; return a str
            (or ``(text, is_error)``, e.g. ``incident.run_tool``'s ToolResult); raising sends
            ``is_error=True`` with the error text.
        confirm: ``confirm(event) -> "allow" | "deny" | None`` answers built-in tool calls
            waiting for a ``user.tool_confirmation`` (None leaves it to you: the run returns
            ``requires_action`` with the ids in ``pending``).
        on_event: called once for every new event, in order (the dashboard's hook).
        render: print one line per event with ``helpers.render.show``.
        timeout: seconds for the whole run; then :class:`LoopTimeout`.
        max_reconnects: consecutive failed stream attempts before :class:`LoopError`.
    """
    started = time.monotonic()
    deadline = started + timeout
    result = RunResult(session_id=session_id)
    seen: set[str] = set()
    answered: set[str] = set()  # custom tool use ids with a result (ours or earlier)
    confirmed: set[str] = set()  # tool use ids with a confirmation
    waiting: dict[str, Any] = {}  # tool_use id -> agent.tool_use waiting for confirmation
    to_send = _message_events(message)
    connects = 0
    failures = 0
    last_type = "(none yet)"

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
        """Answer one agent.custom_tool_use, exactly once."""
        eid = _get(event, "id")
        if eid in answered or handle_tool is None:
            return
        answered.add(eid)
        name, tool_input = _get(event, "name"), _get(event, "input") or {}
        text, is_error = _call_handler(handle_tool, name, tool_input)
        result.tool_calls.append(ToolCall(id=eid, name=name, input=tool_input, result=text, is_error=is_error))
        send([tool_result(eid, text, is_error)])

    def maybe_confirm(event: Any) -> None:
        eid = _get(event, "id")
        if confirm is None or eid in confirmed:
            return
        verdict = confirm(event)
        if verdict in ("allow", "deny"):
            confirmed.add(eid)
            send([{"type": "user.tool_confirmation", "tool_use_id": eid, "result": verdict}])

    def note_answers(event: Any) -> None:
        """Remember results and confirmations that are already in the session."""
        t = _get(event, "type")
        if t == "user.custom_tool_result":
            answered.add(_get(event, "custom_tool_use_id"))
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
        if on_event is not None:
            on_event(event)
        if render:
            _render.show(event)
        note_answers(event)
        if t == "agent.custom_tool_use":
            answer(event)
        elif t in ("agent.tool_use", "agent.mcp_tool_use") and _get(event, "evaluated_permission") == "ask":
            waiting[eid] = event
            maybe_confirm(event)
        elif t == "session.status_idle":
            reason, ids = _stop_reason(event)
            if reason == "requires_action":
                pending = [i for i in ids if i not in answered and i not in confirmed]
                if pending:
                    return finish("requires_action", pending, event)
                return None  # everything it waits for is answered: the agent carries on
            return finish(reason, idle=event)
        elif t in TERMINAL_EVENTS:
            return finish(t.split(".", 1)[1].removeprefix("status_"), idle=event)
        return None

    def catch_up(history: list, first: bool) -> RunResult | None:
        """Fold the listed history in. On the first connect, old events are only noted (not
        replayed); a session that already sits idle with nothing to do returns at once."""
        if first:
            for event in history:
                seen.add(_get(event, "id"))
                note_answers(event)
            if to_send:
                return None
            # Nothing to send: continue whatever the session is doing.
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
        for event in history:
            done = handle(event)
            if done is not None:
                return done
        return None

    while True:
        if remaining() <= 0:
            raise LoopTimeout(
                f"loop.run: no stop within {timeout:g}s on session {session_id} (last event: {last_type}). "
                "The agent may still be working: call loop.run(client, session_id) again to keep following it, "
                "or pass a larger timeout=."
            )
        first = connects == 0
        connects += 1
        new_before = len(result.events)
        try:
            # The read timeout is what is left of the run: a silent stream cannot outlive it.
            stream = client.beta.sessions.events.stream(session_id, timeout=max(remaining(), 0.5))
            # Keepalives reset the read timeout, so a watchdog also closes the stream at the deadline.
            watchdog = threading.Timer(max(remaining(), 0.0), _close_quietly, [stream])
            watchdog.daemon = True
            watchdog.start()
            try:
                with stream:
                    done = catch_up(list_events(client, session_id), first)
                    if done is not None:
                        return done
                    if first and to_send:
                        send(to_send)
                    for event in stream:
                        done = handle(event)
                        if done is not None:
                            return done
                        if remaining() <= 0:
                            break
            finally:
                watchdog.cancel()
        except LoopError:
            raise
        except Exception as exc:  # a dropped stream, a read timeout, a transient API error
            if _is_fatal(exc):
                raise
            if remaining() <= 0:
                continue  # the deadline: raise LoopTimeout above
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
                continue  # the deadline: raise LoopTimeout above
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
        if remaining() > 0:
            time.sleep(min(0.25 * (2 ** max(failures - 1, 0)), 5.0, max(remaining(), 0)) if failures else 0.0)


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:
        pass


def _is_fatal(exc: Exception) -> bool:
    """4xx answers (bad id, bad request, auth) will not get better by reconnecting."""
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (408, 409, 429)
