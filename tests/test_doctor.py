"""`python3 workshop.py doctor` (the preflight) and `python3 workshop.py reset` (the clean-up), through the CLI.

doctor passes offline on this checkout, and fails, naming the variable, in live mode without a key. reset --dry-run
lists what the workshop's metadata marks on a server (the stub, standing in for the live API) and changes nothing;
reset archives it and clears the workshop's cache.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import doctor, resources
from support.scripts import script

ROOT = Path(__file__).resolve().parent.parent


def workshop_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    if not script("workshop").venv_in_sync():
        pytest.skip(".venv is not in step with requirements.txt (workshop.py would reinstall it first)")
    full = {k: v for k, v in os.environ.items()
            if k not in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WORKSHOP_MODE", "WORKSHOP_CACHE_DIR")}
    full.update(env)
    return subprocess.run([sys.executable, "workshop.py", *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=300)


def test_the_evidence_hashes_are_those_of_data():
    for name, digest in doctor.EVIDENCE_SHA256.items():
        assert hashlib.sha256((ROOT / "data" / name).read_bytes()).hexdigest() == digest, name


def test_a_changed_evidence_file_is_an_x_with_the_fix(tmp_path):
    for name in doctor.EVIDENCE_SHA256:
        (tmp_path / name).write_bytes((ROOT / "data" / name).read_bytes())
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "incident-2277.jsonl").write_text("{}\n")
    with (tmp_path / "app.log").open("a") as f:
        f.write("\n")
    lines: list[str] = []
    check = doctor.Check(lines.append)
    doctor.check_evidence(check, tmp_path)
    assert lines[0].startswith("✗") and "app.log changed" in lines[0]
    assert lines[1].strip().startswith("fix: git checkout -- data/")


def test_doctor_passes_offline():
    out = workshop_cli("doctor", WORKSHOP_MODE="replay")
    assert out.returncode == 0, out.stdout + out.stderr
    checks = [ln for ln in out.stdout.splitlines() if ln[:1] in "✓✗"]
    assert len(checks) >= 6 and all(ln.startswith("✓") for ln in checks), out.stdout
    for what in ("Python 3.", "hash stamp", "pinned packages", "evidence", "widgets extension", "offline replay",
                 f"you are the learner {resources.LEARNER!r}"):
        assert any(what in ln for ln in checks), (what, out.stdout)


def test_doctor_in_live_mode_without_a_key_fails_naming_the_variable():
    out = workshop_cli("doctor", WORKSHOP_MODE="live")
    assert out.returncode != 0
    failed = [ln for ln in out.stdout.splitlines() if ln.startswith("✗")]
    assert len(failed) == 1 and "ANTHROPIC_API_KEY" in failed[0], out.stdout
    assert "fix: export ANTHROPIC_API_KEY=" in out.stdout


@pytest.mark.parametrize("raw,learner,ok", [
    (None, None, True), ("  Ada Lovelace ", "ada-lovelace", True), ("ada", "ada", True), ("!!!", None, False),
])
def test_doctor_says_who_you_are_in_the_room(monkeypatch, raw, learner, ok):
    if raw is None:
        monkeypatch.delenv("WORKSHOP_LEARNER", raising=False)
    else:
        monkeypatch.setenv("WORKSHOP_LEARNER", raw)
    lines: list[str] = []
    check = doctor.Check(lines.append)
    doctor.check_learner(check)
    assert lines[0].startswith("✓" if ok else "✗"), lines
    assert repr(learner or doctor.settings.default_learner()) in lines[0], lines
    if raw and ok and learner != raw:
        assert f"written {learner!r}" in lines[0]
    if not ok:
        assert lines[1].strip().startswith("fix: export WORKSHOP_LEARNER=")


def test_reset_lists_then_archives_what_the_workshop_made(server, client, tmp_path):
    session = resources.new_session(client)  # environment, agent, upload, session: all the workshop's
    env, agent = resources.find_environment(client), resources.find_agent(client)
    stranger = client.beta.agents.create(name="not-the-workshops", model="claude-sonnet-4-6")
    neighbour = client.beta.agents.create(  # the same workshop on the same key, another learner's
        name=resources.learner_name("sre-investigator", "neighbour"), model="claude-sonnet-4-6",
        metadata={**resources.WORKSHOP_METADATA, "learner": "neighbour"})
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "applog-x.npz").write_bytes(b"x")
    live = {"WORKSHOP_MODE": "live", "ANTHROPIC_API_KEY": "stub-key", "ANTHROPIC_BASE_URL": server.url,
            "WORKSHOP_CACHE_DIR": str(cache)}

    dry = workshop_cli("reset", "--dry-run", **live)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"would archive 3 workshop resource(s), learner {resources.LEARNER!r}'s" in dry.stdout, dry.stdout
    for obj in (session, env, agent):
        assert obj.id in dry.stdout
    assert stranger.id not in dry.stdout and neighbour.id not in dry.stdout
    room = workshop_cli("reset", "--dry-run", "--everyone", **live)  # the presenter's view: every learner's
    assert "would archive 4 workshop resource(s), every learner's" in room.stdout, room.stdout
    assert f"{neighbour.id}  sre-investigator-neighbour  (learner neighbour)" in room.stdout
    assert f"(learner {resources.LEARNER})" in room.stdout and stranger.id not in room.stdout
    assert f"would clear the workshop's cache (parsed log, charts, the stub's validators) {cache}" in dry.stdout
    assert cache.exists() and not client.beta.agents.retrieve(agent.id).archived_at  # nothing changed

    done = workshop_cli("reset", **live)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("  archived") == 3, done.stdout
    assert not cache.exists()
    assert client.beta.agents.retrieve(agent.id).archived_at
    assert not client.beta.agents.retrieve(stranger.id).archived_at
    assert not client.beta.agents.retrieve(neighbour.id).archived_at  # a neighbour's is never yours to archive
    again = workshop_cli("reset", "--dry-run", **live)
    assert "would archive 0 workshop resource(s)" in again.stdout, again.stdout


def _skill(client, title: str, slug: str = "incident-runbooks"):
    skill_md = f"---\nname: {slug}\ndescription: Runbooks.\n---\n# Runbooks\n".encode()
    return client.beta.skills.create(files=[(f"{slug}/SKILL.md", skill_md, "text/markdown")], display_name=title)


def test_reset_finds_what_keeps_no_metadata_through_what_does(server, client, monkeypatch, tmp_path):
    """Notebook 08's skill (its display name carries the learner id; deleted, a skill cannot be archived) and dreams
    (by their input store; a running one canceled first), and a dream's output store (no metadata of its own)."""
    me = resources.learner_name("incident-runbooks")
    mine = _skill(client, me)
    client.beta.skills.versions.create(mine.id, files=[("incident-runbooks/SKILL.md", b"---\nname: incident-runbooks\n"
                                                        b"description: Runbooks, v2.\n---\n# v2\n", "text/markdown")])
    neighbours = _skill(client, "incident-runbooks-neighbour")
    lookalike = _skill(client, me, slug="incident-runbooks-prod")  # the same title, another slug: not 08's
    store = client.beta.memory_stores.create(name="SRE on-call", metadata=resources.WORKSHOP_METADATA)
    client.beta.memory_stores.memories.create(store.id, path="/incidents/2277-checkout-n-plus-one.md",
                                              content="N+1 after a deploy.\n")
    their_store = client.beta.memory_stores.create(name="SRE on-call",
                                                   metadata={**resources.WORKSHOP_METADATA, "learner": "neighbour"})
    session = resources.new_session(client)
    inputs = [{"type": "memory_store", "memory_store_id": store.id}, {"type": "sessions", "session_ids": [session.id]}]
    dream = client.beta.dreams.create(inputs=inputs, model="claude-sonnet-4-6")
    output = client.beta.dreams.retrieve(dream.id).outputs[0].memory_store_id  # running now: its store exists
    assert client.beta.memory_stores.retrieve(output).metadata == {}  # no metadata: found through the dream
    for key, value in {"WORKSHOP_MODE": "live", "ANTHROPIC_API_KEY": "stub-key", "ANTHROPIC_BASE_URL": server.url,
                       "WORKSHOP_CACHE_DIR": str(tmp_path / "cache")}.items():
        monkeypatch.setenv(key, value)

    lines: list[str] = []
    assert doctor.reset(dry_run=True, out=lines.append) == 0
    listed = "\n".join(lines)
    for obj in (mine, store, dream, session):
        assert obj.id in listed, listed
    assert f"{mine.id}  {me}  (would be deleted: a skill cannot be archived)" in listed
    assert output in listed and neighbours.id not in listed and lookalike.id not in listed
    assert their_store.id not in listed
    room: list[str] = []
    doctor.reset(dry_run=True, out=room.append, everyone=True)
    assert f"{neighbours.id}  incident-runbooks-neighbour  (learner neighbour)" in "\n".join(room)
    assert f"(learner {resources.LEARNER})" in "\n".join(room) and lookalike.id not in "\n".join(room)

    done: list[str] = []
    assert doctor.reset(out=done.append) == 0, done
    ids = [s.id for s in client.beta.skills.list(limit=100)]
    assert mine.id not in ids and {neighbours.id, lookalike.id} <= set(ids)  # deleted, versions and all; theirs stay
    assert client.beta.dreams.retrieve(dream.id).archived_at  # finished by now (offline each look moves it on)
    assert all(client.beta.memory_stores.retrieve(i).archived_at for i in (store.id, output))
    assert not client.beta.memory_stores.retrieve(their_store.id).archived_at
    again: list[str] = []
    doctor.reset(dry_run=True, out=again.append)
    assert "would archive 0 workshop resource(s)" in "\n".join(again), again
    other = client.beta.memory_stores.create(name="other")
    client.beta.memory_stores.memories.create(other.id, path="/incidents/2277-checkout-n-plus-one.md", content="x\n")
    inputs[0]["memory_store_id"] = other.id
    pending = client.beta.dreams.create(inputs=inputs, model="claude-sonnet-4-6")  # only a finished dream archives
    assert pending.status == "pending" and doctor._retire(client, "dreams", pending) == "archived"
    assert client.beta.dreams.retrieve(pending.id).status == "canceled"


def test_prepare_fills_the_caches_once_and_never_fails(monkeypatch, tmp_path):
    """``workshop.py open`` runs ``prepare`` before JupyterLab: the parsed app.log (what notebooks load instead of
    parsing) and matplotlib's font list; then it says nothing. A cache it cannot write is reported, not raised."""
    import matplotlib

    from helpers import incident

    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(matplotlib, "get_cachedir", lambda: str(tmp_path / "mpl"))  # one this test can write
    (tmp_path / "mpl").mkdir()
    (tmp_path / "mpl" / "fontlist-v0.json").write_text("{}")  # listed already: the fonts are not this test's
    said: list[str] = []
    assert doctor.prepare(said.append) == 0
    cached = incident.log_columns_cache_file(doctor.settings.DATA_DIR / "app.log")
    assert cached is not None and cached.is_file() and cached.parent == tmp_path / "cache"
    assert any("parsed data/app.log" in line for line in said), said
    assert incident.load_log_columns(doctor.settings.DATA_DIR / "app.log").n == 70_000  # what the notebooks load
    said.clear()
    assert doctor.prepare(said.append) == 0 and said == []  # all there: silent
    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "blocked"))
    assert doctor.prepare(said.append) == 0
    assert len(said) == 1 and said[0].startswith("could not prepare the parsed-log cache"), said


def test_prepare_lists_the_fonts_on_a_new_machine(tmp_path):
    """A machine where matplotlib never ran (no font list in its config folder): prepare builds the list, so the
    first pyplot import of notebook 01 does not."""
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "WORKSHOP_CACHE_DIR": "off"}
    done = subprocess.run([sys.executable, "-m", "helpers.doctor", "prepare"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "matplotlib is listing this machine's fonts" in done.stdout
    assert "matplotlib listed this machine's fonts" in done.stdout
    assert list((tmp_path / "mpl").glob("fontlist-v*.json"))
