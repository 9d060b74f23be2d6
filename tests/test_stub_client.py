"""helpers.connect(): modes, the shared in-process stub, async clients; and the stub's CLI."""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import anthropic
import pytest

import helpers
from helpers import client as hc
from helpers.settings import API_KEY_PREFIX


def test_replay_client_points_at_the_shared_stub():
    c = helpers.connect("replay")
    assert isinstance(c, anthropic.Anthropic) and c._strict_response_validation
    assert str(c.base_url).startswith("http://127.0.0.1:")
    assert helpers.connect("replay").base_url == c.base_url  # one stub per process
    env = c.beta.environments.create(name="x")
    assert env.id.startswith("env_")
    assert hc.describe(c).startswith("replay")


def test_each_replay_client_has_its_own_http_client_without_tls():
    """The stub is plain HTTP on 127.0.0.1: replay clients skip loading CA certificates (a new client is cheap,
    and notebooks connect again to change the pace); each still owns its HTTP client, so closing one leaves the
    others working; live clients keep TLS verified. Both are the SDK's DefaultHttpxClient, whose event streams end at
    their timeout (helpers/deadline.py)."""
    a, b = helpers.connect("replay"), helpers.connect("replay", speed="instant")
    assert a._client is not b._client
    pool = a._client._transport._pool
    assert pool._ssl_context.verify_mode.name == "CERT_NONE"
    b.close()
    assert b.is_closed() and not a.is_closed()
    assert a.beta.environments.create(name="still-works").id.startswith("env_")
    own = helpers.connect("replay", http_client=anthropic.DefaultHttpxClient())
    assert own._client._transport._pool._ssl_context.verify_mode.name == "CERT_REQUIRED"  # yours, as you made it
    live = helpers.connect("live", api_key=FAKE_KEY)
    assert isinstance(live._client, anthropic.DefaultHttpxClient) and type(live._client).__name__ == "WorkshopHttpClient"
    assert live._client._transport._pool._ssl_context.verify_mode.name == "CERT_REQUIRED"


def test_the_events_page_class_outlives_garbage_collections():
    """pydantic keeps a parametrized generic only while something holds it; connect() holds the events page's, so
    an events.list() after a collection does not build its validator again (~15 ms)."""
    import gc
    import weakref

    c = helpers.connect("replay")
    env = c.beta.environments.create(name="page-class")
    agent = c.beta.agents.create(model="claude-sonnet-4-6", name="page-class")
    session = c.beta.sessions.create(agent=agent.id, environment_id=env.id)
    kind = weakref.ref(type(c.beta.sessions.events.list(session.id)))
    gc.collect()
    assert kind() is not None, "the events page class was collected: connect() no longer holds it"
    assert type(c.beta.sessions.events.list(session.id)) is kind()


_GC_PROBE = """
import gc, sys
{before}
import helpers
helpers.connect("replay")
assert "anthropic" in sys.modules
print(gc.isenabled(), gc.get_freeze_count())
"""


@pytest.mark.parametrize("before, enabled", [("", True), ("gc.disable()", False)])
def test_connect_imports_the_sdk_with_its_objects_out_of_the_collector(before, enabled):
    """import_sdk(): the SDK's long-lived objects end in the permanent generation (collections and the kernel's exit
    skip them); the collector is left as the caller had it (on, or off if they turned it off)."""
    out = subprocess.run([sys.executable, "-c", _GC_PROBE.format(before=before)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out[0] == str(enabled)
    assert int(out[1]) > 50_000, f"only {out[1]} objects frozen: the SDK was imported before connect() froze them?"


FAKE_KEY = API_KEY_PREFIX + "secret-123"


def test_default_mode(monkeypatch):
    monkeypatch.delenv("WORKSHOP_MODE", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert hc.resolve_mode() == "replay"
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    assert hc.resolve_mode() == "live"
    monkeypatch.setenv("WORKSHOP_MODE", "Replay")
    assert hc.resolve_mode() == "replay"
    monkeypatch.setenv("WORKSHOP_MODE", "bogus")
    with pytest.raises(ValueError, match="'replay'.*'live'"):
        hc.resolve_mode()


def test_live_needs_a_key_and_never_shows_it(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(RuntimeError, match="ANTHROPIC_API_KEY is not set"):
        helpers.connect("live")
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    c = helpers.connect("live")
    assert c.api_key == FAKE_KEY and "127.0.0.1" not in str(c.base_url)
    assert "secret" not in hc.describe(c) and "secret" not in repr(c)
    with pytest.raises(ValueError, match="speed"):
        helpers.connect("live", speed=2)


def test_async_client_and_speed():
    ac = helpers.connect("replay", async_=True)
    assert isinstance(ac, anthropic.AsyncAnthropic)
    assert isinstance(hc.connect_async("replay"), anthropic.AsyncAnthropic)

    async def go():
        env = await ac.beta.environments.create(name="a")
        await ac.close()
        return env

    assert asyncio.run(go()).id.startswith("env_")
    server = hc.stub_server()
    before = server.speed
    helpers.connect("replay", speed=3)
    assert server.speed == 3.0
    server.speed = before
    with pytest.raises(ValueError):
        helpers.connect("replay", speed="fast")


def test_cli_serves_and_prints_url(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "helpers.stub", "--port", "0", "--speed", "instant"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stdout.readline()
        m = re.match(r"Managed Agents stub listening on (http://127\.0\.0\.1:\d+)", line)
        assert m, line
        c = anthropic.Anthropic(api_key="k", base_url=m.group(1), _strict_response_validation=True)
        assert c.beta.environments.create(name="cli").type == "environment"
    finally:
        p.terminate()
        p.wait(10)
    bad = subprocess.run([sys.executable, "-m", "helpers.stub", "--speed", "-1"], capture_output=True, text=True)
    assert bad.returncode == 2 and "speed" in bad.stderr
