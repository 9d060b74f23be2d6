"""What the stub's tests (and benchmarks/bench_stub.py) share: the fixture recordings, the incident's custom tools
as test agents declare them, and an SDK client for a running stub (strict validation, as every test uses)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "CUSTOM", "ASK_TOOLSET", "sdk_client"]

#: The small recordings the stub's tests replay (tests/fixtures/recordings).
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"

#: The four custom tools of the incident, as a test agent declares them.
CUSTOM = [{"type": "custom", "name": n, "description": f"{n} tool",
           "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}
          for n in ("get_metrics", "list_deploys", "query_logs", "get_diff")]

#: The fixtures' incident-2277 recording asks before bash runs, so the agents that replay it do too (the stub checks).
ASK_TOOLSET = {"type": "agent_toolset_20260401",
               "configs": [{"name": "bash", "permission_policy": {"type": "always_ask"}}]}


def sdk_client(server: Any, **kwargs: Any):
    """An ``anthropic.Anthropic`` client for the running stub ``server`` (or its url), in strict validation."""
    import anthropic

    url = server if isinstance(server, str) else server.url
    return anthropic.Anthropic(api_key=kwargs.pop("api_key", "test-key"), base_url=url,
                               _strict_response_validation=True, **kwargs)
