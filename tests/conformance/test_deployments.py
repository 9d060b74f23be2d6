"""Deployments: their lifecycle, their schedule, their runs."""
from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import anthropic
import pytest

from helpers import resources

from .conftest import message, wait_for_event

WEEKDAYS = {"type": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"}


@pytest.fixture
def deploy(backend, workshop):
    """``deploy(**kwargs)``: a deployment of the workshop's agent with app.log mounted; archived at the end (live)."""
    env, agent, log_file = workshop

    def make(**kwargs):
        kwargs.setdefault("initial_events", [message("Reply with the single word ok.")])
        kwargs.setdefault("resources", [{"type": "file", "file_id": log_file.id,
                                         "mount_path": resources.LOG_MOUNT_PATH}])
        kwargs["metadata"] = {**resources.WORKSHOP_METADATA, **(kwargs.get("metadata") or {})}
        d = backend.client.beta.deployments.create(agent=agent.id, environment_id=env.id,
                                                   name=kwargs.pop("name", "conformance"), **kwargs)
        backend.deployments.append(d.id)
        return d

    return make


def test_a_deployment_pins_its_agent_and_lists_its_next_fire_times_until_archived(client, deploy, workshop):
    """Source: SDK docstrings of `BetaManagedAgentsDeployment`: `agent` "Reference to the agent this deployment runs,
    resolved to a concrete version"; `paused_reason` "Non-null exactly when `status` is `paused`; null otherwise";
    `status` "Archived deployments report `active` with `archived_at` set"; `schedule.upcoming_runs_at` "Up to 5
    timestamps of upcoming cron occurrences. Non-empty for active and paused deployments ...; empty once the
    deployment is archived"."""
    _, agent, _ = workshop
    d = deploy(name="conformance-schedule", schedule=WEEKDAYS)
    d = client.beta.deployments.pause(d.id)  # first, so that live it never fires
    assert d.status == "paused" and d.paused_reason is not None
    assert (d.agent.id, d.agent.version) == (agent.id, agent.version)
    upcoming = d.schedule.upcoming_runs_at
    assert 1 <= len(upcoming) <= 5 and upcoming == sorted(upcoming)
    berlin = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in upcoming]  # "0 9 * * 1-5", read in its timezone
    assert all(t.weekday() < 5 and (t.hour, t.minute) == (9, 0) for t in berlin)
    d = client.beta.deployments.unpause(d.id)
    assert d.status == "active" and d.paused_reason is None and d.schedule.upcoming_runs_at
    d = client.beta.deployments.pause(d.id)
    d = client.beta.deployments.archive(d.id)
    assert d.archived_at is not None and d.status == "active" and d.schedule.upcoming_runs_at == []


def test_a_run_creates_a_session_from_the_deployment_that_starts_with_its_initial_events(client, backend, deploy):
    """Source: https://platform.claude.com/docs/en/managed-agents/scheduled-deployments, "Deployment runs": "Each
    attempt at executing a deployment generates a deployment run record"; "a successful deployment run contains the
    associated `session_id`"; SDK docstring of `BetaManagedAgentsDeploymentRun.error`: "Exactly one of `session_id` or
    `error` is non-null"; `BetaManagedAgentsSession.deployment_id`."""
    text = "Reply with the single word ok."
    d = deploy(name="conformance-run", initial_events=[message(text)], metadata={"recording": "incident-2277"})
    run = client.beta.deployments.run(d.id)
    assert run.session_id and run.error is None and run.deployment_id == d.id
    backend.sessions.append(run.session_id)
    assert run.trigger_context.type == "manual" and run.agent.id == d.agent.id
    session = client.beta.sessions.retrieve(run.session_id)
    assert session.deployment_id == d.id
    events = wait_for_event(client, run.session_id, lambda e: e.type == "user.message", timeout=60)
    first = next(e for e in events if e.type == "user.message")
    assert first.content[0].text == text
    deadline = time.monotonic() + 30
    while run.id not in [r.id for r in client.beta.deployment_runs.list(deployment_id=d.id)]:
        assert time.monotonic() < deadline, "the run never appeared in the deployment's run history"
        time.sleep(0.5)


def test_a_predefined_cron_shortcut_is_refused(deploy):
    """Source: SDK docstring of `schedule.expression`: "Extended cron syntax - seconds or year fields, and the
    special characters L, W, #, and ? - is not supported, nor are predefined shortcuts (@daily)."; the API reference
    (https://platform.claude.com/docs/en/api/beta/deployments/create) says the same."""
    with pytest.raises(anthropic.BadRequestError) as e:
        deploy(name="conformance-daily", schedule={"type": "cron", "expression": "@daily", "timezone": "UTC"})
    assert e.value.body["error"]["type"] == "invalid_request_error"
