"""helpers.check: ✅ on the right answer; ❌ with a hint (a CheckFailed) on the TODO placeholder and on
typical mistakes. The end-to-end proof (each notebook's check fails on its untouched TODO and
passes on its solution) is in test_notebooks.py."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from helpers import check, i18n
from helpers.outputs import BETA
from helpers.settings import API_KEY_PREFIX
from support.scripts import script


def fails(fn, *args, match: str):
    with pytest.raises(check.CheckFailed) as info:
        fn(*args)
    text = str(info.value)
    assert text.startswith("❌") and "Hint:" in text, text
    assert match in text, text
    return text


def _untouched(ev, *args):
    raise NotImplementedError("TODO (untouched)")


class TestFramework:
    """The framework: the TODO sentinel and the messages, every check failing on the TODO, the optional exercises."""

    def test_framework_sentinel_and_messages(self, capsys):
        assert repr(check.TODO) == "check.TODO" and str(check.TODO) == "check.TODO" and check.is_todo(check.TODO)
        assert check.TODO is check.TODO and check.TODO == check.TODO and check.TODO is not None
        text = fails(check.need, check.TODO, "env", "2.1", match="TODO 2.1 is not done yet: `env` is still the TODO placeholder")
        assert check.CheckFailed(text)._render_traceback_() == [text]
        fails(check.need, None, "env", "2.1", match="`env` is None")
        with pytest.raises(check.CheckFailed, match="still the TODO placeholder"):
            check.TODO.id  # noqa: B018 - attribute access on the placeholder explains itself
        check.ok("fine")
        assert capsys.readouterr().out == "✅ fine\n"
        assert isinstance(check.CheckFailed("x"), AssertionError)
        assert check.attr({"a": {"b": [1, {"c": 2}]}}, "a.b.1.c") == 2

    def test_helpers_check_imported_again_watches_with_its_own_runs(self):
        """Review: a flag on the shell kept a re-imported helpers.check (its modules removed from sys.modules) from
        registering its own callback and handler; the old module's went on filling and reading a stale _RUNS. In a
        fresh process (sys.modules and IPython's shell are process-wide): the new module's callback and handler
        replace the old ones, and a handler that is not ours is never replaced."""
        import subprocess
        import sys

        code = r"""
import contextlib, importlib, io, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()

def fresh():
    for name in [m for m in sys.modules if m == "helpers.check" or m.startswith("helpers.check.")]:
        del sys.modules[name]
    return importlib.import_module("helpers.check")

def ours():
    return [cb for cb in shell.events.callbacks["post_run_cell"] if cb.__module__ == "helpers.check.runs"]

old = importlib.import_module("helpers.check")
new = fresh()
assert new is not old and ours() == [new._note_run], ours()
shell.user_ns["check"] = new
shell.run_cell("# TODO 2.1: make it\nenv = undefined_thing")
assert list(new._RUNS) == ["2.1"] and old._RUNS == {}, (new._RUNS, old._RUNS)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    shell.run_cell("check.environment(env)")
assert "the TODO 2.1 cell stopped with a NameError" in out.getvalue(), out.getvalue()  # the new _RUNS
shell.set_custom_exc((ZeroDivisionError,), lambda *a, **k: ["theirs"])
theirs = shell.CustomTB
third = fresh()
assert ours() == [third._note_run] and shell.CustomTB is theirs and shell.custom_exceptions == (ZeroDivisionError,)
"""
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

    def test_every_check_knows_its_exercise(self):
        """Review: the checks of 08 and 09 had no entry in _TODO_OF_CHECK, so a NameError in their cells was never
        explained. Every public check (check.__all__ less the framework's names; ``setup`` judges no exercise) names
        its TODO, one of its own notebook's, as its module registers it."""
        import helpers.check.runs as runs

        framework = {"TODO", "CheckFailed", "ok", "fail", "need", "attr", "is_todo", "hint", "setup"}
        checks = set(check.__all__) - framework
        assert set(runs._TODO_OF_CHECK) == checks, set(runs._TODO_OF_CHECK) ^ checks
        for name, todo in runs._TODO_OF_CHECK.items():
            module = getattr(check, name).__module__
            assert module.endswith(f".nb0{todo.split('.')[0]}"), (name, todo, module)

    @pytest.mark.parametrize("fn,args", [
        (check.environment, (check.TODO,)),
        (check.agent, (check.TODO,)),
        (check.session, (check.TODO,)),
        (check.stream_loop, (check.TODO, check.TODO)),
        (check.deployment, (check.TODO, None, None, None)),
        (check.responded, (check.TODO, None, None)),
        (check.report, (check.TODO, None, "sesn_x")),
    ])
    def test_every_check_fails_on_the_todo(self, fn, args):
        fails(fn, *args, match="TODO placeholder")

    @pytest.mark.parametrize("fn,args,todo", [
        (check.event_direction, (check.TODO, check.TODO), "0.1"),
        (check.onset, (check.TODO,), "1.1"),
        (check.suspect_deploy, (check.TODO,), "1.2"),
        (check.db_queries, (check.TODO, check.TODO), "1.3"),
        (check.versions, (check.TODO, check.TODO), "2.3"),
        (check.tool_handler, (_untouched,), "4.2"),
        (check.tool_answer, (_untouched,), "4.3"),
    ])
    def test_an_untouched_optional_exercise_is_said_not_done_without_failing(self, fn, args, todo, capsys):
        """Optional in the workshop: *Run All* of a presenter-led notebook goes on past it (issue 19, walkthrough 1)."""
        assert fn(*args) is None
        out = capsys.readouterr().out
        assert out.startswith(f"⏭ TODO {todo} is not done yet") and "optional in the workshop" in out, out
        assert "❌" not in out

    def test_a_wrong_answer_to_an_optional_exercise_still_fails(self):
        fails(check.onset, "2026-11-18T13:58:40Z", match="minutes before")
        fails(check.tool_handler, lambda name, args: "nothing", match="did not return what incident")

    def test_the_optional_exercises_are_the_ones_the_estimate_skips(self):
        """check.OPTIONAL_IN_WORKSHOP and the notebooks' headings (scripts/estimate_time.py) name the same exercises."""
        estimate_time = script("estimate_time")
        skipped = {t.number for r in estimate_time.on_path(estimate_time.estimates()) for t in r.todos if t.skipped}
        assert skipped == set(check.OPTIONAL_IN_WORKSHOP)


@pytest.fixture(scope="module")
def replay():
    import helpers
    from helpers import resources

    client = helpers.connect("replay")
    return client, resources


class Test00To02:
    """00-02: the direction of events, the incident's facts and red herrings, the environment and the agent on the
    stub."""

    def test_event_direction(self):
        fails(check.event_direction, {"user.message", "agent.message"}, {"session.status_idle"}, match="agent.message")
        fails(check.event_direction, {"user.message"}, {"user.custom_tool_result", "agent.custom_tool_use"},
              match="they only come back to you as echoes of what you sent")
        for sent, received in (({"user.message"}, {"agent.custom_tool_use", "session.status_idle"}),
                               ({"user.message", "user.custom_tool_result"}, {"session.status_idle"})):
            text = fails(check.event_direction, sent, received, match="is missing")
            assert "CORE_EVENTS" in text and "printed above" in text and "column" not in text and "table" not in text
        check.event_direction({"user.message", "user.custom_tool_result"}, {"agent.custom_tool_use", "session.status_idle"})

    def test_incident_checks_name_the_red_herrings(self):
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

    @staticmethod
    def _packages_are_checked(client, resources):
        """Walkthrough 3: an environment without the goal's packages passed ✅. Each one missing is named."""
        networking = resources.environment_config()["networking"]
        for packages, missing in (({}, "pandas (pip), jq (apt)"), ({"pip": ["pandas"]}, "jq (apt)"),
                                  ({"apt": ["jq"], "pip": ["numpy"]}, "pandas (pip)")):
            env = client.beta.environments.create(name="no-packages", metadata=resources.WORKSHOP_METADATA, config={
                "type": "cloud", "networking": networking, **({"packages": packages} if packages else {})})
            text = fails(check.environment, env, match=f"the environment's packages lack {missing} (it lists ")
            assert '"packages": packages' in text, text
        more = client.beta.environments.create(name="more-packages", metadata=resources.WORKSHOP_METADATA, config={
            "type": "cloud", "networking": networking, "packages": {"pip": ["pandas", "numpy"], "apt": ["jq"]}})
        check.environment(more)  # more than the goal asks is not wrong

    def test_resource_checks_against_the_stub(self, replay):
        client, resources = replay
        env = resources.ensure_environment(client)
        check.environment(env)
        open_env = client.beta.environments.create(name="wide-open", config={
            "type": "cloud", "networking": {"type": "unrestricted"}})
        fails(check.environment, open_env, match="whole internet")
        limited = {"type": "limited", "allowed_hosts": [], "allow_package_managers": False}
        locked = client.beta.environments.create(name="locked", metadata=resources.WORKSHOP_METADATA, config={
            "type": "cloud", "networking": limited, "packages": {"pip": ["pandas"], "apt": ["jq"]}})
        text = fails(check.environment, locked, match="package managers must be allowed when you list packages")
        assert "apt: jq; pip: pandas" in text
        bare_env = client.beta.environments.create(name="bare-env", metadata=resources.WORKSHOP_METADATA,
                                                   config={"type": "cloud", "networking": limited})
        text = fails(check.environment, bare_env, match="allow_package_managers is off")
        assert "lists packages" not in text and "installs packages" not in text
        agent = resources.ensure_agent(client)
        self._packages_are_checked(client, resources)
        check.agent(agent)
        bare = client.beta.agents.create(name="bare", model=helpers_model(), system="x" * 50,
                                         tools=[{"type": "agent_toolset_20260401"}])
        text = fails(check.agent, bare, match="the investigator needs read-only tools")
        assert "write, edit, web_fetch, web_search" in text and '"default_config": {"enabled": False}' in text
        toolset_only = client.beta.agents.create(name="toolset-only", model=helpers_model(), system="x" * 50,
                                                 tools=resources.agent_tools()[:1])
        fails(check.agent, toolset_only, match="custom tools")
        no_toolset = client.beta.agents.create(name="no-toolset", model=helpers_model(), system="x" * 50,
                                               tools=resources.agent_tools()[1:])
        text = fails(check.agent, no_toolset, match="no built-in toolset")
        assert '"default_config": {"enabled": False}' in text and '"glob"' in text
        writer = client.beta.agents.create(name="writer", model=helpers_model(), system="x" * 50, tools=[
            {**resources.agent_tools()[0],
             "configs": [*resources.agent_tools()[0]["configs"], {"name": "write", "enabled": True}]},
            *resources.agent_tools()[1:]])
        fails(check.agent, writer, match="the agent can use write: configs turn them on")
        log_file = resources.ensure_log_file(client)
        session = resources.new_session(client, agent, env, log_file)
        check.session(session, agent, env)
        unmounted = client.beta.sessions.create(agent=agent.id, environment_id=env.id)
        fails(check.session, unmounted, match="not mounted")
        log = {"type": "file", "file_id": log_file.id, "mount_path": resources.LOG_MOUNT_PATH}
        untagged = client.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=[log])  # no **tags
        text = fails(check.session, untagged, match="the session's metadata ({}) does not say it is yours")
        assert "`**tags`" in text and "workshop.py reset" in text, text
        tags = {"title": "Incident-2277: checkout p99 10x", "metadata": resources.WORKSHOP_METADATA}
        check.session(client.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=[log], **tags), agent, env)

    def test_environment_and_agent_need_the_learner_key_too(self, replay):
        """A learner who typed the workshop key alone passes nothing: 03's ensure_* finds only what is_mine."""
        client, resources = replay
        workshop_only = {"workshop": resources.WORKSHOP}
        env = client.beta.environments.create(name=resources.ENVIRONMENT_NAME, metadata=workshop_only,
                                              config=resources.environment_config())
        text = fails(check.environment, env, match="without 'learner'")
        assert repr(resources.LEARNER) in text and "pass metadata=WORKSHOP_METADATA" in text
        assert not resources.is_mine(env)  # what the ❌ is about: find_environment would pass it by
        definition = {**resources.agent_definition(), "metadata": workshop_only}
        agent = client.beta.agents.create(**definition)
        text = fails(check.agent, agent, match="without 'learner'")
        assert "WORKSHOP_LEARNER" in text and "pass metadata=WORKSHOP_METADATA" in text
        fails(check.agent, client.beta.agents.create(**{**definition, "metadata": {}}),
              match="without 'workshop': 'ship-your-first-managed-agent', 'learner'")
        check.agent(client.beta.agents.create(**resources.agent_definition()))
        check.environment(resources.ensure_environment(client))


def helpers_model():
    import helpers

    return helpers.MODEL



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


class TestTodoPlaceholder:
    """The TODO placeholder names its TODO whatever the learner does with it, with a cell or without, and displays in
    IPython."""

    def test_todo_placeholder_names_its_todo_whatever_the_learner_does_with_it(self):
        import pandas as pd

        onset = _run_cell(LEARNER_CELL)["onset"]
        assert check.is_todo(onset) and repr(onset) == "check.TODO" and f"{onset}" == "check.TODO"
        assert onset is not None and onset == onset and check.TODO is not onset
        fails(check.need, onset, "onset", "9.1", match="TODO 9.1 is not done yet: `onset` is still the TODO placeholder")
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

    def test_todo_placeholder_without_a_cell_still_explains(self):
        todo = check.TODO
        with pytest.raises(check.CheckFailed, match="still the TODO placeholder.*do the TODO cell above first"):
            iter(todo)
        with pytest.raises(check.CheckFailed, match="still the TODO placeholder"):
            check.TODO.id  # noqa: B018 - attribute access on the placeholder explains itself

    def test_todo_placeholder_displays_in_ipython(self):
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


def _events(*specs):
    """Real SDK event objects (what the stream yields), built the way the checks build theirs."""
    out = []
    for i, spec in enumerate(specs):
        kind, _, reason = spec.partition(":")
        data = {"type": kind, "id": f"sevt_t{i}"}
        if kind == "session.status_idle":
            ids = {"event_ids": ["sevt_t2"]} if reason == "requires_action" else {}
            data["stop_reason"] = {"type": reason or "end_turn", **ids}
        elif kind == "agent.message":
            data["content"] = [{"type": "text", "text": "Looking at the metrics."}]
        elif kind == "user.message":
            data["content"] = [{"type": "text", "text": "Why is checkout slow?"}]
        elif kind == "agent.custom_tool_use":
            data.update(name="get_metrics", input={"service": "checkout"})
        out.append(check._sdk_event(data))
    return out


TURN = ("user.message", "session.status_running", "agent.message", "agent.custom_tool_use",
        "session.status_idle:requires_action")


class Test03StreamLoop:
    """03: the stream loop's check says what went wrong, in order."""

    def test_unused_session_is_the_same_until_it_has_a_conversation(self, replay):
        """03's 3.2 cell starts with `session = resources.unused_session(client, session)`: the session of 3.1 on the
        first run; on a re-run (the first conversation is there) a new one like it: agent, environment, title,
        metadata, app.log mounted."""
        client, resources = replay
        env, agent, log_file = resources.ensure_all(client)
        first = resources.new_session(client, agent, env, log_file, title="unused?", metadata={"recording": "incident-2277"})
        assert resources.unused_session(client, first).id == first.id
        client.beta.sessions.events.send(first.id, events=[
            {"type": "user.message", "content": [{"type": "text", "text": "checkout p99 is up: why?"}]}])
        fresh = resources.unused_session(client, first)
        assert fresh.id != first.id and resources.unused_session(client, fresh).id == fresh.id
        assert (fresh.agent.id, fresh.environment_id, fresh.title) == (agent.id, env.id, "unused?")
        assert fresh.metadata == {**resources.WORKSHOP_METADATA, "recording": "incident-2277"}
        check.session(fresh, agent, env)  # app.log mounted where the agent reads it
        fails(resources.unused_session, client, check.TODO, match="still the TODO placeholder")

    def test_unused_session_interrupts_a_used_session_that_is_still_running(self, replay):
        """Review: a loop that stopped reading early leaves its session running (live, it keeps working and costs);
        unused_session sends it a user.interrupt before it makes the new one. A session with only other user events
        (an interrupt) has no conversation: it is still unused."""
        import time

        client, resources = replay
        env, agent, log_file = resources.ensure_all(client)
        first = resources.new_session(client, agent, env, log_file, title="running?", metadata={"recording": "interrupt"})
        client.beta.sessions.events.send(first.id, events=[{"type": "user.interrupt"}])
        assert resources.unused_session(client, first).id == first.id  # an interrupt is no conversation
        client.beta.sessions.events.send(first.id, events=[
            {"type": "user.message", "content": [{"type": "text", "text": "Audit app.log, one service at a time."}]}])
        deadline = time.monotonic() + 30
        while client.beta.sessions.retrieve(first.id).status != "running":
            assert time.monotonic() < deadline, "the session never ran"
            time.sleep(0.1)
        fresh = resources.unused_session(client, first)
        assert fresh.id != first.id
        deadline = time.monotonic() + 10  # the recording waits 30 s for an interrupt: only ours stops it this soon
        while client.beta.sessions.retrieve(first.id).status != "idle":
            assert time.monotonic() < deadline, "the used session is still running"
            time.sleep(0.1)
        types = [e.type for e in client.beta.sessions.events.list(first.id, limit=1000)]
        assert types.count("user.interrupt") == 2 and types.index("user.message") < len(types) - 1 - types[::-1].index(
            "user.interrupt"), types

    def test_stream_loop_says_what_went_wrong_in_order(self):
        events = _events(*TURN)
        check.stream_loop(events, "requires_action")
        fails(check.stream_loop, [], None, match="your loop saw no events")
        fails(check.stream_loop, [], "end_turn", match="`with client.beta.sessions.events.stream(")
        # the loop compared the wrong string (or never stopped): it saw the idle but never set stop_reason
        text = fails(check.stream_loop, events, None, match="you saw session.status_idle but never set stop_reason")
        assert 'event.type == "session.status_idle"' in text and "stop_reason = event.stop_reason.type" in text
        fails(check.stream_loop, events[:3], None,
              match="stopped after 3 events (the last one agent.message), before any session.status_idle")
        fails(check.stream_loop, events[:3], "end_turn", match="before any session.status_idle")
        fails(check.stream_loop, events, events[-1].stop_reason, match="the whole stop_reason object")
        fails(check.stream_loop, [*events, *_events("session.status_running")], "requires_action", match="kept reading")
        for reason in ("end_turn", "retries_exhausted", "budget_reached", "refusal", "terminated"):  # the SDK's, and ours
            check.stream_loop(events, reason)
        fails(check.stream_loop, events, "finished", match="'finished', which is not a stop reason")


def my_handle_tool(name, args):  # 4.2's solution: its own name, so 4.1's handle_tool stays incident.handle_tool
    from helpers import incident

    tools = {"query_logs": incident.query_logs, "get_metrics": incident.get_metrics,
             "list_deploys": incident.list_deploys, "get_diff": incident.get_diff}
    if name not in tools:
        raise ValueError(f"unknown tool {name!r}")
    return tools[name](**(args or {}))


def answer(ev):
    try:
        text, is_error = my_handle_tool(ev.name, ev.input), False
    except Exception as exc:
        text, is_error = f"Error: {exc}", True
    return {"type": "user.custom_tool_result", "custom_tool_use_id": ev.id,
            "content": [{"type": "text", "text": text}], "is_error": is_error}


class Test04CustomTools:
    """04: the tool answer and the confirmation blame the learner's own code."""

    def test_tool_answer_blames_the_right_code(self):
        check.tool_answer(answer)

        def wrong_id(ev):
            return {**answer(ev), "custom_tool_use_id": ev.tool_use_id}

        text = fails(check.tool_answer, wrong_id, match="answer() raised an AttributeError in its own code")
        assert "ev.id" in text and "wrap the my_handle_tool" not in text

        def subscript(ev):
            return {**answer(ev), "custom_tool_use_id": ev["id"]}

        fails(check.tool_answer, subscript, match="raised a TypeError in its own code")

        def no_try(ev):
            return {"type": "user.custom_tool_result", "custom_tool_use_id": ev.id,
                    "content": [{"type": "text", "text": my_handle_tool(ev.name, ev.input)}]}

        fails(check.tool_answer, no_try, match="answer() let a ToolError from my_handle_tool escape for the bad call get_diff")

        def direct(ev):  # calls helpers.incident's tool itself: the error is still the tool's (raised in helpers/incident/)
            from helpers import incident

            text = getattr(incident, ev.name)(**ev.input)
            return {"type": "user.custom_tool_result", "custom_tool_use_id": ev.id, "content": [{"type": "text", "text": text}]}

        fails(check.tool_answer, direct, match="answer() let a ToolError from my_handle_tool escape for the bad call get_diff")

        def string_flag(ev):
            return {**answer(ev), "is_error": "false"}

        text = fails(check.tool_answer, string_flag, match="is_error is 'false' (a str); it must be a bool")
        assert "True" not in text.splitlines()[0]

        def confirmation_key(ev):
            out = answer(ev)
            out["tool_use_id"] = out.pop("custom_tool_use_id")
            return out

        fails(check.tool_answer, confirmation_key, match="that key belongs to user.tool_confirmation")

    def test_an_answer_calling_an_unwritten_4_2_is_not_blamed(self, capsys):
        """4.3 written, 4.2 not: its check says 4.2 comes first (optional: it does not fail), not "answer still
        raises NotImplementedError"."""
        def unwritten(name, args):
            raise NotImplementedError("TODO 4.2 (Write your own handle_tool): write your code here, then run this cell")

        def written(ev):
            try:
                text, is_error = unwritten(ev.name, ev.input), False
            except ValueError as exc:
                text, is_error = f"Error: {exc}", True
            return {"type": "user.custom_tool_result", "custom_tool_use_id": ev.id,
                    "content": [{"type": "text", "text": text}], "is_error": is_error}

        assert check.tool_answer(written) is None
        out = capsys.readouterr().out
        assert out.startswith("⏭ TODO 4.3 is not done yet: answer() calls my_handle_tool, which TODO 4.2 has not "
                              "written yet") and "answer still raises" not in out, out

    def test_confirmation_reports_the_learners_own_exception(self):
        def right(tool_use, allow, deny_message=None):
            event = {"type": "user.tool_confirmation", "tool_use_id": tool_use.id, "result": "allow" if allow else "deny"}
            if not allow and deny_message:
                event["deny_message"] = deny_message
            return event

        check.confirmation(right)

        def wrong(tool_use, allow, deny_message=None):
            return {**right(tool_use, allow, deny_message), "tool_use_id": tool_use.tool_use_id}

        text = fails(check.confirmation, wrong, match="confirmation() raised an AttributeError")
        assert "tool_use.id" in text


def _investigate(client, session_id, *, reply=answer, stop_on_any_idle=False, generator=False, note=True,
                 answered=None):
    """The 4.1 loop (events are appended to a list; with ``generator=True`` yielded, as the slide does), and the
    learner's usual variants of it. ``answered`` collects the ids the loop notes (with ``note=False``, none)."""
    answered = set() if answered is None else answered

    def run():
        with client.beta.sessions.events.stream(session_id, timeout=60) as stream:
            client.beta.sessions.events.send(session_id, events=[
                {"type": "user.message", "content": [{"type": "text", "text": "Incident-2277: why is checkout slow?"}]}])
            for ev in stream:
                yield ev
                if ev.type == "agent.custom_tool_use":
                    client.beta.sessions.events.send(session_id, events=[reply(ev)])
                    if note:
                        answered.add(ev.id)
                if ev.type == "session.status_terminated" or (ev.type == "session.status_idle" and (
                        stop_on_any_idle or ev.stop_reason.type != "requires_action"
                        or set(ev.stop_reason.event_ids) - answered)):
                    break

    return run() if generator else list(run())


@pytest.fixture()
def new_session(replay):
    client, resources = replay

    def make():
        return resources.new_session(client, metadata={"recording": "incident-2277"})

    return make


class Test04Investigation:
    """04: the investigation passes, and names each mistake of a loop, on every run and at any pace."""

    def test_investigation_passes_and_names_each_mistake(self, replay, new_session):
        client, _ = replay
        session = new_session()
        answered = set()
        events = _investigate(client, session.id, answered=answered)
        check.investigation(events, answered, client, session.id)
        # re-running the loop on the same (finished) session
        again = _investigate(client, session.id)
        fails(check.investigation, again, set(), client, session.id, match="this session's investigation already ran")

        session = new_session()
        gen = _investigate(client, session.id, generator=True)
        fails(check.investigation, gen, set(), client, session.id, match="`events` is a generator: you kept the slide's `yield`")
        gen.close()

        session = new_session()

        def late(ev):  # the stub skips a recorded requires_action idle whose calls were all answered already: answer
            time.sleep(0.3)  # after it is out, as live, so a loaded machine cannot race past the idle this case needs
            return answer(ev)

        answered = set()
        events = _investigate(client, session.id, reply=late, stop_on_any_idle=True, answered=answered)
        text = fails(check.investigation, events, answered, client, session.id,
                     match="your loop stopped on a requires_action idle")
        assert "the cell's `continue`" in text and "answered.add(event.id)" in text

        session = new_session()
        answered = set()
        events = _investigate(client, session.id, reply=lambda ev: {**answer(ev), "content": [{"type": "text", "text": ""}]},
                              answered=answered)
        fails(check.investigation, events, answered, client, session.id, match="the result you sent for get_metrics(")

        session = new_session()
        answered = set()
        events = _investigate(client, session.id, reply=lambda ev: {**answer(ev), "content": [{"type": "text", "text": "ok"}]},
                              answered=answered)
        text = fails(check.investigation, events, answered, client, session.id,
                     match="is not what handle_tool('get_metrics', event.input) returns")
        assert "you sent 'ok'" in text

    def test_a_loop_that_does_not_note_its_answers_fails_whichever_comes_first(self, replay, new_session):
        """Without answered.add(event.id) the given stop ends the loop at the requires_action idle after an answer, if that
        idle comes before the answer lands, and reads on to end_turn if the answer comes first (the stub then skips the
        recorded idle). Walkthrough 1 saw 5 passes in 11 runs. The check judges `answered`, so both orders fail alike."""
        client, _ = replay
        messages = []
        for reply in (answer, lambda ev: (time.sleep(0.3), answer(ev))[1]):  # the answer first / the idle first
            session = new_session()
            events = _investigate(client, session.id, reply=reply, note=False)
            messages.append(fails(check.investigation, events, set(), client, session.id,
                                  match="without adding its id to `answered`"))
        assert all("answered.add(event.id)" in m for m in messages)
        assert messages[0].split(" (")[0] == messages[1].split(" (")[0], messages

    def test_a_wrong_loop_fails_its_check_on_every_run_at_a_human_pace(self):
        """The walkthrough's flaky case, driven many times: the replay at its recorded pace (gaps capped at 50 ms), where
        the answer to a call and the idle after it race. A loop without answered.add(event.id) fails every run, blamed on that
        line; the right loop passes every run."""
        import helpers
        from helpers import resources, stub

        with stub.start(speed=1, max_gap=0.05) as server:
            client = helpers.connect("live", api_key=API_KEY_PREFIX + "test-not-a-key", base_url=server.url, max_retries=0)
            env, agent, log_file = resources.ensure_all(client)
            ended = []
            for run in range(8):
                session = resources.new_session(client, agent, env, log_file, metadata={"recording": "incident-2277"})
                events = _investigate(client, session.id, note=False)
                ended.append(events[-1].stop_reason.type)
                text = fails(check.investigation, events, set(), client, session.id, match="to `answered`. After each call")
                assert "answered.add(event.id)" in text, (run, text)
            session = resources.new_session(client, agent, env, log_file, metadata={"recording": "incident-2277"})
            answered = set()
            check.investigation(_investigate(client, session.id, answered=answered), answered, client, session.id)
        print("the wrong loop ended on:", ended)  # both orders happen at this pace; the verdict does not depend on them


class Test05ReplayAndLifecycle:
    """05: all the events, the conversation, resuming; the SDK versions the series runs on."""

    def test_all_events_tells_wrong_events_from_one_page(self, replay, new_session):
        client, _ = replay
        session = new_session()
        _investigate(client, session.id)
        check.all_events(list(client.beta.sessions.events.list(session.id, limit=25)), client, session.id)
        fails(check.all_events, client.beta.sessions.events.list(session.id, limit=25).data, client, session.id,
              match="only the first page")
        fails(check.all_events, [], client, session.id, match="these are not this session's events")
        other = new_session()
        _investigate(client, other.id)
        fails(check.all_events, list(client.beta.sessions.events.list(other.id)), client, session.id,
              match="these are not this session's events")
        filtered = list(client.beta.sessions.events.list(session.id, types=["user.message", "agent.message"]))
        fails(check.all_events, filtered, client, session.id, match="you filtered by type")
        fails(check.all_events, list(client.beta.sessions.events.list(session.id, order="desc")), client, session.id,
              match="newest first")

    def test_conversation_labels(self, replay, new_session):
        client, _ = replay
        session = new_session()
        _investigate(client, session.id)
        latest = client.beta.sessions.list(agent_id=session.agent.id, limit=1).data[0]
        assert latest.id == session.id
        turns = [("you" if ev.type == "user.message" else "agent", check._text(ev))
                 for ev in client.beta.sessions.events.list(latest.id, types=["user.message", "agent.message"])]
        check.conversation(turns, client, latest)
        swapped = [("agent" if who == "you" else "you", text) for who, text in turns]
        fails(check.conversation, swapped, client, latest, match="the labels are swapped")

    def test_resumed_on_a_finished_session_has_nothing_to_resume(self, replay, new_session, capsys):
        client, _ = replay
        session = new_session()
        _investigate(client, session.id)
        check.resumed([], client, session.id)
        assert "nothing to resume" in capsys.readouterr().out
        waiting = new_session()
        with client.beta.sessions.events.stream(waiting.id, timeout=60) as stream:
            client.beta.sessions.events.send(waiting.id, events=[
                {"type": "user.message", "content": [{"type": "text", "text": "Incident-2277: why is checkout slow?"}]}])
            # Answer nothing, so the first idle waits on the agent's custom tool calls whatever the timing. (Answering
            # each call as it arrives raced the replay: under load an answer could land before the requires_action
            # idle, the turn ran on to end_turn, and nothing was left unanswered.)
            first_idle = next(ev for ev in stream if ev.type == "session.status_idle")
        assert first_idle.stop_reason.type == "requires_action"
        fails(check.resumed, [], client, waiting.id, match="still unanswered")

    def test_sdk_version_range_accepts_the_tested_major_from_the_tested_minor(self):
        from helpers.settings import TESTED_SDK, sdk_supported
        major, minor = (int(x) for x in TESTED_SDK.split(".")[:2])
        assert sdk_supported(TESTED_SDK)
        assert sdk_supported(f"{major}.{minor}.7") and sdk_supported(f"{major}.{minor + 1}.0")   # the next minor works
        assert sdk_supported(f"{major}.{minor + 25}.0rc1")
        assert not sdk_supported(f"{major}.{minor - 1}.9")                                      # older than tested
        assert not sdk_supported(f"{major + 1}.0.0") and not sdk_supported(f"{major - 1}.99.0")  # another major


class Test07ShipIt:
    """07: the checks pass on a shipped run and name each mistake."""

    def test_07_checks_pass_on_a_shipped_run_and_name_each_mistake(self, replay, capsys):
        from helpers import incident, loop

        client, resources = replay
        env, agent, log_file = resources.ensure_all(client)
        alert = {"type": "user.message", "content": [{"type": "text", "text": "ALERT checkout-latency: write your report "
                                                                               "to /mnt/session/outputs/report.md."}]}
        mount = {"type": "file", "file_id": log_file.id, "mount_path": resources.LOG_MOUNT_PATH}
        budget = {"type": "limit", "max_list_cost": {"amount": "500", "currency": "USD"}}

        def maker(name, **overrides):
            def ensure(client):
                found = [d for d in client.beta.deployments.list(agent_id=agent.id, limit=100) if d.name == name]
                if found and not overrides.get("always_new"):
                    return found[0]
                kw = dict(name=name, agent=agent.id, environment_id=env.id, initial_events=[alert], resources=[mount],
                          budget=budget, metadata=resources.WORKSHOP_METADATA)
                kw.update({k: v for k, v in overrides.items() if k != "always_new"})
                return client.beta.deployments.create(**{k: v for k, v in kw.items() if v is not None})
            return ensure

        fails(check.deployment, maker("dup", always_new=True), client, agent, log_file, match="twice")
        fails(check.deployment, maker("nobudget", budget=None), client, agent, log_file, match="no budget")
        fails(check.deployment, maker("nolog", resources=None), client, agent, log_file, match="not mounted")
        fails(check.deployment, maker("nometa", metadata=None), client, agent, log_file, match="workshop")
        good = maker("shipped")
        check.deployment(good, client, agent, log_file)
        assert "✅ Deployment 'shipped'" in capsys.readouterr().out
        # a shared workspace: someone else's agent has a deployment of the same name; yours is still the only one
        theirs = client.beta.agents.create(model=agent.model.id, name="someone else's agent")
        client.beta.deployments.create(name="shipped", agent=theirs.id, environment_id=env.id, initial_events=[alert])
        check.deployment(good, client, agent, log_file)
        assert "✅ Deployment 'shipped'" in capsys.readouterr().out

        deployment = good(client)
        run = client.beta.deployments.run(deployment.id)
        fails(check.responded, loop.RunResult(session_id=run.session_id, stop_reason="requires_action"), client,
              deployment, match="requires_action")
        result = loop.run(client, run.session_id, handle_tool=incident.handle_tool, render=False)
        check.responded(result, client, deployment)

        def respond(alert):
            return None if alert is None else result

        check.responded(result, client, deployment, respond)
        fails(check.responded, result, client, deployment, lambda alert: result, match="respond(None) returned")
        fails(check.responded, result, client, deployment, lambda alert: client.beta.deployments.run(deployment.id) and None,
              match="respond(None) ran the deployment")
        fails(check.responded, result, client, deployment, lambda alert: alert["content"], match="respond(None) raised")
        other = resources.new_session(client, metadata={"recording": "incident-2277"})
        fails(check.responded, loop.RunResult(session_id=other.id, stop_reason="end_turn"), client, deployment,
              match="not created by a run")

        files = {f.filename: f for f in client.beta.files.list(scope_id=run.session_id, betas=[BETA])}
        text = client.beta.files.download(files["report.md"].id).text()
        fails(check.report, {"app.log": "...", "report.md": text}, client, run.session_id, match="not outputs the agent")
        fails(check.report, {}, client, run.session_id, match="no report.md")
        check.report({"report.md": text}, client, run.session_id)
        assert "✅ report.md" in capsys.readouterr().out


def fails_ja(fn, *args, match: str) -> str:
    """A check's ❌ in a Japanese notebook (``i18n.use("ja")``, as in a kernel started in notebooks/ja/)."""
    with i18n.use("ja"), pytest.raises(check.CheckFailed) as info:
        fn(*args)
    text = str(info.value)
    assert text.startswith("❌") and "ヒント:" in text and "Hint:" not in text, text
    assert match in text, text
    return text


class TestChecks05To09SpeakTheNotebooksLanguage:
    """05-09: a check's ✅, its ❌ and its hint are Japanese in a Japanese notebook and the same English words as ever
    in an English one; values from the API, code and event types stay as they are inside the Japanese."""

    def test_05_all_events(self, replay, new_session, capsys):
        client, _ = replay
        session = new_session()
        _investigate(client, session.id)
        page = client.beta.sessions.events.list(session.id, limit=25).data
        text = fails_ja(check.all_events, page, client, session.id, match="最初のページだけです。")
        assert "`for ev in client.beta.sessions.events.list(...)`" in text and "next_page" in text
        fails_ja(check.all_events, check.TODO, client, session.id, match="セッションのすべてのイベント（古い順のリスト）")
        everything = list(client.beta.sessions.events.list(session.id, limit=25))
        with i18n.use("ja"):
            check.all_events(everything, client, session.id)
        check.all_events(everything, client, session.id)
        n = len(everything)
        assert capsys.readouterr().out.splitlines() == [
            f"✅ {n} 件のイベントすべてを、古い順に、ページごとに取得しました。プラットフォームがセッションの記録です。",
            f"✅ All {n} events, oldest first, fetched page by page: the platform is the record of the session."]

    def test_06_outcome_and_confirmation(self, capsys):
        one = {"type": "user.define_outcome", "description": "a postmortem",
               "rubric": {"type": "text", "content": "names the deploy"}}
        two = {**one, "rubric": {"type": "text", "content": "names the deploy\ncites the diff"}}
        for event in (one, two):  # ngettext: English says "line" and "lines", Japanese counts the same way for both
            check.outcome(event)
            with i18n.use("ja"):
                check.outcome(event)
        assert capsys.readouterr().out.splitlines() == [
            "✅ An outcome with 1 rubric line: a grader will check the agent's work against them.",
            "✅ ルーブリック 1 行のアウトカムです。グレーダーがエージェントの仕事をこの基準で確かめます。",
            "✅ An outcome with 2 rubric lines: a grader will check the agent's work against them.",
            "✅ ルーブリック 2 行のアウトカムです。グレーダーがエージェントの仕事をこの基準で確かめます。"]
        text = fails_ja(check.outcome, {**one, "rubric": "names the deploy"},
                        match="❌ rubric が text のルーブリックではなく names the deploy です。")
        assert 'ヒント: "rubric": {"type": "text", "content": RUBRIC} を使ってください。' in text

        def wrong(tool_use, allow, deny_message=None):
            return {"type": "user.tool_confirmation", "tool_use_id": tool_use.tool_use_id, "result": "allow"}

        text = fails_ja(check.confirmation, wrong, match="❌ confirmation() で AttributeError が発生しました: ")
        assert "tool_use.id です（SDK のイベントなので" in text
        fails(check.confirmation, wrong, match="❌ confirmation() raised an AttributeError: ")

    def test_09_status_update_and_the_team(self, capsys):
        from helpers import loop

        def clean(event):
            return "allow" if event.name == "post_incident_update" and "dep_" not in str(event.input) else {
                "type": "user.tool_confirmation", "tool_use_id": event.id, "result": "deny", "deny_message": "no"}

        ran = loop.RunResult(session_id="sesn_x", stop_reason="end_turn", events=[
            {"type": "agent.mcp_tool_result", "content": [{"type": "text", "text": '{"published": true}'}]}])
        with i18n.use("ja"):
            check.status_update(clean, ran)
        assert capsys.readouterr().out == (
            "✅ review() は問題のない更新を公開し、内部情報を漏らす更新は（理由を付けて）止めます。"
            "ステータスページへの投稿は、あなたが許可したあとに公開されました。\n")
        text = fails_ja(check.status_update, lambda e: "allow", ran, match="デプロイ ID とコミットハッシュを挙げた更新")
        assert "json.dumps(event.input)" in text
        # the framework's article (verdicts._a) in place of 09's own copy of it: the English is what it was
        fails_ja(check.status_update, lambda e: e.nope, ran, match="❌ review(event) で AttributeError が発生しました: ")
        fails(check.status_update, lambda e: e.nope, ran, match="❌ review(event) raised an AttributeError: ")
        fails_ja(check.team_stopped, check.TODO, ran, None, "sesn_x", match="辞書 {スレッド ID: 候補のサービス}")
        fails(check.team_stopped, check.TODO, ran, None, "sesn_x", match="a dict {thread id: suspect service}")


class _Run:
    """What IPython's post_run_cell hands the checks: the cell's source (and id) and what it raised."""

    def __init__(self, cell: str, error: BaseException | None, cell_id: str | None = None):
        self.info = type("Info", (), {"raw_cell": cell, "cell_id": cell_id})()
        self.error_in_exec = error


@pytest.fixture()
def runs(monkeypatch):
    """check's record of the TODO cells' runs, as a notebook kernel keeps it (without a notebook's variables: the
    kernel tests, tests/test_learner_mistakes.py, cover a value set after its TODO cell raised)."""
    monkeypatch.setattr("helpers.check.runs._user_ns", lambda: None)  # where the record of the runs lives
    saved, cells = dict(check._RUNS), dict(check._CELL_TODOS)
    check._RUNS.clear()
    yield check._RUNS
    check._RUNS.clear()
    check._RUNS.update(saved)
    check._CELL_TODOS.clear()
    check._CELL_TODOS.update(cells)


class TestBlame:
    """Blaming the right thing: a TODO that raised, a send the API refused, a fragment clipped, a TODO stopped by
    another."""

    def test_a_check_after_its_todo_raised_says_the_todo_is_not_done(self, runs):
        check._note_run(_Run("# TODO 3.2: Stop on every pause\nraise NotImplementedError('TODO 3.2')", NotImplementedError()))
        text = fails(check.stream_loop, _events(*TURN), None, match="TODO 3.2 is not done yet: its cell still raises")
        assert "stop_reason" not in text.splitlines()[0]  # not a verdict on the events of an unfinished cell
        check._note_run(_Run("### BEGIN SOLUTION 3.2 Stop\n...", None))  # the cell ran to its end: the events count
        check.stream_loop(_events(*TURN), "requires_action")
        from helpers.deadline import StreamDeadline, deadline_message

        idle = (b'event: session.status_idle\ndata: {"type":"session.status_idle","id":"sevt_9",'
                b'"stop_reason":{"type":"requires_action","event_ids":["sevt_8"]}}\n\n')
        check._note_run(_Run("# TODO 3.2: Stop", StreamDeadline(deadline_message(idle, 60), 60)))
        text = fails(check.stream_loop, _events(*TURN), None, match="your loop was still reading when its stream's timeout")
        assert "idle (requires_action)" in text and "sevt_8" in text, text  # the whole message, not a clipped one
        check._note_run(_Run("### BEGIN SOLUTION 3.2 Stop\n...", None))
        check._note_run(_Run("# TODO 2.1: Create the environment", KeyError("networking"), cell_id="c008"))
        fails(check.environment, check.TODO, match="TODO 2.1 is not done yet: its cell raised a KeyError: 'networking'")
        assert "3.2" in runs and runs["3.2"] is None
        # the learner deleted the TODO comments: the same cell (by its id) is still TODO 2.1's
        check._note_run(_Run("env = client.beta.environments.create(name=ENVIRONMENT_NAME)", None, cell_id="c008"))
        assert runs["2.1"] is None

    def test_a_send_the_api_refused_is_named_with_the_apis_reason(self, replay, runs):
        import anthropic

        client, resources = replay
        session = resources.new_session(client, metadata={"recording": "incident-2277"})
        with pytest.raises(anthropic.BadRequestError) as info:  # the learner's user.custom_tool_result, with a wrong key
            client.beta.sessions.events.send(session.id, events=[
                {"type": "user.custom_tool_result", "tool_use_id": "sevt_x", "content": [{"type": "text", "text": "r"}]}])
        check._note_run(_Run("    # TODO 4.1: Answer each tool call\n", info.value))
        text = fails(check.investigation, check.TODO, set(), client, session.id,
                     match="TODO 4.1 is not done yet: the API refused your `reply` (400")
        assert "custom_tool_use_id" in text and "open the stream" not in text, text

    @pytest.mark.parametrize("limit", range(8, 120, 7))
    def test_a_clipped_fragment_never_cuts_a_token(self, limit):
        import json

        data = {"filters": {"service": "checkout", "start": "2026-11-18T13:30:00Z"}, "count": 12345,
                "deploys": [{"id": "dep_4820", "description": "Order summary: show inventory reservation per line item"}]}
        for text in (json.dumps(data), str(data)):
            clipped = check._clip(text, limit)
            if clipped == text:
                continue
            kept = clipped.removesuffix(" …")
            assert clipped.endswith(" …") and len(kept) <= limit + 2, clipped
            if kept.endswith(("…'", '…"')):  # a long string, cut at a space inside and closed
                assert text.startswith(kept[:-2].rstrip()) and text[len(kept[:-2].rstrip())] == " ", clipped
            else:
                assert text.startswith(kept) and (not kept or kept[-1] in ",;{}[]()"), clipped
        prose = "Error: unknown deploy 'dep_9999'; known deploys: dep_4814, dep_4815, dep_4816"
        clipped = check._clip(prose, limit)
        assert clipped == prose or prose[len(clipped.removesuffix(" …"))] == " " or limit < 16, clipped
        assert check._short_input({"ref": "dep_4820", "path": "services/checkout/order_summary.py"}, 30) == "ref='dep_4820', …"

    def test_a_todo_cell_stopped_by_another_todos_placeholder_names_that_one(self, runs):
        """A TODO cell whose code calls a function another TODO has not written raises that TODO's
        NotImplementedError: the check names 4.2, not "4.1 still raises"."""
        check._note_run(_Run("# TODO 4.1: Answer each tool call\n...",
                             NotImplementedError("TODO 4.2 (Write handle_tool): write your code here, then run this cell")))
        text = fails(check.investigation, [], set(), None, "sesn_x", match="called code that TODO 4.2 has not written yet")
        assert "still raises NotImplementedError." not in text


@pytest.fixture(scope="module")
def team09(replay):
    """09's world on the replay stub: the workshop's environment, agent and log, the team that makes the agent a
    lead's subagent, and ``maker(name, ...)``, an ensure-function of a lead agent as a learner writes one."""
    client, resources = replay
    env, agent, log_file = resources.ensure_all(client)
    team = {"type": "multiagent_20261001", "workflows": {"type": "disabled"}, "subagents": {
        "type": "enabled", "inline_agents": {"type": "disabled"},
        "predefined_agents": [{"type": "agent", "id": agent.id, "version": agent.version}]}}

    def maker(name, multiagent=team, metadata=resources.WORKSHOP_METADATA):
        return lambda client: resources.find_agent(client, name) or client.beta.agents.create(
            name=name, model=agent.model.id, multiagent=multiagent, metadata=metadata)

    return SimpleNamespace(client=client, resources=resources, env=env, agent=agent, log_file=log_file, team=team,
                           maker=maker)


class Test09ATeamOfInvestigators:
    """09: each check fails on the TODO, passes on the team and the vault, and names each mistake."""

    @pytest.mark.parametrize("fn,args", [
        (check.lead, (check.TODO, None, None)),
        (check.team_stopped, (check.TODO, check.TODO, None, "sesn_x")),
        (check.vault_credential, (check.TODO, None, "https://x")),
        (check.status_update, (check.TODO, check.TODO)),
    ])
    def test_09_checks_fail_on_the_todo(self, fn, args):
        fails(fn, *args, match="TODO placeholder")

    def test_09_lead_passes_on_a_team_and_names_each_mistake(self, team09, capsys):
        client, agent, maker, team = team09.client, team09.agent, team09.maker, team09.team
        fails(check.lead, maker("no-team", None), client, agent, match="not set")
        fails(check.lead, maker("open", {**team, "workflows": {"type": "enabled"}}), client, agent, match="workflows")
        fails(check.lead, lambda c: c.beta.agents.create(name="dup", model=agent.model.id, multiagent=team), client, agent,
              match="twice")
        check.lead(maker("checked-lead"), client, agent)
        assert "✅ The lead 'checked-lead'" in capsys.readouterr().out

    def test_09_team_stopped_passes_on_the_cart_thread_and_names_each_mistake(self, team09, capsys):
        import helpers
        from helpers import incident, loop
        from helpers.events import event_text

        client, resources, lead = team09.client, team09.resources, team09.maker("checked-lead")

        def run_team(stop, session_wide=False):
            s = resources.new_session(client, lead(client), team09.env, team09.log_file,
                                      metadata={"recording": "incident-team"})
            services = {}

            def watch(ev):
                if ev.type == "agent.thread_message_sent":
                    service = next(k for k, d in {"checkout": "dep_4820", "payments": "dep_4819",
                                                  "cart": "dep_4822"}.items() if d in event_text(ev))
                    services[ev.to_session_thread_id] = service
                    if service == stop:
                        extra = {} if session_wide else {"session_thread_id": ev.to_session_thread_id}
                        client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt", **extra}])

            result = loop.run(client, s.id, "Team.", handle_tool=incident.handle_tool, on_event=watch, render=False)
            return services, result, s.id

        services, result, sid = run_team("cart")
        check.team_stopped(services, result, client, sid)
        assert "✅ 3 investigator threads" in capsys.readouterr().out
        fails(check.team_stopped, {}, result, client, sid, match="map each of the three threads")
        stub = helpers.client.stub_server().backend
        wait, stub.interrupt_wait = stub.interrupt_wait, 0.05  # the recorded interrupt of cart: nobody sends it here
        try:
            services, result, sid = run_team("payments")
        finally:
            stub.interrupt_wait = wait
        fails(check.team_stopped, services, result, client, sid, match="not the cart one")
        services, result, sid = run_team("cart", session_wide=True)
        fails(check.team_stopped, services, result, client, sid, match="stops every thread")

    def test_09_vault_credential_passes_on_one_credential_and_names_each_mistake(self, team09, capsys):
        client, resources = team09.client, team09.resources
        url = "https://mcp.status.example/mcp"

        def vault_maker(url=url, new_vault=False, new_credential=False):
            made = []

            def ensure(client):
                name = f"v{url}{new_vault}{new_credential}" + ("#" * len(made) if new_vault else "")
                vault = next((v for v in client.beta.vaults.list() if v.display_name == name), None) \
                    or client.beta.vaults.create(display_name=name, metadata=resources.WORKSHOP_METADATA)
                made.append(vault)
                found = list(client.beta.vaults.credentials.list(vault.id))
                if found and not new_credential:
                    return vault, found[0]
                return vault, client.beta.vaults.credentials.create(vault.id, auth={
                    "type": "static_bearer", "token": "secret", "mcp_server_url": url})
            return ensure

        fails(check.vault_credential, vault_maker(new_vault=True), client, url, match="twice")
        fails(check.vault_credential, vault_maker(new_credential=True), client, url, match="refused it (409)")
        fails(check.vault_credential, vault_maker("https://other.example/mcp"), client, url, match="not a static_bearer")
        check.vault_credential(vault_maker(), client, url)
        assert "never its token" in capsys.readouterr().out

    def test_09_status_update_passes_on_a_clean_review_and_names_each_mistake(self, capsys):
        from helpers import loop

        def clean(event):
            return "allow" if event.name == "post_incident_update" and "dep_" not in str(event.input) else {
                "type": "user.tool_confirmation", "tool_use_id": event.id, "result": "deny", "deny_message": "no"}

        ran = loop.RunResult(session_id="sesn_x", stop_reason="end_turn", events=[
            {"type": "agent.mcp_tool_result", "content": [{"type": "text", "text": '{"published": true}'}]}])
        check.status_update(clean, ran)
        assert "✅ review()" in capsys.readouterr().out
        fails(check.status_update, lambda e: "allow", ran, match="names a deploy id")
        fails(check.status_update, lambda e: {"type": "user.tool_confirmation", "tool_use_id": e.id, "result": "deny",
                                              "deny_message": "never"}, ran, match="denies a clean")
        fails(check.status_update, lambda e: "allow" if "dep_" not in str(e.input) else "deny", ran,
              match="without a deny_message")
        fails(check.status_update, clean, loop.RunResult(session_id="sesn_x", stop_reason="requires_action"),
              match="no published update")
