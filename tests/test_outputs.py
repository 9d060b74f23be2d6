"""A session's outputs (helpers.outputs) and the stub's rule for listing them: "Filtering by `scope_id` requires the
`managed-agents-2026-04-01` beta header", and outputs may appear "a few seconds after the session goes idle"
(https://platform.claude.com/docs/en/managed-agents/files, "Listing and downloading session files")."""
from __future__ import annotations

import threading
import time

import anthropic
import pytest

from helpers import incident, loop, resources
from helpers.outputs import BETA, list_outputs


@pytest.fixture(scope="module")
def stub_options():
    from helpers.settings import RECORDINGS_DIR

    return {"recordings_dir": RECORDINGS_DIR}


@pytest.fixture(scope="module")
def reported(client):
    """A session that wrote report.md (the alert recording), and the uploaded log it mounts."""
    session = resources.new_session(client, metadata={"recording": "alert-2277"})
    loop.run(client, session.id, "ALERT checkout-latency: find the root cause and write report.md.",
             handle_tool=incident.handle_tool, render=False, timeout=60)
    return session


def test_scope_id_without_the_managed_agents_beta_is_a_400_naming_the_header(client, reported):
    with pytest.raises(anthropic.BadRequestError) as e:
        client.beta.files.list(scope_id=reported.id)  # the SDK's beta.files sends no beta header by default
    message = e.value.body["error"]["message"]
    assert e.value.body["error"]["type"] == "invalid_request_error"
    assert f"anthropic-beta: {BETA}" in message and f'betas=["{BETA}"]' in message and "list_outputs" in message
    listed = list(client.beta.files.list(scope_id=reported.id, betas=[BETA]))
    assert "report.md" in [f.filename for f in listed]
    assert list(client.beta.files.list(limit=5))  # a list without scope_id needs no Managed Agents header


def test_list_outputs_is_what_the_agent_wrote(client, reported):
    t = time.monotonic()
    files = list_outputs(client, reported.id)
    assert time.monotonic() - t < 1.0  # offline an output exists once its tool call succeeded: no wait
    assert [f.filename for f in files] == ["report.md"] and files[0].downloadable
    assert files[0].scope.type == "session" and files[0].scope.id == reported.id
    assert "dep_4820" in client.beta.files.download(files[0].id).text()
    copies = [f for f in client.beta.files.list(scope_id=reported.id, betas=[BETA]) if not f.downloadable]
    assert copies and all(f.filename != "report.md" for f in copies)  # the mounted log's copy is left out


def test_list_outputs_waits_for_an_output_that_lags_the_idle(client, server, reported):
    """Live, an output can join the list seconds after the idle; list_outputs lists again until the names it
    expects are there. (The stub writes one into the finished session half a second later.)"""
    def late() -> None:
        time.sleep(0.5)
        with server.backend.lock:
            state = server.backend.sessions.sessions[reported.id]
            state.new_outputs.append(("late.md", b"# late\n", "text/markdown"))
            server.backend.files.save_outputs(state)

    writer = threading.Thread(target=late)
    t = time.monotonic()
    writer.start()
    files = list_outputs(client, reported.id, expect=["late.md"], wait=5.0, poll=0.1)
    writer.join()
    assert "late.md" in [f.filename for f in files] and 0.4 < time.monotonic() - t < 3.0


def test_list_outputs_waits_at_most_its_bound(client):
    session = resources.new_session(client)
    t = time.monotonic()
    assert list_outputs(client, session.id, wait=0.6, poll=0.2) == []  # nothing written: empty, after the bound
    assert 0.3 < time.monotonic() - t < 2.0
    t = time.monotonic()
    files = list_outputs(client, session.id, expect=["report.md"], wait=0.0)
    assert files == [] and time.monotonic() - t < 1.0
    with pytest.raises(TypeError, match="pass session.id"):
        list_outputs(client, session)

