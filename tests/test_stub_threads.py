"""Multiagent agents and session threads on the stub (helpers/stub/multiagent.py, threads.py), through the real SDK
(strict: every thread and thread event the stub sends validates against the SDK's types), and the team recording
(incident-team) replayed as notebook 09 drives it. The rules are cited in docs/design.md."""
from __future__ import annotations

import threading

import anthropic
import pytest

from helpers import incident, loop, resources
from helpers.events import event_text

SUSPECTS = {"checkout": "dep_4820", "payments": "dep_4819", "cart": "dep_4822"}


def team_config(*members, **kw) -> dict:
    return {"type": "multiagent_20261001", "subagents": {"type": "enabled", "predefined_agents": list(members),
                                                         "inline_agents": {"type": "disabled"}},
            "workflows": {"type": "disabled"}, **kw}


@pytest.fixture(scope="module")
def setup(client):
    return resources.ensure_environment(client), resources.ensure_agent(client), resources.ensure_log_file(client)


@pytest.fixture(scope="module")
def lead(client, setup):
    _, investigator, _ = setup
    return client.beta.agents.create(name="incident-lead", model="claude-sonnet-4-6", system="Lead the team.",
                                     multiagent=team_config(investigator.id))


# ------------------------------------------------------------------------------------------------ multiagent
def test_a_multiagent_configuration_is_resolved_and_copied_whole_to_sessions(client, setup, lead):
    env, investigator, _ = setup
    sub = lead.multiagent.subagents
    assert lead.multiagent.type == "multiagent_20261001" and lead.multiagent.advisor.type == "disabled"
    assert [(r.id, r.version) for r in sub.predefined_agents] == [(investigator.id, investigator.version)]
    assert sub.inline_agents.type == "disabled" and lead.multiagent.workflows.type == "disabled"
    defaults = client.beta.agents.create(name="defaults", model="claude-sonnet-4-6",
                                         multiagent={"type": "multiagent_20261001"})
    assert defaults.multiagent.subagents.type == "enabled" and defaults.multiagent.subagents.inline_agents.type == \
        "enabled" and defaults.multiagent.workflows.type == "enabled" and defaults.multiagent.advisor.type == "disabled"
    me = client.beta.agents.create(name="self-team", model="claude-sonnet-4-6",
                                   multiagent=team_config({"type": "self"}))
    assert [(r.id, r.version) for r in me.multiagent.subagents.predefined_agents] == [(me.id, 1)]
    s = client.beta.sessions.create(agent=lead.id, environment_id=env.id)
    [member] = s.agent.multiagent.subagents.predefined_agents  # the session holds the full definition
    assert member.name == resources.AGENT_NAME and [t.name for t in member.tools if t.type == "custom"] == [
        t["name"] for t in incident.CUSTOM_TOOLS]


def test_multiagent_rules(client, setup, lead):
    _, investigator, _ = setup
    with pytest.raises(anthropic.BadRequestError, match="depth limit 1"):
        client.beta.agents.create(name="too deep", model="claude-sonnet-4-6", multiagent=team_config(lead.id))
    with pytest.raises(anthropic.BadRequestError, match="listed twice"):
        client.beta.agents.create(name="twice", model="claude-sonnet-4-6",
                                  multiagent=team_config(investigator.id, {"type": "agent", "id": investigator.id}))
    with pytest.raises(anthropic.BadRequestError, match="must name at least one agent"):
        client.beta.agents.create(name="empty", model="claude-sonnet-4-6", multiagent=team_config())
    with pytest.raises(anthropic.BadRequestError, match="at most 20"):
        client.beta.agents.create(name="crowd", model="claude-sonnet-4-6",
                                  multiagent=team_config(*[investigator.id] * 21))
    with pytest.raises(anthropic.BadRequestError, match="advisor.model"):
        client.beta.agents.create(name="advice", model="claude-sonnet-4-6", multiagent={
            "type": "multiagent_20261001", "advisor": {"type": "enabled"}})
    coordinator = client.beta.agents.create(name="coordinator", model="claude-sonnet-4-6", multiagent={
        "type": "coordinator", "agents": [{"type": "advisor", "model": "claude-opus-4-8"}, investigator.id]})
    assert [a.type for a in coordinator.multiagent.agents] == ["agent", "advisor"]  # the advisor is echoed last
    archived = client.beta.agents.create(name="gone", model="claude-sonnet-4-6")
    client.beta.agents.archive(archived.id)
    with pytest.raises(anthropic.BadRequestError, match="archived"):
        client.beta.agents.create(name="x", model="claude-sonnet-4-6", multiagent=team_config(archived.id))
    # an update merges level by level into a stored multiagent_20261001 (SDK docstring)
    updated = client.beta.agents.update(lead.id, multiagent={"type": "multiagent_20261001",
                                                              "advisor": {"type": "enabled", "model": "claude-opus-4-8"}})
    assert updated.version == lead.version + 1 and updated.multiagent.advisor.model == "claude-opus-4-8"
    assert [r.id for r in updated.multiagent.subagents.predefined_agents] == [investigator.id]
    assert updated.multiagent.workflows.type == "disabled"
    cleared = client.beta.agents.update(lead.id, multiagent=None)
    assert cleared.multiagent is None
    client.beta.agents.update(lead.id, multiagent=team_config(investigator.id))  # back, for the other tests


# ------------------------------------------------------------------------------------------------ threads
def _team_session(client, setup, lead):
    env, _, log_file = setup
    return resources.new_session(client, lead, env, log_file, title="team", metadata={"recording": "incident-team"})


def _run_team(client, session, stop="cart"):
    """Notebook 09's watcher: learn which thread investigates which suspect, and interrupt the one to ``stop``."""
    services: dict[str, str] = {}

    def watch(ev):
        if ev.type == "agent.thread_message_sent":
            service = next(s for s, dep in SUSPECTS.items() if dep in event_text(ev))
            services[ev.to_session_thread_id] = service
            if service == stop:
                client.beta.sessions.events.send(session.id, events=[
                    {"type": "user.interrupt", "session_thread_id": ev.to_session_thread_id}])

    run = loop.run(client, session.id, "Investigate with a team.", handle_tool=incident.handle_tool, render=False,
                   on_event=watch, timeout=60)
    return run, {v: k for k, v in services.items()}


def test_the_team_replays_with_one_thread_interrupted(client, setup, lead):
    s = _team_session(client, setup, lead)
    run, threads = _run_team(client, s)
    assert run.stop_reason == "end_turn" and "dep_4820" in run.text and len(run.tool_calls) == 3
    listed = list(client.beta.sessions.threads.list(s.id))
    primary = [t for t in listed if t.parent_thread_id is None]
    assert len(listed) == 4 and len(primary) == 1 and primary[0].agent.name == "incident-lead"
    assert {t.id for t in listed} - {primary[0].id} == set(threads.values())
    assert all(t.parent_thread_id == primary[0].id and t.agent.name == resources.AGENT_NAME and t.status == "idle"
               for t in listed if t.parent_thread_id)
    history = list(client.beta.sessions.events.list(s.id, limit=1000))
    [interrupt] = [e for e in history if e.type == "user.interrupt"]
    assert interrupt.session_thread_id == threads["cart"]
    # cross-posted: a subagent's custom tool uses and status changes, with its thread id; routed answers say where
    uses = [e for e in history if e.type == "agent.custom_tool_use"]
    assert {e.session_thread_id for e in uses} == {threads["checkout"], threads["payments"]}
    answers = [e for e in history if e.type == "user.custom_tool_result"]
    assert [a.session_thread_id for a in answers] == [u.session_thread_id for u in uses]
    idles = [e for e in history if e.type == "session.thread_status_idle"]
    assert {e.session_thread_id for e in idles} == set(threads.values())
    assert not any(e.type in ("agent.tool_use", "span.model_request_start") and getattr(e, "session_thread_id", None)
                   for e in history)  # a subagent's own work stays on its thread
    # a thread's own history: its task, its work, the answers routed to it, with the same ids as the cross-posts
    own = list(client.beta.sessions.threads.events.list(threads["checkout"], session_id=s.id, limit=1000))
    assert own[0].type == "agent.thread_message_received" and "dep_4820" in event_text(own[0])
    assert {e.id for e in own if e.type == "agent.custom_tool_use"} == {e.id for e in uses
                                                                        if e.session_thread_id == threads["checkout"]}
    assert any(e.type == "agent.tool_use" for e in own) and own[-1].type == "session.thread_status_idle"
    cart = list(client.beta.sessions.threads.events.list(threads["cart"], session_id=s.id))
    assert [e.type for e in cart] == ["agent.thread_message_received", "session.thread_status_running",
                                      "user.interrupt", "session.thread_status_idle"]
    assert cart[-1].stop_reason.type == "end_turn"


def test_cost_per_thread_adds_up_to_the_session(client, setup, lead):
    s = _team_session(client, setup, lead)
    _, threads = _run_team(client, s)
    listed = {t.id: t for t in client.beta.sessions.threads.list(s.id)}
    cents = {tid: int(t.usage.list_cost.amount) for tid, t in listed.items()}
    assert cents[threads["cart"]] == 0 and listed[threads["cart"]].usage.output_tokens == 0  # stopped before a request
    assert cents[threads["checkout"]] > 0 and listed[threads["checkout"]].usage.input_tokens > 0
    total = int(client.beta.sessions.retrieve(s.id).usage.list_cost.amount)
    assert abs(sum(cents.values()) - total) <= len(cents)  # each rounded on its own (docs: not an exact sum)
    assert sum(t.usage.output_tokens for t in listed.values()) == client.beta.sessions.retrieve(s.id).usage.output_tokens


def test_a_threads_active_time_is_the_recordings_while_it_ran(client, setup, lead):
    """At instant speed a thread's active_seconds are the recorded gaps while it ran (as a session's are), not ~0;
    threads run side by side, so none ran longer than the session, and the one stopped at once ran least."""
    s = _team_session(client, setup, lead)
    _, threads = _run_team(client, s)
    session = client.beta.sessions.retrieve(s.id)
    listed = {t.id: t for t in client.beta.sessions.threads.list(s.id)}
    active = {service: listed[tid].usage.active_seconds for service, tid in threads.items()}
    assert active["checkout"] > 5 and active["payments"] > 5, active
    assert active["cart"] < min(active["checkout"], active["payments"]), active
    assert all(a <= session.usage.active_seconds + 1e-6 for a in active.values()), (active, session.usage)
    for tid in threads.values():
        assert listed[tid].stats.duration_seconds >= listed[tid].stats.active_seconds
    primary = next(t for t in listed.values() if t.parent_thread_id is None)
    assert primary.stats.active_seconds == session.stats.active_seconds


def test_a_threads_own_stream_and_a_follow_up(client, setup, lead):
    s = _team_session(client, setup, lead)
    _, threads = _run_team(client, s)
    seen = []
    with client.beta.sessions.threads.events.stream(threads["checkout"], session_id=s.id) as stream:
        client.beta.sessions.events.send(s.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": "Ask the checkout investigator a follow-up."}]}])
        for ev in stream:
            seen.append(ev)
            if ev.type == "session.thread_status_idle":
                break
    types = [e.type for e in seen]
    assert types[0] == "agent.thread_message_received" and "agent.tool_result" in types
    assert "agent.thread_message_sent" in types and seen[-1].stop_reason.type == "end_turn"
    followed = loop.run(client, s.id, handle_tool=incident.handle_tool, render=False)  # the lead's turn, to its end
    assert followed.stop_reason == "end_turn"
    last = [e for e in client.beta.sessions.events.list(s.id, limit=1000) if e.type == "agent.message"][-1]
    assert "662" in event_text(last)
    primary = next(t for t in client.beta.sessions.threads.list(s.id) if t.parent_thread_id is None)
    assert [e.id for e in client.beta.sessions.threads.events.list(primary.id, session_id=s.id, limit=1000)] == \
        [e.id for e in client.beta.sessions.events.list(s.id, limit=1000)]  # the primary thread is the session


def test_archiving_threads(client, setup, lead):
    s = _team_session(client, setup, lead)
    _, threads = _run_team(client, s)
    primary = next(t for t in client.beta.sessions.threads.list(s.id) if t.parent_thread_id is None)
    with pytest.raises(anthropic.BadRequestError, match="primary thread"):
        client.beta.sessions.threads.archive(primary.id, session_id=s.id)
    done = client.beta.sessions.threads.archive(threads["cart"], session_id=s.id)
    assert done.archived_at is not None and done.status == "terminated"
    assert client.beta.sessions.threads.archive(threads["cart"], session_id=s.id).archived_at == done.archived_at
    history = list(client.beta.sessions.events.list(s.id, limit=1000))
    assert history[-1].type == "session.thread_status_terminated" and history[-1].session_thread_id == threads["cart"]
    assert [t.id for t in client.beta.sessions.threads.list(s.id, statuses=["terminated"])] == [threads["cart"]]
    with pytest.raises(anthropic.BadRequestError, match="archived"):
        client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt", "session_thread_id": threads["cart"]}])
    with pytest.raises(anthropic.BadRequestError, match="not a thread of session"):
        client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt", "session_thread_id": "sthr_nope"}])
    with pytest.raises(anthropic.BadRequestError, match="statuses"):
        client.beta.sessions.threads.list(s.id, statuses=["sleeping"])


def test_a_running_thread_cannot_be_archived_and_a_session_interrupt_stops_every_thread(client, setup, lead):
    s = _team_session(client, setup, lead)
    stopped = threading.Event()
    with client.beta.sessions.events.stream(s.id) as stream:
        client.beta.sessions.events.send(s.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": "Investigate with a team."}]}])
        running, started = None, 0
        for ev in stream:
            started += ev.type == "session.thread_status_running"
            if ev.type == "session.thread_status_running" and started == 3:  # all three investigators run
                running = next(t for t in client.beta.sessions.threads.list(s.id, statuses=["running"])
                               if t.parent_thread_id)
                with pytest.raises(anthropic.ConflictError, match="session_thread_id"):
                    client.beta.sessions.threads.archive(running.id, session_id=s.id)
                client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
            if ev.type == "session.status_idle":
                stopped.set()
                break
    assert stopped.is_set() and running is not None
    statuses = {t.id: t.status for t in client.beta.sessions.threads.list(s.id)}
    assert set(statuses.values()) == {"idle"}, statuses
    assert client.beta.sessions.retrieve(s.id).status == "idle"


def test_the_team_recording_needs_a_team(client, setup):
    env, investigator, log_file = setup
    with pytest.raises(anthropic.BadRequestError, match="no subagents"):
        resources.new_session(client, investigator, env, log_file, metadata={"recording": "incident-team"})
    other = client.beta.agents.create(name="someone-else", model="claude-sonnet-4-6")
    odd = client.beta.agents.create(name="odd-lead", model="claude-sonnet-4-6", multiagent=team_config(other.id))
    with pytest.raises(anthropic.BadRequestError, match="subagents are \\['someone-else'\\]"):
        resources.new_session(client, odd, env, log_file, metadata={"recording": "incident-team"})
    bare = client.beta.agents.create(name="sre-investigator", model="claude-sonnet-4-6")  # the name, not the tools
    light = client.beta.agents.create(name="light-lead", model="claude-sonnet-4-6", multiagent=team_config(bare.id))
    with pytest.raises(anthropic.BadRequestError, match="its subagent 'sre-investigator' lacks"):
        resources.new_session(client, light, env, log_file, metadata={"recording": "incident-team"})


@pytest.mark.parametrize("options,interrupt", [({"interrupt_wait": 0.2}, False), ({"speed": 40}, True)],
                         ids=["nobody-interrupts", "paced-interrupt"])
def test_the_recorded_thread_interrupt_waits_briefly_and_a_paced_one_lands_early(options, interrupt):
    """Nobody interrupts: the recorded interrupt of the cart thread waits interrupt_wait, says so, and the team plays
    on. At a human pace the learner's interrupt lands before the recorded one: the same stop, nothing of cart plays."""
    from helpers import stub
    from support.fixtures import sdk_client

    with stub.start(**options) as server:
        client = sdk_client(server, max_retries=0)
        env, investigator, log_file = (resources.ensure_environment(client), resources.ensure_agent(client),
                                       resources.ensure_log_file(client))
        lead = client.beta.agents.create(name="lead", model="claude-sonnet-4-6", multiagent=team_config(investigator.id))
        s = _team_session(client, (env, investigator, log_file), lead)
        if interrupt:
            run, threads = _run_team(client, s)
        else:
            run = loop.run(client, s.id, "Investigate.", handle_tool=incident.handle_tool, render=False, timeout=60)
        assert run.stop_reason == "end_turn" and "dep_4820" in run.text
        history = list(client.beta.sessions.events.list(s.id, limit=1000))
        notes = [event_text(e) for e in history if e.type == "agent.message" and "stops that thread" in event_text(e)]
        assert len(notes) == (0 if interrupt else 1)
        assert sum(e.type == "user.interrupt" for e in history) == (1 if interrupt else 0)
        cart_idle = [e for e in history if e.type == "session.thread_status_idle" and e.stop_reason.type == "end_turn"
                     and not any(t.type == "agent.thread_message_received" and t.from_session_thread_id ==
                                 e.session_thread_id for t in history)]
        assert len(cart_idle) == 1
