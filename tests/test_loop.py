"""helpers.loop.run against the real anthropic SDK.

Most tests drive a tiny scripted server (tests/support/scripted_server.py) that speaks the wire format of the
events endpoints (stream, list with pagination, send), so they can drop streams, lose events in the gap, send
duplicates and hang; the last tests run the project's replay stub with its recordings.
No SDK object is mocked or patched.
"""
from __future__ import annotations

import time

import anthropic
import pytest

from helpers import loop
from support import scripted_server
from support.scripted_server import SID, Script, Silent, ev, idle, msg, tool_use


@pytest.fixture
def serve():
    servers = []

    def start(script: Script):
        server, client = scripted_server.start(script)
        servers.append(server)
        return client

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def run(client, message="Investigate", **kw):
    kw.setdefault("render", False)
    kw.setdefault("timeout", 10)
    return loop.run(client, SID, message, **kw)


class TestTurn:
    """One turn: the stream opens first, each custom tool call is answered once, the turn ends at its stop."""

    def test_opens_stream_first_answers_tool_and_stops_on_end_turn(self, serve):
        script = Script([
            ("wait", "user.message"),
            ("emit", ev("session.status_running", "sevt_r1")),
            ("emit", tool_use("sevt_t1", service="checkout")),
            ("emit", idle("sevt_i1", "requires_action", event_ids=["sevt_t1"])),
            ("wait", "user.custom_tool_result"),
            ("emit", msg("sevt_m1", "dep_4820 did it")),
            ("emit", idle("sevt_i2")),
        ])
        client = serve(script)
        seen = []
        calls = []

        def handler(name, inp):
            calls.append((name, inp))
            return "p99 10x"

        result = run(client, handle_tool=handler, on_event=seen.append)
        assert result.stop_reason == "end_turn"
        assert result.text == "dep_4820 did it"
        assert calls == [("get_metrics", {"service": "checkout"})]
        # the stream was opened before the message was sent
        opened = script.requests.index(f"GET /v1/sessions/{SID}/events/stream")
        assert opened < script.requests.index(f"POST /v1/sessions/{SID}/events")
        sent_result = [e for e in script.sent if e["type"] == "user.custom_tool_result"]
        assert sent_result == [{"type": "user.custom_tool_result", "custom_tool_use_id": "sevt_t1",
                                "content": [{"type": "text", "text": "p99 10x"}]}]
        assert [t.id for t in result.tool_calls] == ["sevt_t1"]
        ids = [e.id for e in seen]
        assert len(ids) == len(set(ids)) and ids[-1] == "sevt_i2"
        assert result.types == [e.type for e in seen]

    @pytest.mark.parametrize("handler,expected", [
        (lambda n, i: 1 / 0, "get_metrics failed: ZeroDivisionError: division by zero"),
        (lambda n, i: ("no such service", True), "no such service"),
    ])
    def test_handler_errors_become_is_error_results(self, serve, handler, expected):
        script = Script([
            ("wait", "user.message"),
            ("emit", tool_use("sevt_t1")),
            ("wait", "user.custom_tool_result"),
            ("emit", idle("sevt_i2")),
        ])
        result = run(serve(script), handle_tool=handler)
        [sent] = [e for e in script.sent if e["type"] == "user.custom_tool_result"]
        assert sent["is_error"] is True and sent["content"][0]["text"] == expected
        assert result.tool_calls[0].is_error and result.stop_reason == "end_turn"

    def test_duplicate_tool_use_is_answered_once(self, serve):
        t = tool_use("sevt_t1")
        script = Script([
            ("wait", "user.message"),
            ("emit", t), ("emit", t),
            ("emit", idle("sevt_i1", "requires_action", event_ids=["sevt_t1"])),
            ("wait", "user.custom_tool_result"),
            ("emit", idle("sevt_i2")),
        ])
        result = run(serve(script), handle_tool=lambda n, i: "ok")
        assert [e["type"] for e in script.sent].count("user.custom_tool_result") == 1
        assert len(result.tool_calls) == 1 and result.stop_reason == "end_turn"


class TestNeverHangs:
    """Every way a session can stop, or never stop, ends the run: a result, or a clear error within its timeout."""

    def test_requires_action_without_handler_returns_pending(self, serve):
        script = Script([
            ("wait", "user.message"),
            ("emit", tool_use("sevt_t1")),
            ("emit", idle("sevt_i1", "requires_action", event_ids=["sevt_t1"])),
            ("hang",),
        ])
        started = time.monotonic()
        result = run(serve(script))
        assert result.stop_reason == "requires_action" and result.pending == ["sevt_t1"]
        assert time.monotonic() - started < 3

    def test_tool_confirmation_returns_pending_or_uses_confirm(self, serve):
        use = ev("agent.tool_use", "sevt_b1", name="bash", input={"command": "rm -rf /"}, evaluated_permission="ask")
        steps = [
            ("wait", "user.message"),
            ("emit", use),
            ("emit", idle("sevt_i1", "requires_action", event_ids=["sevt_b1"])),
        ]
        result = run(serve(Script(steps + [("hang",)])), handle_tool=lambda n, i: "x")
        assert result.stop_reason == "requires_action" and result.pending == ["sevt_b1"]

        script = Script(steps + [("wait", "user.tool_confirmation"), ("emit", idle("sevt_i2"))])
        result = run(serve(script), confirm=lambda e: "deny")
        assert result.stop_reason == "end_turn"
        assert {"type": "user.tool_confirmation", "tool_use_id": "sevt_b1", "result": "deny"} in script.sent

    @pytest.mark.parametrize("reason", ["retries_exhausted", "budget_reached", "refusal"])
    def test_stops_on_other_idle_reasons(self, serve, reason):
        script = Script([("wait", "user.message"), ("emit", idle("sevt_i1", reason)), ("hang",)])
        assert run(serve(script)).stop_reason == reason

    def test_stops_on_termination(self, serve):
        script = Script([
            ("wait", "user.message"),
            ("emit", ev("session.error", "sevt_e1",
                        error={"type": "unknown_error", "message": "boom", "retry_status": {"type": "terminal"}})),
            ("emit", ev("session.status_terminated", "sevt_x1")),
            ("hang",),
        ])
        result = run(serve(script))
        assert result.stop_reason == "terminated" and result.types[-1] == "session.status_terminated"

    def test_timeout_raises_a_clear_error(self, serve):
        script = Script([("wait", "user.message"), ("emit", ev("session.status_running", "sevt_r1")), ("hang",)])
        started = time.monotonic()
        with pytest.raises(loop.LoopTimeout, match="no stop within 1s.*session.status_running"):
            run(serve(script), timeout=1)
        assert time.monotonic() - started < 4

    def test_stream_that_keeps_ending_raises(self, serve):
        script = Script([("wait", "user.message")] + [("drop",)] * 20)
        with pytest.raises(loop.LoopError, match="ended .* times in a row"):
            run(serve(script), max_reconnects=2)

    @pytest.mark.parametrize("hang", ["stream", "list", "send"])
    def test_timeout_holds_when_a_request_never_answers(self, hang):
        silent = Silent(hang)
        started = time.monotonic()
        try:
            with pytest.raises(loop.LoopTimeout, match="no stop within 1s"):
                loop.run(silent.client, SID, "Investigate", render=False, timeout=1)
            elapsed = time.monotonic() - started
        finally:
            silent.close()
        assert silent.hung >= 1, f"the {hang} request was never made"
        assert elapsed < 4, f"loop.run(timeout=1) ran {elapsed:.1f}s with a {hang} request that never answers"


class TestReconnect:
    """A dropped stream is reopened, the history read for what was missed, nothing seen twice; joining a session
    picks up where it stands."""

    def test_reconnect_lists_history_and_skips_seen(self, serve):
        old = [ev("user.message", "sevt_old1", content=[{"type": "text", "text": "earlier"}]), idle("sevt_old2")]
        script = Script([
            ("wait", "user.message"),
            ("emit", ev("session.status_running", "sevt_r1")),
            ("emit", tool_use("sevt_t1")),
            ("drop",),                           # the stream dies here
            ("silent", msg("sevt_m1", "lost in the gap")),  # produced while nobody listened
            ("wait", "user.custom_tool_result"),
            ("emit", msg("sevt_m2", "done")),
            ("emit", idle("sevt_i2")),
        ], history=old, page_size=2)
        seen = []
        result = run(serve(script), handle_tool=lambda n, i: "ok", on_event=seen.append)
        ids = [e.id for e in seen]
        assert result.stop_reason == "end_turn" and result.reconnects >= 1
        assert "sevt_m1" in ids, "the event produced while disconnected was recovered from the history"
        assert len(ids) == len(set(ids)), "no event delivered twice"
        assert "sevt_old1" not in ids and "sevt_old2" not in ids, "history from before the run is not replayed"
        assert [e["type"] for e in script.sent].count("user.custom_tool_result") == 1
        assert result.messages == ["lost in the gap", "done"]

    def test_continue_without_message_answers_pending_tool(self, serve):
        """message=None: pick up a session that is already waiting on a custom tool."""
        history = [
            ev("user.message", "sevt_u1", content=[{"type": "text", "text": "go"}]),
            tool_use("sevt_t1"),
            idle("sevt_i1", "requires_action", event_ids=["sevt_t1"]),
        ]
        script = Script([("wait", "user.custom_tool_result"), ("emit", msg("sevt_m1", "thanks")), ("emit", idle("sevt_i2"))],
                        history=history)
        result = run(serve(script), message=None, handle_tool=lambda n, i: "ok")
        assert result.stop_reason == "end_turn" and result.text == "thanks"
        assert not [e for e in script.sent if e["type"] == "user.message"]

    def test_joining_renders_what_came_before_first(self, serve, capsys):
        """A follower that joins a session under way (a deployment's run in 07) shows its story from the first event, then
        its own answer: its output never starts with a user.custom_tool_result that answers nothing on screen."""
        history = [
            ev("user.message", "sevt_u1", content=[{"type": "text", "text": "ALERT checkout-latency"}]),
            tool_use("sevt_t1"),
            idle("sevt_i1", "requires_action", event_ids=["sevt_t1"]),
        ]
        script = Script([("wait", "user.custom_tool_result"), ("emit", msg("sevt_m1", "thanks")), ("emit", idle("sevt_i2"))],
                        history=history)
        run(serve(script), message=None, handle_tool=lambda n, i: "ok", render=True)
        out = capsys.readouterr().out
        order = [out.find(text) for text in ("ALERT checkout-latency", "agent.custom_tool_use", "(joined: the 3 events above",
                                             "thanks")]  # (this fake server echoes no user.custom_tool_result; the stub does)
        assert all(i >= 0 for i in order) and order == sorted(order), out

    def test_continue_after_an_interrupt_does_not_answer_the_calls_it_abandoned(self, serve):
        """An interrupt abandons the tool calls waiting before it (the session takes no answer to them): following the
        session afterwards answers nothing and returns its idle."""
        history = [
            ev("user.message", "sevt_u1", content=[{"type": "text", "text": "go"}]),
            tool_use("sevt_t1"),
            idle("sevt_i1", "requires_action", event_ids=["sevt_t1"]),
            ev("user.interrupt", "sevt_x1"),
            idle("sevt_i2"),
        ]
        script = Script([("hang",)], history=history)
        result = run(serve(script), message=None, handle_tool=lambda n, i: "ok")
        assert result.stop_reason == "end_turn" and script.sent == [] and result.tool_calls == []

    def test_continue_after_an_interrupt_sent_to_an_idle_session_returns_its_stop(self, serve):
        """An interrupt that reached a session already idle starts nothing: following it returns the stop at once
        (it waited for work that never came)."""
        script = Script([("hang",)], history=[msg("sevt_m0", "hi"), idle("sevt_i0"), ev("user.interrupt", "sevt_x0")])
        started = time.monotonic()
        result = run(serve(script), message=None, timeout=5)
        assert result.stop_reason == "end_turn" and time.monotonic() - started < 2

    def test_continue_on_an_idle_session_returns_at_once(self, serve):
        script = Script([("hang",)], history=[msg("sevt_m0", "hi"), idle("sevt_i0")])
        started = time.monotonic()
        result = run(serve(script), message=None)
        assert result.stop_reason == "end_turn" and time.monotonic() - started < 2


@pytest.fixture(scope="module")
def replay():
    import helpers
    from helpers import resources

    client = helpers.connect("replay", speed="instant")
    env, agent, log_file = resources.ensure_all(client)
    return client, lambda **kw: resources.new_session(client, agent, env, log_file, **kw)


class TestOnTheReplayStub:
    """The project's stub and its recordings, end to end."""

    def test_incident_recording_end_to_end(self, replay):
        from helpers import incident

        client, new_session = replay
        session = new_session(title="test_loop")
        result = loop.run(client, session.id, "Incident-2277: checkout p99 is 10x. Find the root cause.",
                          handle_tool=incident.handle_tool, render=False, timeout=60)
        assert result.stop_reason == "end_turn"
        assert {c.name for c in result.tool_calls} >= {"get_metrics", "list_deploys", "get_diff"}
        assert "dep_4820" in result.text
        # a second run on the same session is a new turn, not a replay of the first
        again = loop.run(client, session.id, "Anything else?", render=False, timeout=30)
        assert again.stop_reason == "end_turn" and not set(e.id for e in again.events) & set(e.id for e in result.events)

    def test_recording_without_handler_stops_at_requires_action(self, replay):
        client, new_session = replay
        session = new_session(title="test_loop no handler")
        result = loop.run(client, session.id, "Incident-2277: checkout p99 is 10x.", render=False, timeout=30)
        assert result.stop_reason == "requires_action" and len(result.pending) == 1
        assert result.types[-1] == "session.status_idle"

    def test_renders_one_line_per_event_and_sends_event_dicts(self, serve, capsys):
        outcome = {"type": "user.message", "content": [{"type": "text", "text": "as an event dict"}]}
        script = Script([
            ("wait", "user.message"),
            ("emit", msg("sevt_m1", "\x1b[2Jdep_4820")),
            ("emit", idle("sevt_i1")),
        ])
        result = loop.run(serve(script), SID, [outcome], render=True, timeout=10)
        assert result.stop_reason == "end_turn"
        assert script.sent == [outcome]
        assert capsys.readouterr().out.splitlines() == [
            "agent.message             dep_4820",
            "session.status_idle       idle: end_turn",
        ]


def _turn_with_tool():
    return [
        ("wait", "user.message"),
        ("emit", tool_use("sevt_t1")),
        ("emit", idle("sevt_i1", "requires_action", event_ids=["sevt_t1"])),
        ("wait", "user.custom_tool_result"),
        ("emit", msg("sevt_m1", "done")),
        ("emit", idle("sevt_i2")),
    ]


class TestErrors:
    """Errors: the learner's are raised (with the API's reason), the network's retried."""

    @pytest.mark.parametrize("message,error,match", [
        ("TODO", ValueError, r"message is still the TODO placeholder"),
        (["TODO"], ValueError, r"message\[0\] is still the TODO placeholder"),
        ({"type": "user.message", "content": [{"type": "text", "text": "TODO"}]}, ValueError,
         r"message\['content'\]\[0\]\['text'\] is still the TODO placeholder"),
        ([42], TypeError, r"message\[0\] is a int .*pass a str, or an event dict"),
        ([{"text": "hi"}], ValueError, r"message\[0\] has no 'type'"),
    ])
    def test_bad_message_is_rejected_before_anything_is_sent(self, serve, message, error, match):
        from helpers import check

        def todo(value):  # put the real placeholder where the parametrization says "TODO"
            if value == "TODO":
                return check.TODO
            if isinstance(value, list):
                return [todo(v) for v in value]
            if isinstance(value, dict):
                return {k: todo(v) for k, v in value.items()}
            return value

        script = Script(_turn_with_tool())
        started = time.monotonic()
        with pytest.raises(error, match=match):
            run(serve(script), todo(message), timeout=3)
        assert time.monotonic() - started < 1 and script.requests == []

    def test_a_message_that_cannot_be_sent_raises_its_own_error_at_once(self, serve):
        script = Script(_turn_with_tool())
        started = time.monotonic()
        with pytest.raises(TypeError, match="not JSON serializable"):
            run(serve(script), {"type": "user.message", "content": [{"type": "text", "text": object()}]}, timeout=5)
        assert time.monotonic() - started < 2 and script.stream_opens == 1

    @pytest.mark.parametrize("fail_post,expect_messages", [(0, 1), (1, 1)])
    def test_a_send_that_fails_on_a_5xx_is_resent_after_the_reconnect(self, serve, fail_post, expect_messages):
        """POST 0 is the message, POST 1 the tool result: whichever fails with a 503 goes out again, once."""
        script = Script(_turn_with_tool(), fail_posts={fail_post: 503})
        calls = []
        result = run(serve(script), handle_tool=lambda n, i: calls.append(n) or "ok")
        assert result.stop_reason == "end_turn" and result.reconnects >= 1
        assert [e["type"] for e in script.sent] == ["user.message", "user.custom_tool_result"]
        assert len(calls) == 1 and len(result.tool_calls) == 1, "the handler ran once; only the send was retried"

    def test_a_4xx_on_send_is_raised_with_its_message(self, serve):
        script = Script(_turn_with_tool(), fail_posts={0: 400})
        with pytest.raises(anthropic.BadRequestError, match="scripted 400"):
            run(serve(script), timeout=5)
        assert script.stream_opens == 1

    def test_on_event_error_propagates_after_the_tool_call_is_answered(self, serve):
        script = Script(_turn_with_tool() + [("hang",)])

        def on_event(event):
            if event.type == "agent.custom_tool_use":
                raise KeyError("my dashboard bug")

        started = time.monotonic()
        with pytest.raises(KeyError, match="my dashboard bug") as excinfo:
            run(serve(script), handle_tool=lambda n, i: "ok", on_event=on_event, timeout=5)
        assert time.monotonic() - started < 2
        assert excinfo.traceback[-1].name == "on_event", "the original traceback, down to the learner's line"
        assert [e["type"] for e in script.sent] == ["user.message", "user.custom_tool_result"]
        assert script.stream_opens == 1

    def test_confirm_error_propagates(self, serve):
        use = ev("agent.tool_use", "sevt_b1", name="bash", input={"command": "ls"}, evaluated_permission="ask")
        script = Script([("wait", "user.message"), ("emit", use),
                         ("emit", idle("sevt_i1", "requires_action", event_ids=["sevt_b1"])), ("hang",)])
        with pytest.raises(ZeroDivisionError):
            run(serve(script), confirm=lambda e: 1 / 0, timeout=5)
        assert script.stream_opens == 1

    def test_an_error_frame_in_the_stream_is_raised_not_retried(self, serve):
        """What the stub sends on a stream left open on an idle session: a learner-facing error, not a drop."""
        body = {"type": "error", "error": {"type": "invalid_request_error",
                                           "message": "this loop is still reading an idle session"}}
        script = Script([("wait", "user.message"), ("emit", ev("session.status_running", "sevt_r1")), ("error", body),
                         ("emit", idle("sevt_i1"))])
        started = time.monotonic()
        with pytest.raises(anthropic.APIStatusError, match="still reading an idle session"):
            run(serve(script), timeout=5)
        assert time.monotonic() - started < 2 and script.stream_opens == 1

    def test_an_overloaded_error_frame_reconnects(self, serve):
        body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        script = Script([("wait", "user.message"), ("emit", ev("session.status_running", "sevt_r1")), ("error", body),
                         ("emit", msg("sevt_m1", "still here")), ("emit", idle("sevt_i1"))])
        result = run(serve(script))
        assert result.stop_reason == "end_turn" and result.reconnects == 1 and result.text == "still here"
        assert [e["type"] for e in script.sent] == ["user.message"], "the message was sent once"


OUTCOME = {"type": "user.define_outcome", "description": "A postmortem of Incident-2277.",
           "rubric": {"type": "text", "content": "- names dep_4820"}, "max_iterations": 3}


class TestArguments:
    """Friendlier arguments: what run() accepts, and what it refuses at once with a clear message."""

    def test_timeout_none_means_no_limit(self, serve):
        script = Script(_turn_with_tool())
        result = run(serve(script), handle_tool=lambda n, i: "ok", timeout=None)
        assert result.stop_reason == "end_turn"

    def test_async_client_is_refused_with_a_clear_error(self, serve):
        script = Script(_turn_with_tool())
        sync = serve(script)
        aclient = anthropic.AsyncAnthropic(api_key="test", base_url=str(sync.base_url))
        started = time.monotonic()
        with pytest.raises(TypeError, match=r"loop.run needs the sync client: .*helpers.connect\(\)"):
            run(aclient)
        assert time.monotonic() - started < 1 and script.requests == []

    @pytest.mark.parametrize("session", [type("Session", (), {"id": SID})(), {"id": SID, "status": "idle"}])
    def test_a_session_object_is_taken_for_its_id(self, serve, session):
        script = Script(_turn_with_tool())
        result = loop.run(serve(script), session, "go", handle_tool=lambda n, i: "ok", render=False, timeout=10)
        assert result.stop_reason == "end_turn" and result.session_id == SID
        assert f"GET /v1/sessions/{SID}/events/stream" in script.requests

    def test_a_session_that_is_neither_is_refused(self, serve):
        with pytest.raises(TypeError, match="pass session.id"):
            loop.run(serve(Script([])), 42, "go", render=False, timeout=2)

    def test_an_outcome_alone_starts_the_work(self, replay):
        """"The agent begins work on receipt" of a user.define_outcome (the SDK's docstring): no user.message needed."""
        from helpers import incident

        client, new_session = replay
        session = new_session(title="test_loop outcome alone", metadata={"recording": "outcome"})
        run = loop.run(client, session.id, OUTCOME, handle_tool=incident.handle_tool, render=False, timeout=60)
        assert run.stop_reason == "end_turn"
        assert [e.result for e in client.beta.sessions.retrieve(session.id).outcome_evaluations] == [
            "needs_revision", "satisfied"]

    def test_confirm_may_return_the_event_and_nothing_else(self, serve):
        use = ev("agent.tool_use", "sevt_b1", name="bash", input={"command": "ls"}, evaluated_permission="ask")
        steps = [("wait", "user.message"), ("emit", use), ("emit", idle("sevt_i1", "requires_action", event_ids=["sevt_b1"]))]
        script = Script(steps + [("wait", "user.tool_confirmation"), ("emit", idle("sevt_i2"))])
        event = {"type": "user.tool_confirmation", "tool_use_id": "sevt_b1", "result": "deny", "deny_message": "no"}
        assert run(serve(script), confirm=lambda e: event).stop_reason == "end_turn"
        assert event in script.sent
        with pytest.raises(ValueError, match=r"confirm\(\) returned 'Allow'; return \"allow\", \"deny\""):
            run(serve(Script(steps + [("hang",)])), confirm=lambda e: "Allow")

    def test_nothing_to_send_on_a_session_never_started_is_refused_at_once(self, replay):
        client, new_session = replay
        session = new_session(title="test_loop never started")
        started = time.monotonic()
        with pytest.raises(ValueError, match="has not been started"):
            loop.run(client, session.id, render=False, timeout=30)
        with pytest.raises(ValueError, match="message is empty"):
            loop.run(client, session.id, [], render=False, timeout=30)
        assert time.monotonic() - started < 5
