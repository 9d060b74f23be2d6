"""A client-side probe of the stub, shared by its test (tests/test_stub_replay.py) and its benchmark
(benchmarks/bench_stub.py): many sessions at once, nothing lost.

Each probe session streams one turn through the real ``AsyncAnthropic`` client, answers every pause
(custom tool results, tool confirmations "allow"), and then checks that the stream delivered exactly
the session's history, in order, as ``events.list`` returns it.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from helpers.events import custom_tool_result, tool_confirmation

__all__ = ["one_session", "concurrent_sessions"]


def _answers(ev: Any, seen: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    """The events that answer every id an idle ``requires_action`` waits on."""
    return [custom_tool_result(x, tag) if seen[x].type == "agent.custom_tool_use" else tool_confirmation(x, "allow")
            for x in ev.stop_reason.event_ids]


async def one_session(ac: Any, env_id: str, agent_id: str, message: str, *, tag: str = "ok",
                      metadata: dict[str, str] | None = None) -> tuple[bool, int]:
    """Run one turn to its end; returns (stream == history, number of events in the history)."""
    s = await ac.beta.sessions.create(agent=agent_id, environment_id=env_id, metadata=metadata or {})
    stream = await ac.beta.sessions.events.stream(s.id)
    await ac.beta.sessions.events.send(s.id, events=[
        {"type": "user.message", "content": [{"type": "text", "text": message}]}])
    seen: dict[str, Any] = {}
    async for ev in stream:
        seen[ev.id] = ev
        if ev.type == "session.status_idle":
            if ev.stop_reason.type != "requires_action":
                break
            await ac.beta.sessions.events.send(s.id, events=_answers(ev, seen, tag))
    await stream.close()
    history = [e.id async for e in ac.beta.sessions.events.list(s.id, limit=1000)]
    return list(seen) == history, len(history)


async def concurrent_sessions(url: str, env_id: str, agent_id: str, n: int, message: str, *,
                              metadata: dict[str, str] | None = None) -> tuple[float, list[tuple[bool, int]]]:
    """``n`` probe sessions at once against the stub at ``url``; returns (seconds, per-session results)."""
    import anthropic

    ac = anthropic.AsyncAnthropic(api_key="probe", base_url=url, _strict_response_validation=True)
    t0 = time.perf_counter()
    try:
        results = await asyncio.gather(*(one_session(ac, env_id, agent_id, message, tag=f"r{i}", metadata=metadata)
                                         for i in range(n)))
    finally:
        await ac.close()
    return time.perf_counter() - t0, list(results)
