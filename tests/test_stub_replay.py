"""Replaying recordings through the real SDK (sync and async, strict): tool round trips, confirmations, outcomes,
interrupts, event pagination, errors that change nothing, several streams, reconnects, 50 concurrent sessions and
the SDK's own session tool runner."""
from __future__ import annotations

import asyncio
import itertools
import threading
import time

import anthropic
import pytest

from helpers import stub
from helpers.timestamps import parse_iso
from support.fixtures import ASK_TOOLSET, CUSTOM, FIXTURES, sdk_client
from support.probe import concurrent_sessions
from support.recordings import events as recorded_events
from support.replay import run_turn

TEXT = "Checkout p99 latency jumped at 14:07. Why?"


def msg(text=TEXT):
    return {"type": "user.message", "content": [{"type": "text", "text": text}]}


@pytest.fixture(scope="module")
def stub_options():
    return {"recordings_dir": FIXTURES, "keepalive": 0.5}


@pytest.fixture(scope="module")
def setup(client):
    env = client.beta.environments.create(name="replay")
    agent = client.beta.agents.create(model="claude-sonnet-4-6", name="sre", tools=[ASK_TOOLSET, *CUSTOM])
    return env, agent


@pytest.fixture
def session(client, setup):
    env, agent = setup
    return client.beta.sessions.create(agent=agent.id, environment_id=env.id)


class TestReplay:
    """A recording replayed by a learner's loop: both branches, later turns, the async client, 50 sessions at once, the
    SDK's own tool runner."""

    def test_full_replay_allow_branch_and_second_turn(self, client, session):
        events = run_turn(client, session.id, msg())
        types = [e.type for e in events]
        assert types[0] == "user.message" and types[-1] == "session.status_idle"
        assert types.count("agent.custom_tool_use") == 3 and "agent.tool_result" in types
        assert "Understood" not in str(events)  # the deny branch is skipped
        history = list(client.beta.sessions.events.list(session.id, limit=100))
        assert [e.id for e in history] == [e.id for e in events]  # every streamed event is stored, same order
        results = [e for e in history if e.type == "user.custom_tool_result"]
        assert results[0].content[0].text == "result of get_metrics"  # the learner's answer, not the recorded one
        uses = {e.id: e for e in history if e.type == "agent.custom_tool_use"}
        assert all(r.custom_tool_use_id in uses for r in results)
        tr = next(e for e in history if e.type == "agent.tool_result")
        assert tr.tool_use_id == next(e.id for e in history if e.type == "agent.tool_use")  # remapped reference
        s = client.beta.sessions.retrieve(session.id)
        assert s.status == "idle" and s.usage.input_tokens == 1200 * 3 + 3000 and s.usage.output_tokens == 150 * 3 + 400
        assert s.stats.active_seconds is not None and s.stats.duration_seconds > 0
        assert all(e.id.startswith("sevt_011C") for e in history)
        assert all(e.processed_at.tzinfo is not None for e in history)
        second = run_turn(client, session.id, msg("Thanks. Write a one-line summary."))
        assert "N+1 in dep_4820" in [e for e in second if e.type == "agent.message"][-1].content[0].text
        after = run_turn(client, session.id, msg("anything else?"))
        assert "no more turns" in [e for e in after if e.type == "agent.message"][0].content[0].text

    def test_deny_branch(self, client, session):
        events = run_turn(client, session.id, msg(), confirm="deny")
        texts = [b.text for e in events if e.type == "agent.message" for b in e.content]
        assert "Understood, I won't run that." in texts
        assert "agent.tool_result" not in [e.type for e in events]
        conf = [e for e in events if e.type == "user.tool_confirmation"]
        assert conf[0].result == "deny"

    def test_async_client_full_replay(self, server, setup):
        env, agent = setup

        async def main():
            ac = anthropic.AsyncAnthropic(api_key="k", base_url=server.url, _strict_response_validation=True)
            s = await ac.beta.sessions.create(agent=agent.id, environment_id=env.id)
            stream = await ac.beta.sessions.events.stream(s.id)
            await ac.beta.sessions.events.send(s.id, events=[msg()])
            seen = {}
            async for ev in stream:
                seen[ev.id] = ev
                if ev.type == "session.status_idle":
                    if ev.stop_reason.type != "requires_action":
                        break
                    evs = [{"type": "user.custom_tool_result", "custom_tool_use_id": i,
                            "content": [{"type": "text", "text": "ok"}]} if seen[i].type == "agent.custom_tool_use"
                           else {"type": "user.tool_confirmation", "tool_use_id": i, "result": "allow"}
                           for i in ev.stop_reason.event_ids]
                    await ac.beta.sessions.events.send(s.id, events=evs)
            await stream.close()
            hist = [e async for e in ac.beta.sessions.events.list(s.id)]
            assert [e.id for e in hist] == list(seen)
            await ac.close()

        asyncio.run(main())

    def test_fifty_concurrent_sessions_lose_nothing(self, server, setup):
        env, agent = setup
        # wait_for is a hang guard, not a speed target (bench_stub.py times this)
        _, ok = asyncio.run(asyncio.wait_for(concurrent_sessions(server.url, env.id, agent.id, 50, TEXT), 120))
        assert all(same for same, _ in ok), [n for same, n in ok if not same]
        # the whole first turn: 29 events (user ones included) and the session.usage before each of its 4 idles
        assert {n for _, n in ok} == {33}

    def test_sdk_session_tool_runner(self, server, setup):
        from anthropic.lib.tools import beta_async_tool

        env, agent = setup
        calls = []

        @beta_async_tool
        async def get_metrics(service: str = "") -> str:
            """Metrics for a service."""
            calls.append(("get_metrics", service))
            return f"p99 for {service}: 10x"

        @beta_async_tool
        async def list_deploys() -> str:
            """Recent deploys."""
            calls.append(("list_deploys", None))
            return "dep_4820"

        async def main():
            ac = anthropic.AsyncAnthropic(api_key="k", base_url=server.url, _strict_response_validation=True)
            s = await ac.beta.sessions.create(agent=agent.id, environment_id=env.id, metadata={"recording": "runner-demo"})
            await ac.beta.sessions.events.send(s.id, events=[msg("runner: go")])
            dispatched = []
            async for call in ac.beta.sessions.events.tool_runner(s.id, tools=[get_metrics, list_deploys], max_idle=0.3):
                dispatched.append(call)
            hist = [e async for e in ac.beta.sessions.events.list(s.id)]
            await ac.close()
            return dispatched, hist

        dispatched, hist = asyncio.run(asyncio.wait_for(main(), 20))
        assert [c.name for c in dispatched] == ["get_metrics", "list_deploys", "get_metrics"]
        assert all(c.posted and not c.is_error for c in dispatched)
        assert hist[-1].type == "session.status_idle" and hist[-1].stop_reason.type == "end_turn"
        assert [e.content[0].text for e in hist if e.type == "user.custom_tool_result"][0] == "p99 for checkout: 10x"


class TestHistory:
    """The history of a replayed session: pages and filters."""

    def test_events_pagination_and_filters(self, client, session):
        run_turn(client, session.id, msg())
        allev = list(client.beta.sessions.events.list(session.id, limit=1000))
        walked = list(client.beta.sessions.events.list(session.id, limit=1))
        assert [e.id for e in walked] == [e.id for e in allev]
        desc = list(client.beta.sessions.events.list(session.id, limit=3, order="desc"))
        assert [e.id for e in desc] == [e.id for e in reversed(allev)]
        only = list(client.beta.sessions.events.list(session.id, types=["agent.custom_tool_use", "user.message"]))
        assert {e.type for e in only} == {"agent.custom_tool_use", "user.message"} and len(only) == 4
        mid = allev[5].processed_at
        assert [e.id for e in client.beta.sessions.events.list(session.id, created_at_gt=mid)] == [e.id for e in allev[6:]]
        assert [e.id for e in client.beta.sessions.events.list(session.id, created_at_gte=mid)] == [e.id for e in allev[5:]]
        assert [e.id for e in client.beta.sessions.events.list(session.id, created_at_lt=mid)] == [e.id for e in allev[:5]]
        assert [e.id for e in client.beta.sessions.events.list(session.id, created_at_lte=mid, order="desc")] == \
            [e.id for e in reversed(allev[:6])]
        page = client.beta.sessions.events.list(session.id, limit=len(allev))
        assert page.next_page is None
        with pytest.raises(anthropic.BadRequestError, match="not a valid cursor"):
            client.beta.sessions.events.list(session.id, page="garbage")


def _wait_idle(client, sid, status="idle", timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        s = client.beta.sessions.retrieve(sid)
        if s.status == status:
            return s
        time.sleep(0.01)
    raise AssertionError(f"session {sid} did not become {status}")


def _pending(client, sid):
    """Wait for the requires_action idle and return its event ids."""
    end = time.time() + 5
    while time.time() < end:
        ev = list(client.beta.sessions.events.list(sid, types=["session.status_idle"], order="desc", limit=1))
        if ev and ev[0].stop_reason.type == "requires_action":
            return ev[0].stop_reason.event_ids
        time.sleep(0.01)
    raise AssertionError("no requires_action")


class TestRefusals:
    """What the API refuses, the stub refuses with its error and changes nothing: bad events, unknown recordings, a
    terminated session."""

    def test_errors_change_nothing(self, client, session):
        sid = session.id
        client.beta.sessions.events.send(sid, events=[msg()])
        ids = _pending(client, sid)
        before = [e.id for e in client.beta.sessions.events.list(sid, limit=1000)]
        good = {"type": "user.custom_tool_result", "custom_tool_use_id": ids[0], "content": [{"type": "text", "text": "x"}]}
        # 1. a tool result for an id that is not pending: the message lists pending ids and says how to fix it
        with pytest.raises(anthropic.BadRequestError) as ei:
            client.beta.sessions.events.send(sid, events=[good, {**good, "custom_tool_use_id": "sevt_x"}])
        m = ei.value.message
        assert "events[1].custom_tool_use_id: 'sevt_x' is not waiting for a result" in m and ids[1] in m
        assert "Reply to the id of the agent.custom_tool_use event you received" in m
        # 2. a malformed event names the field
        with pytest.raises(anthropic.BadRequestError, match=r"events\[1\]\.content\[0\]\.text is required"):
            client.beta.sessions.events.send(sid, events=[good, {"type": "user.custom_tool_result",
                                                                 "custom_tool_use_id": ids[1],
                                                                 "content": [{"type": "text", "txt": "x"}]}])
        with pytest.raises(anthropic.BadRequestError, match=r"events\[0\]\.type: 'agent.message' is not an event"):
            client.beta.sessions.events.send(sid, events=[{"type": "agent.message", "content": []}])
        with pytest.raises(anthropic.BadRequestError, match=r"events\[0\]\.bogus is not a known field"):
            client.beta.sessions.events.send(sid, events=[{**good, "bogus": 1}])
        with pytest.raises(anthropic.BadRequestError, match="waiting for results of custom tool uses"):
            client.beta.sessions.events.send(sid, events=[{"type": "user.define_outcome", "description": "d",
                                                           "rubric": {"type": "text", "content": "r"}}])
        with pytest.raises(anthropic.BadRequestError, match="only valid on self_hosted"):
            client.beta.sessions.events.send(sid, events=[{"type": "user.tool_result", "tool_use_id": ids[0]}])
        # nothing was applied
        assert [e.id for e in client.beta.sessions.events.list(sid, limit=1000)] == before
        # 3. a duplicate answer
        client.beta.sessions.events.send(sid, events=[good])
        with pytest.raises(anthropic.BadRequestError, match="already answered"):
            client.beta.sessions.events.send(sid, events=[good])
        # answering only some re-emits idle with the remainder
        last = list(client.beta.sessions.events.list(sid, order="desc", limit=1))[0]
        assert last.type == "session.status_idle" and last.stop_reason.event_ids == [ids[1]]

    def test_missing_custom_tools_and_unknown_recording(self, client, setup):
        env, _ = setup
        bare = client.beta.agents.create(model="claude-sonnet-4-6", name="bare", tools=[CUSTOM[0]])
        s = client.beta.sessions.create(agent=bare.id, environment_id=env.id)
        with pytest.raises(anthropic.BadRequestError) as ei:
            client.beta.sessions.events.send(s.id, events=[msg()])
        assert "needs custom tools the session's agent lacks: list_deploys, query_logs, get_diff" in ei.value.message
        assert "CUSTOM_TOOLS" in ei.value.message
        assert list(client.beta.sessions.events.list(s.id)) == [] and client.beta.sessions.retrieve(s.id).status == "idle"
        with pytest.raises(anthropic.BadRequestError, match=r"no recording named 'nope'.*incident-2277"):
            client.beta.sessions.create(agent=bare.id, environment_id=env.id, metadata={"recording": "nope"})
        # chosen by metadata (no custom tools needed)
        s2 = client.beta.sessions.create(agent=bare.id, environment_id=env.id, metadata={"recording": "terminate-demo"})
        ev = run_turn(client, s2.id, msg("hello"), stop_on_idle=False)
        assert ev[-1].type == "session.status_terminated"

    def test_terminated_session_rejects_events_and_closes_streams(self, client, setup):
        env, agent = setup
        s = client.beta.sessions.create(agent=agent.id, environment_id=env.id)
        events = run_turn(client, s.id, msg("please terminate now"), stop_on_idle=False)
        assert events[-1].type == "session.status_terminated"
        assert client.beta.sessions.retrieve(s.id).status == "terminated"
        with pytest.raises(anthropic.BadRequestError, match="terminated"):
            client.beta.sessions.events.send(s.id, events=[msg("more")])
        with client.beta.sessions.events.stream(s.id) as st:  # ends at once
            assert list(st) == []


def interrupted_turn(client, sid, first):
    """Send ``first``, interrupt as soon as the session runs, read until idle. Returns the streamed events."""
    got = []
    with client.beta.sessions.events.stream(sid) as st:
        client.beta.sessions.events.send(sid, events=[first])
        for ev in st:
            got.append(ev)
            if ev.type == "session.status_running":
                client.beta.sessions.events.send(sid, events=[{"type": "user.interrupt"}])
            if ev.type == "session.status_idle":
                return got
    raise AssertionError("the stream ended before the session went idle")


def _wait_for(get, cond, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        x = get()
        if cond(x):
            return x
        time.sleep(0.01)
    raise AssertionError("condition not met")


class TestOutcomesAndInterrupts:
    """Outcomes and interrupts: the recorded ones, an interrupt the recording does not have, an outcome alone."""

    def test_define_outcome_and_interrupt(self, client, setup):
        env, agent = setup
        s = client.beta.sessions.create(agent=agent.id, environment_id=env.id, initial_events=[
            {"type": "user.define_outcome", "description": "A clear postmortem",
             "rubric": {"type": "text", "content": "Names the deploy"}},
            msg("Write the postmortem; use the rubric.")])
        _wait_idle(client, s.id)
        s = _wait_for(lambda: client.beta.sessions.retrieve(s.id), lambda x: x.outcome_evaluations)
        ev = s.outcome_evaluations[0]
        hist = list(client.beta.sessions.events.list(s.id))
        outcome = next(e for e in hist if e.type == "user.define_outcome")
        assert ev.outcome_id == outcome.outcome_id and ev.result == "satisfied" and ev.description == "A clear postmortem"
        end = next(e for e in hist if e.type == "span.outcome_evaluation_end")
        assert end.outcome_evaluation_start_id == next(e.id for e in hist if e.type == "span.outcome_evaluation_start")
        # interrupt: at human pace the long analysis is still running; the interrupt skips to the recorded one
        with stub.start(recordings_dir=FIXTURES, speed=5) as slow:
            c2 = sdk_client(slow)
            e2 = c2.beta.environments.create(name="x")
            a2 = c2.beta.agents.create(model="claude-sonnet-4-6", name="x")
            s2 = c2.beta.sessions.create(agent=a2.id, environment_id=e2.id, metadata={"recording": "outcome-demo"})
            run_turn(c2, s2.id, msg("rubric: first"))
            got = interrupted_turn(c2, s2.id, msg("Now a long analysis."))
            texts = [b.text for e in got if e.type == "agent.message" for b in e.content]
            assert texts == ["Stopped as asked."]  # "Working on a long analysis..." was skipped

    def test_interrupt_without_recorded_interrupt_ends_turn(self, client, setup):
        env, agent = setup
        with stub.start(recordings_dir=FIXTURES, speed=2) as slow:
            c = sdk_client(slow)
            e = c.beta.environments.create(name="x")
            a = c.beta.agents.create(model="claude-sonnet-4-6", name="x", tools=[ASK_TOOLSET, *CUSTOM])
            s = c.beta.sessions.create(agent=a.id, environment_id=e.id)
            got = interrupted_turn(c, s.id, msg())
            assert got[-1].stop_reason.type == "end_turn" and "agent.custom_tool_use" not in [x.type for x in got]
            # the next message plays the recording's next turn
            nxt = run_turn(c, s.id, msg("Thanks. Write a one-line summary."))
            assert "N+1 in dep_4820" in [x for x in nxt if x.type == "agent.message"][0].content[0].text

    def test_an_outcome_alone_starts_work_whatever_the_recordings(self, tmp_path):
        """A user.define_outcome alone starts the work. With a recording that starts with one, that recording plays (see
        test_loop); with none, a recording that starts with a message plays, the outcome standing in for it (no hang)."""
        for p in FIXTURES.glob("*.jsonl"):
            if p.name != "outcome-demo.jsonl":
                (tmp_path / p.name).write_text(p.read_text())
        with stub.start(recordings_dir=tmp_path) as server:
            c = sdk_client(server)
            e = c.beta.environments.create(name="x")
            a = c.beta.agents.create(model="claude-sonnet-4-6", name="x", tools=CUSTOM)
            s = c.beta.sessions.create(agent=a.id, environment_id=e.id, metadata={"recording": "runner-demo"})
            from helpers import loop

            outcome = {"type": "user.define_outcome", "description": "Find the cause.",
                       "rubric": {"type": "text", "content": "- names the deploy"}}
            run = loop.run(c, s.id, outcome, handle_tool=lambda name, args: f"result of {name}", render=False,
                           timeout=20)  # a hang would be a LoopTimeout, not a stuck test
            assert run.stop_reason == "end_turn"


class TestStreams:
    """Streams: several at once and a late one, a cut and a reconnect, preview deltas, a deleted session, keepalives."""

    def test_several_streams_and_late_stream(self, client, session):
        sid = session.id
        got = {0: [], 1: []}
        opened = threading.Barrier(3)

        def reader(k):
            with client.beta.sessions.events.stream(sid) as st:
                opened.wait()
                for ev in st:
                    got[k].append(ev.id)
                    if ev.type == "session.status_idle" and ev.stop_reason.type == "end_turn":
                        break

        ts = [threading.Thread(target=reader, args=(k,)) for k in (0, 1)]
        for t in ts:
            t.start()
        opened.wait()
        time.sleep(0.05)  # both streams are registered once the response headers arrived
        main = run_turn(client, sid, msg())
        for t in ts:
            t.join(5)
        assert got[0] == got[1] == [e.id for e in main]
        # a stream opened now sees only new events
        with client.beta.sessions.events.stream(sid) as st:
            client.beta.sessions.events.send(sid, events=[msg("Thanks. Write a one-line summary.")])
            first = next(iter(st))
        assert first.type == "user.message" and first.id not in main

    def test_stream_cut_then_reconnect_sees_each_event_once(self, server, setup):
        env, agent = setup
        with stub.start(recordings_dir=FIXTURES, fault={"cut_stream_after": 4}) as cut:
            c = sdk_client(cut)
            e = c.beta.environments.create(name="x")
            a = c.beta.agents.create(model="claude-sonnet-4-6", name="x", tools=[ASK_TOOLSET, *CUSTOM])
            s = c.beta.sessions.create(agent=a.id, environment_id=e.id)
            seen, order, answered, cuts = {}, [], set(), 0
            first = True
            done = False
            while not done:
                with c.beta.sessions.events.stream(s.id) as st:  # tail first, then list: nothing falls in between
                    if first:
                        c.beta.sessions.events.send(s.id, events=[msg()])
                        first = False
                    backlog = list(c.beta.sessions.events.list(s.id, limit=1000))

                    def handle(ev):
                        nonlocal done
                        if ev.id in seen:
                            return
                        seen[ev.id] = ev
                        order.append(ev.id)
                        if ev.type == "session.status_idle":
                            if ev.stop_reason.type != "requires_action":
                                done = True
                                return
                            todo = [i for i in ev.stop_reason.event_ids if i not in answered]
                            evs = [{"type": "user.custom_tool_result", "custom_tool_use_id": i,
                                    "content": [{"type": "text", "text": "ok"}]} if seen[i].type == "agent.custom_tool_use"
                                   else {"type": "user.tool_confirmation", "tool_use_id": i, "result": "allow"} for i in todo]
                            answered.update(todo)
                            if evs:
                                c.beta.sessions.events.send(s.id, events=evs)

                    for ev in backlog:
                        handle(ev)
                    if done:
                        break
                    for ev in st:
                        if done:
                            break
                        handle(ev)
                    else:
                        cuts += 1
            hist = [x.id for x in c.beta.sessions.events.list(s.id, limit=1000)]
            assert cuts >= 3 and order == hist and len(set(order)) == len(order)

    def test_event_deltas_preview(self, client, session):
        from anthropic.lib.sessions import accumulate_managed_agents_event

        sid = session.id
        previews = 0
        with client.beta.sessions.events.stream(sid, event_deltas=["agent.message"]) as st:
            client.beta.sessions.events.send(sid, events=[msg("terminate")])
            acc = None
            for ev in st:
                if ev.type in ("event_start", "event_delta"):
                    previews += 1
                    acc = accumulate_managed_agents_event(acc, ev)
                elif ev.type == "agent.message":
                    assert acc is not None and acc.content[0].text == ev.content[0].text
                    acc = None
                if ev.type in ("session.status_terminated",):
                    break
        assert previews >= 2
        assert all(e.type not in ("event_start", "event_delta") for e in client.beta.sessions.events.list(sid))

    def test_delete_session_closes_stream(self, client, session):
        sid = session.id
        got = []
        registered = threading.Event()

        def reader():
            with client.beta.sessions.events.stream(sid) as st:
                registered.set()  # the stream is registered once its response headers arrived
                for ev in st:
                    got.append(ev.type)

        t = threading.Thread(target=reader)
        t.start()
        assert registered.wait(5)
        client.beta.sessions.delete(sid)
        t.join(5)
        assert not t.is_alive() and got == ["session.deleted"]

    def test_keepalives_and_a_client_that_goes_away(self, server, client, session):
        import httpx

        sid = session.id
        with httpx.stream("GET", f"{server.url}/v1/sessions/{sid}/events/stream",
                          headers={"authorization": "Bearer k", "anthropic-beta": "managed-agents-2026-04-01"}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            first = next(r.iter_raw())
        assert first.startswith(b": keepalive")  # sent every 0.5 s by this fixture's stub
        # that client is gone; the next events find its socket closed and drop it, nothing else notices
        events = run_turn(client, sid, msg())
        assert events[-1].type == "session.status_idle"
        state = server.backend.sessions.sessions[sid]
        _wait_for(lambda: len(state.subscribers), lambda n: n == 0)


class TestPace:
    """The replay's pace: the recorded one at any speed, and the active seconds it reports."""

    def test_speed_follows_the_recorded_pace(self, setup):
        # terminate-demo: 4 agent-side events 0.2 s apart (0.8 s recorded); at speed 4 that is ~0.2 s
        with stub.start(recordings_dir=FIXTURES, speed=4) as paced:
            c = sdk_client(paced)
            e = c.beta.environments.create(name="x")
            a = c.beta.agents.create(model="claude-sonnet-4-6", name="x")
            s = c.beta.sessions.create(agent=a.id, environment_id=e.id, metadata={"recording": "terminate-demo"})
            t = time.perf_counter()
            got = run_turn(c, s.id, msg("bye"), stop_on_idle=False)
            dt = time.perf_counter() - t
            assert got[-1].type == "session.status_terminated" and 0.15 < dt < 1.5, dt
            paced_lines = [e for e in got[1:] if e.type != "session.usage"]  # a usage snapshot comes with its idle
            gaps = [(b.processed_at - a.processed_at).total_seconds() for a, b in itertools.pairwise(paced_lines)]
            assert all(0.03 < g < 0.5 for g in gaps), gaps
            paced.speed = "instant"
            s2 = c.beta.sessions.create(agent=a.id, environment_id=e.id, metadata={"recording": "terminate-demo"})
            got = run_turn(c, s2.id, msg("bye"), stop_on_idle=False)
            gaps = [(b.processed_at - a.processed_at).total_seconds() for a, b in itertools.pairwise(got[1:])]
            assert got[-1].type == "session.status_terminated" and all(g < 0.03 for g in gaps), gaps  # no pacing

    def test_active_seconds_follow_the_recordings_clock_at_any_pace(self):
        """``usage.active_seconds`` is the time the session ran, live; offline it is the recording's running time, so an
        instant replay does not report 0.0 s (07 prints it). Only the gaps while running count, not the time the learner
        took to answer, and the pace changes nothing; a session's life (``stats.duration_seconds``) is at least that."""

        from helpers import connect, incident, loop, resources

        stamps = [ev["processed_at"] for ev in recorded_events("incident-2277") if ev.get("processed_at")]
        span = (parse_iso(stamps[-1]) - parse_iso(stamps[0])).total_seconds()
        seen = []
        for speed in ("instant", 1000):
            client = connect("replay", speed=speed)
            session = resources.new_session(client, metadata={"recording": "incident-2277"})
            loop.run(client, session.id, "Incident-2277: checkout p99 10x", handle_tool=incident.handle_tool, render=False,
                     timeout=60)
            s = client.beta.sessions.retrieve(session.id)
            assert s.usage.active_seconds == s.stats.active_seconds <= s.stats.duration_seconds
            seen.append(s.usage.active_seconds)
        connect("replay", speed="instant")
        assert seen[0] == seen[1] and 10 < seen[0] < span, (seen, span)
