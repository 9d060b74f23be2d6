"""Errors: their JSON shape, their status codes and types."""
from __future__ import annotations

import anthropic
import pytest


def test_an_unknown_session_is_a_404_not_found_error_in_the_api_error_shape(client):
    """Source: https://platform.claude.com/docs/en/api/errors: "404 - `not_found_error`: The requested resource was
    not found."; "The API always returns errors as JSON, with a top-level `error` object that always includes a
    `type` and `message` value. The response also includes a `request_id` field"; "Every API response includes a
    unique `request-id` header"."""
    with pytest.raises(anthropic.NotFoundError) as e:
        client.beta.sessions.retrieve("sesn_011CConformanceNoSuchSess")
    body = e.value.body
    assert e.value.status_code == 404 and body["type"] == "error"
    assert body["error"]["type"] == "not_found_error" and body["error"]["message"]
    assert body["request_id"] and e.value.response.headers["request-id"] == body["request_id"]


def test_a_malformed_request_is_a_400_invalid_request_error(client, workshop):
    """Source: https://platform.claude.com/docs/en/api/errors: "400 - `invalid_request_error`: There was an issue
    with the format or content of your request."; https://platform.claude.com/docs/en/managed-agents/budgets:
    "Decimal forms such as `"25.00"` are rejected."."""
    env, agent, _ = workshop
    with pytest.raises(anthropic.BadRequestError) as e:
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget={
            "type": "limit", "max_list_cost": {"amount": "25.00", "currency": "USD"}})
    assert e.value.status_code == 400 and e.value.body["error"]["type"] == "invalid_request_error"


def test_an_unknown_environment_is_a_404(client, workshop):
    """Source: https://platform.claude.com/docs/en/api/errors: "404 - `not_found_error`: ... Check the endpoint path
    and any resource IDs in the request URL."; SDK `_error_classes.py`: `(404, "environment_not_found")` is
    `BetaEnvironmentNotFoundError`."""
    with pytest.raises(anthropic.NotFoundError) as e:
        client.beta.environments.retrieve("env_011CConformanceNoSuchEnvir")
    assert e.value.body["error"]["type"] == "not_found_error"
