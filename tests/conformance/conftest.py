"""One suite, two back ends: each conformance test states one documented behaviour of Managed Agents that the
notebooks rely on, cites its source in its docstring ("Source: ..."), and runs through the real SDK against

* the stub (default: every plain ``pytest`` run, so CI checks the stub against the documented behaviour), or
* the live API, with ``pytest -m live`` and ANTHROPIC_API_KEY set (the live variants are left out of any run that
  does not select ``-m live``; without the key they skip).

A test gets ``client`` (an ``anthropic.Anthropic`` on its back end) and ``workshop`` (the series' environment,
agent and uploaded app.log there); nothing else differs. Offline, a session picks its recording with
``metadata={"recording": NAME}`` (plain metadata to the live API), so a prompt can stay short and cheap live while the
stub replays the recording the behaviour needs. Assertions are on shapes and order, never on recorded text.
Live, whatever the suite creates carries the workshop's metadata; its sessions are archived at the end.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anthropic
import conftest as root_conftest
import pytest

HERE = Path(__file__).resolve().parent

BACKENDS = ["stub", pytest.param("live", marks=pytest.mark.live)]


def pytest_collection_modifyitems(config, items) -> None:
    """The live variants run only when ``-m live`` selects them; in any other run they are deselected."""
    if "live" in (config.getoption("-m") or ""):
        return
    mine = [i for i in items if HERE in Path(i.path).resolve().parents]
    drop = [i for i in mine if i.get_closest_marker("live")]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [i for i in items if i not in drop]


@dataclass
class Backend:
    """The API a conformance test talks to: ``client``, ``live`` (is it the real API), and what to clean up."""

    name: str
    client: Any
    live: bool
    server: Any = None
    sessions: list = field(default_factory=list)
    deployments: list = field(default_factory=list)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    if request.param == "live":
        if not root_conftest.LIVE_API_KEY:
            pytest.skip("ANTHROPIC_API_KEY is not set: the live conformance run needs the real API")
        b = Backend("live", anthropic.Anthropic(api_key=root_conftest.LIVE_API_KEY, max_retries=2, timeout=120),
                    live=True)
        yield b
        _clean_up(b)
        return
    from helpers import stub
    from helpers.settings import RECORDINGS_DIR
    from support.fixtures import sdk_client

    with stub.start(recordings_dir=RECORDINGS_DIR, keepalive=1.0) as server:
        yield Backend("stub", sdk_client(server, max_retries=0, timeout=60), live=False, server=server)


def _clean_up(b: Backend) -> None:
    """Live: stop and archive what the suite made (running sessions are interrupted first)."""
    c = b.client
    for d in b.deployments:
        try:
            c.beta.deployments.archive(d)
        except anthropic.APIError:
            pass
    for sid in b.sessions:
        try:
            if c.beta.sessions.retrieve(sid).status == "running":
                c.beta.sessions.events.send(sid, events=[{"type": "user.interrupt"}])
                wait_for_status(c, sid, "idle", timeout=60)
            c.beta.sessions.archive(sid)
        except (anthropic.APIError, AssertionError):
            pass


@pytest.fixture(scope="session")
def client(backend):
    return backend.client


@pytest.fixture(scope="session")
def workshop(backend):
    """The series' environment, agent and uploaded app.log on this back end: ``(env, agent, log_file)``."""
    from helpers import resources

    return resources.ensure_all(backend.client)


@pytest.fixture
def new_session(backend, workshop):
    """``new_session(recording=None, **kwargs)``: a session of the workshop's agent with app.log mounted (as the
    notebooks make them); ``recording`` chooses what the stub replays (ignored live). Live, it is archived at the
    end of the run."""
    from helpers import resources

    env, agent, log_file = workshop

    def make(recording: str | None = None, **kwargs: Any) -> Any:
        metadata = {**(kwargs.pop("metadata", None) or {}), **({"recording": recording} if recording else {})}
        session = resources.new_session(backend.client, agent, env, log_file, metadata=metadata, **kwargs)
        backend.sessions.append(session.id)
        return session

    return make


def message(text: str) -> dict:
    return {"type": "user.message", "content": [{"type": "text", "text": text}]}


def history(client: Any, session_id: str) -> list:
    """The session's events, every page, oldest first."""
    return list(client.beta.sessions.events.list(session_id, limit=1000))


def wait_for_status(client: Any, session_id: str, status: str, timeout: float = 120.0) -> Any:
    """Poll ``sessions.retrieve`` until the session has ``status``; the session."""
    deadline = time.monotonic() + timeout
    while True:
        s = client.beta.sessions.retrieve(session_id)
        if s.status == status:
            return s
        assert time.monotonic() < deadline, f"session {session_id} is {s.status}, not {status}, after {timeout:g} s"
        time.sleep(0.2)


def wait_for_event(client: Any, session_id: str, predicate: Any, after: int = 0, timeout: float = 120.0) -> list:
    """Poll the history until an event past index ``after`` satisfies ``predicate``; the history."""
    deadline = time.monotonic() + timeout
    while True:
        events = history(client, session_id)
        if any(predicate(e) for e in events[after:]):
            return events
        assert time.monotonic() < deadline, f"no such event in session {session_id} after {timeout:g} s"
        time.sleep(0.2)


def statuses(events: list) -> list[str]:
    """The session-level status events (``session.status_*``), in order."""
    return [e.type for e in events if e.type.startswith("session.status_")]
