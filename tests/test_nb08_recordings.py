"""Notebook 08's recordings (runbook-2277, incident-2291-cold, incident-2291-memory) and its recorded dream.

* Every built-in tool call re-runs byte for byte in a scratch sandbox as notebook 08's sessions have it: app.log and
  Incident-2291's evidence in the uploads, the skill (data/skills/) under /workspace/skills/, and the memory mount
  holding what the earlier recordings wrote (tests/test_recordings.py re-runs the other recordings' calls).
* The recorded dream is what scripts/make_recordings.py writes.
* On the stub, through the SDK (strict), each replays for a session that could have made it, and is refused, with
  the reason, for one that could not: no skill, the store not mounted or mounted read-only, the lesson not written.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest

from helpers import incident, loop
from support.fixtures import sdk_client
from support.recordings import REC_DIR
from support.recordings import events as _events
from support.sandbox import rerun

ROOT = Path(__file__).resolve().parent.parent
SKILL_DIR = ROOT / "data" / "skills" / "incident-runbooks"
STORY = ("runbook-2277", "incident-2291-cold", "incident-2291-memory")
LESSON = "/incidents/2277-checkout-n-plus-one.md"


UPLOADS = "/mnt/session/uploads"  # helpers.sandbox.UPLOADS_DIR
EVIDENCE = ("app.log", "metrics.json", "deploys.json", "diff.txt")
ROOTS = ("/mnt/session/", "/workspace/skills/", "/mnt/memory/")


@pytest.fixture
def sandbox(tmp_path) -> Path:
    """A scratch sandbox as notebook 08's sessions have it (the memory mount empty: the story fills it)."""
    from helpers.sandbox import UPLOADS_DIR
    from helpers.stub.memory_stores import MOUNT_ROOT
    from helpers.stub.skills import SKILLS_ROOT

    assert (UPLOADS_DIR, SKILLS_ROOT, MOUNT_ROOT) == (UPLOADS, "/workspace/skills", "/mnt/memory")
    (tmp_path / "mnt/session/uploads/incident-2291").mkdir(parents=True)
    shutil.copyfile(ROOT / "data" / "app.log", tmp_path / "mnt/session/uploads/app.log")
    for name in EVIDENCE:
        shutil.copyfile(ROOT / "data" / "incident-2291" / name, tmp_path / "mnt/session/uploads/incident-2291" / name)
    shutil.copytree(SKILL_DIR, tmp_path / "workspace/skills/incident-runbooks")
    (tmp_path / "mnt/memory/sre-on-call").mkdir(parents=True)
    return tmp_path


def test_every_tool_call_reruns_on_the_mounts_and_what_the_story_wrote(sandbox):
    checked = 0
    for name in STORY:
        uses = {}
        for ev in _events(name):
            if ev["type"] == "agent.tool_use":
                uses[ev["id"]] = ev
            elif ev["type"] == "agent.tool_result":
                use = uses[ev["tool_use_id"]]
                want = rerun(use["name"], use["input"], sandbox, ROOTS)
                assert ev["content"] == [{"type": "text", "text": want}], f"{name}: {use['input']}"
                assert ev["is_error"] is False
                checked += 1
    # runbook: SKILL.md, latency.md, two log counts, the write; cold: eight commands; memory: five
    assert checked == 5 + 8 + 5
    lesson = sandbox / "mnt/memory/sre-on-call" / LESSON.lstrip("/")
    assert lesson.read_text(encoding="utf-8").startswith("# Incident-2277")


def test_the_calls_stay_in_what_the_sessions_mount():
    for name in STORY:
        for ev in _events(name):
            if ev["type"] != "agent.tool_use":
                continue
            text = ev["input"].get("command") or ev["input"]["file_path"]
            paths = re.findall(r"(?<![\w.-])/[\w./-]+", text)
            assert paths and all(p.startswith(ROOTS) for p in paths), text
            for p in paths:
                if p.startswith(f"{UPLOADS}/incident-2291"):
                    assert p.rsplit("/", 1)[1] in EVIDENCE, p


def test_with_memory_the_second_incident_takes_fewer_calls_and_turns():
    def counts(name):
        events = _events(name)
        return (sum(ev["type"] in ("agent.tool_use", "agent.custom_tool_use") for ev in events),
                sum(ev["type"] == "span.model_request_start" for ev in events))
    cold, warm = counts("incident-2291-cold"), counts("incident-2291-memory")
    assert warm[0] < cold[0] and warm[1] < cold[1], (cold, warm)
    for name in ("incident-2291-cold", "incident-2291-memory"):
        last = [ev for ev in _events(name) if ev["type"] == "agent.message"][-1]
        assert "dep_4871" in last["content"][0]["text"]


def test_the_recorded_dream_is_what_the_generator_writes(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_recordings.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    for path in (REC_DIR / "dreams").glob("*.json"):
        assert (tmp_path / "dreams" / path.name).read_bytes() == path.read_bytes(), path.name
    doc = json.loads((REC_DIR / "dreams" / "oncall-lessons.json").read_text(encoding="utf-8"))
    assert doc["input_paths"] == [LESSON] and doc["source"] == "authored"
    assert LESSON in doc["delete"] and "/patterns/n-plus-one-after-deploy.md" in doc["write"]


# --------------------------------------------------------------------------- on the stub
@pytest.fixture(scope="module")
def stub_options():
    return {"speed": "instant", "recordings_dir": REC_DIR}


@pytest.fixture(scope="module")
def client(server):
    return sdk_client(server, max_retries=0, timeout=30.0)


def _skill(client):
    files = [(f"incident-runbooks/{p.relative_to(SKILL_DIR)}", p.read_bytes(), "text/markdown")
             for p in sorted(SKILL_DIR.rglob("*.md"))]
    return client.beta.skills.create(files=files)


def _agent(client, skill=None):
    toolset = {"type": "agent_toolset_20260401", "default_config": {"enabled": False},
               "configs": [{"name": n, "enabled": True} for n in ("bash", "read", "write", "grep", "glob")]}
    skills = [{"type": "custom", "skill_id": skill.id, "version": skill.latest_version_id}] if skill else []
    return client.beta.agents.create(name="nb08-test", model="claude-sonnet-4-6", skills=skills,
                                     tools=[toolset, *incident.CUSTOM_TOOLS])


def _files(client, names, folder: Path):
    return {n: client.beta.files.upload(file=(n, (folder / n).read_bytes(), "text/plain")) for n in names}


@pytest.fixture(scope="module")
def world(client):
    env = client.beta.environments.create(name="nb08-test")
    skill = _skill(client)
    files = _files(client, ["app.log"], ROOT / "data")
    evidence = _files(client, list(EVIDENCE), ROOT / "data" / "incident-2291")
    return {"env": env, "skill": skill, "agent": _agent(client, skill), "bare": _agent(client),
            "log": [{"type": "file", "file_id": files["app.log"].id, "mount_path": "/app.log"}],
            "incident": [{"type": "file", "file_id": f.id, "mount_path": f"/incident-2291/{n}"}
                         for n, f in evidence.items()]}


def _session(client, world, name, agent=None, resources=()):
    return client.beta.sessions.create(agent=(agent or world["agent"]).id, environment_id=world["env"].id,
                                       metadata={"recording": name}, resources=list(resources))


def _replay(client, session_id, name):
    first = next(ev for ev in _events(name) if ev["type"] == "user.message")
    run = loop.run(client, session_id, {"type": "user.message", "content": first["content"]},
                   handle_tool=incident.handle_tool, render=False, timeout=60)
    got = [e.type for e in client.beta.sessions.events.list(session_id, order="asc", limit=1000)
           if e.type != "session.usage"]  # the session's own, before each idle: not in a recording
    assert got == [ev["type"] for ev in _events(name)]
    return run


def test_the_story_replays_and_the_lesson_lands_in_the_store(client, world):
    store = client.beta.memory_stores.create(name="SRE on-call", description="Lessons of past incidents.")
    rw = {"type": "memory_store", "memory_store_id": store.id, "access": "read_write"}
    first = _session(client, world, "runbook-2277", resources=[*world["log"], rw])
    assert first.resources[-1].mount_path == "/mnt/memory/sre-on-call"
    _replay(client, first.id, "runbook-2277")
    (memory,) = client.beta.memory_stores.memories.list(store.id, view="full").data
    assert memory.path == LESSON and memory.content.startswith("# Incident-2277")
    (version,) = client.beta.memory_stores.memory_versions.list(store.id).data
    assert version.operation == "created" and version.created_by.type == "session_actor"
    assert version.created_by.session_id == first.id
    cold = _session(client, world, "incident-2291-cold", resources=world["incident"])
    _replay(client, cold.id, "incident-2291-cold")
    ro = {"type": "memory_store", "memory_store_id": store.id, "access": "read_only"}
    warm = _session(client, world, "incident-2291-memory", resources=[*world["incident"], ro])
    _replay(client, warm.id, "incident-2291-memory")
    assert len(client.beta.memory_stores.memory_versions.list(store.id).data) == 1  # read-only: nothing written


def test_a_session_that_could_not_have_made_the_recording_is_told_why(client, world):
    store = client.beta.memory_stores.create(name="SRE on-call")
    ro = {"type": "memory_store", "memory_store_id": store.id, "access": "read_only"}
    rw = {**ro, "access": "read_write"}
    cases = [
        ("runbook-2277", world["bare"], [*world["log"], rw], "does not carry"),
        ("runbook-2277", None, world["log"], "mounts no store there"),
        ("runbook-2277", None, [*world["log"], ro], "mounts read_only"),
        ("incident-2291-memory", None, [*world["incident"], ro], "holds no memory at"),
        ("incident-2291-cold", world["bare"], world["incident"], "does not carry"),
    ]
    for name, agent, resources, why in cases:
        with pytest.raises(anthropic.BadRequestError) as e:
            _session(client, world, name, agent=agent, resources=resources)
        assert why in e.value.body["error"]["message"], (name, e.value.body)


def test_a_dream_goes_pending_running_completed_and_reorganizes_a_copy(client, world):
    store = client.beta.memory_stores.create(name="SRE on-call")
    client.beta.memory_stores.memories.create(store.id, path=LESSON, content="the lesson\n")
    session = _session(client, world, "incident-2291-cold", resources=world["incident"])
    dream = client.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": store.id},
                                              {"type": "sessions", "session_ids": [session.id]}],
                                      model="claude-sonnet-4-6", instructions="Merge what the incidents share.")
    assert dream.status == "pending" and dream.outputs == [] and dream.usage.output_tokens == 0
    seen = [dream.status]
    while seen[-1] not in ("completed", "failed", "canceled"):
        seen.append(client.beta.dreams.retrieve(dream.id).status)
    assert seen == ["pending", "running", "completed"]
    done = client.beta.dreams.retrieve(dream.id)
    out = done.outputs[0].memory_store_id
    assert out != store.id and done.ended_at and done.usage.output_tokens > 0
    after = {m.path for m in client.beta.memory_stores.memories.list(out, limit=100)}
    assert LESSON not in after and "/patterns/n-plus-one-after-deploy.md" in after
    assert [m.path for m in client.beta.memory_stores.memories.list(store.id)] == [LESSON]  # the input is untouched
    other = client.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": store.id},
                                              {"type": "sessions", "session_ids": [session.id]}],
                                      model="claude-sonnet-4-6")
    assert client.beta.dreams.cancel(other.id).status == "canceled"
    with pytest.raises(anthropic.BadRequestError, match="only a pending or running dream"):
        client.beta.dreams.cancel(dream.id)
    client.beta.dreams.archive(dream.id)
    assert dream.id not in [d.id for d in client.beta.dreams.list()]
    assert dream.id in [d.id for d in client.beta.dreams.list(include_archived=True)]
