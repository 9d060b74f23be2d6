"""The checks of notebook 05, *Replay and lifecycle*: every event across pages (5.1), the conversation rebuilt (5.2), the
reconnect (5.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from .history import _final_idle, _history, _text, _type_of, _unanswered_calls
from .runs import need
from .verdicts import fail, ok

__all__ = ["all_events", "conversation", "resumed"]


def all_events(events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.1): every event of the session, oldest first, across pages."""
    __tracebackhide__ = True
    need(events, "events", "5.1", "every event of the session, oldest first (a list)")
    events = list(events)
    truth = _history(client, session_id)
    ids = [attr(e, "id") for e in events]
    want = [attr(e, "id") for e in truth]
    this_session = "list this notebook's session: client.beta.sessions.events.list(session.id, limit=25)"
    if not ids:
        fail(f"`events` is empty, but this session has {len(want)} events: these are not this session's events.",
             this_session + ", and list() it.")
    foreign = [i for i in ids if i not in set(want)]
    if foreign:
        fail(f"{len(foreign)} of your {len(ids)} events are not in this session's history: these are not this "
             "session's events.", this_session + ".")
    if len(ids) > 1 and ids == [i for i in reversed(want) if i in set(ids)]:
        fail("the events are newest first.", "leave order at its default (\"asc\") or pass order=\"asc\".")
    have_types = {_type_of(e) for e in events}
    all_types = {_type_of(e) for e in truth}
    missing_types = sorted(t for t in all_types - have_types if t)
    if missing_types and {i for i in want if _type_of(truth[want.index(i)]) in have_types} <= set(ids):
        fail(f"you filtered by type: there is no {', '.join(missing_types[:3])}"
             f"{' ...' if len(missing_types) > 3 else ''} among your events.",
             "list them all: leave out types= (5.2 is where the filter helps).")
    if len(ids) < len(want) and ids == want[: len(ids)]:
        fail(f"you have {len(ids)} of the session's {len(want)} events: only the first page.",
             "iterate the page object itself (`for ev in client.beta.sessions.events.list(...)`) or `list(...)` it: "
             "the SDK follows next_page for you. `.data` is one page only.")
    if len(ids) != len(set(ids)):
        fail(f"some events appear more than once ({len(ids)} events, {len(set(ids))} different).",
             "list() the page object once: the SDK fetches every page exactly once.")
    if sorted(map(str, ids)) != sorted(map(str, want)):
        fail(f"you have {len(ids)} events; the session has {len(want)}, and they are not the same ones.",
             "list the events of this session (session.id) without a types= filter.")
    if ids != want:
        fail("the events are all there but out of order.", "keep them in the order the SDK returns them (oldest first).")
    ok(f"All {len(ids)} events, oldest first, fetched page by page: the platform is the record of the session.")


def conversation(turns: Any, client: Any, latest: Any) -> None:
    """05 (exercise 5.2): the newest session found on the platform, and its conversation rebuilt after a hard refresh."""
    __tracebackhide__ = True
    need(latest, "latest", "5.2", "the agent's newest session, from client.beta.sessions.list(agent_id=agent.id, limit=1)")
    need(turns, "conversation", "5.2", "a list of (who, text) pairs, one per user.message and agent.message")
    session_id = attr(latest, "id")
    newest = client.beta.sessions.list(agent_id=attr(latest, "agent.id"), limit=1).data
    if attr(latest, "type") != "session" or not newest or attr(newest[0], "id") != session_id:
        fail("`latest` is not the agent's newest session.",
             "sessions.list returns newest first: client.beta.sessions.list(agent_id=agent.id, limit=1).data[0].")
    turns = list(turns)
    truth = [e for e in _history(client, session_id) if _type_of(e) in ("user.message", "agent.message")]
    if any(not (isinstance(t, (tuple, list)) and len(t) == 2) for t in turns):
        fail("`conversation` should hold (who, text) pairs.", "build tuples like (\"you\", text) and (\"agent\", text).")
    if len(turns) != len(truth):
        fail(f"`conversation` has {len(turns)} turns; the session has {len(truth)} user and agent messages.",
             "list the session's events with types=[\"user.message\", \"agent.message\"] (every page).")
    labels = {"user.message": "you", "agent.message": "agent"}
    for (who, text), ev in zip(turns, truth, strict=True):
        expected = labels[_type_of(ev)]
        if who != expected:
            swapped = {"you": "agent", "agent": "you"}.get(expected) == who
            fail(f"a {_type_of(ev)} turn is labelled {who!r}, not {expected!r}"
                 + (": the labels are swapped." if swapped else "."),
                 "who is \"you\" for a user.message and \"agent\" for an agent.message: "
                 "(\"you\" if ev.type == \"user.message\" else \"agent\", text).")
        if text != _text(ev):
            fail(f"a turn's text does not match the {_type_of(ev)} event it should come from.",
                 "join the text blocks of each event's content: \"\".join(b.text for b in ev.content if b.type == \"text\").")
    if "dep_4820" not in turns[-1][1]:
        fail("the last turn is not the agent's report.", "keep the events in order, oldest first.")
    ok(f"{len(turns)} turns rebuilt from the platform alone: no local state survived the refresh, and nothing was lost.")


def resumed(new_events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.3): reconnect = stream first, then history, then tail; nothing missed, nothing twice."""
    __tracebackhide__ = True
    need(new_events, "new_events", "5.3", "the events resume(...) received after reconnecting")
    new_events = list(new_events)
    history = _history(client, session_id)
    unanswered, results = _unanswered_calls(history)
    if unanswered:
        fail(f"{len(unanswered)} tool call(s) are still unanswered, e.g. {attr(unanswered[0], 'name')}: the agent is waiting.",
             "after listing the history, answer every agent.custom_tool_use that has no user.custom_tool_result yet.")
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(f"{len(twice)} tool call(s) were answered twice.",
             "collect the answered ids from the history (custom_tool_use_id of each user.custom_tool_result) and skip them.")
    ids = [attr(e, "id") for e in new_events]
    if len(ids) != len(set(ids)):
        fail("resume() returned the same event more than once.", "skip stream events whose id you have already seen.")
    already_done = not new_events and bool(history) and _final_idle(history[-1])
    if not already_done and (not new_events or _type_of(new_events[-1]) != "session.status_idle"
                             or attr(new_events[-1], "stop_reason.type") != "end_turn"):
        fail("resume() did not follow the session to its end_turn.",
             "after catching up, tail the stream until an idle whose stop_reason is not requires_action.")
    status = attr(client.beta.sessions.retrieve(session_id), "status")
    report = next((_text(e) for e in reversed(history) if _type_of(e) == "agent.message"), "")
    if "dep_4820" not in report:
        fail("the session's last agent.message does not name dep_4820.", "did every tool call get its real result?")
    if already_done:
        ok(f"The session had already finished (its history ends on a final idle): nothing to resume, nothing "
           f"repeated; {len(results)} tool calls answered once each, report in.")
        return
    ok(f"Reconnected without missing or repeating anything: {len(results)} tool calls answered once each, "
       f"session {status}, report in.")
