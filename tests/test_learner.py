"""A learner's identity (WORKSHOP_LEARNER): what it looks like, and that helpers.resources finds, reuses and archives
only what carries it, whatever a neighbour on the same key has made under the same kind of names."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import resources, settings


@pytest.mark.parametrize("raw,expected", [
    ("ada", "ada"), ("Ada Lovelace", "ada-lovelace"), ("  ada__lovelace--mbp.local ", "ada-lovelace-mbp-local"),
    ("たろう@PC-01", "たろう-pc-01"), ("!!!", ""), ("", ""), ("x" * 60, "x" * 40), ("a" * 39 + " b", "a" * 39),
])
def test_learner_id(raw, expected):
    assert settings.learner_id(raw) == expected


def test_the_default_is_user_and_machine_and_the_variable_wins():
    code = "from helpers import settings; print(settings.LEARNER)"
    env = {k: v for k, v in os.environ.items() if k != "WORKSHOP_LEARNER"}

    def learner(**extra: str) -> str:
        return subprocess.run([sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True,
                              check=True).stdout.strip()

    default = learner()
    assert default == settings.default_learner() and default and default != "learner"
    assert learner(WORKSHOP_LEARNER="Ada Lovelace") == "ada-lovelace"
    assert learner(WORKSHOP_LEARNER="???") == default  # nothing usable: the default stands in (doctor says so)


def test_names_and_metadata_carry_the_learner():
    me = resources.LEARNER
    assert resources.WORKSHOP_METADATA == {"workshop": "ship-your-first-managed-agent", "learner": me}
    assert resources.AGENT_NAME == f"sre-investigator-{me}" == resources.learner_name("sre-investigator")
    assert resources.ENVIRONMENT_NAME == f"incident-2277-sandbox-{me}"
    assert resources.agent_definition()["metadata"] == resources.WORKSHOP_METADATA
    mine = {"metadata": dict(resources.WORKSHOP_METADATA)}
    theirs = {"metadata": {**resources.WORKSHOP_METADATA, "learner": "neighbour"}}
    old = {"metadata": {"workshop": resources.WORKSHOP}}  # made before the learner key
    assert resources.is_mine(mine) and not resources.is_mine(theirs) and not resources.is_mine(old)
    assert all(resources.is_mine(o, everyone=True) for o in (mine, theirs, old))
    assert not resources.is_mine({"metadata": {"learner": resources.LEARNER}}, everyone=True)


def _neighbours(client) -> tuple:
    """A neighbour on the same key: the same workshop, the same names but for the learner in them, and even an agent
    that (mis)uses *your* name with their metadata."""
    theirs = {**resources.WORKSHOP_METADATA, "learner": "neighbour"}
    env = client.beta.environments.create(name=resources.learner_name("incident-2277-sandbox", "neighbour"),
                                          config=resources.environment_config(), metadata=theirs)
    agent = client.beta.agents.create(**{**resources.agent_definition(), "name": resources.learner_name(
        "sre-investigator", "neighbour"), "metadata": theirs})
    impostor = client.beta.agents.create(**{**resources.agent_definition(), "metadata": theirs})
    return env, agent, impostor


def test_ensure_finds_reuses_and_archives_only_yours(client):
    n_env, n_agent, impostor = _neighbours(client)
    assert resources.find_agent(client) is None and resources.find_environment(client) is None
    env, agent = resources.ensure_environment(client), resources.ensure_agent(client)
    assert {env.id, agent.id}.isdisjoint({n_env.id, n_agent.id, impostor.id})
    assert env.metadata["learner"] == agent.metadata["learner"] == resources.LEARNER
    assert resources.ensure_agent(client).id == agent.id  # reused: yours

    again = client.beta.agents.create(**resources.agent_definition())  # a re-run of 02's cell: a second copy
    assert resources.find_agent(client).id == again.id  # the newest of yours
    assert resources.archive_duplicates(client, again) == [agent.id]  # your older copy, not the impostor
    for other in (n_agent, impostor):
        assert not client.beta.agents.retrieve(other.id).archived_at
    assert not client.beta.environments.retrieve(n_env.id).archived_at
    session = resources.new_session(client, again, env)
    assert session.metadata["learner"] == resources.LEARNER
