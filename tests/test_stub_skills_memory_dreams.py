"""Skills, memory stores and dreams on the stub, driven through the real SDK in strict mode, errors included: each
rule of docs/design.md ("Skills, memory stores and dreams") with its source, and the beta headers each route needs."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import anthropic
import pytest

from helpers import resources
from support.fixtures import sdk_client
from support.raw_http import request

SKILL_MD = b"---\nname: incident-runbooks\ndescription: Runbooks per failure signature.\n---\n# Runbooks\n"


@pytest.fixture(scope="module")
def client(server):
    return sdk_client(server, max_retries=0, timeout=30.0)


def _error(fn, cls=anthropic.BadRequestError):
    with pytest.raises(cls) as e:
        fn()
    return e.value.body["error"]


def _raw(server, method, path, headers, body=b""):
    status, _, answer = request(server, method, path, body, headers)
    return status, json.loads(answer or b"{}")


def _skill(client, extra=()):
    return client.beta.skills.create(files=[("incident-runbooks/SKILL.md", SKILL_MD, "text/markdown"), *extra])


# ------------------------------------------------------------------------------------------------ skills
def test_a_skill_and_its_versions(client):
    skill = _skill(client, [("incident-runbooks/runbooks/oom.md", b"oom", "text/markdown")])
    assert skill.display_name == "incident-runbooks" and skill.source.type == "custom"  # from the front matter
    assert skill.latest_version_id.startswith("skver_")  # as the cookbook's live run printed it
    v2 = client.beta.skills.versions.create(skill.id, files=[("incident-runbooks/SKILL.md", SKILL_MD + b"v2\n",
                                                              "text/markdown")])
    assert client.beta.skills.retrieve(skill.id).latest_version_id == v2.id
    assert [v.id for v in client.beta.skills.versions.list(skill.id)][0] == v2.id
    assert client.beta.skills.versions.retrieve("latest", skill_id=skill.id).id == v2.id
    first = client.beta.skills.versions.retrieve(skill.latest_version_id, skill_id=skill.id)
    assert first.name == "incident-runbooks" and first.description == "Runbooks per failure signature."
    archive = zipfile.ZipFile(io.BytesIO(client.beta.skills.versions.download(skill.latest_version_id,
                                                                              skill_id=skill.id).read()))
    assert sorted(archive.namelist()) == ["incident-runbooks/SKILL.md", "incident-runbooks/runbooks/oom.md"]
    client.beta.skills.versions.delete(v2.id, skill_id=skill.id)
    assert client.beta.skills.retrieve(skill.id).latest_version_id == skill.latest_version_id
    err = _error(lambda: client.beta.skills.versions.delete(skill.latest_version_id, skill_id=skill.id))
    assert "only version" in err["message"]  # a skill holds at least one version (BetaSkill.latest_version_id)
    assert client.beta.skills.delete(skill.id).type == "skill_deleted"
    assert _error(lambda: client.beta.skills.retrieve(skill.id), anthropic.NotFoundError)["type"] == "not_found_error"


@pytest.mark.parametrize("files,why", [
    ([("incident-runbooks/README.md", b"x", "text/markdown")], "no incident-runbooks/SKILL.md"),
    ([("SKILL.md", SKILL_MD, "text/markdown")], "not a path inside"),
    ([("a/SKILL.md", SKILL_MD, "text/markdown"), ("b/x.md", b"x", "text/markdown")], "top-level directories"),
    ([("a/SKILL.md", b"# no front matter", "text/markdown")], "front matter"),
    ([("a/SKILL.md", b"---\nname: Not_OK\ndescription: d\n---\n", "text/markdown")], "is not a skill name"),
    ([("a/SKILL.md", b"---\nname: ok\n---\n", "text/markdown")], "description is 0 characters"),
    ([("a/../SKILL.md", SKILL_MD, "text/markdown")], "not a path inside"),
])
def test_an_upload_that_is_not_a_skill_is_a_400_saying_why(client, files, why):
    before = len(client.beta.skills.list().data)
    assert why in _error(lambda: client.beta.skills.create(files=files))["message"]
    assert len(client.beta.skills.list().data) == before


def test_skills_need_no_beta_header_and_refuse_the_epoch_dialect(client, server):
    assert _raw(server, "GET", "/v1/skills", {"x-api-key": "k"})[0] == 200
    err = _error(lambda: client.beta.skills.list(betas=["skills-2025-10-02"]))
    assert "epoch" in err["message"]
    skill = _skill(client)
    other = client.beta.skills.create(files=[("other/SKILL.md", b"---\nname: other\ndescription: d\n---\n",
                                              "text/markdown")])
    err = _error(lambda: client.beta.skills.versions.create(skill.id, files=[
        ("other/SKILL.md", b"---\nname: other\ndescription: d\n---\n", "text/markdown")]))
    assert "differs from the skill's" in err["message"]  # BetaSkillVersion.name: "Every later upload must resolve"
    assert other.id != skill.id


def test_an_agent_names_existing_skills_at_most_20(client):
    skill = _skill(client)
    ok = client.beta.agents.create(name="s", model="claude-sonnet-4-6", skills=[
        {"type": "custom", "skill_id": skill.id, "version": skill.latest_version_id}, {"type": "anthropic",
                                                                                      "skill_id": "xlsx"}])
    assert ok.skills[0].version == skill.latest_version_id
    assert "not found" in _error(lambda: client.beta.agents.create(name="s", model="claude-sonnet-4-6", skills=[
        {"type": "custom", "skill_id": "skill_011CNoSuchSkill0000000"}]), anthropic.NotFoundError)["message"]
    assert "no version" in _error(lambda: client.beta.agents.create(name="s", model="claude-sonnet-4-6", skills=[
        {"type": "custom", "skill_id": skill.id, "version": "skver_nope"}]), anthropic.NotFoundError)["message"]
    assert "at most 20" in _error(lambda: client.beta.agents.create(name="s", model="claude-sonnet-4-6", skills=[
        {"type": "anthropic", "skill_id": "xlsx"}] * 21))["message"]


# ------------------------------------------------------------------------------------------------ memory stores
def test_memory_stores_need_their_beta_header(server):
    path = "/v1/memory_stores"
    assert _raw(server, "GET", path, {"x-api-key": "k"})[0] == 400
    for beta in ("agent-memory-2026-07-22", "managed-agents-2026-04-01"):
        assert _raw(server, "GET", path, {"x-api-key": "k", "anthropic-beta": beta})[0] == 200


def test_a_store_its_memories_views_and_versions(client):
    store = client.beta.memory_stores.create(name="SRE on-call", metadata={"team": "sre"})
    assert store.description == "" and store.archived_at is None
    m = client.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="one")
    assert m.content is None and m.content_sha256 == hashlib.sha256(b"one").hexdigest() and m.content_size_bytes == 3
    assert client.beta.memory_stores.memories.retrieve(m.id, memory_store_id=store.id).content == "one"  # full
    assert client.beta.memory_stores.memories.list(store.id).data[0].content is None  # basic
    same = client.beta.memory_stores.memories.update(m.id, memory_store_id=store.id, content="one")
    assert same.memory_version_id == m.memory_version_id  # nothing changed: no new version
    moved = client.beta.memory_stores.memories.update(m.id, memory_store_id=store.id, path="/notes/b.md")
    assert moved.id == m.id and moved.path == "/notes/b.md"
    for i in range(25):
        client.beta.memory_stores.memories.create(store.id, path=f"/bulk/{i:02d}.md", content=str(i))
    assert len(client.beta.memory_stores.memories.list(store.id, view="full", limit=100).data) == 20  # capped
    assert len(client.beta.memory_stores.memories.list(store.id, limit=100).data) == 26
    top = client.beta.memory_stores.memories.list(store.id, depth=1)
    assert {x.type for x in top.data} == {"memory_prefix"} and {x.path for x in top.data} == {"/notes/", "/bulk/"}
    assert "must end with '/'" in _error(lambda: client.beta.memory_stores.memories.list(store.id,
                                                                                          path_prefix="/notes"))["message"]
    client.beta.memory_stores.memories.delete(m.id, memory_store_id=store.id)
    history = client.beta.memory_stores.memory_versions.list(store.id, memory_id=m.id, view="full").data
    assert [v.operation for v in history] == ["deleted", "modified", "created"]  # newest first; rename is modified
    assert history[0].content is None and history[0].content_sha256 is None and history[-1].content == "one"
    assert history[-1].created_by.type == "api_actor"
    red = client.beta.memory_stores.memory_versions.redact(history[-1].id, memory_store_id=store.id)
    assert red.redacted_at and red.content is None and red.path is None and red.created_by.type == "api_actor"


@pytest.mark.parametrize("path,why", [
    ("notes/a.md", "does not start with '/'"), ("/../etc/passwd", "'..' segment"), ("/a/./b", "'.' segment"),
    ("/a//b", "empty segment"), ("/a/", "empty segment"), ("/a\u0000b", "control or format"),
    ("/a\u2028b", "control or format"), ("/" + "/".join("x" * 21), "more than 20"),
    ("/e\u0301.md", "Normalization Form C"), ("/" + "x" * 1030, "at most 1,024"),
])
def test_a_path_that_escapes_or_breaks_the_rules_is_a_400(client, path, why):
    store = client.beta.memory_stores.create(name="paths")
    assert why in _error(lambda: client.beta.memory_stores.memories.create(store.id, path=path, content=""))["message"]
    assert client.beta.memory_stores.memories.list(store.id).data == []


def test_path_conflicts_and_size(client):
    store = client.beta.memory_stores.create(name="conflicts")
    m = client.beta.memory_stores.memories.create(store.id, path="/notes", content="x")
    for path in ("/notes", "/notes/todo.md"):
        err = _error(lambda p=path: client.beta.memory_stores.memories.create(store.id, path=p, content="y"),
                     anthropic.ConflictError)
        assert err["type"] == "memory_path_conflict_error" and err["conflicting_memory_id"] == m.id
        assert err["conflicting_path"] == "/notes"
    assert "100 kB" in _error(lambda: client.beta.memory_stores.memories.create(
        store.id, path="/big.md", content="x" * 102_401))["message"]


def test_an_update_that_loses_the_race_is_a_409_and_changes_nothing(client):
    store = client.beta.memory_stores.create(name="race")
    m = client.beta.memory_stores.memories.create(store.id, path="/lesson.md", content="v1")
    client.beta.memory_stores.memories.update(m.id, memory_store_id=store.id, content="v2 (teammate)")
    stale = {"type": "content_sha256", "content_sha256": m.content_sha256}
    err = _error(lambda: client.beta.memory_stores.memories.update(m.id, memory_store_id=store.id, content="v2 (me)",
                                                                  precondition=stale), anthropic.ConflictError)
    assert err["type"] == "memory_precondition_failed_error"
    assert client.beta.memory_stores.memories.retrieve(m.id, memory_store_id=store.id).content == "v2 (teammate)"
    # the memory already holds what you ask for: 200 despite the stale hash (API reference, precondition)
    again = client.beta.memory_stores.memories.update(m.id, memory_store_id=store.id, content="v2 (teammate)",
                                                      precondition=stale)
    assert again.content_sha256 == hashlib.sha256(b"v2 (teammate)").hexdigest()
    err = _error(lambda: client.beta.memory_stores.memories.delete(m.id, memory_store_id=store.id,
                                                                  expected_content_sha256=m.content_sha256),
                 anthropic.ConflictError)
    assert err["type"] == "memory_precondition_failed_error"
    assert client.beta.memory_stores.memories.retrieve(m.id, memory_store_id=store.id)  # nothing deleted


def test_an_archived_store_is_read_and_delete_only(client):
    store = client.beta.memory_stores.create(name="old")
    m = client.beta.memory_stores.memories.create(store.id, path="/a.md", content="a")
    archived = client.beta.memory_stores.archive(store.id)
    assert archived.archived_at and client.beta.memory_stores.archive(store.id).archived_at == archived.archived_at
    for fn in (lambda: client.beta.memory_stores.update(store.id, name="new"),
               lambda: client.beta.memory_stores.memories.create(store.id, path="/b.md", content="b"),
               lambda: client.beta.memory_stores.memories.update(m.id, memory_store_id=store.id, content="c")):
        assert "archived" in _error(fn)["message"]
    assert client.beta.memory_stores.memories.retrieve(m.id, memory_store_id=store.id).content == "a"
    assert store.id not in [s.id for s in client.beta.memory_stores.list()]
    assert store.id in [s.id for s in client.beta.memory_stores.list(include_archived=True)]
    client.beta.memory_stores.memories.delete(m.id, memory_store_id=store.id)
    assert client.beta.memory_stores.delete(store.id).type == "memory_store_deleted"
    assert _error(lambda: client.beta.memory_stores.retrieve(store.id), anthropic.NotFoundError)


def test_a_session_mounts_stores_under_mnt_memory(client):
    env, agent = resources.ensure_environment(client), client.beta.agents.create(name="m", model="claude-sonnet-4-6")
    store = client.beta.memory_stores.create(name="SRE On-Call: Lessons!", description="What we learned.")
    s = client.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=[
        {"type": "memory_store", "memory_store_id": store.id, "instructions": "Read it first."}])
    r = s.resources[0]
    assert (r.mount_path, r.access, r.name, r.description) == ("/mnt/memory/sre-on-call-lessons", "read_write",
                                                              store.name, "What we learned.")
    assert [x.id for x in client.beta.sessions.list(memory_store_id=store.id)] == [s.id]
    many = [client.beta.memory_stores.create(name=f"s{i}").id for i in range(9)]
    bad = [
        ([{"type": "memory_store", "memory_store_id": i} for i in many], "at most 8"),
        ([{"type": "memory_store", "memory_store_id": store.id}] * 2, "attached twice"),
    ]
    for res, why in bad:
        assert why in _error(lambda res=res: client.beta.sessions.create(agent=agent.id, environment_id=env.id,
                                                                          resources=res))["message"]
    assert _error(lambda: client.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=[
        {"type": "memory_store", "memory_store_id": "memstore_011CNoSuchStore0000000"}]), anthropic.NotFoundError)


# ------------------------------------------------------------------------------------------------ dreams
def _dream_inputs(client):
    from helpers.stub.dreams import load_results
    from helpers.stub.recordings import default_dir

    env, agent = resources.ensure_environment(client), client.beta.agents.create(name="d", model="claude-sonnet-4-6")
    session = client.beta.sessions.create(agent=agent.id, environment_id=env.id)
    store = client.beta.memory_stores.create(name="dreamy")
    for path in load_results(default_dir())[0].input_paths:
        client.beta.memory_stores.memories.create(store.id, path=path, content="x")
    return store, session


def test_dreams_need_their_beta_header(server):
    assert _raw(server, "GET", "/v1/dreams", {"x-api-key": "k", "anthropic-beta": "managed-agents-2026-04-01"})[0] \
        == 400
    assert _raw(server, "GET", "/v1/dreams", {"x-api-key": "k", "anthropic-beta": "dreaming-2026-04-21"})[0] == 200


def test_a_dream_request_that_breaks_the_rules_is_refused(client):
    store, session = _dream_inputs(client)
    ok = [{"type": "memory_store", "memory_store_id": store.id}, {"type": "sessions", "session_ids": [session.id]}]
    cases = [
        ({"inputs": ok[:1], "model": "claude-sonnet-4-6"}, "exactly one memory_store entry"),
        ({"inputs": [ok[0], ok[0], ok[1]], "model": "claude-sonnet-4-6"}, "exactly one memory_store entry"),
        ({"inputs": [ok[0], {"type": "sessions", "session_ids": [session.id] * 2}], "model": "claude-sonnet-4-6"},
         "distinct"),
        ({"inputs": ok, "model": "claude-haiku-4-5"}, "does not run dreams"),
        ({"inputs": ok, "model": {"id": "claude-sonnet-4-6", "speed": "fast"}}, "standard"),
        ({"inputs": ok, "model": "claude-sonnet-4-6", "instructions": "x" * 4097}, "4,096"),
        ({"inputs": ok, "model": "claude-sonnet-4-6",
          "output_behavior": {"type": "update_existing", "memory_store_id": "memstore_other"}}, "input store"),
    ]
    for kwargs, why in cases:
        assert why in _error(lambda kw=kwargs: client.beta.dreams.create(**kw))["message"], kwargs
    assert _error(lambda: client.beta.dreams.create(inputs=[ok[0], {"type": "sessions", "session_ids": [
        "sesn_011CNoSuchSession00000000"]}], model="claude-sonnet-4-6"), anthropic.NotFoundError)
    empty = client.beta.memory_stores.create(name="empty")
    err = _error(lambda: client.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": empty.id},
                                                           ok[1]], model="claude-sonnet-4-6"))
    assert "(offline stub) no recorded dream fits" in err["message"]


def test_update_existing_writes_into_the_input_store_one_dream_at_a_time(client):
    store, session = _dream_inputs(client)
    kwargs = {"inputs": [{"type": "memory_store", "memory_store_id": store.id},
                         {"type": "sessions", "session_ids": [session.id]}], "model": "claude-opus-4-7",
              "output_behavior": {"type": "update_existing", "memory_store_id": store.id}}
    dream = client.beta.dreams.create(**kwargs)
    assert _error(lambda: client.beta.dreams.create(**kwargs), anthropic.ConflictError)["type"] == "conflict_error"
    assert "cancel it first" in _error(lambda: client.beta.dreams.archive(dream.id))["message"]
    running = client.beta.dreams.retrieve(dream.id)
    assert running.status == "running" and running.outputs[0].memory_store_id == store.id
    # at instant speed every look moves a dream on, a list's too: this one finds it completed
    assert [d.id for d in client.beta.dreams.list(statuses=["completed"])][:1] == [dream.id]
    assert client.beta.dreams.retrieve(dream.id).status == "completed"
    paths = {m.path for m in client.beta.memory_stores.memories.list(store.id, limit=100)}
    assert "/patterns/n-plus-one-after-deploy.md" in paths
    # the first one stopped, so no 409 now; and the store it rewrote no longer holds what the recorded dream reads
    assert "no recorded dream fits" in _error(lambda: client.beta.dreams.create(**kwargs))["message"]


def test_where_skills_and_memories_appear_is_one_rule():
    """The skills' root (the SDK's self-hosted worker: ``{workdir}/skills/<name>/``, workdir /workspace) and the
    memory mounts are what mounts.py looks for in a recording, and a recording's file mounts leave the skills out."""
    from helpers.stub import mounts
    from helpers.stub.memory_stores import MOUNT_ROOT
    from helpers.stub.recordings import _MOUNTED
    from helpers.stub.skills import SKILLS_ROOT

    assert (mounts.SKILLS_PREFIX, mounts.MEMORY_PREFIX) == (f"{SKILLS_ROOT}/", f"{MOUNT_ROOT}/")
    assert SKILLS_ROOT == "/workspace/skills"
    assert _MOUNTED.findall('cat /workspace/skills/incident-runbooks/SKILL.md /workspace/repo/x') == ["/workspace/repo/x"]
