"""Events: what a sent event comes back as, the order of the history, the stream against the history, spans."""
from __future__ import annotations

from helpers import incident, loop

from .conftest import history, message

QUESTION = ("Call get_metrics once (service checkout, metric p99_ms), then reply with the peak value in one short "
            "sentence.")


def test_a_sent_message_is_stored_with_an_id_and_echoed_first(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/events-and-streaming: "Every persisted event includes
    a `processed_at` timestamp set when the event finishes processing. On events you send, `processed_at` is null while
    the event is still queued behind earlier events."; SDK: `events.send` returns `BetaManagedAgentsSendSessionEvents`
    (`data`: the events as sent, with their ids)."""
    s = new_session(recording="incident-2277")
    sent = client.beta.sessions.events.send(s.id, events=[message(QUESTION)])
    (echo,) = sent.data
    assert echo.type == "user.message" and echo.id and echo.content[0].text == QUESTION
    loop.run(client, s.id, handle_tool=incident.handle_tool, render=False, timeout=600)
    events = history(client, s.id)
    assert events[0].id == echo.id and events[0].type == "user.message"
    assert all(e.processed_at is not None for e in events)  # the turn is over: nothing is still queued


def test_the_history_is_in_processed_at_order_and_the_stream_carried_the_same_events(client, new_session):
    """Source: SDK docstring of `sessions.events.list` `order`: "Sort direction for results, ordered by the event's
    `processed_at`. Defaults to `asc` (chronological)."; https://platform.claude.com/docs/en/managed-agents/events-and-
    streaming (reconnecting): reopen the stream and list the event history: the history holds every event the stream
    carried."""
    s = new_session(recording="incident-2277")
    streamed = []
    loop.run(client, s.id, QUESTION, handle_tool=incident.handle_tool, on_event=streamed.append, render=False,
             timeout=600)
    events = history(client, s.id)
    times = [e.processed_at for e in events]
    assert times == sorted(times)
    ids = [e.id for e in events]
    assert len(set(ids)) == len(ids)
    positions = [ids.index(e.id) for e in streamed if e.id in ids]
    assert len(positions) == len(streamed) and positions == sorted(positions)  # every streamed event, in order
    newest_first = list(client.beta.sessions.events.list(s.id, limit=1000, order="desc"))
    assert [e.id for e in newest_first] == ids[::-1]


def test_each_model_request_span_ends_after_it_starts(client, new_session):
    """Source: SDK docstring of `BetaManagedAgentsSpanModelRequestEndEvent.model_request_start_id`: "The id of the
    corresponding `span.model_request_start` event."; events-and-streaming: each model request produces
    `span.model_request_start`, ..., and finally `span.model_request_end`."""
    s = new_session(recording="incident-2277")
    loop.run(client, s.id, QUESTION, handle_tool=incident.handle_tool, render=False, timeout=600)
    events = history(client, s.id)
    starts = {e.id: i for i, e in enumerate(events) if e.type == "span.model_request_start"}
    ends = [(i, e) for i, e in enumerate(events) if e.type == "span.model_request_end"]
    assert starts and len(ends) == len(starts)
    for i, end in ends:
        assert end.model_request_start_id in starts and starts[end.model_request_start_id] < i
        assert end.model_usage.output_tokens >= 0


def test_a_usage_snapshot_immediately_precedes_each_idle(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/events-and-streaming, "Tracking usage": the
    `session.usage` event "is emitted on idle transitions rather than on a timer: the session emits one immediately
    before it goes idle, whatever the stop reason"; budgets: "The usage event always immediately precedes this idle
    event."; the claude-api skill (anthropics/skills, shared/managed-agents-events.md): "The same totals live on the
    session object's `usage` field"; SDK: `BetaManagedAgentsSessionUsageEvent` (`usage`, `budget`)."""
    s = new_session(recording="incident-2277")
    result = loop.run(client, s.id, QUESTION, handle_tool=incident.handle_tool, render=False, timeout=600)
    events = history(client, s.id)
    idles = [i for i, e in enumerate(events) if e.type == "session.status_idle"]
    assert len(idles) > 1  # requires_action idles and the end_turn one
    assert all(i > 0 and events[i - 1].type == "session.usage" for i in idles)
    last = events[idles[-1] - 1]
    session = client.beta.sessions.retrieve(s.id)
    assert last.usage.output_tokens == session.usage.output_tokens > 0 and last.budget is None
    assert result.usage.output_tokens == session.usage.output_tokens  # loop.run keeps the last snapshot
