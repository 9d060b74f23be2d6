"""The stub's optional safety net (``idle_stream_timeout``): a stream whose session has sat idle that long is ended
with an SSE error frame that the SDK raises in the loop, saying what to fix. Off by default, and ``helpers.connect()``
leaves it off: the service keeps a stream open while its session idles, so the notebooks' loops carry their own
deadline instead, the same offline and live (helpers/deadline.py, tests/test_stream_deadline.py). It stays for
other clients of ``python -m helpers.stub``.
"""
from __future__ import annotations

import threading
import time

import anthropic

from helpers import client as hc
from helpers import resources, stub
from support.fixtures import sdk_client

MESSAGE = "Checkout p99 is 10x since 14:07Z. Find the root cause."


def _run_forgetful_loop(server, box: dict) -> None:
    """The learner's loop from notebook 03 without its stop condition (it never breaks)."""
    c = sdk_client(server)
    env, agent, log_file = resources.ensure_all(c)
    session = resources.new_session(c, agent, env, log_file)
    with c.beta.sessions.events.stream(session.id) as stream:
        c.beta.sessions.events.send(session.id, events=[
            {"type": "user.message", "content": [{"type": "text", "text": MESSAGE}]}])
        box["types"] = []
        try:
            for ev in stream:  # no break: waits for more after requires_action
                box["types"].append(ev.type)
        except anthropic.APIStatusError as e:
            box["error"] = e


def _run_in_thread(server, seconds: float) -> dict:
    box: dict = {}
    t = threading.Thread(target=_run_forgetful_loop, args=(server, box), daemon=True)
    started = time.monotonic()
    t.start()
    t.join(seconds)
    box["ended"] = not t.is_alive()
    box["elapsed"] = time.monotonic() - started
    return box


def test_idle_stream_closes_after_the_timeout():
    with stub.start(keepalive=0.1, idle_stream_timeout=0.5) as server:
        box = _run_in_thread(server, 15)
    assert box["ended"], "the stream stayed open although the session was idle past the timeout"
    assert box["types"][-1] == "session.status_idle"  # stopped at requires_action: the custom tool call
    assert "agent.custom_tool_use" in box["types"]
    # the learner sees why, in their own cell: an API error naming what to do
    msg = box["error"].message
    assert "idle (requires_action)" in msg and "your loop is still reading it" in msg
    assert "user.custom_tool_result" in msg and "sevt_" in msg


def test_without_the_timeout_the_stream_stays_open_as_the_service_does():
    with stub.start(keepalive=0.1) as server:
        box = _run_in_thread(server, 2.0)
        assert not box["ended"], "with no idle_stream_timeout the stub must keep the stream open, like the service"
    # stopping the server ends the thread's stream


def test_connect_leaves_the_safety_net_off_as_the_service_does():
    server = hc.stub_server()
    assert server.backend.idle_stream_timeout is None


def test_a_loop_reading_a_finished_session_is_told_to_break():
    with stub.start(keepalive=0.1, idle_stream_timeout=0.3) as server:
        c = sdk_client(server)
        env, agent, log_file = resources.ensure_all(c)
        session = resources.new_session(c, agent, env, log_file)
        started = time.monotonic()
        try:
            with c.beta.sessions.events.stream(session.id) as stream:
                for _ in stream:
                    pass
        except anthropic.APIStatusError as e:
            assert "idle (end_turn)" in e.message and "Break out of the loop on session.status_idle" in e.message
        else:
            raise AssertionError("the stream of an idle session ended without saying why")
        assert time.monotonic() - started < 5


def test_a_loop_that_sent_before_opening_the_stream_is_told_so():
    with stub.start(keepalive=0.1, idle_stream_timeout=0.3) as server:
        c = sdk_client(server)
        env, agent, log_file = resources.ensure_all(c)
        session = resources.new_session(c, agent, env, log_file)
        c.beta.sessions.events.send(session.id, events=[
            {"type": "user.message", "content": [{"type": "text", "text": MESSAGE}]}])
        time.sleep(0.2)  # the turn plays out (instant) before the stream opens
        try:
            with c.beta.sessions.events.stream(session.id) as stream:
                for _ in stream:
                    pass
        except anthropic.APIStatusError as e:
            assert "Your stream received none of the session's events" in e.message
            assert "Open the stream first" in e.message
        else:
            raise AssertionError("no error")
