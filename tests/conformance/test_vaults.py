"""Vaults and their credentials: write-only secrets, one active credential per MCP server URL, archive (notebook 09)."""
from __future__ import annotations

import secrets

import anthropic
import pytest

from helpers import resources

URL = "https://mcp.conformance.example/mcp"


@pytest.fixture
def vault(client):
    """A vault of the workshop, archived at the end (which purges its credentials' secrets)."""
    v = client.beta.vaults.create(display_name="conformance", metadata=resources.WORKSHOP_METADATA)
    yield v
    try:
        client.beta.vaults.archive(v.id)
    except anthropic.APIError:
        pass


def bearer(token: str, url: str = URL) -> dict:
    return {"type": "static_bearer", "token": token, "mcp_server_url": url}


def test_a_credentials_secret_is_never_returned(client, vault):
    """Source: https://platform.claude.com/docs/en/managed-agents/vaults: "Secret fields (token, access_token,
    refresh_token, client_secret) are write-only. They are never returned in API responses"; SDK docstring of
    `BetaManagedAgentsCredential`: "Sensitive fields are never returned in responses." """
    token = "conformance-" + secrets.token_hex(16)
    created = client.beta.vaults.credentials.create(vault.id, display_name="status page", auth=bearer(token))
    shown = [created, client.beta.vaults.credentials.retrieve(created.id, vault_id=vault.id),
             *client.beta.vaults.credentials.list(vault.id, limit=100)]
    assert created.auth.type == "static_bearer" and created.auth.mcp_server_url == URL
    assert all(token not in c.to_json() and "token" not in c.auth.to_dict() for c in shown)
    rotated = client.beta.vaults.credentials.update(created.id, vault_id=vault.id,
                                                    auth={"type": "static_bearer", "token": token + "-2"})
    assert rotated.id == created.id and token not in rotated.to_json()


def test_a_vault_holds_one_active_credential_per_url_and_an_archived_one_frees_it(client, vault):
    """Source: https://platform.claude.com/docs/en/managed-agents/vaults: "One active credential per mcp_server_url
    per vault. Creating a second credential for the same URL returns a 409."; "Archive a credential: Purges the
    secret payload; mcp_server_url remains visible. Frees the mcp_server_url." """
    first = client.beta.vaults.credentials.create(vault.id, auth=bearer("one-" + secrets.token_hex(8)))
    with pytest.raises(anthropic.ConflictError):
        client.beta.vaults.credentials.create(vault.id, auth=bearer("two-" + secrets.token_hex(8)))
    archived = client.beta.vaults.credentials.archive(first.id, vault_id=vault.id)
    assert archived.archived_at is not None and archived.auth.mcp_server_url == URL
    second = client.beta.vaults.credentials.create(vault.id, auth=bearer("three-" + secrets.token_hex(8)))
    assert second.id != first.id and second.auth.mcp_server_url == URL


def test_a_new_session_cannot_name_an_archived_vault(client, vault, workshop):
    """Source: https://platform.claude.com/docs/en/managed-agents/vaults: "Archive a vault: Cascades to all
    credentials. Secrets are purged ... Future sessions referencing this vault fail; running sessions continue." """
    env, agent, _ = workshop
    cred = client.beta.vaults.credentials.create(vault.id, auth=bearer("gone-" + secrets.token_hex(8)))
    archived = client.beta.vaults.archive(vault.id)
    assert archived.archived_at is not None
    assert client.beta.vaults.credentials.retrieve(cred.id, vault_id=vault.id).archived_at is not None  # cascaded
    with pytest.raises(anthropic.APIStatusError) as refused:
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, vault_ids=[vault.id],
                                    metadata=resources.WORKSHOP_METADATA)
    assert 400 <= refused.value.status_code < 500
