"""Notebook 08's checks (helpers/check/nb08.py): ❌ on the untouched TODO and on the typical mistakes,
each naming what is wrong; ✅ on the right answer. Against the stub, through the SDK."""
from __future__ import annotations

import anthropic
import pytest

from helpers import check, i18n, resources
from helpers.settings import DATA_DIR

SKILL_DIR = DATA_DIR / "skills" / "incident-runbooks"


def fails(fn, *args, match: str) -> str:
    with pytest.raises(check.CheckFailed) as info:
        fn(*args)
    text = str(info.value)
    assert text.startswith("❌") and "Hint:" in text and match in text, text
    return text


@pytest.fixture(scope="module")
def client(server):
    from support.fixtures import sdk_client

    return sdk_client(server, max_retries=0)


@pytest.mark.parametrize("fn,args", [
    (check.skill_upload, (check.TODO, None, SKILL_DIR)),
    (check.effort, (check.TODO, None, "a", "b")),
    (check.race, (check.TODO, None, "s", "m", str, None)),
    (check.dream, (check.TODO, None, "s")),
])
def test_every_08_check_fails_on_the_todo(fn, args):
    fails(fn, *args, match="TODO placeholder")


def test_skill_upload(client, capsys):
    def flat(paths):  # no folder in front of the names
        return client.beta.skills.create(files=[(p.name, p.read_bytes(), "text/markdown") for p in paths])

    def untitled(paths):  # the right files, but the title defaults to the slug, the same for every learner
        return client.beta.skills.create(files=[(f"incident-runbooks/{p.relative_to(SKILL_DIR).as_posix()}",
                                                 p.read_bytes(), "text/markdown") for p in paths])

    def right(paths):
        return client.beta.skills.create(files=[(f"incident-runbooks/{p.relative_to(SKILL_DIR).as_posix()}",
                                                 p.read_bytes(), "text/markdown") for p in paths],
                                         display_name=resources.learner_name("incident-runbooks"))
    fails(check.skill_upload, flat, client, SKILL_DIR, match="is not a path inside")
    text = fails(check.skill_upload, untitled, client, SKILL_DIR, match="display name is 'incident-runbooks'")
    assert repr(resources.learner_name("incident-runbooks")) in text and "display_name=SKILL_TITLE" in text
    check.skill_upload(right, client, SKILL_DIR)
    assert "✅" in capsys.readouterr().out
    assert client.beta.skills.list().data == []  # the check deletes its copy (every copy, failed or not)


def test_effort(client, capsys):
    env = resources.ensure_environment(client)
    from helpers import incident

    agent = client.beta.agents.create(name="e", model="claude-sonnet-4-6", tools=incident.CUSTOM_TOOLS)
    sid = resources.new_session(client, agent, env, metadata={"recording": "parallel-sweep"}).id
    client.beta.sessions.events.send(sid, events=[{"type": "user.message", "content": [{"type": "text", "text": "x"}]}])
    while client.beta.sessions.retrieve(sid).status != "idle":  # it waits for its 7 custom tool calls: a still history
        pass

    def first_page(session_id):  # one page of 5 events only, built-in tool calls only
        page = client.beta.sessions.events.list(session_id, limit=5)
        return {"tool calls": sum(e.type == "agent.tool_use" for e in page.data),
                "model requests": sum(e.type == "span.model_request_start" for e in page.data), "output tokens": 0}
    text = fails(check.effort, first_page, client, sid, sid, match="the history says")
    assert text.startswith("❌ for the session without memory, tool calls is "), text
    fails(check.effort, lambda s: [1, 2, 3], client, sid, sid, match="not a dict")
    with i18n.use("ja"):  # the same mistake in a Japanese notebook: the label translated, the dict's key as it is
        with pytest.raises(check.CheckFailed) as info:
            check.effort(first_page, client, sid, sid)
    assert str(info.value).startswith("❌ メモリなしのセッションで、tool calls が "), str(info.value)
    assert "ヒント: agent.tool_use と agent.custom_tool_use のイベントを数えます。履歴のすべてのページ" in str(info.value)

    def right(session_id):
        out = {"tool calls": 0, "model requests": 0, "output tokens": 0}
        for ev in client.beta.sessions.events.list(session_id, limit=100):
            out["tool calls"] += ev.type in ("agent.tool_use", "agent.custom_tool_use")
            out["model requests"] += ev.type == "span.model_request_start"
            out["output tokens"] += ev.model_usage.output_tokens if ev.type == "span.model_request_end" else 0
        return out
    check.effort(right, client, sid, sid)
    assert capsys.readouterr().out.startswith("✅ effort() counts right: 7 tool calls and 1 model requests without memory")
    with i18n.use("ja"):
        check.effort(right, client, sid, sid)
    assert capsys.readouterr().out.startswith(
        "✅ effort() は正しく数えています。メモリなしではツール呼び出し 7 回とモデルリクエスト 1 回")


def test_race(client, capsys):
    store = client.beta.memory_stores.create(name="race")
    memory = client.beta.memory_stores.memories.create(store.id, path="/lesson.md", content="lesson\n")

    def teammate():
        if not teammate.done:
            teammate.done = True
            now = client.beta.memory_stores.memories.retrieve(memory.id, memory_store_id=store.id)
            client.beta.memory_stores.memories.update(memory.id, memory_store_id=store.id,
                                                      content=now.content + "- Owner: checkout team.\n")
    teammate.done = False

    def add(text):  # the edit lets the teammate in (once), as the notebook's add_line does
        teammate()
        return text + "- Seen again.\n"

    def blind(memory_id, edit):  # no precondition: overwrites the teammate
        current = client.beta.memory_stores.memories.retrieve(memory_id, memory_store_id=store.id)
        return client.beta.memory_stores.memories.update(memory_id, memory_store_id=store.id,
                                                         content=edit(current.content)), 1
    fails(check.race, blind, client, store.id, memory.id, add, teammate, match="overwrote it")

    def careful(memory_id, edit):
        for attempt in range(1, 4):
            current = client.beta.memory_stores.memories.retrieve(memory_id, memory_store_id=store.id)
            try:
                return client.beta.memory_stores.memories.update(memory_id, memory_store_id=store.id,
                    content=edit(current.content),
                    precondition={"type": "content_sha256", "content_sha256": current.content_sha256}), attempt
            except anthropic.ConflictError:
                continue
    check.race(careful, client, store.id, memory.id, add, teammate)
    assert "✅" in capsys.readouterr().out


def test_dream(client, capsys):
    from helpers.stub.dreams import load_results
    from helpers.stub.recordings import default_dir

    env = resources.ensure_environment(client)
    agent = client.beta.agents.create(name="d", model="claude-sonnet-4-6")
    session = client.beta.sessions.create(agent=agent.id, environment_id=env.id)
    store = client.beta.memory_stores.create(name="dreamy")
    for path in load_results(default_dir())[0].input_paths:
        client.beta.memory_stores.memories.create(store.id, path=path, content="x")
    dream = client.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": store.id},
                                              {"type": "sessions", "session_ids": [session.id]}],
                                      model="claude-sonnet-4-6")
    fails(check.dream, dream, client, store.id, match="while the dream was pending")
    canceled = client.beta.dreams.cancel(dream.id)
    fails(check.dream, canceled, client, store.id, match="ended canceled")
    again = client.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": store.id},
                                             {"type": "sessions", "session_ids": [session.id]}],
                                      model="claude-sonnet-4-6")
    while (done := client.beta.dreams.retrieve(again.id)).status != "completed":
        pass
    check.dream(done, client, store.id)
    assert "✅" in capsys.readouterr().out
