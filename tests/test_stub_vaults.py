"""Vaults and credentials on the stub (helpers/stub/vaults.py), through the real SDK (strict), and the MCP recording
that needs one (statuspage-update). The rules are the vaults docs' (cited in docs/design.md); the one that matters
most is tested on the wire: a credential's secret appears in no response body, listing, error or log line."""
from __future__ import annotations

import logging
import secrets

import anthropic
import pytest

from helpers import loop
from support.fixtures import sdk_client

STATUS_URL = "https://mcp.status.example/mcp"
COMMS_TOOLS = [{"type": "mcp_toolset", "mcp_server_name": "statuspage",
                "default_config": {"permission_policy": {"type": "always_ask"}},
                "configs": [{"name": "list_incidents", "permission_policy": {"type": "always_allow"}}]}]
MCP_ENV = {"type": "cloud", "networking": {"type": "limited", "allowed_hosts": [], "allow_mcp_servers": True}}


def bearer(token: str, url: str = STATUS_URL) -> dict:
    return {"type": "static_bearer", "token": token, "mcp_server_url": url}


# ------------------------------------------------------------------------------------------------ vaults
def test_vault_lifecycle(client):
    a = client.beta.vaults.create(display_name="Alice", metadata={"external_user_id": "usr_abc123"})
    b = client.beta.vaults.create(display_name="Bob")
    assert a.type == "vault" and a.id.startswith("vlt_") and a.metadata == {"external_user_id": "usr_abc123"}
    assert client.beta.vaults.retrieve(a.id) == a
    listed = [v.id for v in client.beta.vaults.list(limit=100)]
    assert listed.index(b.id) < listed.index(a.id)  # "Paginated, newest first"
    renamed = client.beta.vaults.update(a.id, display_name="Alice S.", metadata={"team": "sre", "external_user_id": None})
    assert renamed.display_name == "Alice S." and renamed.metadata == {"team": "sre"}
    archived = client.beta.vaults.archive(b.id)
    assert archived.archived_at is not None
    assert b.id not in [v.id for v in client.beta.vaults.list(limit=100)]  # archived: excluded by default
    assert b.id in [v.id for v in client.beta.vaults.list(limit=100, include_archived=True)]
    with pytest.raises(anthropic.ConflictError, match="archived"):
        client.beta.vaults.update(b.id, display_name="x")
    assert client.beta.vaults.delete(b.id).type == "vault_deleted"  # hard delete
    with pytest.raises(anthropic.NotFoundError, match="vaults.create"):
        client.beta.vaults.retrieve(b.id)
    with pytest.raises(anthropic.BadRequestError, match="display_name"):
        client.beta.vaults.create(display_name="")


def test_vaults_need_the_managed_agents_beta_header(server):
    """The vaults' SDK docstrings: "requests must send managed-agents-2026-04-01" (urls.BETAS)."""
    import http.client

    def status(headers: dict) -> int:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        try:
            conn.request("GET", "/v1/vaults", headers=headers)
            return conn.getresponse().status
        finally:
            conn.close()

    assert status({"x-api-key": "k"}) == 400
    assert status({"x-api-key": "k", "anthropic-beta": "managed-agents-2026-04-01"}) == 200


def test_credentials_one_per_url_immutable_type_and_archive(client, server):
    vault = client.beta.vaults.create(display_name="creds")
    cred = client.beta.vaults.credentials.create(vault.id, display_name="status", auth=bearer("tok-1"))
    assert cred.type == "vault_credential" and cred.vault_id == vault.id and cred.id.startswith("vcrd_")
    assert cred.auth.type == "static_bearer" and cred.auth.mcp_server_url == STATUS_URL
    # "One active credential per mcp_server_url per vault" (409); URLs compare normalized (host case, port, slash)
    with pytest.raises(anthropic.ConflictError, match="already has an active credential"):
        client.beta.vaults.credentials.create(vault.id, auth=bearer("tok-2", "https://MCP.status.example:443/mcp/"))
    # "The type must match the credential's current type"
    with pytest.raises(anthropic.BadRequestError, match="cannot change"):
        client.beta.vaults.credentials.update(cred.id, vault_id=vault.id, auth={
            "type": "mcp_oauth", "access_token": "x"})
    rotated = client.beta.vaults.credentials.update(cred.id, vault_id=vault.id, auth={"type": "static_bearer",
                                                                                      "token": "tok-3"})
    assert rotated.updated_at > cred.updated_at and rotated.auth.mcp_server_url == STATUS_URL
    assert server.backend.vaults.secrets[cred.id]["token"] == "tok-3"  # stored, never shown
    gone = client.beta.vaults.credentials.archive(cred.id, vault_id=vault.id)
    assert gone.archived_at and gone.auth.mcp_server_url == STATUS_URL  # "mcp_server_url remains visible"
    assert cred.id not in server.backend.vaults.secrets  # "Purges the secret payload"
    with pytest.raises(anthropic.ConflictError, match="archived"):
        client.beta.vaults.credentials.update(cred.id, vault_id=vault.id, display_name="again")
    again = client.beta.vaults.credentials.create(vault.id, auth=bearer("tok-4"))  # "Frees the mcp_server_url"
    assert [c.id for c in client.beta.vaults.credentials.list(vault.id)] == [again.id]
    assert {c.id for c in client.beta.vaults.credentials.list(vault.id, include_archived=True)} == {cred.id, again.id}
    assert client.beta.vaults.credentials.delete(again.id, vault_id=vault.id).type == "vault_credential_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.vaults.credentials.retrieve(again.id, vault_id=vault.id)


def test_at_most_20_active_credentials_and_archive_cascades(client, server):
    vault = client.beta.vaults.create(display_name="twenty")
    made = [client.beta.vaults.credentials.create(vault.id, auth=bearer(f"t{i}", f"https://mcp{i}.example/mcp"))
            for i in range(20)]
    with pytest.raises(anthropic.BadRequestError, match="20 active credentials"):
        client.beta.vaults.credentials.create(vault.id, auth=bearer("t", "https://mcp20.example/mcp"))
    client.beta.vaults.archive(vault.id)  # "Cascades to all credentials. Secrets are purged"
    assert all(client.beta.vaults.credentials.retrieve(c.id, vault_id=vault.id).archived_at for c in made)
    assert not any(c.id in server.backend.vaults.secrets for c in made)
    with pytest.raises(anthropic.ConflictError, match="archived"):
        client.beta.vaults.credentials.create(vault.id, auth=bearer("t", "https://mcp21.example/mcp"))


def test_other_credential_kinds_show_no_secret(client):
    vault = client.beta.vaults.create(display_name="kinds")
    oauth = client.beta.vaults.credentials.create(vault.id, auth={
        "type": "mcp_oauth", "mcp_server_url": "https://mcp.slack.example/mcp", "access_token": "xoxp-secret",
        "expires_at": "2099-12-31T23:59:59Z", "refresh": {
            "token_endpoint": "https://slack.example/oauth", "client_id": "123", "refresh_token": "xoxe-secret",
            "token_endpoint_auth": {"type": "client_secret_post", "client_secret": "abc-secret"}}})
    assert oauth.auth.refresh.client_id == "123" and oauth.auth.refresh.token_endpoint_auth.type == "client_secret_post"
    env = client.beta.vaults.credentials.create(vault.id, auth={
        "type": "environment_variable", "secret_name": "PAGER_KEY", "secret_value": "pk-secret",
        "networking": {"type": "limited", "allowed_hosts": ["api.pager.example"]}})
    assert env.auth.secret_name == "PAGER_KEY" and env.auth.injection_location.header
    shown = oauth.model_dump_json() + env.model_dump_json()
    assert not [v for v in ("xoxp-secret", "xoxe-secret", "abc-secret", "pk-secret") if v in shown]
    with pytest.raises(anthropic.BadRequestError, match="future"):
        client.beta.vaults.credentials.create(vault.id, auth={
            "type": "mcp_oauth", "mcp_server_url": "https://mcp.old.example/mcp", "access_token": "x",
            "expires_at": "2020-01-01T00:00:00Z"})
    # offline there is no MCP server to probe: "unknown" ("The probe couldn't tell whether the credential works")
    assert client.beta.vaults.credentials.mcp_oauth_validate(oauth.id, vault_id=vault.id).status == "unknown"
    with pytest.raises(anthropic.BadRequestError, match="only mcp_oauth"):
        client.beta.vaults.credentials.mcp_oauth_validate(env.id, vault_id=vault.id)


def test_sessions_refuse_unknown_or_archived_vaults_and_runs_say_so(client):
    from helpers import resources

    env, agent = resources.ensure_environment(client), resources.ensure_agent(client)
    with pytest.raises(anthropic.NotFoundError, match="vault_ids"):
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, vault_ids=["vlt_011Cnope"])
    vault = client.beta.vaults.create(display_name="soon archived")
    ok = client.beta.sessions.create(agent=agent.id, environment_id=env.id, vault_ids=[vault.id])
    assert ok.vault_ids == [vault.id]
    deployment = client.beta.deployments.create(name="with a vault", agent=agent.id, environment_id=env.id,
                                                vault_ids=[vault.id], initial_events=[
                                                    {"type": "user.message", "content": [{"type": "text", "text": "x"}]}])
    client.beta.vaults.archive(vault.id)  # "Future sessions referencing this vault fail; running sessions continue"
    with pytest.raises(anthropic.BadRequestError, match="archived") as e:
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, vault_ids=[vault.id])
    assert e.value.body["error"]["details"]["error_code"] == "vault_archived"
    assert client.beta.sessions.retrieve(ok.id).vault_ids == [vault.id]
    run = client.beta.deployments.run(deployment.id)
    assert run.session_id is None and run.error.type == "vault_archived_error"


# ------------------------------------------------------------------------------------------------ the secret
def test_a_secret_appears_in_no_response_listing_error_or_log(server, caplog):
    """Every route that touches a credential, with the secret on the wire, and every answer read whole: the secret is
    in none of them (nor in the stub's log), while the token is stored for the session to use."""
    secret = "sk-status-" + secrets.token_hex(16)
    bodies: list[bytes] = []

    def keep(response) -> None:
        response.read()
        bodies.append(response.content)

    http = anthropic.DefaultHttpxClient(event_hooks={"response": [keep]})  # the SDK's own HTTP client, observed
    client = sdk_client(server, max_retries=0, http_client=http)
    with caplog.at_level(logging.DEBUG, logger="helpers.stub"):
        vault = client.beta.vaults.create(display_name="secret test")
        cred = client.beta.vaults.credentials.create(vault.id, display_name="status", auth=bearer(secret))
        client.beta.vaults.credentials.retrieve(cred.id, vault_id=vault.id)
        list(client.beta.vaults.credentials.list(vault.id))
        list(client.beta.vaults.list())
        client.beta.vaults.credentials.update(cred.id, vault_id=vault.id, auth={"type": "static_bearer",
                                                                                "token": secret + "-2"})
        for bad in ({"type": secret, "token": secret, "mcp_server_url": STATUS_URL},  # echoed as the wrong type
                    {"type": "static_bearer", "token": secret},  # no mcp_server_url
                    {"type": "static_bearerX", "token": secret, "mcp_server_url": secret},
                    {"type": "static_bearer", "token": [secret], "mcp_server_url": STATUS_URL},
                    {"type": "static_bearer", "token": secret, "mcp_server_url": STATUS_URL, "extra": secret}):
            with pytest.raises(anthropic.APIStatusError):
                client.beta.vaults.credentials.create(vault.id, auth=bad)
        with pytest.raises(anthropic.ConflictError):  # same URL again: the 409 names the URL, not the secret
            client.beta.vaults.credentials.create(vault.id, auth=bearer(secret, STATUS_URL + "/"))
        with pytest.raises(anthropic.BadRequestError):
            client.beta.vaults.credentials.update(cred.id, vault_id=vault.id, auth={"type": "mcp_oauth",
                                                                                    "access_token": secret})
        from helpers import resources

        env, agent = resources.ensure_environment(client), resources.ensure_agent(client)
        s = client.beta.sessions.create(agent=agent.id, environment_id=env.id, vault_ids=[vault.id])
        client.beta.sessions.retrieve(s.id)
        list(client.beta.sessions.list())
        client.beta.vaults.credentials.archive(cred.id, vault_id=vault.id)
        client.beta.vaults.archive(vault.id)
    assert server.backend.vaults.credentials[cred.id]["id"] == cred.id
    assert len(bodies) >= 15
    leaks = [b[:200] for b in bodies if secret.encode() in b]
    assert not leaks, leaks
    assert secret not in caplog.text
    http.close()


# ------------------------------------------------------------------------------------------------ the MCP recording
@pytest.fixture(scope="module")
def comms(client):
    env = client.beta.environments.create(name="comms", config=MCP_ENV)
    agent = client.beta.agents.create(name="incident-comms", model="claude-sonnet-4-6",
                                      mcp_servers=[{"type": "url", "name": "statuspage", "url": STATUS_URL}],
                                      tools=COMMS_TOOLS)
    vault = client.beta.vaults.create(display_name="comms")
    client.beta.vaults.credentials.create(vault.id, auth=bearer("sp-" + secrets.token_hex(8)))
    return env, agent, vault


def _session(client, agent, env, **kw):
    return client.beta.sessions.create(agent=agent.id, environment_id=env.id, metadata={"recording":
                                                                                         "statuspage-update"}, **kw)


def test_the_mcp_recording_needs_what_live_needs(client, comms):
    env, agent, vault = comms
    with pytest.raises(anthropic.BadRequestError, match="mcp_authentication_failed_error"):
        _session(client, agent, env)  # no vault: live the server would refuse the connection
    other = client.beta.vaults.create(display_name="other server")
    client.beta.vaults.credentials.create(other.id, auth=bearer("x", "https://mcp.other.example/mcp"))
    with pytest.raises(anthropic.BadRequestError, match="none of the session's vaults"):
        _session(client, agent, env, vault_ids=[other.id])
    closed = client.beta.environments.create(name="no mcp", config={"type": "cloud", "networking": {
        "type": "limited", "allowed_hosts": [], "allow_mcp_servers": False}})
    with pytest.raises(anthropic.BadRequestError, match="allow_mcp_servers"):
        _session(client, agent, closed, vault_ids=[vault.id])
    allow_all = client.beta.agents.create(name="comms-allow", model="claude-sonnet-4-6", mcp_servers=[
        {"type": "url", "name": "statuspage", "url": STATUS_URL}], tools=[
        {"type": "mcp_toolset", "mcp_server_name": "statuspage",
         "default_config": {"permission_policy": {"type": "always_allow"}}}])
    with pytest.raises(anthropic.BadRequestError, match="post_incident_update"):
        _session(client, allow_all, env, vault_ids=[vault.id])  # live it would post without asking
    bare = client.beta.agents.create(name="no-mcp", model="claude-sonnet-4-6")
    with pytest.raises(anthropic.BadRequestError, match="declares no MCP server named 'statuspage'"):
        _session(client, bare, env, vault_ids=[vault.id])


@pytest.mark.parametrize("verdict", ["allow", "deny"])
def test_the_mcp_recording_replays_with_the_learners_confirmation(client, comms, verdict):
    env, agent, vault = comms
    s = _session(client, agent, env, vault_ids=[vault.id])
    asked = []

    def confirm(event):
        asked.append((event.type, event.mcp_server_name, event.name, event.evaluated_permission))
        return verdict

    run = loop.run(client, s.id, "Post a status page update, please.", confirm=confirm, render=False, timeout=30)
    assert run.stop_reason == "end_turn"
    assert asked == [("agent.mcp_tool_use", "statuspage", "post_incident_update", "ask")]
    types = [e.type for e in client.beta.sessions.events.list(s.id, limit=1000)]
    assert types.count("agent.mcp_tool_use") == 2
    assert types.count("agent.mcp_tool_result") == (2 if verdict == "allow" else 1)  # a denied call never runs
    confirmation = next(e for e in client.beta.sessions.events.list(s.id, limit=1000)
                        if e.type == "user.tool_confirmation")
    assert confirmation.result == verdict and confirmation.session_thread_id is None
