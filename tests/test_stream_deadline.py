"""A loop that forgets to stop fails the same way, with the same message, offline and live (issue 20, item 4).

A session's stream stays open while the session idles: the service does (docs/design.md, "Streams and their
deadline"), and so does the stub, which also sends a keepalive comment every few seconds, as a server may. So the
SDK's ``timeout=`` (an HTTP read timeout) alone would never fire. The HTTP client of ``helpers.connect()`` ends a
session's stream at its timeout, whatever arrives (helpers/deadline.py). These tests drive the learner's own loops
through the real SDK against the stub, reached both ways: as the replay back end (``connect("replay")``) and as the
live API (``connect("live", base_url=...)``), the code path a key would take.
"""
from __future__ import annotations

import re
import time

import pytest

import helpers
from helpers import deadline, resources, stub
from helpers.settings import API_KEY_PREFIX

MESSAGE = {"type": "user.message", "content": [{"type": "text", "text": "Checkout p99 is 10x since 14:07Z. Why?"}]}
TIMEOUT = 1.5


@pytest.fixture(scope="module")
def server():
    with stub.start(keepalive=0.1) as s:  # keepalives ten times a second: a read timeout alone would never fire
        yield s


def _clients(server):
    return {"replay": helpers.connect("replay"),
            "live": helpers.connect("live", api_key=API_KEY_PREFIX + "test-not-a-key", base_url=server.url, max_retries=0)}


def _forgetful_loop(client, *, send_first=False):
    """Notebook 03's loop without its stop: it reads on after the session goes idle."""
    env, agent, log_file = resources.ensure_all(client)
    session = resources.new_session(client, agent, env, log_file)
    if send_first:
        client.beta.sessions.events.send(session.id, events=[MESSAGE])
        time.sleep(0.3)  # the turn plays out before the stream opens
    seen = []
    started = time.monotonic()
    with pytest.raises(deadline.StreamDeadline) as info:
        with client.beta.sessions.events.stream(session.id, timeout=TIMEOUT) as stream:
            if not send_first:
                client.beta.sessions.events.send(session.id, events=[MESSAGE])
            for event in stream:  # no break
                seen.append(event.type)
    return info.value, seen, time.monotonic() - started


def _generic(message: str) -> str:
    return re.sub(r"sevt_\w+", "sevt_…", message)


def test_a_loop_that_misses_the_pause_ends_at_its_timeout_with_the_same_message_in_both_modes(server):
    messages = {}
    for mode, client in _clients(server).items():
        error, seen, elapsed = _forgetful_loop(client)
        assert seen[-1] == "session.status_idle" and "agent.custom_tool_use" in seen, (mode, seen)
        assert TIMEOUT <= elapsed < TIMEOUT + 2, f"{mode}: the loop ended after {elapsed:.1f} s, not at its timeout"
        assert error.seconds == TIMEOUT
        messages[mode] = _generic(error.message)
    assert messages["replay"] == messages["live"], messages
    text = messages["live"]
    assert "still open after its timeout (1.5 s)" in text and "idle (requires_action)" in text
    assert "waits for an answer to sevt_…" in text and "break on session.status_idle" in text


def test_a_loop_that_reads_on_after_the_pause_is_told_that_it_waits(server, monkeypatch, capsys):
    """Walkthrough 2: a 3.2 loop without its break sat silent until its deadline. Now, NOTICE_AFTER seconds after the
    idle with no new event, one line says so (how the session stopped, how long the cell will wait), the same line
    offline and live; the deadline then ends the loop as before."""
    monkeypatch.setattr(deadline, "NOTICE_AFTER", 0.3)
    said = {}
    for mode, client in _clients(server).items():
        error, seen, elapsed = _forgetful_loop(client)
        out = capsys.readouterr().out
        notices = [line for line in out.splitlines() if line.startswith("⏳")]
        assert len(notices) == 1, (mode, out)
        said[mode] = notices[0]
        assert TIMEOUT <= elapsed < TIMEOUT + 2 and seen[-1] == "session.status_idle"
    assert said["replay"] == said["live"], said
    assert said["live"].startswith("⏳ The session paused 0.3 s ago (session.status_idle, requires_action: it waits for "
                                   "1 call) and your loop is still reading"), said
    assert "until its timeout=1.5, then raises StreamDeadline. Missing a break?" in said["live"]


def test_a_loop_that_reads_through_the_pauses_it_answered_is_not_told(monkeypatch, capsys):
    """04's loop reads on through each requires_action idle it answered: the next event comes first, so no line. At
    the recorded pace (gaps capped), where answers and idles race."""
    monkeypatch.setattr(deadline, "NOTICE_AFTER", 0.3)
    with stub.start(speed=1, max_gap=0.05) as server:
        client = helpers.connect("live", api_key=API_KEY_PREFIX + "test-not-a-key", base_url=server.url, max_retries=0)
        env, agent, log_file = resources.ensure_all(client)
        session = resources.new_session(client, agent, env, log_file, metadata={"recording": "incident-2277"})
        answered, last = set(), None
        with client.beta.sessions.events.stream(session.id, timeout=60) as stream:
            client.beta.sessions.events.send(session.id, events=[MESSAGE])
            for ev in stream:
                last = ev
                if ev.type == "agent.custom_tool_use":
                    reply = {"type": "user.custom_tool_result", "custom_tool_use_id": ev.id,
                             "content": [{"type": "text", "text": helpers.incident.handle_tool(ev.name, ev.input)}]}
                    client.beta.sessions.events.send(session.id, events=[reply])
                    answered.add(ev.id)
                if ev.type == "session.status_idle" and ev.stop_reason.type == "requires_action" and (
                        set(ev.stop_reason.event_ids) <= answered):
                    continue
                if ev.type in ("session.status_idle", "session.status_terminated"):
                    break
        helpers.loop.run(client, resources.new_session(client, agent, env, log_file).id, MESSAGE,
                         handle_tool=helpers.incident.handle_tool, render=False, timeout=60)
    time.sleep(0.5)  # a notice armed and not cancelled would print by now
    assert last.type == "session.status_idle" and last.stop_reason.type == "end_turn"
    assert "⏳" not in capsys.readouterr().out


def test_the_wait_notice_says_how_the_session_stopped():
    idle = {"type": "session.status_idle", "stop_reason": {"type": "requires_action", "event_ids": ["a", "b"]}}
    assert "(session.status_idle, requires_action: it waits for 2 calls)" in deadline.wait_notice(idle, 20, 30)
    assert "waits 20 s more, until its timeout=30" in deadline.wait_notice(idle, 20.2, 30)
    done = {"type": "session.status_idle", "stop_reason": {"type": "end_turn"}}
    assert "paused 3 s ago (session.status_idle, end_turn)" in deadline.wait_notice(done, 5, 30)
    assert "ended 3 s ago (session.status_terminated)" in deadline.wait_notice({"type": "session.status_terminated"}, 5, 30)


def test_a_loop_that_sent_before_opening_the_stream_is_told_so(server):
    for client in _clients(server).values():
        error, seen, _ = _forgetful_loop(client, send_first=True)
        assert seen == []
        assert "received no events at all" in error.message and "Open the stream first" in error.message


def test_a_loop_reading_a_finished_session_is_told_to_break(server):
    client = _clients(server)["live"]
    env, agent, log_file = resources.ensure_all(client)
    session = resources.new_session(client, agent, env, log_file)
    helpers.loop.run(client, session.id, MESSAGE, handle_tool=helpers.incident.handle_tool, render=False, timeout=30)
    with pytest.raises(deadline.StreamDeadline) as info:
        with client.beta.sessions.events.stream(session.id, timeout=0.5) as stream:
            client.beta.sessions.events.send(session.id, events=[MESSAGE])  # the recording has no more turns
            for _ in stream:
                pass
    assert "idle (end_turn)" in info.value.message and "Break out of the loop" in info.value.message


def test_a_loop_that_stops_is_untouched_and_other_requests_keep_their_timeouts(server):
    client = _clients(server)["replay"]
    env, agent, log_file = resources.ensure_all(client)
    session = resources.new_session(client, agent, env, log_file)
    with client.beta.sessions.events.stream(session.id, timeout=TIMEOUT) as stream:
        client.beta.sessions.events.send(session.id, events=[MESSAGE])
        for event in stream:
            if event.type == "session.status_idle":
                break
    time.sleep(TIMEOUT + 0.3)  # the stream's timer is gone with it: nothing fires later
    assert client.beta.sessions.retrieve(session.id, timeout=0.5).status == "idle"


def test_loop_run_reconnects_a_stream_that_reached_its_deadline():
    """loop.run gives each stream what is left of its own deadline; a stream ended by the client's (a run without a
    timeout, past the SDK's 600 s default) is a connection to open again, not an error."""
    assert helpers.loop._retryable(deadline.StreamDeadline("…", 600.0))


def test_the_deadline_is_the_requests_read_timeout():
    class Request:
        def __init__(self, timeout):
            self.extensions = {"timeout": timeout}

    assert deadline.deadline_of(Request({"connect": 5.0, "read": 60.0, "write": 60.0, "pool": 60.0})) == 60.0
    assert deadline.deadline_of(Request({"connect": 5.0, "read": None})) is None
    assert deadline.deadline_of(Request(None)) is None


def test_the_message_reads_only_whole_frames():
    idle = (b'event: session.status_idle\ndata: {"type":"session.status_idle","id":"sevt_1",'
            b'"stop_reason":{"type":"requires_action","event_ids":["sevt_0"]}}\n\n')
    text = deadline.deadline_message(b": keepalive\n\n" + idle + b"event: ping\ndata: {}\n\n: keepalive\n\n", 60)
    assert text == deadline.deadline_message(idle.replace(b"event: session.status_idle\n", b""), 60)  # "event:" optional
    assert "idle (requires_action)" in text and "sevt_0" in text
    cut = deadline.deadline_message(idle + b'event: agent.message\ndata: {"type":"agent.mes', 60)
    assert "idle (requires_action)" in cut  # the cut frame is left out, not misread
    working = deadline.deadline_message(b'event: agent.tool_use\ndata: {"type":"agent.tool_use","id":"x"}\n\n', 60)
    assert "still working (the last event was agent.tool_use)" in working and "longer timeout=" in working
