"""Session threads and multiagent agents: the primary thread every session has, a roster resolved to versions
(notebook 09)."""
from __future__ import annotations

import anthropic
import pytest

from helpers import resources


def test_every_session_has_one_primary_thread(client, new_session):
    """Source: SDK docstring of `BetaManagedAgentsSessionThread`: "Each session has one primary thread plus zero or
    more child threads."; `parent_thread_id`: "Parent thread that spawned this thread. Null for the primary
    thread." """
    s = new_session()
    [primary] = list(client.beta.sessions.threads.list(s.id))
    assert primary.parent_thread_id is None and primary.session_id == s.id and primary.id.startswith("sthr_")
    assert primary.agent.id == s.agent.id and primary.archived_at is None
    again = client.beta.sessions.threads.retrieve(primary.id, session_id=s.id)
    assert again.id == primary.id and again.parent_thread_id is None


@pytest.fixture
def lead(client, workshop):
    """A lead agent whose roster is the workshop's investigator, archived at the end."""
    _, agent, _ = workshop
    made = client.beta.agents.create(
        name="conformance-lead", model=agent.model.id, metadata=resources.WORKSHOP_METADATA,
        multiagent={"type": "multiagent_20261001", "subagents": {"type": "enabled", "predefined_agents": [agent.id]}})
    yield made
    try:
        client.beta.agents.archive(made.id)
    except anthropic.APIError:
        pass


def test_a_multiagent_roster_is_resolved_to_versions(client, lead, workshop):
    """Source: SDK docstrings: a predefined agent "is an agent ID string, an `agent` reference with an optional
    `version`, or `self`"; `predefined_agents` (the response): "Predefined agents, which are saved agents that this
    agent can spawn as session threads, each resolved to a specific version." """
    _, agent, _ = workshop
    [member] = lead.multiagent.subagents.predefined_agents
    assert lead.multiagent.type == "multiagent_20261001" and lead.multiagent.subagents.type == "enabled"
    assert (member.type, member.id, member.version) == ("agent", agent.id, agent.version)
