"""Routes of the Managed Agents stub (moto's ``urls.py``): (method, path, handler name in responses.py).

Every route, the SSE stream included, names a handler in responses.py with the signature ``(backend, req) ->
(status, body)``; server.py looks the handler up by that name and has no route of its own.
"""
from __future__ import annotations

import re

__all__ = ["URLS", "BETAS", "MANAGED_AGENTS_BETA", "resolve", "describe", "betas_for"]

#: The Managed Agents beta header (its routes', below, and files.list's ``scope_id`` parameter's).
MANAGED_AGENTS_BETA = "managed-agents-2026-04-01"

_ID = r"(?P<{}>[^/]+)"

_ROUTES = [
    ("POST", "/v1/agents", "create_agent"),
    ("GET", "/v1/agents", "list_agents"),
    ("GET", "/v1/agents/{agent_id}", "get_agent"),
    ("POST", "/v1/agents/{agent_id}", "update_agent"),
    ("POST", "/v1/agents/{agent_id}/archive", "archive_agent"),
    ("GET", "/v1/agents/{agent_id}/versions", "list_agent_versions"),
    ("POST", "/v1/environments", "create_environment"),
    ("GET", "/v1/environments", "list_environments"),
    ("GET", "/v1/environments/{environment_id}", "get_environment"),
    ("POST", "/v1/environments/{environment_id}", "update_environment"),
    ("DELETE", "/v1/environments/{environment_id}", "delete_environment"),
    ("POST", "/v1/environments/{environment_id}/archive", "archive_environment"),
    ("POST", "/v1/sessions", "create_session"),
    ("GET", "/v1/sessions", "list_sessions"),
    ("GET", "/v1/sessions/{session_id}", "get_session"),
    ("POST", "/v1/sessions/{session_id}", "update_session"),
    ("DELETE", "/v1/sessions/{session_id}", "delete_session"),
    ("POST", "/v1/sessions/{session_id}/archive", "archive_session"),
    ("POST", "/v1/sessions/{session_id}/events", "send_events"),
    ("GET", "/v1/sessions/{session_id}/events", "list_events"),
    ("GET", "/v1/sessions/{session_id}/events/stream", "stream_events"),
    ("GET", "/v1/sessions/{session_id}/resources", "list_resources"),
    ("POST", "/v1/sessions/{session_id}/resources", "add_resource"),
    ("GET", "/v1/sessions/{session_id}/resources/{resource_id}", "get_resource"),
    ("POST", "/v1/sessions/{session_id}/resources/{resource_id}", "update_resource"),
    ("DELETE", "/v1/sessions/{session_id}/resources/{resource_id}", "delete_resource"),
    ("GET", "/v1/sessions/{session_id}/threads", "list_threads"),
    ("GET", "/v1/sessions/{session_id}/threads/{thread_id}", "get_thread"),
    ("POST", "/v1/sessions/{session_id}/threads/{thread_id}/archive", "archive_thread"),
    ("GET", "/v1/sessions/{session_id}/threads/{thread_id}/events", "list_thread_events"),
    ("GET", "/v1/sessions/{session_id}/threads/{thread_id}/stream", "stream_thread"),
    ("POST", "/v1/deployments", "create_deployment"),
    ("GET", "/v1/deployments", "list_deployments"),
    ("GET", "/v1/deployments/{deployment_id}", "get_deployment"),
    ("POST", "/v1/deployments/{deployment_id}", "update_deployment"),
    ("POST", "/v1/deployments/{deployment_id}/archive", "archive_deployment"),
    ("POST", "/v1/deployments/{deployment_id}/pause", "pause_deployment"),
    ("POST", "/v1/deployments/{deployment_id}/unpause", "unpause_deployment"),
    ("POST", "/v1/deployments/{deployment_id}/run", "run_deployment"),
    ("GET", "/v1/deployment_runs", "list_deployment_runs"),
    ("GET", "/v1/deployment_runs/{deployment_run_id}", "get_deployment_run"),
    ("POST", "/v1/vaults", "create_vault"),
    ("GET", "/v1/vaults", "list_vaults"),
    ("GET", "/v1/vaults/{vault_id}", "get_vault"),
    ("POST", "/v1/vaults/{vault_id}", "update_vault"),
    ("DELETE", "/v1/vaults/{vault_id}", "delete_vault"),
    ("POST", "/v1/vaults/{vault_id}/archive", "archive_vault"),
    ("POST", "/v1/vaults/{vault_id}/credentials", "create_credential"),
    ("GET", "/v1/vaults/{vault_id}/credentials", "list_credentials"),
    ("GET", "/v1/vaults/{vault_id}/credentials/{credential_id}", "get_credential"),
    ("POST", "/v1/vaults/{vault_id}/credentials/{credential_id}", "update_credential"),
    ("DELETE", "/v1/vaults/{vault_id}/credentials/{credential_id}", "delete_credential"),
    ("POST", "/v1/vaults/{vault_id}/credentials/{credential_id}/archive", "archive_credential"),
    ("POST", "/v1/vaults/{vault_id}/credentials/{credential_id}/mcp_oauth_validate", "validate_credential"),
    ("POST", "/v1/files", "upload_file"),
    ("GET", "/v1/files", "list_files"),
    ("GET", "/v1/files/{file_id}", "get_file"),
    ("DELETE", "/v1/files/{file_id}", "delete_file"),
    ("GET", "/v1/files/{file_id}/content", "download_file"),
    # notebook 08: skills, memory stores, dreams (skills.py, memory_stores.py, dreams.py)
    ("POST", "/v1/skills", "create_skill"),
    ("GET", "/v1/skills", "list_skills"),
    ("GET", "/v1/skills/{skill_id}", "get_skill"),
    ("DELETE", "/v1/skills/{skill_id}", "delete_skill"),
    ("POST", "/v1/skills/{skill_id}/versions", "create_skill_version"),
    ("GET", "/v1/skills/{skill_id}/versions", "list_skill_versions"),
    ("GET", "/v1/skills/{skill_id}/versions/{version}", "get_skill_version"),
    ("DELETE", "/v1/skills/{skill_id}/versions/{version}", "delete_skill_version"),
    ("GET", "/v1/skills/{skill_id}/versions/{version}/content", "download_skill_version"),
    ("POST", "/v1/memory_stores", "create_memory_store"),
    ("GET", "/v1/memory_stores", "list_memory_stores"),
    ("GET", "/v1/memory_stores/{memory_store_id}", "get_memory_store"),
    ("POST", "/v1/memory_stores/{memory_store_id}", "update_memory_store"),
    ("DELETE", "/v1/memory_stores/{memory_store_id}", "delete_memory_store"),
    ("POST", "/v1/memory_stores/{memory_store_id}/archive", "archive_memory_store"),
    ("POST", "/v1/memory_stores/{memory_store_id}/memories", "create_memory"),
    ("GET", "/v1/memory_stores/{memory_store_id}/memories", "list_memories"),
    ("GET", "/v1/memory_stores/{memory_store_id}/memories/{memory_id}", "get_memory"),
    ("POST", "/v1/memory_stores/{memory_store_id}/memories/{memory_id}", "update_memory"),
    ("DELETE", "/v1/memory_stores/{memory_store_id}/memories/{memory_id}", "delete_memory"),
    ("GET", "/v1/memory_stores/{memory_store_id}/memory_versions", "list_memory_versions"),
    ("GET", "/v1/memory_stores/{memory_store_id}/memory_versions/{memory_version_id}", "get_memory_version"),
    ("POST", "/v1/memory_stores/{memory_store_id}/memory_versions/{memory_version_id}/redact", "redact_memory_version"),
    ("POST", "/v1/dreams", "create_dream"),
    ("GET", "/v1/dreams", "list_dreams"),
    ("GET", "/v1/dreams/{dream_id}", "get_dream"),
    ("POST", "/v1/dreams/{dream_id}/archive", "archive_dream"),
    ("POST", "/v1/dreams/{dream_id}/cancel", "cancel_dream"),
]

#: The beta headers a path needs: (path prefix, headers any one of which is enough). The Managed Agents endpoints
#: need ``managed-agents-2026-04-01`` (docs: "All Managed Agents API requests require the managed-agents-2026-04-01
#: beta header"); memory stores take ``agent-memory-2026-07-22`` or it (their SDK docstrings: "requests must send
#: agent-memory-2026-07-22 or managed-agents-2026-04-01"), dreams ``dreaming-2026-04-21`` (docstrings: "requests must
#: send dreaming-2026-04-21"). Vaults and their credentials need ``managed-agents-2026-04-01`` (their SDK docstrings:
#: "requests must send managed-agents-2026-04-01"; session threads are under /v1/sessions). Files and skills need none
#: (the API reference lists their ``anthropic-beta`` as optional).
BETAS: list[tuple[str, tuple[str, ...]]] = [
    ("/v1/memory_stores", ("agent-memory-2026-07-22", "managed-agents-2026-04-01")),
    ("/v1/dreams", ("dreaming-2026-04-21",)),
    ("/v1/agents", ("managed-agents-2026-04-01",)),
    ("/v1/environments", ("managed-agents-2026-04-01",)),
    ("/v1/sessions", ("managed-agents-2026-04-01",)),
    ("/v1/deployments", ("managed-agents-2026-04-01",)),
    ("/v1/deployment_runs", ("managed-agents-2026-04-01",)),
    ("/v1/vaults", ("managed-agents-2026-04-01",)),
]


def betas_for(path: str) -> tuple[str, ...]:
    """The beta headers ``path`` accepts (any one of them); empty when it needs none."""
    for prefix, accepted in BETAS:
        if path == prefix or path.startswith(prefix + "/"):
            return accepted
    return ()


def _compile(path: str) -> re.Pattern[str]:
    rx = re.sub(r"\{(\w+)\}", lambda m: _ID.format(m.group(1)), path)
    return re.compile("^" + rx + "/?$")


URLS: list[tuple[str, re.Pattern[str], str]] = [(m, _compile(p), h) for m, p, h in _ROUTES]


def resolve(method: str, path: str) -> tuple[str | None, dict, list[str]]:
    """Return (handler name, path params, allowed methods for this path)."""
    allowed: list[str] = []
    for m, rx, handler in URLS:
        mt = rx.match(path)
        if mt:
            if m == method:
                return handler, mt.groupdict(), [m]
            allowed.append(m)
    return None, {}, allowed


def describe() -> str:
    return "\n".join(f"{m:6} {p}" for m, p, _ in _ROUTES)
