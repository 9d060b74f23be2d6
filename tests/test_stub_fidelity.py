"""The stub follows the Managed Agents docs and the SDK's docstrings where issue 13 found it did not (each rule is
cited in docs/design.md, "Fidelity rules"); through the real SDK, strict."""
from __future__ import annotations

import gc
import json
import time
import tracemalloc

import anthropic
import pytest

from helpers import incident, loop, resources, stub
from helpers.outputs import BETA
from helpers.stub.recordings import load


def _client(server):
    return anthropic.Anthropic(api_key="k", base_url=server.url, _strict_response_validation=True, max_retries=2,
                               timeout=30)


@pytest.fixture(scope="module")
def server():
    with stub.start(interrupt_wait=None) as s:  # a recorded interrupt waits: the "audit" session keeps running
        yield s


def _msg(text):
    return {"type": "user.message", "content": [{"type": "text", "text": text}]}


def _running(client, server, recording="interrupt"):
    s = resources.new_session(client, metadata={"recording": recording})
    client.beta.sessions.events.send(s.id, events=[_msg("Run the audit.")])
    for _ in range(200):
        if client.beta.sessions.retrieve(s.id).status == "running":
            return s
        time.sleep(0.01)
    raise AssertionError("the session never ran")


def _wait_idle(client, sid):
    for _ in range(500):
        if client.beta.sessions.retrieve(sid).status == "idle":
            return
        time.sleep(0.01)
    raise AssertionError("the session never went idle")


# ------------------------------------------------------------------------------------------------ 6 and 7
def test_a_running_session_cannot_be_deleted_until_interrupted(server):
    client = _client(server)
    s = _running(client, server)
    t = time.monotonic()
    with pytest.raises(anthropic.ConflictError, match="user.interrupt") as e:
        client.beta.sessions.delete(s.id)
    assert e.value.body["error"]["type"] == "conflict_error"
    assert time.monotonic() - t < 2  # x-should-retry: false, so the SDK's retries (409 is retryable) stay off
    assert client.beta.sessions.retrieve(s.id).status == "running"  # refused: nothing changed
    client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
    _wait_idle(client, s.id)
    assert client.beta.sessions.delete(s.id).type == "session_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.sessions.retrieve(s.id)


def test_state_conflicts_are_409(server):
    client = _client(server)
    s = _running(client, server)
    with pytest.raises(anthropic.ConflictError, match="cannot be archived"):
        client.beta.sessions.archive(s.id)
    with pytest.raises(anthropic.ConflictError, match="running sessions"):
        client.beta.environments.delete(s.environment_id)
    client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
    _wait_idle(client, s.id)
    client.beta.sessions.archive(s.id)
    with pytest.raises(anthropic.ConflictError, match="archived"):
        client.beta.sessions.events.send(s.id, events=[_msg("one more thing")])


# ------------------------------------------------------------------------------------------------ 4
def test_deleting_sessions_releases_their_state_and_file_copies(server):
    client = _client(server)
    def run_one():
        s = resources.new_session(client, metadata={"recording": "fault-retries-exhausted"})
        loop.run(client, s.id, "Fault drill (fault-retries-exhausted)", timeout=30)
        return s.id

    def files():
        return {f.id for f in client.beta.files.list(limit=1000)}

    before = files()
    for sid in [run_one() for _ in range(3)]:  # warm up (imports, caches)
        client.beta.sessions.delete(sid)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        ids = [run_one() for _ in range(40)]
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
        assert all(list(client.beta.files.list(scope_id=sid, betas=[BETA])) for sid in ids[:3])  # each has its copy
        for sid in ids:
            client.beta.sessions.delete(sid)
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert files() == before  # the session copies went with their sessions
    assert not list(client.beta.files.list(scope_id=ids[0], betas=[BETA]))
    assert left < 0.25 * grown, f"{left / 2**20:.2f} MiB of {grown / 2**20:.2f} MiB kept after deleting"


# ------------------------------------------------------------------------------------------------ 1
def _raw_send(server, sid, events):
    """events.send over raw HTTP: the SDK cannot even encode a lone surrogate, a hand-written client can."""
    import httpx

    r = httpx.post(f"{server.url}/v1/sessions/{sid}/events", content=json.dumps({"events": events}).encode(),
                   headers={"x-api-key": "k", "anthropic-beta": "managed-agents-2026-04-01",
                            "content-type": "application/json"})
    return r.status_code, r.json()


def test_a_refused_batch_stores_nothing_and_chooses_no_recording(server):
    client = _client(server)
    s = resources.new_session(client)
    bad = {"type": "user.message", "content": [{"type": "text", "text": "x\ud800"}]}
    status, body = _raw_send(server, s.id, [_msg("Run the audit."), bad])
    assert status == 400 and "surrogate" in body["error"]["message"], body
    assert list(client.beta.sessions.events.list(s.id)) == []
    # the refused "audit" message chose nothing: this one picks incident-2277 by its keywords
    result = loop.run(client, s.id, "Checkout p99 is 10x since 14:07Z: find the root cause.",
                      handle_tool=incident.handle_tool, timeout=60)
    assert result.stop_reason == "end_turn"
    calls = sum(e.type == "agent.custom_tool_use" for e in client.beta.sessions.events.list(s.id, limit=1000))
    assert calls == sum(ln.type == "agent.custom_tool_use" for ln in load("incident-2277").lines) > 0  # not "audit"
    # a valid answer beside a bad event is not stored either, so answering again works
    s2 = resources.new_session(client, metadata={"recording": "parallel-sweep"})
    with client.beta.sessions.events.stream(s2.id) as st:
        client.beta.sessions.events.send(s2.id, events=[_msg("Latency sweep.")])
        calls = []
        for ev in st:
            if ev.type == "agent.custom_tool_use":
                calls.append(ev)
            if ev.type == "session.status_idle":
                break
    good = {"type": "user.custom_tool_result", "custom_tool_use_id": calls[0].id,
            "content": [{"type": "text", "text": "ok"}]}
    status, body = _raw_send(server, s2.id, [good, {**good, "content": [{"type": "text", "text": "\udfff"}]}])
    assert status == 400 and "surrogate" in body["error"]["message"], body
    client.beta.sessions.events.send(s2.id, events=[good])  # not "already answered"


# ------------------------------------------------------------------------------------------------ 8
def test_an_interrupt_during_grading_ends_the_evaluation_interrupted():
    rec = load("outcome")
    outcome = next(ln.event for ln in rec.lines if ln.type == "user.define_outcome")
    with stub.start(speed=10) as srv:
        client = _client(srv)
        s = resources.new_session(client, metadata={"recording": "outcome"})
        seen = []
        with client.beta.sessions.events.stream(s.id) as st:
            client.beta.sessions.events.send(s.id, events=[{"type": "user.define_outcome", "description": outcome[
                "description"], "rubric": outcome["rubric"], "max_iterations": outcome.get("max_iterations", 3)}])
            for ev in st:
                seen.append(ev)
                if ev.type == "agent.custom_tool_use":
                    client.beta.sessions.events.send(s.id, events=[{
                        "type": "user.custom_tool_result", "custom_tool_use_id": ev.id,
                        "content": [{"type": "text", "text": incident.handle_tool(ev.name, ev.input)}]}])
                elif ev.type == "span.outcome_evaluation_start":
                    client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
                elif ev.type == "session.status_idle" and ev.stop_reason.type != "requires_action":
                    break
        start = next(e for e in seen if e.type == "span.outcome_evaluation_start")
        ends = [e for e in seen if e.type == "span.outcome_evaluation_end"]
        assert len(ends) == 1 and ends[0].result == "interrupted"
        assert ends[0].outcome_evaluation_start_id == start.id and ends[0].outcome_id == start.outcome_id
        assert seen[-1].stop_reason.type == "end_turn"
        types = [e.type for e in seen]
        assert types.index("user.interrupt") < types.index("span.outcome_evaluation_end")
        assert client.beta.sessions.retrieve(s.id).outcome_evaluations[-1].result == "interrupted"


# ------------------------------------------------------------------------------------------------ 9
def test_system_message_follows_the_sdk_rule(server):
    client = _client(server)
    s = resources.new_session(client, metadata={"recording": "fault-retries-exhausted"})
    system = {"type": "system.message", "content": [{"type": "text", "text": "Be brief."}]}
    for events in ([system], [system, _msg("hi")], [_msg("hi"), system, system], [{"type": "user.interrupt"}, system]):
        with pytest.raises(anthropic.BadRequestError, match="system.message must be the final event"):
            client.beta.sessions.events.send(s.id, events=events)
    assert list(client.beta.sessions.events.list(s.id)) == []
    out = client.beta.sessions.events.send(s.id, events=[_msg("Fault drill (fault-retries-exhausted)"), system]).data
    assert [e.type for e in out] == ["user.message", "system.message"]


# ------------------------------------------------------------------------------------------------ 10
def test_a_message_sent_while_the_agent_works_shows_twice_on_the_stream(server):
    client = _client(server)
    s = _running(client, server)
    with client.beta.sessions.events.stream(s.id) as st:
        (queued,) = client.beta.sessions.events.send(s.id, events=[_msg("Also check payments.")]).data
        assert queued.processed_at is None
        client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
        copies = []
        for ev in st:
            if ev.id == queued.id:
                copies.append(ev)
            if ev.type == "session.status_idle" and len(copies) == 2:
                break
    assert copies[0].processed_at is None and copies[1].processed_at is not None
    history = [e for e in client.beta.sessions.events.list(s.id, limit=1000) if e.id == queued.id]
    assert len(history) == 1 and history[0].processed_at == copies[1].processed_at


def test_a_message_while_tool_results_are_pending_is_queued_not_refused(server):
    client = _client(server)
    s = resources.new_session(client, metadata={"recording": "incident-2277"})
    with client.beta.sessions.events.stream(s.id) as st:
        client.beta.sessions.events.send(s.id, events=[_msg("Checkout p99: find the root cause.")])
        for ev in st:
            if ev.type == "agent.custom_tool_use":
                call = ev
            if ev.type == "session.status_idle":
                break
    (queued,) = client.beta.sessions.events.send(s.id, events=[_msg("Also look at payments.")]).data
    assert queued.processed_at is None
    assert client.beta.sessions.retrieve(s.id).status == "idle"  # still waiting for the tool result
    result = loop.run(client, s.id, None, handle_tool=incident.handle_tool, timeout=60)
    assert call.id in {e.custom_tool_use_id for e in client.beta.sessions.events.list(
        s.id, types=["user.custom_tool_result"], limit=100)}
    assert result.stop_reason == "end_turn"
    taken = [e for e in client.beta.sessions.events.list(s.id, limit=1000) if e.id == queued.id]
    assert taken[0].processed_at is not None  # taken up once the recorded turn ended
    assert json.dumps(taken[0].content[0].text) == json.dumps("Also look at payments.")


def test_models_validate_with_their_own_validator_shared_with_the_strict_client(monkeypatch):
    """The stub checks what it sends with each model's own validator (built once, then reused by the SDK's strict
    client for the same objects); only what is not a model (params TypedDicts, unions) gets a TypeAdapter."""
    import pydantic

    from helpers.stub import validation

    asked: list = []
    real = validation.adapter
    monkeypatch.setattr(validation, "adapter", lambda tp: asked.append(tp) or real(tp))
    c = stub.start()
    try:
        client = anthropic.Anthropic(api_key="k", base_url=c.url, _strict_response_validation=True)
        session = resources.new_session(client, title="own validators")
        result = loop.run(client, session.id, "Incident-2277: find the root cause.", handle_tool=incident.handle_tool,
                          render=False)
        assert result.stop_reason == "end_turn"
    finally:
        c.stop()
    assert asked, "no params validated?"
    models = [tp for tp in asked if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)]
    assert not models, f"TypeAdapters of models: {models}"



# ------------------------------------------------------------------------------------------------ threads, vaults, MCP
def _strict_events(raw: list) -> list:
    """Each raw event validated strictly as the SDK's session event, with no field the SDK does not know."""
    from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
    from pydantic import TypeAdapter

    adapter = TypeAdapter(BetaManagedAgentsSessionEvent)
    out = []
    for ev in raw:
        model = adapter.validate_json(json.dumps(ev), strict=True)
        assert model.type == ev["type"] and not model.model_extra, ev
        out.append(model)
    return out


def test_thread_and_mcp_events_validate_against_the_sdk_types(server):
    """The team's and the status page's events, as events.list and a thread's events.list send them (raw JSON), are
    strict SDK session events: the session-level stream, each thread's own history, the MCP calls."""
    client = _client(server)
    env, investigator, log_file = (resources.ensure_environment(client), resources.ensure_agent(client),
                                   resources.ensure_log_file(client))
    lead = client.beta.agents.create(name="fidelity-lead", model="claude-sonnet-4-6", multiagent={
        "type": "multiagent_20261001", "subagents": {"type": "enabled", "predefined_agents": [investigator.id]}})
    s = resources.new_session(client, lead, env, log_file, metadata={"recording": "incident-team"})

    def stop_cart(ev):
        if ev.type == "agent.thread_message_sent" and "dep_4822" in ev.content[0].text:
            client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt",
                                                            "session_thread_id": ev.to_session_thread_id}])

    loop.run(client, s.id, "Team.", handle_tool=incident.handle_tool, on_event=stop_cart, render=False)
    raw = client.beta.sessions.events.with_raw_response.list(s.id, limit=1000).http_response.json()["data"]
    types = {e.type for e in _strict_events(raw)}
    assert {"session.thread_created", "agent.thread_message_sent", "agent.thread_message_received",
            "session.thread_status_running", "session.thread_status_idle", "user.interrupt"} <= types
    for thread in client.beta.sessions.threads.list(s.id):
        page = client.beta.sessions.threads.events.with_raw_response.list(thread.id, session_id=s.id, limit=1000)
        _strict_events(page.http_response.json()["data"])
    comms_env = client.beta.environments.create(name="fidelity-comms", config={"type": "cloud", "networking": {
        "type": "limited", "allowed_hosts": [], "allow_mcp_servers": True}})
    comms = client.beta.agents.create(name="fidelity-comms", model="claude-sonnet-4-6", mcp_servers=[
        {"type": "url", "name": "statuspage", "url": "https://mcp.status.example/mcp"}], tools=[
        {"type": "mcp_toolset", "mcp_server_name": "statuspage", "configs": [
            {"name": "list_incidents", "permission_policy": {"type": "always_allow"}}]}])  # the rest: always_ask
    vault = client.beta.vaults.create(display_name="fidelity")
    client.beta.vaults.credentials.create(vault.id, auth={"type": "static_bearer", "token": "t0ken",
                                                          "mcp_server_url": "https://mcp.status.example/mcp"})
    c = client.beta.sessions.create(agent=comms.id, environment_id=comms_env.id, vault_ids=[vault.id],
                                    metadata={"recording": "statuspage-update"})
    loop.run(client, c.id, "Post it.", confirm=lambda ev: "allow", render=False)
    raw = client.beta.sessions.events.with_raw_response.list(c.id, limit=1000).http_response.json()["data"]
    mcp = [e for e in _strict_events(raw) if e.type.startswith("agent.mcp_tool")]
    assert [e.type for e in mcp] == ["agent.mcp_tool_use", "agent.mcp_tool_result"] * 2
    assert mcp[2].evaluated_permission == "ask" and mcp[2].evaluation.type == "always_ask"


def test_new_state_conflicts_are_409_and_not_retried(server):
    """"Creating a second credential for the same URL returns a 409" (vaults docs); a running thread cannot be
    archived (inference, as a running session cannot): conflict_error, and x-should-retry: false keeps the SDK's
    retries (409 is retryable) off."""
    client = _client(server)
    vault = client.beta.vaults.create(display_name="conflicts")
    auth = {"type": "static_bearer", "token": "one", "mcp_server_url": "https://mcp.conflict.example/mcp"}
    client.beta.vaults.credentials.create(vault.id, auth=auth)
    t = time.monotonic()
    with pytest.raises(anthropic.ConflictError) as e:
        client.beta.vaults.credentials.create(vault.id, auth={**auth, "token": "two"})
    assert e.value.body["error"]["type"] == "conflict_error" and time.monotonic() - t < 2
    env, investigator, log_file = (resources.ensure_environment(client), resources.ensure_agent(client),
                                   resources.ensure_log_file(client))
    lead = client.beta.agents.create(name="conflict-lead", model="claude-sonnet-4-6", multiagent={
        "type": "multiagent_20261001", "subagents": {"type": "enabled", "predefined_agents": [investigator.id]}})
    s = resources.new_session(client, lead, env, log_file, metadata={"recording": "incident-team"})
    with client.beta.sessions.events.stream(s.id) as stream:
        client.beta.sessions.events.send(s.id, events=[_msg("Team.")])
        for ev in stream:
            if ev.type == "session.thread_status_running":
                t = time.monotonic()
                with pytest.raises(anthropic.ConflictError, match="interrupt"):
                    client.beta.sessions.threads.archive(ev.session_thread_id, session_id=s.id)
                assert time.monotonic() - t < 2
                client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
                break
    _wait_idle(client, s.id)
