"""helpers.check: ✅ on the right answer; ❌ with a hint (a CheckFailed) on the TODO placeholder and on
typical mistakes. The end-to-end proof (each notebook's check fails on its untouched TODO and
passes on its solution) is in test_notebooks.py."""
from __future__ import annotations

import pytest

from helpers import check


def fails(fn, *args, match: str):
    with pytest.raises(check.CheckFailed) as info:
        fn(*args)
    text = str(info.value)
    assert text.startswith("❌") and "Hint:" in text, text
    assert match in text, text
    return text


def test_framework_sentinel_and_messages(capsys):
    assert repr(check.TODO) == "check.TODO" and not check.TODO and check.is_todo(check.TODO)
    text = fails(check.need, check.TODO, "env", "2.1", match="`env` is still the TODO placeholder: complete TODO 2.1")
    assert check.CheckFailed(text)._render_traceback_() == [text]
    fails(check.need, None, "env", "2.1", match="`env` is None")
    with pytest.raises(check.CheckFailed, match="still the TODO placeholder"):
        check.TODO.id  # noqa: B018 - attribute access on the placeholder explains itself
    check.ok("fine")
    assert capsys.readouterr().out == "✅ fine\n"
    assert isinstance(check.CheckFailed("x"), AssertionError)
    assert check.attr({"a": {"b": [1, {"c": 2}]}}, "a.b.1.c") == 2


@pytest.mark.parametrize("fn,args", [
    (check.event_direction, (check.TODO, check.TODO)),
    (check.onset, (check.TODO,)),
    (check.suspect_deploy, (check.TODO,)),
    (check.db_queries, (check.TODO, check.TODO)),
    (check.environment, (check.TODO,)),
    (check.agent, (check.TODO,)),
    (check.versions, (check.TODO, check.TODO)),
    (check.session, (check.TODO,)),
    (check.stream_loop, (check.TODO, check.TODO)),
])
def test_every_check_fails_on_the_todo(fn, args):
    fails(fn, *args, match="TODO placeholder")


def test_event_direction():
    fails(check.event_direction, {"user.message", "agent.message"}, {"session.status_idle"}, match="agent.message")
    check.event_direction({"user.message", "user.custom_tool_result"}, {"agent.custom_tool_use", "session.status_idle"})


def test_incident_checks_name_the_red_herrings():
    fails(check.onset, "2026-11-18T13:58:40Z", match="minutes before")
    check.onset("2026-11-18T14:07:00Z")
    fails(check.suspect_deploy, {"id": "dep_4819"}, match="payments")
    fails(check.suspect_deploy, {"id": "dep_4822"}, match="after the onset")
    check.suspect_deploy({"id": "dep_4820"})
    fails(check.db_queries, 5, 6, match="not much more")
    check.db_queries(5, 60)


@pytest.fixture(scope="module")
def replay():
    import helpers
    from helpers import setup

    client = helpers.connect("replay")
    return client, setup


def test_resource_checks_against_the_stub(replay):
    client, setup = replay
    env = setup.ensure_environment(client)
    check.environment(env)
    open_env = client.beta.environments.create(name="wide-open", config={"type": "cloud", "networking": {"type": "unrestricted"}})
    fails(check.environment, open_env, match="whole internet")
    agent = setup.ensure_agent(client)
    check.agent(agent)
    bare = client.beta.agents.create(name="bare", model=helpers_model(), system="x" * 50,
                                     tools=[{"type": "agent_toolset_20260401"}])
    fails(check.agent, bare, match="custom tools")
    log_file = setup.ensure_log_file(client)
    session = setup.new_session(client, agent, env, log_file)
    check.session(session, agent, env)
    unmounted = client.beta.sessions.create(agent=agent.id, environment_id=env.id)
    fails(check.session, unmounted, match="not mounted")


def helpers_model():
    import helpers

    return helpers.MODEL
