"""The recordings against the live API (opt-in), and the comparison it uses (offline, always).

``pytest -m live`` runs notebooks 03 and 04 live (needs ANTHROPIC_API_KEY; skipped without it, and never part of a
plain ``pytest`` run) and compares each session's sequence of event types with the recording the stub replays for
it. ``scripts/live_recordings.py --refresh`` is the maintainer step that then rewrites the recordings.
"""
from __future__ import annotations

from pathlib import Path

import conftest
import pytest

from support.scripts import script

ROOT = Path(__file__).resolve().parent.parent
lr = script("live_recordings")


@pytest.fixture
def live_key(request):
    if "live" not in (request.config.getoption("-m") or ""):
        pytest.skip("opt-in: run with pytest -m live")
    if not conftest.LIVE_API_KEY:
        pytest.skip("ANTHROPIC_API_KEY is not set: the live test needs the real API")
    return conftest.LIVE_API_KEY


@pytest.mark.live
def test_notebooks_03_and_04_live_follow_their_recordings(live_key, output_dir):
    results = lr.check_live(live_key, out_dir=output_dir / "live")
    assert results, "the live notebooks created no workshop session"
    report = []
    for s, rec, problems, live, recorded in results:
        if problems:
            report.append(f"{s.id} ({s.title}) vs {rec.name}: {problems}\n  live:     {' '.join(lr.shape(live))}"
                          f"\n  recorded: {' '.join(lr.shape(recorded))}")
    assert not report, "\n".join(report)


# ------------------------------------------------------------------------------------------------ offline
def test_a_replayed_session_has_its_recordings_shape_and_a_different_one_does_not():
    import anthropic

    from helpers import incident, loop, resources, stub
    from helpers.stub.recordings import load

    with stub.start() as server:
        client = anthropic.Anthropic(api_key="k", base_url=server.url, _strict_response_validation=True)
        session = resources.new_session(client, metadata={"recording": "incident-2277"})
        loop.run(client, session.id, "Incident-2277: checkout p99 is 10x since 14:07Z; find the root cause.",
                 handle_tool=incident.handle_tool, timeout=60)
        events = list(client.beta.sessions.events.list(session.id, limit=1000))
        rec = lr.recording_for(client.beta.sessions.retrieve(session.id), events)
    assert rec.name == "incident-2277"
    recorded = [ln.event for ln in load("incident-2277").lines]
    assert lr.compare(events, recorded) == []
    # A run that never answered its tools and stopped on requires_action is not the recording's shape.
    cut = [e for e in recorded if e["type"] != "user.custom_tool_result"]
    cut = cut[:next(i for i, e in enumerate(cut) if e["type"] == "session.status_idle") + 1]
    problems = lr.compare(cut, recorded)
    assert any("stop reason" in p for p in problems) and any("lacks" in p for p in problems), problems
    assert lr.shape(["a", "a", "b", "a"]) == ["a", "b", "a"]
