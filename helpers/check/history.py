"""What the checks read of a session, and the SDK events they feed to the learner's code.

A session's history (``_history``), its custom tool calls and their answers (``_unanswered_calls``), an idle the
agent will not resume from (``_final_idle``), an event's type and text, and real SDK event objects built from dicts
(``_sdk_event``). Used by several notebooks' checks.
"""
from __future__ import annotations

from typing import Any

from ..events import attr, event_text

__all__: list[str] = []


def _type_of(event: Any) -> str | None:
    return attr(event, "type")


#: The text of an event's content (SDK object or dict), blocks joined.
_text = event_text


_event_models: dict = {}


def _event_model(event_type: str) -> Any:
    """The SDK's model for one session event ``type`` (a member of its session-event union)."""
    if not _event_models:
        import typing

        from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent

        union = typing.get_args(BetaManagedAgentsSessionEvent)[0]  # Annotated[Union[...], discriminator]
        models = {literal: model for model in typing.get_args(union)
                  for literal in typing.get_args(model.model_fields["type"].annotation)}
        _event_models.update(models)  # whole, at once: a second thread sees all of it or builds it too
    return _event_models[event_type]


def _sdk_event(data: dict) -> Any:
    """A real SDK event object (what the stream yields), built from a dict: the checks feed these to your code.
    Validated by its own model (a TypeAdapter of the whole union would be built once more per kernel, ~15 ms)."""
    return _event_model(data["type"]).model_validate({"processed_at": "2026-11-18T14:30:00Z", **data})


def _history(client: Any, session_id: str) -> list:
    return list(client.beta.sessions.events.list(session_id, limit=1000))


def _unanswered_calls(history: list) -> tuple[list, dict]:
    """(custom tool uses without a result, {custom_tool_use_id: number of results})."""
    results: dict = {}
    for e in history:
        if _type_of(e) == "user.custom_tool_result":
            key = attr(e, "custom_tool_use_id")
            results[key] = results.get(key, 0) + 1
    calls = [e for e in history if _type_of(e) == "agent.custom_tool_use"]
    return [c for c in calls if attr(c, "id") not in results], results


def _final_idle(event: Any) -> bool:
    """An idle the agent will not resume from by itself (anything but requires_action), or termination."""
    kind = _type_of(event)
    return kind == "session.status_terminated" or (
        kind == "session.status_idle" and attr(event, "stop_reason.type") != "requires_action")
