"""helpers.recorder: record a session run on the stub, then replay the recording in a fresh session.

Everything goes through the real SDK with strict response validation; the custom tools are answered with
helpers.incident.handle_tool, as a learner's loop would.
"""
from __future__ import annotations

import json

import anthropic
import pytest
from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
from pydantic import TypeAdapter

from helpers import incident, resources, stub
from helpers.recorder import record_session
from helpers.settings import API_KEY_PREFIX, RECORDINGS_DIR
from helpers.stub import recordings
from support.replay import run_turn

SECRET = API_KEY_PREFIX + "test-recorder-SECRET-0123456789"
ADAPTER = TypeAdapter(BetaManagedAgentsSessionEvent)
INCIDENT_MESSAGE = "Checkout p99 is 10x since 14:07Z. Find the root cause."


def make_client(server) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=SECRET, base_url=server.url, _strict_response_validation=True,
                               max_retries=0, timeout=30.0)


def new_session(client: anthropic.Anthropic, recording: str) -> str:
    env = client.beta.environments.create(name="recorder-test")
    agent = client.beta.agents.create(model="claude-sonnet-4-6", name="recorder-test",
                                      tools=[{"type": "agent_toolset_20260401"}, *incident.CUSTOM_TOOLS])
    log_file = resources.ensure_log_file(client)  # the recordings grep it in the sandbox: mount it, as learners do
    session = client.beta.sessions.create(agent=agent.id, environment_id=env.id, metadata={"recording": recording},
                                          resources=[{"type": "file", "file_id": log_file.id,
                                                      "mount_path": resources.LOG_MOUNT_PATH}])
    return session.id


def drive(client: anthropic.Anthropic, session_id: str, text: str) -> list:
    """Send the message, answer every custom tool call with handle_tool as it arrives, stop at the end of the turn."""
    seen = run_turn(client, session_id, {"type": "user.message", "content": [{"type": "text", "text": text}]},
                    answer_on_use=True, result=lambda ev: incident.handle_tool(ev.name, ev.input))
    assert seen and seen[-1].type == "session.status_idle" and seen[-1].stop_reason.type == "end_turn"
    return seen


def history(client: anthropic.Anthropic, session_id: str) -> list:
    return list(client.beta.sessions.events.list(session_id, order="asc", limit=100))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A full incident-2277 session on the stub, recorded as 'replayed-incident' into a tmp recordings dir."""
    out = tmp_path_factory.mktemp("recs")
    with stub.start(speed="instant") as server:
        client = make_client(server)
        sid = new_session(client, "incident-2277")
        drive(client, sid, INCIDENT_MESSAGE)
        original = history(client, sid)
        path = record_session(client, sid, "replayed-incident", title="Incident-2277 (recorded from the stub)",
                              keywords=["replayed-incident"], path=out / "replayed-incident.jsonl", page_size=7)
        again = None
        with pytest.raises(FileExistsError):
            record_session(client, sid, "replayed-incident", path=path)
        again = record_session(client, sid, "replayed-incident", path=path, overwrite=True, page_size=7,
                               title="Incident-2277 (recorded from the stub)", keywords=["replayed-incident"])
    assert again == path
    return {"path": path, "original": original, "dir": out}


def test_recording_file(recorded):
    path, original = recorded["path"], recorded["original"]
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and "authorization" not in text.lower()
    rows = [json.loads(line) for line in text.splitlines()]
    header = rows[0]
    assert list(header) == ["recording", "name", "title", "description", "keywords", "custom_tools", "source"]
    assert header["recording"] == 1 and header["name"] == "replayed-incident" and header["source"] == "live"
    assert header["keywords"] == ["replayed-incident"]
    authored = recordings.load(RECORDINGS_DIR / "incident-2277.jsonl")
    assert header["custom_tools"] == authored.custom_tools  # inferred from agent.custom_tool_use, in order
    # every page was read, every event kept, in order, and each re-validates strictly
    assert [r["event"]["id"] for r in rows[1:]] == [ev.id for ev in original]
    for row in rows[1:]:
        assert set(row) == {"event"}
        model = ADAPTER.validate_json(json.dumps(row["event"]), strict=True)
        assert model.type == row["event"]["type"]
    # the learner's real tool results are what got recorded
    results = [r["event"] for r in rows[1:] if r["event"]["type"] == "user.custom_tool_result"]
    calls = {r["event"]["id"]: r["event"] for r in rows[1:] if r["event"]["type"] == "agent.custom_tool_use"}
    n_calls = sum(1 for ln in authored.lines if ln.type == "agent.custom_tool_use")
    assert len(results) == len(calls) == n_calls
    for res in results:
        call = calls[res["custom_tool_use_id"]]
        assert res["content"][0]["text"] == incident.handle_tool(call["name"], call["input"])
    # the stub's own loader accepts it
    assert recordings.load(path).name == "replayed-incident"


def test_replay_of_the_recording_matches(recorded):
    """A fresh session on a stub that only knows the recorded file replays the same event sequence."""
    with stub.start(speed="instant", recordings_dir=recorded["dir"]) as server:
        client = make_client(server)
        sid = new_session(client, "replayed-incident")
        drive(client, sid, INCIDENT_MESSAGE)
        replayed = history(client, sid)
    assert [ev.type for ev in replayed] == [ev.type for ev in recorded["original"]]
    report = [ev for ev in replayed if ev.type == "agent.message"][-1].content[0].text
    assert "dep_4820" in report and "9c41e7b" in report


def test_record_session_refuses_bad_names(tmp_path):
    with pytest.raises(ValueError):
        record_session(None, "sesn_x", "../evil", path=tmp_path / "x.jsonl")
    with pytest.raises(ValueError):
        record_session(None, "sesn_x", "good", path=tmp_path / "other.jsonl")


def test_command_line(tmp_path):
    """python -m helpers.recorder SESSION_ID NAME --base-url URL records a session on that server."""
    import subprocess
    import sys

    from helpers.settings import ROOT

    with stub.start(speed="instant") as server:
        client = make_client(server)
        sid = new_session(client, "fault-retries-exhausted")
        with client.beta.sessions.events.stream(sid) as stream:
            client.beta.sessions.events.send(sid, events=[
                {"type": "user.message", "content": [{"type": "text", "text": "go"}]}])
            for ev in stream:
                if ev.type == "session.status_idle":
                    break
        out = tmp_path / "cli-demo.jsonl"
        proc = subprocess.run([sys.executable, "-m", "helpers.recorder", sid, "cli-demo", "--base-url", server.url,
                               "--path", str(out), "--keyword", "cli-demo", "--title", "CLI demo"],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        expected = [ev.type for ev in history(client, sid)]
    rec = recordings.load(out)
    assert rec.source == "live" and rec.keywords == ["cli-demo"] and rec.title == "CLI demo" and rec.custom_tools == []
    assert [ln.type for ln in rec.lines] == expected
    assert expected[-1] == "session.status_idle"
