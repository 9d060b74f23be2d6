"""The checks of notebook 04, *Custom tools*: the learner's dispatch (4.2), one tool answer (4.3), and the loop that answers
every call inline (4.1, and what a refused ``reply`` means)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from .history import _history, _sdk_event, _text, _type_of, _unanswered_calls
from .runs import _EXPLAIN, _api_detail, _callable, _raised_in_send, _request_json, need, not_done
from .todo import _TODO_MESSAGE
from .verdicts import _a, _clip, _clip_structure, fail, not_written, ok, skipped

__all__ = ["tool_handler", "tool_answer", "investigation"]


def tool_handler(handle_tool: Any) -> None:
    """04 (exercise 4.2, optional): the learner's own dispatch, ``my_handle_tool(name, args)``, runs the real incident
    tools and raises on bad calls. (Its own name: the notebook's ``handle_tool``, which 4.1's loop calls, stays
    ``incident.handle_tool`` whatever the optional exercise's cell holds.)"""
    __tracebackhide__ = True
    from .. import incident

    _callable(handle_tool, "my_handle_tool", "4.2", "a function my_handle_tool(name, args) that returns the tool's text")
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
            fail(f"my_handle_tool({name!r}, {args}) raised {type(exc).__name__}: {exc}",
                 f"call the matching function with the arguments as keywords: incident.{name}(**args).")
        if not isinstance(out, str):
            fail(f"my_handle_tool({name!r}, ...) returned a {type(out).__name__}; the agent reads text.",
                 f"return what incident.{name} returns: it is already a string.")
        expected = getattr(incident, name)(**args)
        if out != expected:
            fail(f"my_handle_tool({name!r}, {args}) did not return what incident.{name}(**args) returns.",
                 "dispatch to the real function and return its result unchanged: the facts must come from the evidence.")
        if needle not in out:
            fail(f"my_handle_tool({name!r}, ...) returned text without {needle!r}.", "return the function's result as it is.")
    for name, args, why in (("restart_database", {}, "a tool the agent does not have"),
                            ("get_diff", {"ref": "dep_9999"}, "a deploy that does not exist")):
        try:
            out = handle_tool(name, dict(args))
        except NotImplementedError:
            fail("my_handle_tool raises NotImplementedError for some names.", "finish TODO 4.2.")
        except Exception:
            continue
        fail(f"my_handle_tool({name!r}, {args}) ({why}) returned {_clip(str(out), 60)!r} instead of raising.",
             "raise an exception for an unknown name (e.g. ValueError) and let incident's own errors propagate: "
             "the next exercise turns exceptions into is_error results the agent can read.")
    ok("my_handle_tool runs the four incident tools on your laptop: list_deploys names dep_4820, get_diff shows "
       "the N+1 query, and bad calls raise.")


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
    _callable(answer, "answer", "4.3", "a function answer(ev) that returns a user.custom_tool_result event")

    def run(name: str, tool_input: dict, eid: str) -> dict:
        ev = _sdk_event({"type": "agent.custom_tool_use", "id": eid, "name": name, "input": tool_input})
        try:
            out = answer(ev)
        except NotImplementedError as exc:
            other = _TODO_MESSAGE.match(str(exc))
            if other and other.group(1) != "4.3":  # answer() is written; the my_handle_tool it calls is not
                skipped("4.3", f"answer() calls my_handle_tool, which TODO {other.group(1)} has not written yet (it "
                        "raises NotImplementedError): write that one first")
            not_written("4.3", "answer")
        except Exception as exc:
            kind = type(exc).__name__
            if _raised_in_handle_tool(exc):
                if name == "list_deploys":
                    fail(f"my_handle_tool raised {_a(kind)} for a good call, list_deploys({tool_input}): {exc}",
                         "fix my_handle_tool (TODO 4.2) until check.tool_handler(my_handle_tool) passes, then run this "
                         "cell again.")
                fail(f"answer() let {_a(kind)} from my_handle_tool escape for the bad call {name}({tool_input}): {exc}",
                     "wrap the my_handle_tool call in try/except and send the error text with \"is_error\": True; "
                     "an unanswered call leaves the agent waiting.")
            fail(f"answer() raised {_a(kind)} in its own code for {name}({tool_input}): {exc}",
                 "that is your event-building code, not my_handle_tool: ev is an SDK event object, so read its fields as "
                 "attributes: ev.id (the call's id), ev.name and ev.input (not ev[\"id\"], not ev.tool_use_id).")
        if not isinstance(out, dict):
            fail(f"answer() returned a {type(out).__name__}, not an event dict.",
                 "return {\"type\": \"user.custom_tool_result\", \"custom_tool_use_id\": ev.id, \"content\": [...]}.")
        if out.get("type") != "user.custom_tool_result":
            fail(f"the event's type is {out.get('type')!r}.", "use \"type\": \"user.custom_tool_result\".")
        if "custom_tool_use_id" not in out and "tool_use_id" in out:
            fail("you used \"tool_use_id\": that key belongs to user.tool_confirmation (built-in tools).",
                 "a custom tool result answers with \"custom_tool_use_id\": ev.id.")
        if out.get("custom_tool_use_id") != eid:
            fail(f"custom_tool_use_id is {out.get('custom_tool_use_id')!r}, not the id of the call ({eid!r}).",
                 "use \"custom_tool_use_id\": ev.id: it is how the agent matches your answer to its question.")
        if "is_error" in out and not isinstance(out["is_error"], bool):
            fail(f"is_error is {out['is_error']!r} (a {type(out['is_error']).__name__}); it must be a bool.",
                 "use True or False without quotes: \"is_error\": False for a result, True for an error.")
        content = out.get("content")
        if not (isinstance(content, list) and content and all(isinstance(b, dict) and b.get("type") == "text"
                                                             and isinstance(b.get("text"), str) for b in content)):
            fail(f"content is {_clip(content)}, not a list of text blocks.",
                 "use \"content\": [{\"type\": \"text\", \"text\": result}].")
        return out

    good = run("list_deploys", {"service": "checkout"}, "sevt_check_good")
    if good.get("is_error"):
        fail("a good call (list_deploys) was answered with is_error: True.",
             f"is_error should be False (or absent) when my_handle_tool returns normally; the text was: "
             f"{_clip(_text(good), 100)!r}")
    if "dep_4820" not in _text(good):
        fail("the answer to list_deploys(service='checkout') does not contain dep_4820.",
             "put my_handle_tool(ev.name, ev.input) in the text block.")
    for name, tool_input, eid in (("get_diff", {"ref": "dep_9999"}, "sevt_check_bad_ref"),
                                  ("restart_database", {}, "sevt_check_unknown")):
        bad = run(name, tool_input, eid)
        if bad.get("is_error") is not True:
            fail(f"the failed call {name}({tool_input}) was answered without \"is_error\": True.",
                 "catch the exception and send its message with \"is_error\": True so the agent knows the call failed.")
        if not _text(bad).strip():
            fail(f"the error answer to {name}(...) has no text.",
                 "put the exception's message in the text block: the agent reads it.")
    ok("answer() turns every tool call into a user.custom_tool_result: the result for good calls, "
       "is_error: True with the reason for bad ones.")


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
            problems.append(f"the result you sent for {what} has no text")
            continue
        expected = incident.run_tool(name, tool_input)
        if expected.is_error:
            continue  # a bad call: its error text goes back, with "is_error": True or without (the API reads it as false)
        if attr(result, "is_error"):
            problems.append(f"the result you sent for {what} has \"is_error\": True, but handle_tool returns a result "
                            f"for it; you sent {_clip(sent)!r}")
        elif sent.strip() != expected.text.strip():
            problems.append(f"the result you sent for {what} is not what handle_tool({name!r}, ev.input) returns; "
                            f"you sent {_clip(sent)!r}")
    return problems


def _unnoted(history: list, answered: Any) -> None:
    """Fail when a call the loop answered is not in ``answered``: the given stop then ends the loop at the
    requires_action idle after that answer, or not, depending on whether the idle or the answer comes first (the
    order is the service's, not the loop's). Judged on what was answered, so the verdict is the same every run."""
    __tracebackhide__ = True
    try:
        noted = set(answered)
    except TypeError:
        fail(f"`answered` is {_a(type(answered).__name__)}, not a set of ids.", "keep `answered = set()` as given.")
    calls = {attr(e, "id"): attr(e, "name") for e in history if _type_of(e) == "agent.custom_tool_use"}
    sent = [attr(e, "custom_tool_use_id") for e in history if _type_of(e) == "user.custom_tool_result"]
    missing = [i for i in dict.fromkeys(sent) if i in calls and i not in noted]
    if missing:
        names = ", ".join(calls[i] for i in missing[:4]) + (" ..." if len(missing) > 4 else "")
        fail(f"you answered {len(missing)} tool call{'s' if len(missing) != 1 else ''} ({names}) without adding "
             f"{'their ids' if len(missing) != 1 else 'its id'} to `answered`. After each call the agent pauses "
             "(requires_action) until your answer arrives; the loop goes on past that pause only for calls in "
             "`answered`, so yours may stop there, before the investigation is done (on some runs, not on others).",
             "keep `answered.add(ev.id)` right after the send of your `reply`, as the TODO 4.1 cell gives it.")


def _reply_refused(exc: BaseException) -> tuple[str, str] | None:
    """4.1: what the cell's send of the learner's ``reply`` (or its absence) means."""
    if isinstance(exc, NameError) and getattr(exc, "name", None) in ("reply", "result"):
        return (f"TODO 4.1 is not done yet: the cell sends `reply`, but your code did not set `{exc.name}` "
                "(NameError) before it.",
                "in the TODO 4.1 block, set `result = handle_tool(ev.name, ev.input)`, then `reply` = the "
                "user.custom_tool_result that answers `ev`; run the cell again: it starts a fresh session.")
    status = getattr(exc, "status_code", None)
    if status is None or not _raised_in_send(exc):
        return None
    body = _request_json(exc)
    events = body.get("events") if isinstance(body, dict) else None
    if isinstance(events, list) and events and not isinstance(events[0], dict):
        return (f"TODO 4.1 is not done yet: `reply` is {_a(type(events[0]).__name__)}, and the API refused it ({status}): "
                "the cell sends `events=[reply]`, so `reply` must be one event, a dict.",
                "make `reply` a dict: {\"type\": \"user.custom_tool_result\", \"custom_tool_use_id\": ..., "
                "\"content\": [...]}; then run the TODO 4.1 cell again: it starts a fresh session.")
    return (f"TODO 4.1 is not done yet: the API refused your `reply` ({status}, {type(exc).__name__}): "
            f"{_clip(_api_detail(exc), 300)} The session never got it.",
            "fix `reply` where the API's message points (the field, its value), then run the TODO 4.1 cell again: it "
            "starts a fresh session.")


_EXPLAIN["4.1"] = _reply_refused


def investigation(events: Any, answered: Any, client: Any, session_id: str) -> None:
    """04 (exercise 4.1): the loop answered every tool call inline, noted each, and stopped on end_turn."""
    __tracebackhide__ = True
    not_done("4.1", "events", events)
    need(events, "events", "4.1", "the list of events your loop received")
    import inspect

    if inspect.isgenerator(events):
        fail("`events` is a generator: you kept the slide's `yield`.",
             "append each event to the list (events.append(ev)), as the loop of the TODO 4.1 cell does.")
    if not isinstance(events, (list, tuple)):
        fail(f"`events` is {_a(type(events).__name__)}, not a list of events.",
             "append each event to the list (events.append(ev)), as the loop of the TODO 4.1 cell does.")
    events = list(events)
    if not events:
        fail("your loop received no events.", "append every event the stream yields to `events`.")
    if any(_no_more_turns(e) for e in events):
        fail("this session's investigation already ran: the replay has no more turns for it, so the agent only said so.",
             "investigate a new session: the TODO 4.1 cell makes one each time it runs.")
    types = [_type_of(e) for e in events]
    if "session.status_running" not in types and "user.message" not in types:
        fail("the loop never saw the session start running: the stream was probably opened after the message was sent.",
             "open the stream first (`with client.beta.sessions.events.stream(session.id) as stream:`), "
             "then send, inside the with.")
    history = _history(client, session_id)
    _unnoted(history, answered)
    unanswered, results = _unanswered_calls(history)
    last = events[-1]
    waited_for = set(attr(last, "stop_reason.event_ids") or [])
    if (_type_of(last) == "session.status_idle" and attr(last, "stop_reason.type") == "requires_action"
            and waited_for and waited_for <= set(results)):
        then = (f", so the agent's next tool call ({attr(unanswered[0], 'name')}) was never answered" if unanswered
                else ", so your loop missed the rest of the investigation")
        fail(f"your loop stopped on a requires_action idle whose calls you had answered{then}.",
             "keep the cell's `continue` for a pause whose calls are all in `answered` (the agent goes on once your "
             "answers arrive) and `answered.add(ev.id)` after each send: then the loop stops only on another idle, "
             "the end of the investigation.")
    if unanswered:
        names = ", ".join(attr(c, "name") for c in unanswered)
        fail(f"{len(unanswered)} custom tool call(s) were never answered ({names}).",
             "for every agent.custom_tool_use, set `reply` to the user.custom_tool_result that answers it (its "
             "custom_tool_use_id is ev.id, its text what handle_tool(ev.name, ev.input) returns): the cell sends it.")
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(f"{len(twice)} tool call(s) were answered more than once.", "answer each agent.custom_tool_use once.")
    wrong = _wrong_tool_results(history)
    if wrong:
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        fail(f"{wrong[0]}{more}.",
             "the text block of each user.custom_tool_result must hold what handle_tool(ev.name, ev.input) returns: "
             "the agent's only view of your evidence.")
    if _type_of(last) != "session.status_idle" or attr(last, "stop_reason.type") != "end_turn":
        fail(f"the loop ended on {_type_of(last)} ({attr(last, 'stop_reason.type')}), not on an idle with end_turn.",
             "keep the cell's stop as given: it goes on through a pause for calls you answered, and breaks on any "
             "other idle.")
    reports = [_text(e) for e in events if _type_of(e) == "agent.message"]
    report = reports[-1] if reports else ""
    if "dep_4820" not in report:
        fail("the agent's final message does not name dep_4820.",
             "did every tool call get the real result? Look at the user.custom_tool_result lines above.")
    n = len(results)
    sandbox = sum(1 for e in events if _type_of(e) == "agent.tool_use")
    ok(f"Your loop answered {n} custom tool call{'s' if n != 1 else ''} inline, each exactly once (the sandbox ran "
       f"its {sandbox} tool call{'s' if sandbox != 1 else ''} itself), and stopped on end_turn: the report names dep_4820.")
