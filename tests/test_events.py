"""helpers.events: the event vocabulary, the same on SDK objects and on dicts, with no dependency."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
from anthropic.types.beta.sessions.beta_managed_agents_user_custom_tool_result_event_params import (
    BetaManagedAgentsUserCustomToolResultEventParams,
)
from pydantic import TypeAdapter

from helpers import events

T0 = "2026-11-18T14:30:00Z"
SDK_EVENT = TypeAdapter(BetaManagedAgentsSessionEvent)


def both(data: dict):
    """The same event as a dict and as the SDK object the stream yields."""
    data = {"id": "sevt_1", "processed_at": T0, **data}
    return data, SDK_EVENT.validate_python(data)


def test_imports_only_the_standard_library():
    tree = ast.parse(Path(events.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert all(isinstance(n, ast.Import) or n.level == 0 for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert imported <= sys.stdlib_module_names | {"__future__"}, imported


def test_waits_for_confirmation_on_dicts_and_sdk_objects():
    ask = {"type": "agent.tool_use", "name": "bash", "input": {"command": "ls"}, "evaluated_permission": "ask"}
    for event in both(ask):
        assert events.waits_for_confirmation(event)
    for event in both({**ask, "evaluated_permission": "allow"}):
        assert not events.waits_for_confirmation(event)
    custom = {"type": "agent.custom_tool_use", "name": "get_metrics", "input": {}}
    assert not events.waits_for_confirmation(custom)


def test_stop_reason_status_and_terminal_events():
    idle = {"type": "session.status_idle", "stop_reason": {"type": "requires_action", "event_ids": ["sevt_a"]}}
    for event in both(idle):
        assert events.stop_reason(event) == ("requires_action", ["sevt_a"])
        assert events.attr(event, "stop_reason.event_ids.0") == "sevt_a"
    assert events.stop_reason({"type": "agent.message"}) == (None, [])
    assert events.SESSION_STATUS["session.status_rescheduled"] == "rescheduling"
    assert [events.terminal_stop_reason(t) for t in events.TERMINAL_EVENTS] == ["terminated", "deleted"]
    assert events.is_status_event("session.deleted") and not events.is_status_event("session.error")
    assert events.EVENT_IDS_WINDOW == 5  # event_ids: "at most 5" waiting ids (the cookbook's human-in-the-loop notebook)


def test_text_of_an_event_on_dicts_and_sdk_objects():
    message = {"type": "agent.message", "content": [{"type": "text", "text": "dep_4820"}, {"type": "text", "text": "!"}]}
    for event in both(message):
        assert events.event_text(event) == "dep_4820!"
        assert events.text_of(events.get(event, "content"), sep="\n") == "dep_4820\n!"
        assert events.as_dict(event)["content"][0]["text"] == "dep_4820"


def test_custom_tool_result_is_the_sdk_param():
    adapter = TypeAdapter(BetaManagedAgentsUserCustomToolResultEventParams)
    for is_error in (None, False, True):
        event = events.custom_tool_result("sevt_t1", "", is_error)
        adapter.validate_python(event)
        assert event["content"] == [{"type": "text", "text": "(no output)"}]
        assert event.get("is_error") is is_error
    call = events.ToolCall(id="sevt_t1", name="get_metrics", input={})
    assert not call.done and call.kind == "custom"
