"""A room sharing one key: three learners run the workshop path (02 -> 04) against ONE server reached as the live API,
then one of them re-runs 02 and resets. Each learner finds, reuses and archives only their own resources. Then two
self-learners on one key run 08 and 09 up to their clean-up (as if they stopped there): each finds and reuses only their
own skill, agents, memory store, environment and vault, and one's reset leaves the other's alone.

The server is this project's stub (``helpers.stub.start()``), reached as live: ``WORKSHOP_MODE=live``, one
``ANTHROPIC_API_KEY`` for everyone, ``ANTHROPIC_BASE_URL`` at the stub; each learner is a ``WORKSHOP_LEARNER``. It is
the replay stub, so what is honest to claim: the names, metadata, finds, reuses, archives and reset of a shared key are
the notebooks' own code against the API's list/create/archive semantics (which the stub follows); the agents' answers
are recordings (a session with no ``recording`` metadata, as 03's is, replays the recording its first message's
keywords pick, else incident-2277), not a live model, and the stub does not enforce the organisation's rate limits.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers.settings import API_KEY_PREFIX
from support.scripts import script

mk = script("make_notebooks")

pytestmark = pytest.mark.notebooks

ROOM_KEY = API_KEY_PREFIX + "room-key-shared-by-everyone"  # the stub takes any key; it is not a secret
LEARNERS = ("alice", "bob", "carol")
PATH = ("02_agent_and_environment", "03_session_and_stream", "04_custom_tools")


@pytest.fixture(scope="module")
def room():
    """One stub for the whole room, and an SDK client on it that sees everything (the organisation's view)."""
    from helpers import stub
    from support.fixtures import sdk_client

    with stub.start(port=0, speed="instant") as server:
        yield server, sdk_client(server)


def _as_learner(monkeypatch, server, learner: str) -> None:
    """The environment of `learner`'s terminal (kernels inherit it): live, the room's key, the stub as the API."""
    for key in ("WORKSHOP_MODEL", "WORKSHOP_REPLAY_SPEED", "WORKSHOP_DATA_DIR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("WORKSHOP_MODE", "live")
    monkeypatch.setenv("ANTHROPIC_API_KEY", ROOM_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("WORKSHOP_LEARNER", learner)


def _run(name: str, until: str | None = None, tmp_path=None) -> dict:
    """Run the solution ``name`` live (on the room's stub); with ``until``, only its cells before the markdown cell
    that contains ``until`` (a learner who stopped there), from a copy in ``tmp_path``."""
    import nbformat
    import papermill as pm

    path = mk.SOLUTIONS / f"{name}.ipynb"
    if until:
        nb = nbformat.read(path, as_version=4)
        stop = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and until in c.source)
        nb.cells = nb.cells[:stop + 1]
        path = tmp_path / path.name
        nbformat.write(nb, path)
    return pm.execute_notebook(str(path), None, parameters={"MODE": "live"}, cwd=str(mk.SOLUTIONS),
                               execution_timeout=120, **mk.EXECUTE_OPTIONS)


def _text(nb: dict) -> str:
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            text = o.get("text") or o.get("data", {}).get("text/plain") or ""
            out.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(out)


def _active(client, kind: str) -> list:
    return [o for o in getattr(client.beta, kind).list(limit=100) if not o.archived_at]


def _by_learner(objs: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for o in objs:
        out.setdefault((o.metadata or {}).get("learner", "?"), []).append(o)
    return out


def test_three_learners_share_a_key_and_keep_to_their_own(room, monkeypatch):
    server, org = room
    for learner in LEARNERS:
        _as_learner(monkeypatch, server, learner)
        for name in PATH:
            nb = _run(name)
            if name.startswith("04"):
                assert "dep_4820" in _text(nb), f"{learner}'s investigation in 04 did not name the culprit"

    agents, envs = _by_learner(_active(org, "agents")), _by_learner(_active(org, "environments"))
    assert sorted(agents) == sorted(envs) == sorted(LEARNERS)  # nobody archived a neighbour's in 02
    for learner in LEARNERS:
        assert [a.name for a in agents[learner]] == [f"sre-investigator-{learner}"]
        assert [e.name for e in envs[learner]] == [f"incident-2277-sandbox-{learner}"]
        sessions = [s for s in org.beta.sessions.list(agent_id=agents[learner][0].id, limit=100)]
        assert len(sessions) >= 3 and {s.metadata.get("learner") for s in sessions} == {learner}  # 03 twice, 04 once
    uploads = [f for f in org.beta.files.list(limit=100) if f.filename == "app.log" and not f.scope]
    assert len(uploads) == 1  # the one thing the room shares: uploaded by the first learner, found by the others

    # alice runs 02 again: a second copy of her environment and agent, and her older copies archived, only hers
    _as_learner(monkeypatch, server, "alice")
    rerun = _text(_run(PATH[0]))
    assert "archived 2 older copies from earlier runs" in rerun, rerun
    agents = _by_learner(_active(org, "agents"))
    assert {k: len(v) for k, v in agents.items()} == {"alice": 1, "bob": 1, "carol": 1}

    # alice resets: everything of hers is archived, nobody else's
    bobs_and_carols = {o.id for kind in ("sessions", "agents", "environments") for o in _active(org, kind)
                       if (o.metadata or {}).get("learner") in ("bob", "carol")}
    done = subprocess.run([sys.executable, "-m", "helpers.doctor", "reset"], env=dict(os.environ), capture_output=True,
                          text=True, timeout=120, cwd=mk.ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "learner 'alice''s" in done.stdout, done.stdout
    left = {kind: _by_learner(_active(org, kind)) for kind in ("sessions", "agents", "environments")}
    assert all("alice" not in by for by in left.values()), {k: sorted(v) for k, v in left.items()}
    assert {o.id for by in left.values() for objs in by.values() for o in objs} == bobs_and_carols
    assert len([f for f in org.beta.files.list(limit=100) if f.filename == "app.log" and not f.scope]) == 1


def _reset(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "helpers.doctor", "reset", *args], env=dict(os.environ),
                          capture_output=True, text=True, timeout=120, cwd=mk.ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


KINDS_08_09 = ("sessions", "agents", "environments", "memory_stores")


def test_08_and_09_keep_to_their_own_and_reset_clears_them(room, monkeypatch, tmp_path):
    """08's skill has no metadata: each learner's is found by its title (their id in it); everything else of 08 and
    09 by its metadata. A rerun reuses what it made; one learner's reset leaves the other's; --everyone clears both."""
    server, org = room
    for learner in ("dana", "eve"):
        _as_learner(monkeypatch, server, learner)
        for name in ("08_the_investigator_learns", "09_team_of_investigators"):
            _run(name, until="## Clean up", tmp_path=tmp_path)
    _as_learner(monkeypatch, server, "dana")
    _run("08_the_investigator_learns", until="## Clean up", tmp_path=tmp_path)  # again: her skill and agent reused

    skills = {s.display_name: s for s in org.beta.skills.list(source="custom", limit=100)}
    assert sorted(n for n in skills if n.startswith("incident-runbooks")) == [
        "incident-runbooks-dana", "incident-runbooks-eve"]  # one each (the 8.1 check's copies deleted)
    agents = _by_learner(_active(org, "agents"))
    for learner in ("dana", "eve"):
        assert sorted(a.name for a in agents[learner]) == sorted(f"{base}-{learner}" for base in (
            "sre-investigator", "sre-investigator-learns", "incident-lead", "incident-comms"))
        assert sorted(e.name for e in _by_learner(_active(org, "environments"))[learner]) == [
            f"incident-2277-comms-{learner}", f"incident-2277-sandbox-{learner}"]
        stores = _by_learner(_active(org, "memory_stores"))[learner]
        # the team's store, reused, and each dream's (named and tagged by 08): dana ran 08 twice, so two dreams
        assert sorted(s.name for s in stores) == ["SRE on-call", *["SRE on-call, dreamed"] * {"dana": 2, "eve": 1}[learner]]
        vaults = [v for v in org.beta.vaults.list(include_archived=True, limit=100)
                  if (v.metadata or {}).get("learner") == learner]
        assert [v.display_name for v in vaults] == [f"incident-2277-on-call-{learner}"] and vaults[0].archived_at

    evens = {o.id for kind in KINDS_08_09 for o in _active(org, kind) if (o.metadata or {}).get("learner") == "eve"}
    out = _reset()
    assert "incident-runbooks-dana  deleted" in out and "incident-runbooks-eve" not in out, out
    left = {kind: _by_learner(_active(org, kind)) for kind in KINDS_08_09}
    assert all("dana" not in by for by in left.values()), {k: sorted(v) for k, v in left.items()}
    assert {o.id for by in left.values() for o in by.get("eve", [])} == evens
    names = [s.display_name for s in org.beta.skills.list(source="custom", limit=100)]
    assert "incident-runbooks-dana" not in names and "incident-runbooks-eve" in names

    everyone = _reset("--everyone")  # the presenter, after the room
    assert "incident-runbooks-eve  (learner eve)  deleted" in everyone, everyone
    assert not any(_active(org, kind) for kind in KINDS_08_09)
    assert not [s for s in org.beta.skills.list(source="custom", limit=100) if s.display_name.startswith("incident-")]
