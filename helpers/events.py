"""The event vocabulary of a Managed Agents session, written once.

Which events end a session, which status each status event means, what waits for what (a custom tool use
waits for a ``user.custom_tool_result``, a tool use whose ``evaluated_permission`` is ``"ask"`` waits for a
``user.tool_confirmation``), the text of an event's content, and field access that works the same on the
SDK's event objects and on plain dicts (a line of a recording, ``events.list`` as JSON).

This module imports nothing from ``helpers`` and no third-party package: loop, render, check, dashboard,
resources and incident all build on it, and the stub can too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_IDS_WINDOW",
    "FINAL_STOP_REASONS",
    "RESULT_FIELDS",
    "SESSION_STATUS",
    "TERMINAL_EVENTS",
    "TOOL_USE_KINDS",
    "ToolCall",
    "as_dict",
    "attr",
    "custom_tool_result",
    "event_text",
    "get",
    "is_status_event",
    "stop_reason",
    "terminal_stop_reason",
    "text_of",
    "tool_confirmation",
    "waits_for_confirmation",
]

# --------------------------------------------------------------------------- field access
def get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` on a dict, ``obj.key`` on anything else (an SDK object); ``default`` when absent."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def attr(obj: Any, path: str, default: Any = None) -> Any:
    """``obj.a.b`` or ``obj["a"]["b"]`` for ``path="a.b"`` (a digit indexes a list); SDK objects and dicts."""
    cur = obj
    for part in path.split("."):
        if cur is None:
            return default
        if isinstance(cur, (list, tuple)) and part.isdigit():
            idx = int(part)
            cur = cur[idx] if idx < len(cur) else default
        else:
            cur = get(cur, part, default)
    return cur


def as_dict(event: Any) -> dict:
    """An SDK event object, a dict, or a recording line ``{"event": {...}}`` as a plain dict."""
    if isinstance(event, dict):
        if "event" in event and "type" not in event and isinstance(event["event"], dict):
            return event["event"]
        return event
    to_dict = getattr(event, "to_dict", None)
    if callable(to_dict):
        try:
            return to_dict(mode="json")
        except TypeError:
            return to_dict()
    model_dump = getattr(event, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    return {"type": getattr(event, "type", type(event).__name__)}


# --------------------------------------------------------------------------- statuses and stops
#: The session status each status event leaves behind (the ``status`` field of ``sessions.retrieve``).
SESSION_STATUS = {
    "session.status_running": "running",
    "session.status_idle": "idle",
    "session.status_rescheduled": "rescheduling",
    "session.status_terminated": "terminated",
}

#: Events that end a session for good.
TERMINAL_EVENTS = ("session.status_terminated", "session.deleted")

#: Idle stop reasons that end a turn (``requires_action`` waits for answers instead).
FINAL_STOP_REASONS = ("end_turn", "retries_exhausted", "budget_reached", "refusal")


def is_status_event(event_type: Any) -> bool:
    """A ``session.status_*`` event or a terminal one (what tells where a session stands)."""
    return str(event_type or "").startswith("session.status_") or event_type in TERMINAL_EVENTS


def stop_reason(event: Any) -> tuple[str | None, list[str]]:
    """``(stop_reason.type, stop_reason.event_ids)`` of a ``session.status_idle`` (``(None, [])`` otherwise)."""
    reason = get(event, "stop_reason")
    if isinstance(reason, str):
        return reason, []
    return get(reason, "type"), list(get(reason, "event_ids") or [])


def terminal_stop_reason(event_type: str) -> str:
    """The stop reason a terminal event stands for: "terminated" or "deleted"."""
    return event_type.split(".", 1)[1].removeprefix("status_")


# --------------------------------------------------------------------------- what waits for what
#: Tool use event type -> the kind of tool (custom: your laptop answers; agent: the sandbox; mcp: a server).
TOOL_USE_KINDS = {"agent.custom_tool_use": "custom", "agent.tool_use": "agent", "agent.mcp_tool_use": "mcp"}

#: A ``requires_action`` idle lists in ``stop_reason.event_ids`` at most this many of the ids it waits on, oldest
#: first (the cookbook's human-in-the-loop notebook: a window of at most 5); "Resolving fewer than all re-emits
#: ``session.status_idle`` with the remainder" (the SDK's docstring of ``event_ids``). docs/design.md, replay rule 7.
EVENT_IDS_WINDOW = 5

#: Result event type -> the field holding the id of the tool use it answers.
RESULT_FIELDS = {
    "user.custom_tool_result": "custom_tool_use_id",
    "agent.tool_result": "tool_use_id",
    "user.tool_result": "tool_use_id",
    "agent.mcp_tool_result": "mcp_tool_use_id",
}

def waits_for_confirmation(event: Any) -> bool:
    """A built-in or MCP tool use that waits for a ``user.tool_confirmation`` (``evaluated_permission`` "ask")."""
    return get(event, "type") in ("agent.tool_use", "agent.mcp_tool_use") and get(event, "evaluated_permission") == "ask"


def custom_tool_result(custom_tool_use_id: str, text: str, is_error: bool | None = None) -> dict:
    """The ``user.custom_tool_result`` event that answers the ``agent.custom_tool_use`` with this id.

    ``is_error`` True or False sets the field; None leaves it out (the API then reads it as false). An empty
    ``text`` is sent as "(no output)": a text block needs some text."""
    event = {
        "type": "user.custom_tool_result",
        "custom_tool_use_id": custom_tool_use_id,
        "content": [{"type": "text", "text": text if text else "(no output)"}],
    }
    if is_error is not None:
        event["is_error"] = bool(is_error)
    return event


def tool_confirmation(tool_use_id: str, result: str) -> dict:
    """The ``user.tool_confirmation`` event ("allow" or "deny") for a tool use waiting for one."""
    return {"type": "user.tool_confirmation", "tool_use_id": tool_use_id, "result": result}


@dataclass
class ToolCall:
    """One tool call of a session: what was asked (``input``), what came back (``result``), and how.

    ``kind`` is "custom" (answered by your laptop), "agent" (a built-in tool in the sandbox) or "mcp";
    ``permission`` the ``evaluated_permission`` of a built-in tool; ``confirmation`` what was confirmed."""

    id: str
    name: str
    input: Any
    result: str | None = None
    is_error: bool = False
    kind: str = "custom"
    permission: str | None = None
    confirmation: str | None = None

    @property
    def done(self) -> bool:
        """A result has arrived."""
        return self.result is not None

    @property
    def waiting_for_confirmation(self) -> bool:
        """A tool use whose ``evaluated_permission`` is "ask", not confirmed yet and without a result."""
        return self.permission == "ask" and not self.confirmation and not self.done


# --------------------------------------------------------------------------- text
def text_of(content: Any, sep: str = " ") -> str:
    """The text of content blocks (text, search results, documents) joined with ``sep``; other blocks named
    (``[image]``). A str is its own text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        kind = get(block, "type")
        if kind == "text":
            parts.append(get(block, "text") or "")
        elif kind == "search_result":
            parts.append(f"[search result: {get(block, 'title') or ''}] " + text_of(get(block, "content"), sep))
        elif kind == "document":
            src = get(block, "source") or {}
            parts.append(get(src, "data") if get(src, "type") == "text" else f"[document {get(block, 'title') or ''}]")
        else:
            parts.append(f"[{kind}]")
    return sep.join(p for p in parts if p)


def event_text(event: Any, sep: str = "") -> str:
    """The text of an event's ``content`` (an ``agent.message``, a ``user.message``, a tool result)."""
    return text_of(get(event, "content"), sep)
