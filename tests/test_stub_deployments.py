"""Deployments, deployment runs, budgets and session outputs on the stub, through the real SDK (strict validation)."""
from __future__ import annotations

import time

import anthropic
import pytest

from helpers import incident, resources, stub
from helpers.outputs import BETA
from helpers.sandbox import OUTPUTS_DIR
from helpers.settings import RECORDINGS_DIR

ALERT = ("ALERT checkout-latency firing since 2026-11-18T14:07Z: checkout's 99th-percentile latency stayed above "
         f"5x its baseline. Write your report in markdown to {OUTPUTS_DIR}/report.md.")
DRILL = "Budget drill: investigate the checkout latency spike."
USD = "USD"


def budget(cents: str, currency: str = USD) -> dict:
    return {"type": "limit", "max_list_cost": {"amount": cents, "currency": currency}}


def message(text: str) -> list:
    return [{"type": "user.message", "content": [{"type": "text", "text": text}]}]


@pytest.fixture(scope="module")
def server():
    with stub.start(recordings_dir=RECORDINGS_DIR, keepalive=1.0) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return anthropic.Anthropic(api_key="test-key", base_url=server.url, _strict_response_validation=True,
                               max_retries=0, timeout=30.0)


@pytest.fixture(scope="module")
def setup(client):
    env, agent, log_file = resources.ensure_all(client)
    mount = [{"type": "file", "file_id": log_file.id, "mount_path": resources.LOG_MOUNT_PATH}]
    return env, agent, mount


def deploy(client, setup, text=ALERT, **kw):
    env, agent, mount = setup
    kw.setdefault("resources", mount)
    kw.setdefault("initial_events", message(text))
    return client.beta.deployments.create(agent=kw.pop("agent", agent.id), environment_id=env.id,
                                          name=kw.pop("name", "investigator"), **kw)


def follow(client, session_id: str, timeout: float = 30.0) -> list:
    """A client that joins a session someone else started: it opens the stream, lists the history (answering the
    custom tool calls still waiting), then tails the stream to the end of the turn."""
    seen, answered, deadline = {}, set(), time.monotonic() + timeout

    def on(ev) -> bool:
        if ev.id in seen:
            return False
        seen[ev.id] = ev
        if ev.type == "user.custom_tool_result":
            answered.add(ev.custom_tool_use_id)
        if ev.type == "session.status_idle" and ev.stop_reason.type == "requires_action":
            todo = [i for i in ev.stop_reason.event_ids if i not in answered]
            for i in todo:
                src = seen[i]
                client.beta.sessions.events.send(session_id, events=[{
                    "type": "user.custom_tool_result", "custom_tool_use_id": i,
                    "content": [{"type": "text", "text": incident.handle_tool(src.name, src.input)}]}])
                answered.add(i)
            return False
        return ev.type == "session.status_terminated" or ev.type == "session.status_idle"

    with client.beta.sessions.events.stream(session_id) as stream:
        history = list(client.beta.sessions.events.list(session_id, limit=1000))
        done = False
        for ev in history:
            done = on(ev) or done
        last = history[-1] if history else None
        if not (done and last is not None and last.type == "session.status_idle"
                and last.stop_reason.type != "requires_action"):
            for ev in stream:
                assert time.monotonic() < deadline, "the session never finished"
                if on(ev):
                    break
    return list(client.beta.sessions.events.list(session_id, limit=1000))


# --------------------------------------------------------------------------------------------------- deployments
def test_deployment_lifecycle(client, setup):
    env, agent, mount = setup
    d = deploy(client, setup, name="lifecycle", description="nightly check", metadata={"workshop": "x"},
               budget=budget("500"), schedule={"type": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"})
    assert d.id.startswith("depl_") and d.status == "active" and d.paused_reason is None and d.archived_at is None
    assert (d.agent.id, d.agent.version) == (agent.id, agent.version)  # an id string pins the latest version
    assert d.budget.max_list_cost.amount == "500" and d.resources[0].mount_path == resources.LOG_MOUNT_PATH
    nxt = d.schedule.upcoming_runs_at
    assert len(nxt) == 5 and all(t.weekday() < 5 and t.minute == 0 for t in nxt) and nxt == sorted(nxt)
    assert client.beta.deployments.retrieve(d.id).name == "lifecycle"

    p = client.beta.deployments.pause(d.id)
    assert p.status == "paused" and p.paused_reason.type == "manual"
    assert d.id in [x.id for x in client.beta.deployments.list(status="paused")]
    assert d.id not in [x.id for x in client.beta.deployments.list(status="active")]
    run = client.beta.deployments.run(d.id)  # paused: schedules are suppressed, manual runs are still allowed
    assert run.session_id and run.error is None
    u = client.beta.deployments.unpause(d.id)
    assert u.status == "active" and u.paused_reason is None

    u = client.beta.deployments.update(d.id, metadata={"workshop": None, "team": "sre"}, schedule=None, budget=None)
    assert u.metadata == {"team": "sre"} and u.schedule is None and u.budget is None and u.name == "lifecycle"

    a = client.beta.deployments.archive(d.id)
    assert a.archived_at is not None and a.status == "active"
    assert d.id not in [x.id for x in client.beta.deployments.list()]
    assert d.id in [x.id for x in client.beta.deployments.list(include_archived=True)]
    # a request that conflicts with the deployment's state is a 409 conflict_error (docs/design.md, fidelity rule 2)
    for call, match in ((lambda: client.beta.deployments.run(d.id), "archived and cannot run"),
                        (lambda: client.beta.deployments.update(d.id, name="again"), "archived and cannot be changed"),
                        (lambda: client.beta.deployments.pause(d.id), "can no longer be paused"),
                        (lambda: client.beta.deployments.unpause(d.id), "can no longer be paused")):
        with pytest.raises(anthropic.ConflictError, match=match) as e:
            call()
        assert e.value.status_code == 409 and e.value.body["error"]["type"] == "conflict_error"
    assert client.beta.deployments.archive(d.id).archived_at == a.archived_at  # archiving twice changes nothing
    assert client.beta.deployments.retrieve(d.id).name == "lifecycle"  # the refused update changed nothing
    assert [r.id for r in client.beta.deployment_runs.list(deployment_id=d.id)] == [run.id]  # history stays


def test_run_creates_the_session_and_sends_the_alert(client, setup):
    env, agent, mount = setup
    d = deploy(client, setup, name="alert", metadata={"workshop": "ship-your-first-managed-agent"},
               budget=budget("500"))
    run = client.beta.deployments.run(d.id)
    assert run.id.startswith("drun_") and run.deployment_id == d.id and run.trigger_context.type == "manual"
    assert (run.agent.id, run.agent.version) == (agent.id, agent.version)
    assert client.beta.deployment_runs.retrieve(run.id).session_id == run.session_id
    listed = client.beta.deployment_runs.list(deployment_id=d.id)
    assert [r.id for r in listed] == [run.id]
    assert run.id in [r.id for r in client.beta.deployment_runs.list(has_error=False, trigger_type="manual")]
    assert list(client.beta.deployment_runs.list(deployment_id="depl_unknown")) == []  # 200, empty

    s = client.beta.sessions.retrieve(run.session_id)
    assert s.deployment_id == d.id and s.agent.version == agent.version
    assert s.budget.max_list_cost.amount == "500" and s.metadata == {"workshop": "ship-your-first-managed-agent"}
    assert [r.mount_path for r in s.resources] == [resources.LOG_MOUNT_PATH]
    assert run.session_id in [x.id for x in client.beta.sessions.list(deployment_id=d.id)]

    events = follow(client, run.session_id)  # lists what already happened, then tails the rest
    assert events[0].type == "user.message" and events[0].content[0].text == ALERT
    assert events[-1].type == "session.status_idle" and events[-1].stop_reason.type == "end_turn"
    report = [e for e in events if e.type == "agent.message"][-1].content[0].text
    assert "dep_4820" in report

    files = list(client.beta.files.list(scope_id=run.session_id, betas=[BETA]))
    outputs = [f for f in files if f.downloadable]
    assert [f.filename for f in outputs] == ["report.md"] and outputs[0].scope.id == run.session_id
    saved = report.rstrip("\n") + "\n"  # what the agent's here-document wrote
    assert client.beta.files.download(outputs[0].id).text() == saved
    assert outputs[0].size_bytes == len(saved.encode()) and outputs[0].mime_type == "text/markdown"

    s = client.beta.sessions.retrieve(run.session_id)
    cost = int(s.usage.list_cost.amount)
    assert s.usage.list_cost.currency == "USD" and 3 <= cost <= 20, cost  # a few cents at list price
    assert s.usage.output_tokens > 1000 and s.usage.active_seconds is not None


def test_loop_run_follows_a_deployed_session(client, setup):
    """The series' own loop follows the run's session (already started) to the report."""
    from helpers import loop

    run = client.beta.deployments.run(deploy(client, setup, name="loop").id)
    result = loop.run(client, run.session_id, handle_tool=incident.handle_tool, render=False, timeout=60)
    assert result.stop_reason == "end_turn" and "dep_4820" in result.text


def test_failed_run_records_the_error_and_no_session(client, setup):
    env, _, mount = setup
    doomed = client.beta.agents.create(**{**resources.agent_definition(), "name": "doomed"})
    d = client.beta.deployments.create(agent=doomed.id, environment_id=env.id, name="doomed",
                                       initial_events=message(ALERT), resources=mount)
    client.beta.agents.archive(doomed.id)
    run = client.beta.deployments.run(d.id)
    assert run.session_id is None and run.error.type == "agent_archived_error" and "archived" in run.error.message
    assert run.id in [r.id for r in client.beta.deployment_runs.list(deployment_id=d.id, has_error=True)]
    assert run.id not in [r.id for r in client.beta.deployment_runs.list(deployment_id=d.id, has_error=False)]


# --------------------------------------------------------------------------------------------------- budgets
def test_budget_reached_then_raised(client, setup):
    d = deploy(client, setup, text=DRILL, name="drill", budget=budget("3"))
    sid = client.beta.deployments.run(d.id).session_id
    events = follow(client, sid)
    assert events[-1].type == "session.status_idle" and events[-1].stop_reason.type == "budget_reached"
    s = client.beta.sessions.retrieve(sid)
    assert s.status == "idle" and int(s.usage.list_cost.amount) >= 3

    with pytest.raises(anthropic.BadRequestError, match="budget_not_raised|at or below") as e:
        client.beta.sessions.update(sid, budget=budget("2"))
    assert e.value.body["error"]["details"]["error_code"] == "budget_not_raised"
    assert client.beta.sessions.retrieve(sid).budget.max_list_cost.amount == "3"  # a refused update changes nothing

    with client.beta.sessions.events.stream(sid) as stream:
        up = client.beta.sessions.update(sid, budget=budget("100"))  # raising it resumes the work
        assert up.budget.max_list_cost.amount == "100"
        types = []
        for ev in stream:
            types.append(ev.type)
            if ev.type == "session.status_idle":
                break
    assert types[:2] == ["session.updated", "session.status_running"] and types[-1] == "session.status_idle"


def _capped_run(client, setup, name: str) -> str:
    """A deployment's run that stopped at its 3-cent budget (the budget-reached recording); its session id."""
    sid = client.beta.deployments.run(deploy(client, setup, text=DRILL, name=name, budget=budget("3")).id).session_id
    events = follow(client, sid)
    assert events[-1].type == "session.status_idle" and events[-1].stop_reason.type == "budget_reached"
    return sid


def test_a_raised_budget_resumes_the_session_after_the_update_returns(client, setup):
    """"An accepted update resumes the session's paused work automatically; no further client action is needed"
    (docs, budgets): the update returns first; the session runs again a moment later."""
    sid = _capped_run(client, setup, "async drill")
    client.beta.sessions.update(sid, budget=budget("100"))
    s = client.beta.sessions.retrieve(sid)
    types = [e.type for e in client.beta.sessions.events.list(sid, limit=1000)]
    assert s.status == "idle" and types[-2:] == ["session.status_idle", "session.updated"]  # not resumed yet
    deadline = time.monotonic() + 5
    while "session.status_running" not in types[types.index("session.updated"):] and time.monotonic() < deadline:
        time.sleep(0.05)
        types = [e.type for e in client.beta.sessions.events.list(sid, limit=1000)]
    assert types[types.index("session.updated") + 1] == "session.status_running"


def test_loop_run_after_a_budget_update_follows_the_resumed_work(client, setup):
    """loop.run joining a session whose last stop is budget_reached, with a budget change after it, waits for the
    session to run again instead of returning the stale stop."""
    from helpers import loop

    sid = _capped_run(client, setup, "loop drill")
    client.beta.sessions.update(sid, budget=budget("100"))
    result = loop.run(client, sid, handle_tool=incident.handle_tool, render=False, timeout=30)
    assert result.types[0] == "session.status_running" and result.types[-1] == "session.status_idle"
    assert result.stop_reason == "end_turn"
    removed = _capped_run(client, setup, "removed drill")
    client.beta.sessions.update(removed, budget=None)  # removing it resumes the work too
    assert loop.run(client, removed, handle_tool=incident.handle_tool, render=False, timeout=30).types[0] == \
        "session.status_running"
    again = _capped_run(client, setup, "untouched drill")  # no change: the stop stands
    assert loop.run(client, again, render=False, timeout=30).stop_reason == "budget_reached"


def test_a_message_to_a_session_at_its_budget_is_a_400_naming_what_it_takes(client, setup):
    """"Any event that would start new work, such as `user.message`, is rejected with a 400 error naming this list"
    (docs, budgets: user.tool_confirmation, user.tool_result, user.custom_tool_result, user.interrupt)."""
    sid = _capped_run(client, setup, "message drill")
    before = len(list(client.beta.sessions.events.list(sid, limit=1000)))
    with pytest.raises(anthropic.BadRequestError, match="is at its budget") as e:
        client.beta.sessions.events.send(sid, events=message("Keep going."))
    for name in ("user.tool_confirmation", "user.tool_result", "user.custom_tool_result", "user.interrupt"):
        assert name in e.value.message
    assert len(list(client.beta.sessions.events.list(sid, limit=1000))) == before  # nothing stored


def test_budget_update_rules(client, setup):
    env, agent, mount = setup
    plain = client.beta.sessions.create(agent=agent.id, environment_id=env.id)
    with pytest.raises(anthropic.BadRequestError, match="created without one") as e:
        client.beta.sessions.update(plain.id, budget=budget("500"))
    assert e.value.body["error"]["details"]["error_code"] == "budget_create_only"

    capped = client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget=budget("500"))
    assert client.beta.sessions.update(capped.id, budget=budget("900")).budget.max_list_cost.amount == "900"
    assert client.beta.sessions.update(capped.id, budget=None).budget is None
    with pytest.raises(anthropic.BadRequestError, match="removed") as e:
        client.beta.sessions.update(capped.id, budget=budget("500"))
    assert e.value.body["error"]["details"]["error_code"] == "budget_create_only"

    unpriced = client.beta.agents.create(model="claude-fable-5-2", name="unpriced")  # pricing.UNPRICED
    with pytest.raises(anthropic.BadRequestError, match="list price") as e:
        client.beta.sessions.create(agent=unpriced.id, environment_id=env.id, budget=budget("500"))
    assert e.value.body["error"]["details"]["error_code"] == "model_not_budgetable"
    with pytest.raises(anthropic.BadRequestError, match="list price"):
        client.beta.deployments.create(agent=unpriced.id, environment_id=env.id, name="x",
                                       initial_events=message(ALERT), budget=budget("500"))


# --------------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("bad,match", [
    (budget("500", "EUR"), "USD is the only currency"),
    (budget("5.00"), "amount in cents"),
    (budget("0500"), "no leading zeros"),
    ({"type": "cap", "max_list_cost": {"amount": "5", "currency": USD}}, "the only kind of budget"),
    ({"type": "limit", "max_list_cost": 500}, "max_list_cost: required, an object"),
])
def test_bad_budget_is_a_400_with_a_hint(client, setup, bad, match):
    env, agent, _ = setup
    before = len(list(client.beta.deployments.list(include_archived=True, limit=100)))
    with pytest.raises(anthropic.BadRequestError, match=match) as e:
        deploy(client, setup, budget=bad)
    assert e.value.body["type"] == "error" and e.value.body["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.BadRequestError, match=match):
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget=bad)
    assert len(list(client.beta.deployments.list(include_archived=True, limit=100))) == before  # nothing made


@pytest.mark.parametrize("schedule,match", [
    ({"type": "cron", "expression": "@daily", "timezone": "UTC"}, "shortcuts are not supported"),
    ({"type": "cron", "expression": "0 9 L * *", "timezone": "UTC"}, "extended cron syntax"),
    ({"type": "cron", "expression": "0 9 ? * MON#2", "timezone": "UTC"}, "extended cron syntax"),
    ({"type": "cron", "expression": "0 0 9 * * *", "timezone": "UTC"}, "has 6 fields, not 5"),
    ({"type": "cron", "expression": "61 9 * * *", "timezone": "UTC"}, "out of range for the minute field"),
    ({"type": "cron", "expression": "0 9 * * *"}, "timezone: required"),
    ({"type": "cron", "expression": "0 9 * * *", "timezone": "Mars/Olympus"}, "not an IANA timezone"),
    # str.isdigit() is True for these, but int() rejects or silently converts them; they are 400s, never a crash
    ({"type": "cron", "expression": "\u00b2 * * * *", "timezone": "UTC"}, "is not a value of the minute field"),
    ({"type": "cron", "expression": "0 \u0663 * * *", "timezone": "UTC"}, "is not a value of the hour field"),
    ({"type": "cron", "expression": "9" * 5000 + " * * * *", "timezone": "UTC"}, "out of range for the minute field"),
    ({"type": "cron", "expression": "0 9 * * *", "timezone": "a" * 300}, "not an IANA timezone"),
])
def test_bad_schedule_is_a_400_with_a_hint(client, setup, schedule, match):
    with pytest.raises(anthropic.BadRequestError, match=match) as e:
        deploy(client, setup, schedule=schedule)
    assert "e.g." in e.value.message or "such as" in e.value.message
    assert e.value.body["error"]["message"].startswith("schedule.")  # names the field


def test_unknown_ids_are_404s_with_a_hint(client):
    for call in (lambda: client.beta.deployments.retrieve("depl_nope"), lambda: client.beta.deployments.run("depl_nope"),
                 lambda: client.beta.deployments.pause("depl_nope"),
                 lambda: client.beta.deployments.update("depl_nope", name="x")):
        with pytest.raises(anthropic.NotFoundError, match="deployment 'depl_nope' not found.*deployments.list") as e:
            call()
        assert e.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.NotFoundError, match="deployment run 'drun_nope' not found.*deployment_runs.list"):
        client.beta.deployment_runs.retrieve("drun_nope")


def test_an_agent_object_needs_its_version(client, setup):
    """The SDK's docstring: "the agent ID string, which pins the latest version, or an agent object with both id and
    version specified"; an object without version is a 400 with a hint, and changes nothing."""
    env, agent, mount = setup
    before = len(list(client.beta.deployments.list(include_archived=True, limit=100)))
    with pytest.raises(anthropic.BadRequestError, match="agent.version: required") as e:
        deploy(client, setup, agent={"type": "agent", "id": agent.id})
    assert "Offline hint: pass agent=" in e.value.body["error"]["message"]  # both ways to say it; the stub's words
    assert len(list(client.beta.deployments.list(include_archived=True, limit=100))) == before
    d = deploy(client, setup, name="pinned")
    with pytest.raises(anthropic.BadRequestError, match="agent.version: required"):
        client.beta.deployments.update(d.id, agent={"type": "agent", "id": agent.id})
    pinned = deploy(client, setup, name="pinned", agent={"type": "agent", "id": agent.id, "version": agent.version})
    assert (pinned.agent.id, pinned.agent.version) == (agent.id, agent.version)


def test_initial_events_must_be_able_to_start_a_run(client, setup):
    """A user.message or user.define_outcome starts the work; a system.message follows the sessions' rule (last,
    right after the user.message it accompanies). Refused at create and update, before any run fails on them."""
    system = {"type": "system.message", "content": [{"type": "text", "text": "Be brief."}]}
    with pytest.raises(anthropic.BadRequestError, match="can never start a run") as e:
        deploy(client, setup, initial_events=[system])
    assert e.value.body["error"]["message"].startswith("initial_events")
    with pytest.raises(anthropic.BadRequestError, match=r"initial_events\[0\]: a system.message must be the final"):
        deploy(client, setup, initial_events=[system, *message(ALERT)])
    d = deploy(client, setup, name="with a system message", initial_events=[*message(ALERT), system])
    assert [e.type for e in d.initial_events] == ["user.message", "system.message"]
    with pytest.raises(anthropic.BadRequestError, match="can never start a run"):
        client.beta.deployments.update(d.id, initial_events=[system])
    assert len(client.beta.deployments.retrieve(d.id).initial_events) == 2  # unchanged


def test_other_bad_input(client, setup):
    env, agent, mount = setup
    with pytest.raises(anthropic.BadRequestError, match="at least 1"):
        client.beta.deployments.create(agent=agent.id, environment_id=env.id, name="x", initial_events=[])
    with pytest.raises(anthropic.BadRequestError, match="cannot be combined"):
        list(client.beta.deployments.list(status="paused", include_archived=True))
    with pytest.raises(anthropic.BadRequestError, match="trigger_type"):
        list(client.beta.deployment_runs.list(trigger_type="cron"))  # type: ignore[arg-type]
    with pytest.raises(anthropic.NotFoundError, match="file"):
        deploy(client, setup, resources=[{"type": "file", "file_id": "file_nope", "mount_path": "/workspace/x"}])


def test_an_outcome_as_the_initial_event_starts_the_graded_work(client, setup):
    """A deployment's initial events may be a user.define_outcome alone: the run's session begins on receipt."""
    outcome = {"type": "user.define_outcome", "max_iterations": 3,
               "description": "A postmortem summary of Incident-2277 in markdown.",
               "rubric": {"type": "text", "content": "- Names the culprit deploy."}}
    d = deploy(client, setup, name="postmortem", text=None, initial_events=[outcome])
    assert [e.type for e in d.initial_events] == ["user.define_outcome"]
    run = client.beta.deployments.run(d.id)
    events = follow(client, run.session_id)
    assert events[0].type == "user.define_outcome" and events[-1].stop_reason.type == "end_turn"
    s = client.beta.sessions.retrieve(run.session_id)
    assert [e.result for e in s.outcome_evaluations] == ["needs_revision", "satisfied"]


# --------------------------------------------------------------------------------------------------- hardening
def test_a_budget_of_any_length_is_an_amount_never_an_internal_error(client, setup):
    """The docs set no maximum on an amount; Python's int() refuses strings of 4,300+ digits, so the stub compares
    and converts without it: 5,000 digits are stored and echoed on sessions and deployments, created and updated."""
    env, agent, _ = setup
    huge, huger = "9" * 5000, "1" + "0" * 5000
    s = client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget=budget(huge))
    assert s.budget.max_list_cost.amount == huge
    assert client.beta.sessions.update(s.id, budget=budget(huger)).budget.max_list_cost.amount == huger
    d = deploy(client, setup, name="huge budget", budget=budget(huge))
    assert d.budget.max_list_cost.amount == huge
    assert client.beta.deployments.update(d.id, budget=budget(huger)).budget.max_list_cost.amount == huger
    # a session that could not have made a recording says so (400), quoting the amount, not crashing on it
    with pytest.raises(anthropic.BadRequestError, match="budget_reached after spending") as e:
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget=budget(huge),
                                    metadata={"recording": "budget-reached"}, resources=setup[2])
    assert "99999999..." in e.value.message and "bug in helpers/stub" not in e.value.message


@pytest.mark.parametrize("amount", ["500\n", "500 ", " 500", "\u0665\u0660\u0660", "+500", "5e2"])
def test_a_budget_amount_is_only_ascii_digits(client, setup, amount):
    """"500\\n" passed a regex ending in `$` (which matches before a final newline); Arabic-Indic digits are digits to
    Python's \\d. Each is a 400 naming the amount, and nothing is stored."""
    env, agent, _ = setup
    before = len(list(client.beta.sessions.list(limit=100)))
    with pytest.raises(anthropic.BadRequestError, match="is not an amount in cents"):
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget=budget(amount))
    with pytest.raises(anthropic.BadRequestError, match="is not an amount in cents"):
        deploy(client, setup, name="bad amount", budget=budget(amount))
    assert len(list(client.beta.sessions.list(limit=100))) == before


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "15 8 30-31 FEB *"])
def test_a_schedule_that_never_fires_is_a_400(client, setup, expression):
    """The SDK's docstring of schedule.upcoming_runs_at: "Non-empty for active and paused deployments", so a
    schedule with no fire time is refused (inference), at create and at update, naming why."""
    cron = {"type": "cron", "expression": expression, "timezone": "UTC"}
    with pytest.raises(anthropic.BadRequestError, match="never fires") as e:
        deploy(client, setup, name="never", schedule=cron)
    assert e.value.body["error"]["message"].startswith("schedule.expression")
    d = deploy(client, setup, name="sometimes")
    with pytest.raises(anthropic.BadRequestError, match="never fires"):
        client.beta.deployments.update(d.id, schedule=cron)
    assert client.beta.deployments.retrieve(d.id).schedule is None  # unchanged


def test_a_rare_schedule_fires_and_its_fire_times_are_computed_once(client, setup, monkeypatch):
    """February 29 fires every 4 years (and a day-of-week makes the 30th fire in February too: either day field
    matches, POSIX). The fire times are remembered until the first passes: a list does not scan years again."""
    from helpers.stub import deployments as dep

    leap = deploy(client, setup, name="leap day", schedule={"type": "cron", "expression": "0 0 29 2 *", "timezone": "UTC"})
    assert leap.schedule.upcoming_runs_at and all((t.month, t.day) == (2, 29) for t in leap.schedule.upcoming_runs_at)
    either = deploy(client, setup, name="30th or monday",
                    schedule={"type": "cron", "expression": "0 0 30 2 1", "timezone": "UTC"})
    assert len(either.schedule.upcoming_runs_at) == 5
    scans = []
    real = dep.upcoming
    monkeypatch.setattr(dep, "upcoming", lambda *a, **k: scans.append(a) or real(*a, **k))
    for _ in range(3):
        listed = {d.id: d for d in client.beta.deployments.list(limit=100)}
        assert listed[leap.id].schedule.upcoming_runs_at == leap.schedule.upcoming_runs_at
    assert scans == []


def test_deployment_names_stop_at_256_characters_like_agents_and_environments(client, setup):
    with pytest.raises(anthropic.BadRequestError, match="name: is 257 characters long; deployment names are at most 256"):
        deploy(client, setup, name="n" * 257)
    d = deploy(client, setup, name="n" * 256)
    with pytest.raises(anthropic.BadRequestError, match="at most 256"):
        client.beta.deployments.update(d.id, name="m" * 100_000)
    assert client.beta.deployments.retrieve(d.id).name == "n" * 256


def test_no_run_is_created_after_its_deployment_was_archived(client, setup, server):
    """archive read the time before it waited for the lock, so a run that held the lock then could carry a
    created_at later than the deployment's archived_at. The test holds the lock while archive waits, and runs
    the deployment meanwhile (the lock is re-entrant); the archive that follows is stamped after that run."""
    import threading

    d = deploy(client, setup, name="archived mid-run")
    archived = {}
    with server.backend.lock:
        t = threading.Thread(target=lambda: archived.update(d=client.beta.deployments.archive(d.id)))
        t.start()
        time.sleep(0.3)  # archive is waiting for the lock
        run_id = server.backend.deployments.run(d.id)["id"]
    t.join(10)
    assert client.beta.deployment_runs.retrieve(run_id).created_at <= archived["d"].archived_at
    with pytest.raises(anthropic.ConflictError):
        client.beta.deployments.run(d.id)
