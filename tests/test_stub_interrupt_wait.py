"""A recorded user.interrupt that nobody sends does not leave the session running forever.

Driven through the real SDK against the real `interrupt` recording: with no interrupt from the client, the
replay waits ``interrupt_wait`` seconds at the recorded interrupt, says so in an agent.message, and ends the
turn; an interrupt that does arrive in time still cuts the run short as before.
"""
from __future__ import annotations

from helpers import resources, stub
from helpers.stub.replay import NO_INTERRUPT
from support.fixtures import sdk_client

ASK = "Run a full audit of the log."


def _session(server):
    c = sdk_client(server)
    env, agent, log_file = resources.ensure_all(c)
    return c, resources.new_session(c, agent, env, log_file, metadata={"recording": "interrupt"})


def _run(c, session_id, interrupt_after=None):
    types, texts = [], []
    with c.beta.sessions.events.stream(session_id, timeout=20) as stream:
        c.beta.sessions.events.send(session_id, events=[
            {"type": "user.message", "content": [{"type": "text", "text": ASK}]}])
        for ev in stream:
            types.append(ev.type)
            if ev.type == "agent.message":
                texts.append(ev.content[0].text)
            if interrupt_after is not None and types.count("agent.tool_use") == interrupt_after:
                c.beta.sessions.events.send(session_id, events=[{"type": "user.interrupt"}])
                interrupt_after = None
            if ev.type == "session.status_idle":
                return types, texts, ev.stop_reason.type
    raise AssertionError("the stream ended before the session went idle")


def test_uninterrupted_run_ends_after_interrupt_wait():
    with stub.start(interrupt_wait=0.3) as server:
        c, s = _session(server)
        types, texts, stop = _run(c, s.id)
        assert stop == "end_turn"
        assert texts[-1] == NO_INTERRUPT.format(0.3)
        assert c.beta.sessions.retrieve(s.id).status == "idle"
        assert "user.interrupt" not in types


def test_an_interrupt_in_time_still_stops_the_run():
    with stub.start(speed=50, interrupt_wait=30) as server:
        c, s = _session(server)
        types, texts, stop = _run(c, s.id, interrupt_after=2)
        assert stop == "end_turn" and "user.interrupt" in types
        assert NO_INTERRUPT.format(30) not in texts
        assert types.count("agent.tool_use") < 15  # the recording has 15 commands; the interrupt cut it short


def _assert_spans_balanced(c, session_id):
    """Every span.model_request_end closes the one open span.model_request_start; none is left open."""
    open_id = None
    for ev in c.beta.sessions.events.list(session_id, order="asc", limit=1000):
        if ev.type == "span.model_request_start":
            assert open_id is None, f"{ev.id} starts while {open_id} is open"
            open_id = ev.id
        elif ev.type == "span.model_request_end":
            assert ev.model_request_start_id == open_id, f"{ev.id} closes {ev.model_request_start_id}, not {open_id}"
            open_id = None
    assert open_id is None, f"{open_id} is never closed"


def test_an_interrupt_mid_request_closes_its_span():
    """Interrupted while the model is working (earlier than the recording was): the request produces no output,
    its span.model_request_end closes it, then the session idles."""
    with stub.start(speed=4, interrupt_wait=30) as server:
        c, s = _session(server)
        got = []
        with c.beta.sessions.events.stream(s.id, timeout=20) as stream:
            c.beta.sessions.events.send(s.id, events=[
                {"type": "user.message", "content": [{"type": "text", "text": ASK}]}])
            for ev in stream:
                got.append(ev)
                if ev.type == "span.model_request_start" and sum(e.type == "agent.tool_result" for e in got) == 1:
                    c.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
                if ev.type == "session.status_idle":
                    break
        types = [e.type for e in got]
        i = types.index("user.interrupt")
        assert types[i - 1:] == ["span.model_request_start", "user.interrupt", "span.model_request_end",
                                 "session.usage", "session.status_idle"], types[i - 3:]
        assert got[i + 1].model_request_start_id == got[i - 1].id
        assert got[-1].stop_reason.type == "end_turn" and types.count("agent.tool_result") == 1
        _assert_spans_balanced(c, s.id)


def test_spans_stay_balanced_whatever_the_interrupt():
    with stub.start(interrupt_wait=0.3) as server:
        c, s = _session(server)
        _run(c, s.id)
        _assert_spans_balanced(c, s.id)
    with stub.start(speed=50, interrupt_wait=30) as server:
        c, s = _session(server)
        _run(c, s.id, interrupt_after=2)   # lands between requests or inside one, depending on timing
        _assert_spans_balanced(c, s.id)


def test_no_outcome_defined_means_no_grading():
    """The outcome recording, started with a plain user.message: nobody grades; the turn ends after the draft."""
    from helpers import incident, loop

    with stub.start() as server:
        c = sdk_client(server)
        env, agent, log_file = resources.ensure_all(c)
        s = resources.new_session(c, agent, env, log_file, metadata={"recording": "outcome"})
        run = loop.run(c, s.id, "Write the postmortem for Incident-2277.", handle_tool=incident.handle_tool)
        types = [e.type for e in run.events]
        assert run.stop_reason == "end_turn"
        assert not any(t.startswith("span.outcome_evaluation") for t in types)
        assert c.beta.sessions.retrieve(s.id).outcome_evaluations == []
        _assert_spans_balanced(c, s.id)
