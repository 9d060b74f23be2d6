"""Budgets: their shape, the rules for changing them, the budget_reached stop and the resume."""
from __future__ import annotations

import time

import anthropic
import pytest

from helpers import incident, loop

from .conftest import history, message, wait_for_event, wait_for_status

DRILL = ("Budget drill: investigate the checkout latency spike that began at 14:07Z, one tool call at a time, "
         "starting with the checkout metrics and the app log.")


def budget(cents: str, currency: str = "USD") -> dict:
    return {"type": "limit", "max_list_cost": {"amount": cents, "currency": currency}}


@pytest.mark.parametrize("bad", [budget("25.00"), budget("0"), budget("0500"), budget("500", "EUR")])
def test_a_budget_is_whole_cents_above_zero_in_usd(client, workshop, bad):
    """Source: https://platform.claude.com/docs/en/managed-agents/budgets: "`amount` is a whole number of US cents
    written as a string with no leading zeros ... and must be greater than zero. Decimal forms such as `"25.00"` are
    rejected"; "`USD` is the only supported currency"; Error reference: each is a 400."""
    env, agent, _ = workshop
    with pytest.raises(anthropic.BadRequestError):
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget=bad)


def test_a_budget_can_only_be_attached_at_creation(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/budgets: "A budget can only be attached when the
    session is created. Adding a budget to an existing session that doesn't have one is rejected with a 400 error.";
    "Removing a session's budget is one-way: a session whose budget has been removed cannot be given a new one." """
    plain = new_session()
    with pytest.raises(anthropic.BadRequestError):
        client.beta.sessions.update(plain.id, budget=budget("500"))
    capped = new_session(budget=budget("500"))
    assert client.beta.sessions.update(capped.id, budget=budget("900")).budget.max_list_cost.amount == "900"
    assert client.beta.sessions.update(capped.id, budget=None).budget is None
    with pytest.raises(anthropic.BadRequestError):
        client.beta.sessions.update(capped.id, budget=budget("500"))


def test_a_session_at_its_budget_pauses_idle_refuses_new_work_and_resumes_when_raised(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/budgets: "A session that reaches its budget goes
    idle with a `stop_reason` of `budget_reached`; it is not terminated"; "Any event that would start new work, such
    as `user.message`, is rejected with a 400 error"; the new value "must be strictly greater than the session's
    consumed list cost; otherwise the update is rejected with a 400 error"; "An accepted update resumes the session's
    paused work automatically; no further client action is needed." """
    s = new_session(recording="budget-reached", budget=budget("2"))
    stopped = loop.run(client, s.id, DRILL, handle_tool=incident.handle_tool, render=False, timeout=600)
    assert stopped.stop_reason == "budget_reached"
    session = client.beta.sessions.retrieve(s.id)
    spent = int(session.usage.list_cost.amount)  # whole cents, rounded to the nearest (docs)
    assert session.status == "idle" and spent >= 2
    with pytest.raises(anthropic.BadRequestError):
        client.beta.sessions.events.send(s.id, events=[message("Keep going.")])
    with pytest.raises(anthropic.BadRequestError):  # below what it spent (a cent under the rounded figure)
        client.beta.sessions.update(s.id, budget=budget(str(spent - 1)))
    before = len(history(client, s.id))
    raised = str(spent + 50)
    assert client.beta.sessions.update(s.id, budget=budget(raised)).budget.max_list_cost.amount == raised
    events = wait_for_event(client, s.id, lambda e: e.type == "session.status_running", after=before, timeout=120)
    later = [e.type for e in events[before:]]
    assert later.index("session.updated") < later.index("session.status_running")
    if client.beta.sessions.retrieve(s.id).status == "running":  # enough: stop spending
        client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])
        wait_for_status(client, s.id, "idle", timeout=300)


def test_an_interrupt_at_the_budget_cap_is_accepted_and_ignored(client, backend, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/budgets: a `user.interrupt` is a settle event, and one
    "sent while the session is paused at its budget (all threads paused at the cap) is accepted and ignored: it does
    not appear in the event list and changes nothing" (anthropics/skills, skills/claude-api/shared/managed-agents-
    events.md, "Reaching a session budget": "it is never persisted and changes nothing")."""
    s = new_session(recording="budget-reached", budget=budget("2"))
    stopped = loop.run(client, s.id, DRILL, handle_tool=incident.handle_tool, render=False, timeout=600)
    assert stopped.stop_reason == "budget_reached"
    listed = history(client, s.id)
    assert listed[-2].type == "session.usage" and listed[-2].budget.max_list_cost.amount == "2"  # the budget's echo
    before = [e.id for e in listed]
    sent = client.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt"}])  # accepted: no error
    assert [e.type for e in sent.data or []] in ([], ["user.interrupt"])
    if backend.live:
        time.sleep(3)  # room for it to show, were it persisted
    events = history(client, s.id)
    assert [e.id for e in events] == before and "user.interrupt" not in [e.type for e in events]
    session = client.beta.sessions.retrieve(s.id)
    assert session.status == "idle"
