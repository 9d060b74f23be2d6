"""Routes of the Managed Agents stub (moto's ``urls.py``): (method, path, handler name in responses.py).

Every route, the SSE stream included, names a handler in responses.py with the signature ``(backend, req) ->
(status, body)``; server.py looks the handler up by that name and has no route of its own.
"""
from __future__ import annotations

import re

__all__ = ["URLS", "resolve", "describe"]

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
    # Threads exist in multiagent sessions, which are live-only: lists are empty, a thread id is a 404 that says so.
    ("GET", "/v1/sessions/{session_id}/threads", "list_threads"),
    ("GET", "/v1/sessions/{session_id}/threads/{thread_id}", "thread_not_found"),
    ("POST", "/v1/sessions/{session_id}/threads/{thread_id}/archive", "thread_not_found"),
    ("GET", "/v1/sessions/{session_id}/threads/{thread_id}/events", "thread_not_found"),
    ("GET", "/v1/sessions/{session_id}/threads/{thread_id}/stream", "thread_not_found"),
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
    ("POST", "/v1/files", "upload_file"),
    ("GET", "/v1/files", "list_files"),
    ("GET", "/v1/files/{file_id}", "get_file"),
    ("DELETE", "/v1/files/{file_id}", "delete_file"),
    ("GET", "/v1/files/{file_id}/content", "download_file"),
]


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
