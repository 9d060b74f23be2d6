"""helpers.render: one safe, readable line per event, from SDK objects and dicts alike."""
from __future__ import annotations

import json

import pytest
from anthropic._models import construct_type
from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent

from helpers import render

T0 = "2026-04-01T12:00:00Z"

EVENTS = [
    ({"type": "user.message", "content": [{"type": "text", "text": "Find the root cause"}]}, "Find the root cause"),
    ({"type": "agent.message", "content": [{"type": "text", "text": "dep_4820 did it"}]}, "dep_4820 did it"),
    ({"type": "agent.thinking"}, "…"),
    ({"type": "agent.tool_use", "name": "bash", "input": {"command": "grep -c x /mnt/session/uploads/app.log"}},
     "bash grep -c x /mnt/session/uploads/app.log"),
    ({"type": "agent.tool_use", "name": "bash", "input": {"command": "ls"}, "evaluated_permission": "ask"},
     "[waiting for your confirmation]"),
    ({"type": "agent.mcp_tool_use", "mcp_server_name": "statuspage", "name": "post", "evaluated_permission": "ask",
      "input": {"message": "x" * 400}}, "xxx… [waiting for your confirmation]"),  # a long call keeps the marker
    ({"type": "agent.tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "70000"}]}, "ok: 70000"),
    ({"type": "agent.tool_result", "tool_use_id": "t", "is_error": True, "content": [{"type": "text", "text": "nope"}]},
     "error: nope"),
    ({"type": "agent.custom_tool_use", "name": "get_metrics", "input": {"service": "checkout"}},
     'get_metrics(service="checkout")'),
    ({"type": "user.custom_tool_result", "custom_tool_use_id": "x", "content": [{"type": "text", "text": "p99"}]},
     "→ result p99"),
    ({"type": "user.tool_confirmation", "tool_use_id": "x", "result": "deny", "deny_message": "no"}, "deny (no)"),
    ({"type": "user.interrupt"}, "stop"),
    ({"type": "session.status_idle", "stop_reason": {"type": "end_turn"}}, "idle: end_turn"),
    ({"type": "session.status_idle", "stop_reason": {"type": "requires_action", "event_ids": ["a", "b"]}}, "waiting on 2 events"),
    ({"type": "session.status_idle", "stop_reason": {"type": "refusal"},
      "stop_details": {"type": "refusal", "category": "cyber"}}, "refusal (cyber)"),
    ({"type": "session.status_running"}, "running"),
    ({"type": "session.status_rescheduled"}, "rescheduling"),
    ({"type": "session.status_terminated"}, "terminated"),
    ({"type": "session.error",
      "error": {"type": "model_overloaded_error", "message": "Overloaded", "retry_status": {"type": "retrying"}}},
     "model_overloaded_error: Overloaded (retry: retrying)"),
    ({"type": "span.model_request_end", "model_request_start_id": "s", "model_usage": {"input_tokens": 10, "output_tokens": 5,
      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 7}}, "tokens in=10 out=5 cache_read=7"),
    ({"type": "session.usage", "usage": {"input_tokens": 61, "output_tokens": 1582, "cache_read_input_tokens": 68735,
      "cache_creation": {"ephemeral_5m_input_tokens": 8067}, "list_cost": {"amount": "7", "currency": "USD"},
      "active_seconds": 41.25}, "budget": {"type": "limit", "max_list_cost": {"amount": "300", "currency": "USD"}}},
     "so far: tokens in=61 out=1582 cache_read=68735 cache_write=8067 · list cost $0.07 of a $3.00 budget · 41.2 s active"),
    ({"type": "session.usage", "usage": {"active_seconds": 0.0, "list_cost": {"amount": "0", "currency": "USD"}},
      "budget": None}, "so far: tokens in=0 out=0 · list cost $0.00 · 0.0 s active"),
    ({"type": "span.outcome_evaluation_end", "outcome_id": "o", "iteration": 1, "outcome_evaluation_start_id": "s",
      "explanation": "names the deploy", "result": "satisfied", "usage": {"input_tokens": 1, "output_tokens": 1,
      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}, "outcome satisfied (iteration 1): names the deploy"),
]


@pytest.mark.parametrize("event,expected", EVENTS, ids=[e[0]["type"] + str(i) for i, e in enumerate(EVENTS)])
def test_line_per_type_from_dicts_and_sdk_objects(event, expected):
    event = dict(event, id="sevt_1", processed_at=T0)
    text = render.line(event)
    assert text.startswith(event["type"]) and expected in text
    sdk = construct_type(type_=BetaManagedAgentsSessionEvent, value=json.loads(json.dumps(event)))
    assert type(sdk).__name__ != "dict" and render.line(sdk) == text


def test_recording_lines_and_unknown_types():
    assert "idle: end_turn" in render.line({"event": {"type": "session.status_idle", "stop_reason": {"type": "end_turn"}}})
    assert render.line({"type": "brand.new", "x": 1}) == "brand.new                 x=1"


def test_escape_sequences_and_control_characters_are_neutralised():
    nasty = "ok\x1b[2J\x1b[31mred\x1b[0m\x1b]0;title\x07\nnext\rline\x00\x08\u202eevil"
    text = render.line({"type": "agent.message", "content": [{"type": "text", "text": nasty}]})
    assert "\x1b" not in text and "\n" not in text and "\r" not in text
    assert all(ord(c) >= 32 for c in text)
    assert "okred" in text and "⏎ next" in text and "\\x00" in text and "\\u202e" in text


def test_long_text_is_truncated():
    text = render.line({"type": "agent.message", "content": [{"type": "text", "text": "x" * 5000}]})
    assert len(text) == render.WIDTH and text.endswith("…")
    assert len(render.line({"type": "agent.message", "content": [{"type": "text", "text": "y" * 500}]}, width=None)) > 500


def test_html_is_escaped_and_coloured_by_domain():
    message = {"type": "agent.message", "content": [{"type": "text", "text": "<script>alert(1)</script>"}]}
    html = render.Line(message)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and render.DOMAIN_COLOURS["agent"] in html
    err = render.Line({"type": "session.error", "error": {"type": "x", "message": "m", "retry_status": {"type": "terminal"}}})
    assert render.DOMAIN_COLOURS["error"] in err._repr_html_()


def test_show_prints_plain_text_outside_jupyter(capsys):
    render.show({"type": "session.status_running", "id": "s"})
    assert capsys.readouterr().out == "session.status_running    running\n"


def test_a_broken_event_never_breaks_rendering():
    assert "could not render" in render.line({"type": "agent.message", "content": 5})


def test_html_keeps_a_long_event_type_whole():
    """A type longer than the type column (span.outcome_evaluation_start) is never cut mid-word."""
    from helpers import render as _render

    long_type = "span.outcome_evaluation_start"
    assert len(long_type) > _render.TYPE_COLUMN - 1
    html_line = _render.Line({"type": long_type, "id": "sevt_1", "outcome_id": "outc_1", "iteration": 0})._repr_html_()
    assert f">{long_type} </span>" in html_line, html_line
    short = _render.Line({"type": "agent.message", "content": [{"type": "text", "text": "hi"}]})._repr_html_()
    assert ">agent.message" + " " * (_render.TYPE_COLUMN - len("agent.message")) + "</span>hi<" in short, short


def test_a_long_custom_tool_call_keeps_its_note():
    """Walkthrough 1: 04's first agent.custom_tool_use (get_metrics with six arguments) was cut before
    "← your laptop answers this", which every shorter call shows. The arguments are cut instead."""
    call = {"type": "agent.custom_tool_use", "id": "sevt_1", "name": "get_metrics",
            "input": {"service": "checkout", "metric": "p99_ms", "start": "2026-11-18T13:00:00Z",
                      "end": "2026-11-18T15:30:00Z", "step": "15m", "compare_at": "2026-11-18T14:07:00Z"}}
    text = render.line(call)
    assert len(text) <= render.WIDTH and text.endswith("← your laptop answers this"), text
    assert 'get_metrics(service="checkout", metric="p99_ms"' in text and "…" in text
    short = render.line({**call, "input": {"service": "checkout"}})
    assert short.endswith('get_metrics(service="checkout") ← your laptop answers this'), short
