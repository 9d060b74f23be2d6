"""Every recording in data/recordings replays end to end through the stub (real SDK, strict), with the custom tools
answered by helpers.incident.handle_tool; plus the loader's validation messages."""
from __future__ import annotations

import json

import anthropic
import pytest

from helpers.stub import recordings
from support.replay import Replayer

#: Notebook 08's recordings need an agent with its skill, a memory store and the second incident's files mounted:
#: tests/test_nb08_recordings.py replays those on such sessions. Notebook 09's need a team (session threads) or an MCP
#: server with its vault: tests/test_stub_threads.py and tests/test_stub_vaults.py replay those.
NB08 = ("runbook-2277", "incident-2291-cold", "incident-2291-memory")
NAMES = [name for name in recordings.available() if name not in NB08
         and not (recordings.load(name).child_threads() or recordings.load(name).mcp_calls())]


@pytest.fixture(scope="module")
def replayer(client):
    return Replayer(client)


@pytest.mark.skipif(not NAMES, reason="no recordings in data/recordings yet")
@pytest.mark.parametrize("name", NAMES)
def test_recording_replays_end_to_end(client, replayer, name):
    rec, s, streamed, hist = replayer.replay(name)
    assert streamed == [e.id for e in hist]
    last = hist[-1]
    assert last.type in ("session.status_idle", "session.status_terminated")
    if last.type == "session.status_idle":
        assert last.stop_reason.type != "requires_action"
    # every agent-side line of the taken path was emitted (the interrupt lands where the recording has it)
    taken = [ln for ln in rec.lines if not ln.client_side and ln.when in (None, {"confirmation": "allow"})
             and ln.type not in ("session.updated",)]
    # the session's own session.usage right before each idle (docs), which a recording need not hold
    assert all(i and hist[i - 1].type == "session.usage" for i, e in enumerate(hist) if e.type == "session.status_idle")
    agent_side = [e for e in hist if not (e.type.startswith("user.") or e.type in ("system.message", "session.usage"))]
    # More than 5 parallel calls: answering the window of 5 re-emits idle (requires_action) with the rest.
    agent_side = [e for i, e in enumerate(agent_side) if not (
        i and e.type == agent_side[i - 1].type == "session.status_idle" and e.stop_reason.type == "requires_action")]
    assert [e.type for e in agent_side] == [ln.type for ln in taken]
    sess = client.beta.sessions.retrieve(s.id)
    if any(ln.type == "span.outcome_evaluation_end" for ln in rec.lines):
        assert sess.outcome_evaluations and sess.outcome_evaluations[-1].outcome_id == next(
            e.outcome_id for e in hist if e.type == "user.define_outcome")
    recorded_in = sum(ln.event["model_usage"]["input_tokens"] for ln in rec.lines
                      if ln.type == "span.model_request_end" and ln.when in (None, {"confirmation": "allow"}))
    assert (sess.usage.input_tokens or 0) == recorded_in


@pytest.mark.skipif(not any(n for n in NAMES if any(ln.when for ln in recordings.load(n).lines)),
                    reason="no recording with allow/deny branches")
def test_deny_branch_of_recordings(replayer):
    for name in NAMES:
        rec = recordings.load(name)
        if not any(ln.when for ln in rec.lines):
            continue
        _, _, _, hist = replayer.replay(name, confirm="deny")
        taken = [ln.type for ln in rec.lines if not ln.client_side and ln.when in (None, {"confirmation": "deny"})]
        assert [e.type for e in hist if not e.type.startswith("user.") and e.type != "session.usage"] == taken


def _write(tmp_path, lines):
    p = tmp_path / "r.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return p


HDR = {"recording": 1, "name": "r", "custom_tools": []}
MSG = {"event": {"type": "user.message", "id": "e1", "processed_at": None, "content": [{"type": "text", "text": "x"}]}}


@pytest.mark.parametrize("lines,error", [
    ([{"recording": 2}], "line 1|:1:"),
    ([HDR, {"event": {"type": "agent.message", "id": "e2"}}], r":2: the agent.message event does not validate"),
    ([HDR, MSG, {"event": {"type": "agent.custom_tool_use", "id": "e2", "processed_at": "2026-01-01T00:00:00Z",
                           "name": "get_diff", "input": {}}}], r"custom_tools is \[\]"),
    ([HDR, MSG, MSG], "already used on line 2"),
    ([HDR, {**MSG, "when": {"confirmation": "maybe"}}], '"when" must be'),
    ([HDR, {"event": {"type": "session.status_running", "id": "e2", "processed_at": "2026-01-01T00:00:00Z"}}],
     "no user.message"),
    ([HDR, MSG, {"event": {"type": "agent.tool_use", "id": "e2", "processed_at": "2026-01-01T00:00:00Z",
                           "name": "bash", "input": {}}},
      {"event": {"type": "session.status_idle", "id": "e3", "processed_at": "2026-01-01T00:00:01Z",
                 "stop_reason": {"type": "requires_action", "event_ids": ["e2"]}}}], r"requires_action names \['e2'\]"),
])
def test_loader_rejects_bad_recordings(tmp_path, lines, error):
    with pytest.raises(recordings.RecordingError, match=error):
        recordings.load(_write(tmp_path, lines))


def test_loader_accepts_minimal(tmp_path):
    rec = recordings.load(_write(tmp_path, [HDR, MSG]))
    assert rec.name == "r" and len(rec.lines) == 1 and rec.lines[0].client_side
    assert recordings.available(tmp_path) == ["r"]
    with pytest.raises(FileNotFoundError, match="available"):
        recordings.load("nope", tmp_path)


def test_an_agent_unlike_the_recorded_one_is_told_why(client, replayer):
    """Offline code must not pass for a configuration that would behave differently live: a recording replays only
    for an agent whose built-in tools and permission policies could have produced it."""
    from helpers import incident

    def refused(call) -> str:
        with pytest.raises(anthropic.BadRequestError) as ei:
            call()
        return ei.value.body["error"]["message"]

    env_id, agents, mount = replayer.environment_id, replayer.agents, replayer.mount
    no_bash = client.beta.agents.create(model="claude-sonnet-4-6", name="no-bash", tools=incident.CUSTOM_TOOLS)
    msg = refused(lambda: client.beta.sessions.create(agent=no_bash.id, environment_id=env_id, resources=mount,
                                                      metadata={"recording": "incident-2277"}))
    assert "calls the built-in bash tool, which the session's agent does not enable" in msg
    msg = refused(lambda: client.beta.sessions.create(agent=agents["always_allow"], environment_id=env_id,
                                                      resources=mount, metadata={"recording": "permission-policy"}))
    assert "made with bash set to always_ask, but the session's agent runs bash with always_allow" in msg
    suggested = msg.split("Offline, use a recording made with the same policy:", 1)[1]
    assert "'incident-2277'" in suggested and "'permission-policy'" not in suggested
    assert "'fault-rescheduled'" not in suggested  # no bash in it: no help with bash's policy
    # chosen by the first message instead of metadata: the same check, when the message arrives
    s = client.beta.sessions.create(agent=agents["always_ask"], environment_id=env_id, resources=mount)
    msg = refused(lambda: client.beta.sessions.events.send(s.id, events=[
        {"type": "user.message", "content": [{"type": "text", "text": "Why is checkout p99 10x?"}]}]))
    assert "made with bash set to always_allow" in msg
    assert "'permission-policy' (say 'approve' in your message" in msg


def test_a_session_without_the_log_mounted_is_told_to_mount_it(client, replayer):
    """Live, the agent's reads of /mnt/session/uploads/app.log fail when nothing is mounted there; offline they must
    not quietly succeed. A mount_path is rooted under the uploads directory (docs: managed-agents/files, "File
    paths"): "/app.log", "app.log" and "/mnt/session/uploads/app.log" put the file there; the old
    "/workspace/data/app.log" puts it at /mnt/session/uploads/workspace/data/app.log, where the agent does not look."""
    env_id, agents, mount = replayer.environment_id, replayer.agents, replayer.mount
    with pytest.raises(anthropic.BadRequestError) as ei:
        client.beta.sessions.create(agent=agents["always_allow"], environment_id=env_id,
                                    metadata={"recording": "incident-2277"})
    msg = ei.value.body["error"]["message"]
    assert "reads /mnt/session/uploads/app.log in the sandbox, but this session mounts nothing there" in msg
    assert '"mount_path": "/app.log"' in msg and "File paths" in msg
    for elsewhere in ("/workspace/data/app.log", "/data/app.log", "/mnt/session/uploads/logs/app.log"):
        with pytest.raises(anthropic.BadRequestError, match="mounts nothing there") as ei:
            client.beta.sessions.create(agent=agents["always_allow"], environment_id=env_id,
                                        resources=[{**mount[0], "mount_path": elsewhere}],
                                        metadata={"recording": "incident-2277"})
        assert "/mnt/session/uploads/" + elsewhere.removeprefix("/mnt/session/uploads/").lstrip("/") \
            in ei.value.body["error"]["message"]  # where that mount_path put the file
    for there in ("/app.log", "app.log", "/mnt/session/uploads/app.log"):
        ok = client.beta.sessions.create(agent=agents["always_allow"], environment_id=env_id,
                                         resources=[{**mount[0], "mount_path": there}],
                                         metadata={"recording": "incident-2277"})
        assert ok.status == "idle" and ok.resources[0].mount_path == there  # echoed as sent (the API reference)
