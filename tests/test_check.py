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
    assert repr(check.TODO) == "check.TODO" and str(check.TODO) == "check.TODO" and check.is_todo(check.TODO)
    assert check.TODO is check.TODO and check.TODO == check.TODO and check.TODO is not None
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
    fails(check.event_direction, {"user.message"}, {"user.custom_tool_result", "agent.custom_tool_use"},
          match="they only come back to you as echoes of what you sent")
    for sent, received in (({"user.message"}, {"agent.custom_tool_use", "session.status_idle"}),
                           ({"user.message", "user.custom_tool_result"}, {"session.status_idle"})):
        text = fails(check.event_direction, sent, received, match="is missing")
        assert "SLIDE_EVENTS" in text and "printed above" in text and "column" not in text and "table" not in text
    check.event_direction({"user.message", "user.custom_tool_result"}, {"agent.custom_tool_use", "session.status_idle"})


def test_incident_checks_name_the_red_herrings():
    text = fails(check.onset, "2026-11-18T13:58:40Z", match="minutes before")
    assert "13:30" in text and 'checkout.index[checkout["p99_ms"] > 3 * baseline][0]' in text
    assert "spike" not in text and "14:00" not in text
    text = fails(check.onset, "soon", match="not a timestamp")
    assert "checkout.index" in text and "spike" not in text
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
    limited = {"type": "limited", "allowed_hosts": [], "allow_package_managers": False}
    locked = client.beta.environments.create(name="locked", metadata=setup.WORKSHOP_METADATA, config={
        "type": "cloud", "networking": limited, "packages": {"pip": ["pandas"], "apt": ["jq"]}})
    text = fails(check.environment, locked, match="package managers must be allowed when you list packages")
    assert "apt: jq; pip: pandas" in text
    bare_env = client.beta.environments.create(name="bare-env", metadata=setup.WORKSHOP_METADATA,
                                               config={"type": "cloud", "networking": limited})
    text = fails(check.environment, bare_env, match="allow_package_managers is off")
    assert "lists packages" not in text and "installs packages" not in text
    agent = setup.ensure_agent(client)
    check.agent(agent)
    bare = client.beta.agents.create(name="bare", model=helpers_model(), system="x" * 50,
                                     tools=[{"type": "agent_toolset_20260401"}])
    text = fails(check.agent, bare, match="the investigator needs read-only tools")
    assert "write, edit, web_fetch, web_search" in text and '"default_config": {"enabled": False}' in text
    toolset_only = client.beta.agents.create(name="toolset-only", model=helpers_model(), system="x" * 50,
                                             tools=setup.agent_tools()[:1])
    fails(check.agent, toolset_only, match="custom tools")
    no_toolset = client.beta.agents.create(name="no-toolset", model=helpers_model(), system="x" * 50,
                                           tools=setup.agent_tools()[1:])
    text = fails(check.agent, no_toolset, match="no built-in toolset")
    assert '"default_config": {"enabled": False}' in text and '"glob"' in text
    writer = client.beta.agents.create(name="writer", model=helpers_model(), system="x" * 50, tools=[
        {**setup.agent_tools()[0], "configs": [*setup.agent_tools()[0]["configs"], {"name": "write", "enabled": True}]},
        *setup.agent_tools()[1:]])
    fails(check.agent, writer, match="the agent can use write: configs turn them on")
    log_file = setup.ensure_log_file(client)
    session = setup.new_session(client, agent, env, log_file)
    check.session(session, agent, env)
    unmounted = client.beta.sessions.create(agent=agent.id, environment_id=env.id)
    fails(check.session, unmounted, match="not mounted")


def helpers_model():
    import helpers

    return helpers.MODEL


# --------------------------------------------------------------------------- the TODO placeholder
def _run_cell(source: str, name: str = "<cell>") -> dict:
    """Run ``source`` as a notebook cell would (its lines in linecache, like IPython's), return its namespace."""
    import linecache

    filename = f"<learner-{name}-{abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"check": check}
    try:
        exec(compile(source, filename, "exec"), namespace)
    except NotImplementedError:
        pass
    return namespace


LEARNER_CELL = """\
baseline = 120
# TODO 1.1: Find the onset
# Hint: onset = checkout.index[checkout["p99_ms"] > 3 * baseline][0]
# Replace the lines below with your code.
onset = check.TODO
raise NotImplementedError("TODO 1.1 (Find the onset): write your code here, then run this cell")
"""


def _placeholder_fails(action, match: str = "`onset` is still the TODO placeholder") -> str:
    with pytest.raises(check.CheckFailed) as info:
        action()
    text = str(info.value)
    assert text.startswith("❌") and "Hint:" in text and match in text and "do TODO 1.1 first" in text, text
    assert "_Todo" not in text and "_typ" not in text, text
    return text


def test_todo_placeholder_names_its_todo_whatever_the_learner_does_with_it():
    import pandas as pd

    onset = _run_cell(LEARNER_CELL)["onset"]
    assert check.is_todo(onset) and repr(onset) == "check.TODO" and f"{onset}" == "check.TODO"
    assert onset is not None and onset == onset and check.TODO is not onset
    fails(check.onset, onset, match="`onset` is still the TODO placeholder: complete TODO 1.1")
    series = pd.Series(pd.to_datetime(["2026-11-18T14:00:00Z"], utc=True))
    checks = [
        lambda: list(onset), lambda: reversed(onset), lambda: onset[0], lambda: onset("x"), lambda: len(onset),
        lambda: onset - pd.Timedelta("45min"), lambda: pd.Timedelta("45min") + onset, lambda: onset < 3,
        lambda: 3 >= onset, lambda: float(onset), lambda: int(onset), lambda: bool(onset), lambda: "x" in onset,
        lambda: onset.iloc, lambda: onset._typ, lambda: series <= onset, lambda: series >= onset - pd.Timedelta("1min"),
        lambda: pd.DataFrame({"a": [1]}).loc[onset], lambda: f"{onset:g}", lambda: setattr(onset, "id", 1),
    ]
    for action in checks:
        _placeholder_fails(action)
    assert "(it has no .iloc)" in _placeholder_fails(lambda: onset.iloc)
    assert "(it cannot be looped over)" in _placeholder_fails(lambda: list(onset))
    # the placeholder was not changed by any of that
    assert not hasattr(onset, "__array__") and vars(onset) == {"num": "1.1", "name": "onset"}


def test_todo_placeholder_without_a_cell_still_explains():
    todo = check.TODO
    with pytest.raises(check.CheckFailed, match="still the TODO placeholder.*do the TODO cell above first"):
        iter(todo)
    with pytest.raises(check.CheckFailed, match="still the TODO placeholder"):
        check.TODO.id  # noqa: B018 - attribute access on the placeholder explains itself


def test_todo_placeholder_displays_in_ipython():
    import copy

    from IPython.core.interactiveshell import InteractiveShell

    onset = _run_cell(LEARNER_CELL, "display")["onset"]
    shell = InteractiveShell.instance()
    data, _ = shell.display_formatter.format(onset)
    assert data == {"text/plain": "check.TODO"}
    for probe in ("_repr_html_", "_repr_markdown_", "_repr_mimebundle_", "_ipython_display_",
                  "_ipython_canary_method_should_not_exist_", "__array__", "__wrapped__"):
        assert not hasattr(onset, probe), probe
    assert copy.copy(onset) is onset and copy.deepcopy([onset])[0] is onset
