"""The checks of notebook 04, *Custom tools*: the learner's dispatch (4.2), one tool answer (4.3), and the loop that answers
every call inline (4.1, and what a refused ``reply`` means)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..i18n import _, ngettext
from .history import _history, _sdk_event, _text, _type_of, _unanswered_calls
from .runs import _EXPLAIN, _TODO_OF_CHECK, _api_detail, _callable, _not_done_yet, _raised_in_send, _request_json, need, not_done
from .todo import _TODO_MESSAGE
from .verdicts import _a, _clip, _clip_structure, fail, not_written, ok, skipped

__all__ = ["tool_handler", "tool_answer", "investigation"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"investigation": "4.1", "tool_handler": "4.2", "tool_answer": "4.3"})


def tool_handler(handle_tool: Any) -> None:
    """04 (exercise 4.2, optional): the learner's own dispatch, ``my_handle_tool(name, args)``, runs the real incident
    tools and raises on bad calls. (Its own name: the notebook's ``handle_tool``, which 4.1's loop calls, stays
    ``incident.handle_tool`` whatever the optional exercise's cell holds.)"""
    __tracebackhide__ = True
    from .. import incident

    _callable(handle_tool, "my_handle_tool", "4.2",
              _("a function my_handle_tool(name, args) that returns the tool's text"))
    cases = [
        ("list_deploys", {"service": "checkout"}, "dep_4820"),
        ("get_diff", {"ref": "dep_4820", "path": "order_summary.py"}, "filter_by(sku=item.sku)"),
        ("get_metrics", {"service": "checkout", "metric": "p99_ms", "compare_at": "2026-11-18T14:07:00Z"}, "p99_ms"),
    ]
    for name, args, needle in cases:
        try:
            out = handle_tool(name, dict(args))
        except NotImplementedError:
            not_written("4.2", "my_handle_tool")
        except Exception as exc:
            fail(_("my_handle_tool({name!r}, {args}) raised {kind}: {error}").format(
                     name=name, args=args, kind=type(exc).__name__, error=exc),
                 _("call the matching function with the arguments as keywords: incident.{name}(**args).").format(
                     name=name))
        if not isinstance(out, str):
            fail(_("my_handle_tool({name!r}, ...) returned a {kind}; the agent reads text.").format(
                     name=name, kind=type(out).__name__),
                 _("return what incident.{name} returns: it is already a string.").format(name=name))
        expected = getattr(incident, name)(**args)
        if out != expected:
            fail(_("my_handle_tool({name!r}, {args}) did not return what incident.{name}(**args) returns.").format(
                     name=name, args=args),
                 _("dispatch to the real function and return its result unchanged: the facts must come from the "
                   "evidence."))
        if needle not in out:
            fail(_("my_handle_tool({name!r}, ...) returned text without {needle!r}.").format(name=name, needle=needle),
                 _("return the function's result as it is."))
    for name, args, why in (("restart_database", {}, _("a tool the agent does not have")),
                            ("get_diff", {"ref": "dep_9999"}, _("a deploy that does not exist"))):
        try:
            out = handle_tool(name, dict(args))
        except NotImplementedError:
            fail(_("my_handle_tool raises NotImplementedError for some names."), _("finish TODO 4.2."))
        except Exception:
            continue
        fail(_("my_handle_tool({name!r}, {args}) ({why}) returned {out!r} instead of raising.").format(
                 name=name, args=args, why=why, out=_clip(str(out), 60)),
             _("raise an exception for an unknown name (e.g. ValueError) and let incident's own errors propagate: the "
               "next exercise turns exceptions into is_error results the agent can read."))
    ok(_("my_handle_tool runs the four incident tools on your laptop: list_deploys names dep_4820, get_diff shows the "
         "N+1 query, and bad calls raise."))


def _raised_in_handle_tool(exc: BaseException) -> bool:
    """Whether ``exc`` came out of the tool dispatch (the learner's my_handle_tool, a handle_tool, or helpers.incident),
    not the code around it."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name in ("my_handle_tool", "handle_tool") or "helpers/incident/" in code.co_filename.replace("\\", "/"):
            return True
        tb = tb.tb_next
    return False


def tool_answer(answer: Any) -> None:
    """04 (exercise 4.3, optional): answer(ev) builds the user.custom_tool_result for one agent.custom_tool_use."""
    __tracebackhide__ = True
    _callable(answer, "answer", "4.3", _("a function answer(ev) that returns a user.custom_tool_result event"))

    def run(name: str, tool_input: dict, eid: str) -> dict:
        ev = _sdk_event({"type": "agent.custom_tool_use", "id": eid, "name": name, "input": tool_input})
        try:
            out = answer(ev)
        except NotImplementedError as exc:
            other = _TODO_MESSAGE.match(str(exc))
            if other and other.group(1) != "4.3":  # answer() is written; the my_handle_tool it calls is not
                skipped("4.3", _("answer() calls my_handle_tool, which TODO {other} has not written yet (it raises "
                                 "NotImplementedError): write that one first").format(other=other.group(1)))
            not_written("4.3", "answer")
        except Exception as exc:
            kind = type(exc).__name__
            if _raised_in_handle_tool(exc):
                if name == "list_deploys":
                    fail(_("my_handle_tool raised {error} for a good call, list_deploys({input}): {detail}").format(
                             error=_a(kind), input=tool_input, detail=exc),
                         _("fix my_handle_tool (TODO 4.2) until check.tool_handler(my_handle_tool) passes, then run "
                           "this cell again."))
                fail(_("answer() let {error} from my_handle_tool escape for the bad call {name}({input}): "
                       "{detail}").format(error=_a(kind), name=name, input=tool_input, detail=exc),
                     _("wrap the my_handle_tool call in try/except and send the error text with \"is_error\": True; "
                       "an unanswered call leaves the agent waiting."))
            fail(_("answer() raised {error} in its own code for {name}({input}): {detail}").format(
                     error=_a(kind), name=name, input=tool_input, detail=exc),
                 _("that is your event-building code, not my_handle_tool: ev is an SDK event object, so read its fields "
                   "as attributes: ev.id (the call's id), ev.name and ev.input (not ev[\"id\"], not ev.tool_use_id)."))
        if not isinstance(out, dict):
            fail(_("answer() returned a {kind}, not an event dict.").format(kind=type(out).__name__),
                 _("return {event}.").format(
                     event='{"type": "user.custom_tool_result", "custom_tool_use_id": ev.id, "content": [...]}'))
        if out.get("type") != "user.custom_tool_result":
            fail(_("the event's type is {type!r}.").format(type=out.get("type")),
                 _("use \"type\": \"user.custom_tool_result\"."))
        if "custom_tool_use_id" not in out and "tool_use_id" in out:
            fail(_("you used \"tool_use_id\": that key belongs to user.tool_confirmation (built-in tools)."),
                 _("a custom tool result answers with \"custom_tool_use_id\": ev.id."))
        if out.get("custom_tool_use_id") != eid:
            fail(_("custom_tool_use_id is {found!r}, not the id of the call ({eid!r}).").format(
                     found=out.get("custom_tool_use_id"), eid=eid),
                 _("use \"custom_tool_use_id\": ev.id: it is how the agent matches your answer to its question."))
        if "is_error" in out and not isinstance(out["is_error"], bool):
            fail(_("is_error is {value!r} (a {kind}); it must be a bool.").format(
                     value=out["is_error"], kind=type(out["is_error"]).__name__),
                 _("use True or False without quotes: \"is_error\": False for a result, True for an error."))
        content = out.get("content")
        if not (isinstance(content, list) and content and all(isinstance(b, dict) and b.get("type") == "text"
                                                             and isinstance(b.get("text"), str) for b in content)):
            fail(_("content is {content}, not a list of text blocks.").format(content=_clip(content)),
                 _("use {content}.").format(content='"content": [{"type": "text", "text": result}]'))
        return out

    good = run("list_deploys", {"service": "checkout"}, "sevt_check_good")
    if good.get("is_error"):
        fail(_("a good call (list_deploys) was answered with is_error: True."),
             _("is_error should be False (or absent) when my_handle_tool returns normally; the text was: "
               "{text!r}").format(text=_clip(_text(good), 100)))
    if "dep_4820" not in _text(good):
        fail(_("the answer to list_deploys(service='checkout') does not contain dep_4820."),
             _("put my_handle_tool(ev.name, ev.input) in the text block."))
    for name, tool_input, eid in (("get_diff", {"ref": "dep_9999"}, "sevt_check_bad_ref"),
                                  ("restart_database", {}, "sevt_check_unknown")):
        bad = run(name, tool_input, eid)
        if bad.get("is_error") is not True:
            fail(_("the failed call {name}({input}) was answered without \"is_error\": True.").format(
                     name=name, input=tool_input),
                 _("catch the exception and send its message with \"is_error\": True so the agent knows the call "
                   "failed."))
        if not _text(bad).strip():
            fail(_("the error answer to {name}(...) has no text.").format(name=name),
                 _("put the exception's message in the text block: the agent reads it."))
    ok(_("answer() turns every tool call into a user.custom_tool_result: the result for good calls, is_error: True "
         "with the reason for bad ones."))


def _no_more_turns(event: Any) -> bool:
    """The stub's reply to a message sent after its recording ended (helpers.stub.replay.NO_MORE_TURNS)."""
    return _type_of(event) == "agent.message" and _text(event).startswith("(replay) This recording has no more turns")


def _short_input(value: Any, n: int = 60) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in dict(value or {}).items()) if isinstance(value, dict) else repr(value)
    return _clip_structure(text, n) if len(text) > n else text  # key='value' pairs: cut between them


def _wrong_tool_results(history: list) -> list[str]:
    """A sentence for each user.custom_tool_result that is not what helpers.incident returns for its call."""
    from .. import incident

    calls = {attr(e, "id"): e for e in history if _type_of(e) == "agent.custom_tool_use"}
    problems = []
    for result in (e for e in history if _type_of(e) == "user.custom_tool_result"):
        call = calls.get(attr(result, "custom_tool_use_id"))
        if call is None:
            continue
        name, tool_input = attr(call, "name"), attr(call, "input") or {}
        what = f"{name}({_short_input(tool_input)})"
        sent = _text(result)
        if not sent.strip():
            problems.append(_("the result you sent for {call} has no text").format(call=what))
            continue
        expected = incident.run_tool(name, tool_input)
        if expected.is_error:
            continue  # a bad call: its error text goes back, with "is_error": True or without (the API reads it as false)
        if attr(result, "is_error"):
            problems.append(_("the result you sent for {call} has \"is_error\": True, but handle_tool returns a "
                              "result for it; you sent {sent!r}").format(call=what, sent=_clip(sent)))
        elif sent.strip() != expected.text.strip():
            problems.append(_("the result you sent for {call} is not what handle_tool({name!r}, event.input) returns; you "
                              "sent {sent!r}").format(call=what, name=name, sent=_clip(sent)))
    return problems


def _unnoted(history: list, answered: Any) -> None:
    """Fail when a call the loop answered is not in ``answered``: the given stop then ends the loop at the
    requires_action idle after that answer, or not, depending on whether the idle or the answer comes first (the
    order is the service's, not the loop's). Judged on what was answered, so the verdict is the same every run."""
    __tracebackhide__ = True
    try:
        noted = set(answered)
    except TypeError:
        fail(_("`answered` is {kind}, not a set of ids.").format(kind=_a(type(answered).__name__)),
             _("keep `answered = set()` as given."))
    calls = {attr(e, "id"): attr(e, "name") for e in history if _type_of(e) == "agent.custom_tool_use"}
    sent = [attr(e, "custom_tool_use_id") for e in history if _type_of(e) == "user.custom_tool_result"]
    missing = [i for i in dict.fromkeys(sent) if i in calls and i not in noted]
    if missing:
        names = ", ".join(calls[i] for i in missing[:4]) + (" ..." if len(missing) > 4 else "")
        fail(ngettext("you answered {n} tool call ({names}) without adding its id to `answered`. After each call the "
                      "agent pauses (requires_action) until your answer arrives; the loop goes on past that pause only "
                      "for calls in `answered`, so yours may stop there, before the investigation is done (on some "
                      "runs, not on others).",
                      "you answered {n} tool calls ({names}) without adding their ids to `answered`. After each call "
                      "the agent pauses (requires_action) until your answer arrives; the loop goes on past that pause "
                      "only for calls in `answered`, so yours may stop there, before the investigation is done (on "
                      "some runs, not on others).", len(missing)).format(n=len(missing), names=names),
             _("keep `answered.add(event.id)` right after the send of your `reply`, as the TODO 4.1 cell gives it."))


def _reply_refused(exc: BaseException) -> tuple[str, str] | None:
    """4.1: what the cell's send of the learner's ``reply`` (or its absence) means."""
    if isinstance(exc, NameError) and getattr(exc, "name", None) in ("reply", "result"):
        return (_not_done_yet("4.1", _("the cell sends `reply`, but your code did not set `{name}` (NameError) before "
                                       "it.").format(name=exc.name)),
                _("in the TODO 4.1 block, set `result = handle_tool(event.name, event.input)`, then `reply` = the "
                  "user.custom_tool_result that answers `event`; run the cell again: it starts a fresh session."))
    status = getattr(exc, "status_code", None)
    if status is None or not _raised_in_send(exc):
        return None
    body = _request_json(exc)
    events = body.get("events") if isinstance(body, dict) else None
    if isinstance(events, list) and events and not isinstance(events[0], dict):
        return (_not_done_yet("4.1", _("`reply` is {kind}, and the API refused it ({status}): the cell sends "
                                       "`events=[reply]`, so `reply` must be one event, a dict.").format(
                    kind=_a(type(events[0]).__name__), status=status)),
                _("make `reply` a dict: {event}; then run the TODO 4.1 cell again: it starts a fresh session.").format(
                    event='{"type": "user.custom_tool_result", "custom_tool_use_id": ..., "content": [...]}'))
    return (_not_done_yet("4.1", _("the API refused your `reply` ({status}, {kind}): {detail} The session never got "
                                   "it.").format(status=status, kind=type(exc).__name__,
                                                 detail=_clip(_api_detail(exc), 300))),
            _("fix `reply` where the API's message points (the field, its value), then run the TODO 4.1 cell again: it "
              "starts a fresh session."))


_EXPLAIN["4.1"] = _reply_refused


def investigation(events: Any, answered: Any, client: Any, session_id: str) -> None:
    """04 (exercise 4.1): the loop answered every tool call inline, noted each, and stopped on end_turn."""
    __tracebackhide__ = True
    not_done("4.1", "events", events)
    need(events, "events", "4.1", _("the list of events your loop received"))
    import inspect

    if inspect.isgenerator(events):
        fail(_("`events` is a generator: you kept the slide's `yield`."),
             _("append each event to the list (events.append(event)), as the loop of the TODO 4.1 cell does."))
    if not isinstance(events, (list, tuple)):
        fail(_("`events` is {kind}, not a list of events.").format(kind=_a(type(events).__name__)),
             _("append each event to the list (events.append(event)), as the loop of the TODO 4.1 cell does."))
    events = list(events)
    if not events:
        fail(_("your loop received no events."), _("append every event the stream yields to `events`."))
    if any(_no_more_turns(e) for e in events):
        fail(_("this session's investigation already ran: the replay has no more turns for it, so the agent only said "
               "so."),
             _("investigate a new session: the TODO 4.1 cell makes one each time it runs."))
    types = [_type_of(e) for e in events]
    if "session.status_running" not in types and "user.message" not in types:
        fail(_("the loop never saw the session start running: the stream was probably opened after the message was "
               "sent."),
             _("open the stream first (`{open}`), then send, inside the with.").format(
                 open="with client.beta.sessions.events.stream(session.id) as stream:"))
    history = _history(client, session_id)
    _unnoted(history, answered)
    unanswered, results = _unanswered_calls(history)
    last = events[-1]
    waited_for = set(attr(last, "stop_reason.event_ids") or [])
    if (_type_of(last) == "session.status_idle" and attr(last, "stop_reason.type") == "requires_action"
            and waited_for and waited_for <= set(results)):
        fail((_("your loop stopped on a requires_action idle whose calls you had answered, so the agent's next tool "
                "call ({name}) was never answered.") if unanswered else
              _("your loop stopped on a requires_action idle whose calls you had answered, so your loop missed the "
                "rest of the investigation.")).format(name=attr(unanswered[0], "name") if unanswered else None),
             _("keep the cell's `continue` for a pause whose calls are all in `answered` (the agent goes on once your "
               "answers arrive) and `answered.add(event.id)` after each send: then the loop stops only on another idle, "
               "the end of the investigation."))
    if unanswered:
        names = ", ".join(attr(c, "name") for c in unanswered)
        fail(_("{n} custom tool call(s) were never answered ({names}).").format(n=len(unanswered), names=names),
             _("for every agent.custom_tool_use, set `reply` to the user.custom_tool_result that answers it (its "
               "custom_tool_use_id is event.id, its text what handle_tool(event.name, event.input) returns): the cell sends it."))
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(_("{n} tool call(s) were answered more than once.").format(n=len(twice)),
             _("answer each agent.custom_tool_use once."))
    wrong = _wrong_tool_results(history)
    if wrong:
        fail((_("{problem} (and {more} more).") if len(wrong) > 1 else _("{problem}.")).format(
                 problem=wrong[0], more=len(wrong) - 1),
             _("the text block of each user.custom_tool_result must hold what handle_tool(event.name, event.input) returns: "
               "the agent's only view of your evidence."))
    if _type_of(last) != "session.status_idle" or attr(last, "stop_reason.type") != "end_turn":
        fail(_("the loop ended on {type} ({stop_reason}), not on an idle with end_turn.").format(
                 type=_type_of(last), stop_reason=attr(last, "stop_reason.type")),
             _("keep the cell's stop as given: it goes on through a pause for calls you answered, and breaks on any "
               "other idle."))
    reports = [_text(e) for e in events if _type_of(e) == "agent.message"]
    report = reports[-1] if reports else ""
    if "dep_4820" not in report:
        fail(_("the agent's final message does not name dep_4820."),
             _("did every tool call get the real result? Look at the user.custom_tool_result lines above."))
    n = len(results)
    sandbox = sum(1 for e in events if _type_of(e) == "agent.tool_use")
    ok(ngettext("Your loop answered {n} custom tool call inline, each exactly once ({sandbox}), and stopped on end_turn: "
                "the report names dep_4820.",
                "Your loop answered {n} custom tool calls inline, each exactly once ({sandbox}), and stopped on "
                "end_turn: the report names dep_4820.", n).format(n=n, sandbox=ngettext(
                    "the sandbox ran its {n} tool call itself", "the sandbox ran its {n} tool calls itself",
                    sandbox).format(n=sandbox)))
