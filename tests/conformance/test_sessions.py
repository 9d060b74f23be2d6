"""Sessions, their statuses and their stop reasons (end_turn, requires_action)."""
from __future__ import annotations

import anthropic
import pytest

from helpers import incident, loop

from .conftest import history, message, statuses, wait_for_status

STATUSES = {"idle", "running", "rescheduling", "terminated"}


def test_a_new_session_without_initial_events_is_idle(new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/session-operations, "Session statuses":
    "Sessions created without `initial_events` start in `idle`." """
    s = new_session()
    assert s.status == "idle" and s.id.startswith("sesn_")


def test_a_new_session_has_no_user_events_and_the_list_filters_by_type(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/events-and-streaming: "You send user events to the
    agent, and receive agent and session events back"; "user.* events kick off a session and steer it as it
    progresses"; session-operations: "Sessions created without `initial_events` start in `idle`"; SDK docstring of
    `events.list(types=...)`: "Filter by event type. Values match the `type` field on returned events (for example,
    `user.message` or `agent.tool_use`). Omit to return all event types." (what resources.unused_session asks)."""
    from typing import get_args

    from anthropic.types.beta.sessions.beta_managed_agents_session_event_type import BetaManagedAgentsSessionEventType

    user_types = [t for t in get_args(BetaManagedAgentsSessionEventType) if t.startswith("user.")]
    assert {"user.message", "user.define_outcome"} <= set(user_types)
    s = new_session()
    assert client.beta.sessions.events.list(s.id, types=user_types, limit=1).data == []
    assert not [e.type for e in history(client, s.id) if e.type.startswith("user.")]


def test_a_message_runs_the_session_and_the_turn_ends_idle_with_end_turn(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/events-and-streaming: "a turn opens with a single
    `session.status_running` event", then each model request is `span.model_request_start` ... `span.model_request_end`;
    the session goes idle with a `stop_reason`; SDK docstring of `BetaManagedAgentsSession.status` (idle, running,
    rescheduling, terminated)."""
    s = new_session(recording="incident-2277")
    result = loop.run(client, s.id, "Call get_metrics once (service checkout, metric p99_ms), then reply with the "
                      "peak value in one short sentence.", handle_tool=incident.handle_tool, render=False, timeout=600)
    assert result.stop_reason == "end_turn"
    events = history(client, s.id)
    first_message = next(i for i, e in enumerate(events) if e.type == "user.message")
    after = [e.type for e in events[first_message:]]
    assert after.index("session.status_running") < after.index("span.model_request_start")
    assert statuses(events)[-1] == "session.status_idle"
    only = client.beta.sessions.events.list(s.id, types=["user.message", "user.define_outcome"], limit=1000).data
    assert [e.type for e in only] == ["user.message"], [e.type for e in only]  # the filter: that type alone
    last_idle = [e for e in events if e.type == "session.status_idle"][-1]
    assert last_idle.stop_reason.type == "end_turn"
    session = client.beta.sessions.retrieve(s.id)
    assert session.status == "idle" and session.status in STATUSES


def test_a_custom_tool_call_waits_with_requires_action_and_its_result_resumes_the_turn(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/events-and-streaming (custom tools): "The session
    pauses with a `session.status_idle` event containing `stop_reason: requires_action`. The blocking event IDs are
    in the `stop_reason.event_ids` array."; a `user.custom_tool_result` answers it (SDK docstring of
    `custom_tool_use_id`: "The id of the `agent.custom_tool_use` event this result corresponds to")."""
    s = new_session(recording="incident-2277")
    waiting = loop.run(client, s.id, "Call get_metrics once (service checkout, metric p99_ms), then reply with the "
                       "peak value in one short sentence.", render=False, timeout=600)  # no handler: it waits
    assert waiting.stop_reason == "requires_action" and waiting.pending
    events = history(client, s.id)
    calls = {e.id: e for e in events if e.type == "agent.custom_tool_use"}
    assert set(waiting.pending) <= set(calls) and waiting.idle_event.stop_reason.event_ids == waiting.pending
    assert client.beta.sessions.retrieve(s.id).status == "idle"
    done = loop.run(client, s.id, handle_tool=incident.handle_tool, render=False, timeout=600)  # answers, follows
    assert done.stop_reason == "end_turn"
    events = history(client, s.id)
    answer = next(i for i, e in enumerate(events) if e.type == "user.custom_tool_result"
                  and e.custom_tool_use_id == waiting.pending[0])
    assert "session.status_running" in [e.type for e in events[answer:]]


def test_a_running_session_cannot_be_deleted_until_an_interrupt_makes_it_idle(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/session-operations, "Deleting a session": "A
    `running` session cannot be deleted; to delete one, send a `user.interrupt` event by itself and wait for the
    session to become `idle`."; https://platform.claude.com/docs/en/api/errors: "409 - `conflict_error`: The
    request conflicts with the current state of a resource"; events-and-streaming: the interrupted turn "ends with a
    `session.status_idle` event. Its `stop_reason` is `end_turn`"."""
    s = new_session(recording="interrupt")
    client.beta.sessions.events.send(s.id, events=[message(
        "Audit: run one bash command at a time, for a long while: count the lines of each service in app.log, "
        "one service per command, and say each count as you go.")])
    wait_for_status(client, s.id, "running", timeout=30)
    with pytest.raises(anthropic.ConflictError) as e:
        client.beta.sessions.delete(s.id)
    assert e.value.status_code == 409 and e.value.body["error"]["type"] == "conflict_error"
    client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
    wait_for_status(client, s.id, "idle")
    assert [e for e in history(client, s.id) if e.type == "session.status_idle"][-1].stop_reason.type == "end_turn"
    assert client.beta.sessions.delete(s.id).type == "session_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.sessions.retrieve(s.id)
