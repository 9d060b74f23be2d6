"""The checks of notebook 05, *Replay and lifecycle*: every event across pages (5.1), the conversation rebuilt (5.2), the
reconnect (5.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..i18n import _
from .history import _final_idle, _history, _text, _type_of, _unanswered_calls
from .runs import _TODO_OF_CHECK, need
from .verdicts import fail, ok

__all__ = ["all_events", "conversation", "resumed"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"all_events": "5.1", "conversation": "5.2", "resumed": "5.3"})


def all_events(events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.1): every event of the session, oldest first, across pages."""
    __tracebackhide__ = True
    need(events, "events", "5.1", _("every event of the session, oldest first (a list)"))
    events = list(events)
    truth = _history(client, session_id)
    ids = [attr(e, "id") for e in events]
    want = [attr(e, "id") for e in truth]
    this_session = _("list this notebook's session: client.beta.sessions.events.list(session.id, limit=25)")
    if not ids:
        fail(_("`events` is empty, but this session has {total} events: these are not this session's events.").format(
                 total=len(want)),
             _("{how}, and list() it.").format(how=this_session))
    foreign = [i for i in ids if i not in set(want)]
    if foreign:
        fail(_("{foreign} of your {n} events are not in this session's history: these are not this session's "
               "events.").format(foreign=len(foreign), n=len(ids)), _("{how}.").format(how=this_session))
    if len(ids) > 1 and ids == [i for i in reversed(want) if i in set(ids)]:
        fail(_("the events are newest first."), _("leave order at its default (\"asc\") or pass order=\"asc\"."))
    have_types = {_type_of(e) for e in events}
    all_types = {_type_of(e) for e in truth}
    missing_types = sorted(t for t in all_types - have_types if t)
    if missing_types and {i for i in want if _type_of(truth[want.index(i)]) in have_types} <= set(ids):
        fail(_("you filtered by type: there is no {types}{more} among your events.").format(
                 types=", ".join(missing_types[:3]), more=" ..." if len(missing_types) > 3 else ""),
             _("list them all: leave out types= (5.2 is where the filter helps)."))
    if len(ids) < len(want) and ids == want[: len(ids)]:
        fail(_("you have {n} of the session's {total} events: only the first page.").format(n=len(ids), total=len(want)),
             _("iterate the page object itself (`for ev in client.beta.sessions.events.list(...)`) or `list(...)` it: "
               "the SDK follows next_page for you. `.data` is one page only."))
    if len(ids) != len(set(ids)):
        fail(_("some events appear more than once ({n} events, {unique} different).").format(
                 n=len(ids), unique=len(set(ids))),
             _("list() the page object once: the SDK fetches every page exactly once."))
    if sorted(map(str, ids)) != sorted(map(str, want)):
        fail(_("you have {n} events; the session has {total}, and they are not the same ones.").format(
                 n=len(ids), total=len(want)),
             _("list the events of this session (session.id) without a types= filter."))
    if ids != want:
        fail(_("the events are all there but out of order."),
             _("keep them in the order the SDK returns them (oldest first)."))
    ok(_("All {n} events, oldest first, fetched page by page: the platform is the record of the session.").format(
        n=len(ids)))


def conversation(turns: Any, client: Any, latest: Any) -> None:
    """05 (exercise 5.2): the newest session found on the platform, and its conversation rebuilt after a hard refresh."""
    __tracebackhide__ = True
    need(latest, "latest", "5.2",
         _("the agent's newest session, from client.beta.sessions.list(agent_id=agent.id, limit=1)"))
    need(turns, "conversation", "5.2", _("a list of (who, text) pairs, one per user.message and agent.message"))
    session_id = attr(latest, "id")
    newest = client.beta.sessions.list(agent_id=attr(latest, "agent.id"), limit=1).data
    if attr(latest, "type") != "session" or not newest or attr(newest[0], "id") != session_id:
        fail(_("`latest` is not the agent's newest session."),
             _("sessions.list returns newest first: client.beta.sessions.list(agent_id=agent.id, limit=1).data[0]."))
    turns = list(turns)
    truth = [e for e in _history(client, session_id) if _type_of(e) in ("user.message", "agent.message")]
    if any(not (isinstance(t, (tuple, list)) and len(t) == 2) for t in turns):
        fail(_("`conversation` should hold (who, text) pairs."),
             _("build tuples like (\"you\", text) and (\"agent\", text)."))
    if len(turns) != len(truth):
        fail(_("`conversation` has {n} turns; the session has {total} user and agent messages.").format(
                 n=len(turns), total=len(truth)),
             _("list the session's events with types=[\"user.message\", \"agent.message\"] (every page)."))
    labels = {"user.message": "you", "agent.message": "agent"}
    for (who, text), ev in zip(turns, truth, strict=True):
        expected = labels[_type_of(ev)]
        if who != expected:
            swapped = {"you": "agent", "agent": "you"}.get(expected) == who
            fail((_("a {type} turn is labelled {who!r}, not {expected!r}: the labels are swapped.") if swapped else
                  _("a {type} turn is labelled {who!r}, not {expected!r}.")).format(
                     type=_type_of(ev), who=who, expected=expected),
                 _("who is \"you\" for a user.message and \"agent\" for an agent.message: "
                   "(\"you\" if ev.type == \"user.message\" else \"agent\", text)."))
        if text != _text(ev):
            fail(_("a turn's text does not match the {type} event it should come from.").format(type=_type_of(ev)),
                 _("join the text blocks of each event's content: "
                   "\"\".join(b.text for b in ev.content if b.type == \"text\")."))
    if "dep_4820" not in turns[-1][1]:
        fail(_("the last turn is not the agent's report."), _("keep the events in order, oldest first."))
    ok(_("{n} turns rebuilt from the platform alone: no local state survived the refresh, and nothing was lost.").format(
        n=len(turns)))


def resumed(new_events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.3): reconnect = stream first, then history, then tail; nothing missed, nothing twice."""
    __tracebackhide__ = True
    need(new_events, "new_events", "5.3", _("the events resume(...) received after reconnecting"))
    new_events = list(new_events)
    history = _history(client, session_id)
    unanswered, results = _unanswered_calls(history)
    if unanswered:
        fail(_("{n} tool call(s) are still unanswered, e.g. {name}: the agent is waiting.").format(
                 n=len(unanswered), name=attr(unanswered[0], "name")),
             _("after listing the history, answer every agent.custom_tool_use that has no user.custom_tool_result "
               "yet."))
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(_("{n} tool call(s) were answered twice.").format(n=len(twice)),
             _("collect the answered ids from the history (custom_tool_use_id of each user.custom_tool_result) and "
               "skip them."))
    ids = [attr(e, "id") for e in new_events]
    if len(ids) != len(set(ids)):
        fail(_("resume() returned the same event more than once."),
             _("skip stream events whose id you have already seen."))
    already_done = not new_events and bool(history) and _final_idle(history[-1])
    if not already_done and (not new_events or _type_of(new_events[-1]) != "session.status_idle"
                             or attr(new_events[-1], "stop_reason.type") != "end_turn"):
        fail(_("resume() did not follow the session to its end_turn."),
             _("after catching up, tail the stream until an idle whose stop_reason is not requires_action."))
    status = attr(client.beta.sessions.retrieve(session_id), "status")
    report = next((_text(e) for e in reversed(history) if _type_of(e) == "agent.message"), "")
    if "dep_4820" not in report:
        fail(_("the session's last agent.message does not name dep_4820."),
             _("did every tool call get its real result?"))
    if already_done:
        ok(_("The session had already finished (its history ends on a final idle): nothing to resume, nothing "
             "repeated; {n} tool calls answered once each, report in.").format(n=len(results)))
        return
    ok(_("Reconnected without missing or repeating anything: {n} tool calls answered once each, session {status}, "
         "report in.").format(n=len(results), status=status))
