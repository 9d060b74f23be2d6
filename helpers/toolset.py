"""The built-in agent toolset (``agent_toolset_20260401``): its tools, and which of them an agent's tools enable, with
what permission policy. The one reader of a toolset, for the stub (which recordings an agent could have made:
``stub/replay.py``), the checks (``check.agent``) and the set-up helpers (has the workshop's agent drifted:
``resources``). Works on dicts (params, recordings, the stub's objects) and SDK objects alike; imports nothing but
``helpers.events``.

The rules: a tool's config "Overrides the default_config setting" and the default's ``enabled`` "Defaults to true if
not specified" (SDK docstrings, ``BetaManagedAgentsBashToolConfigParams.enabled``,
``BetaManagedAgentsAgentToolsetDefaultConfigParams.enabled``); "If you omit it, the agent toolset is enabled with the
default permission policy, always_allow" (https://platform.claude.com/docs/en/managed-agents/permission-policies).
"""
from __future__ import annotations

from typing import Any

from .events import get

__all__ = ["TOOLSET_TYPE", "BUILTIN_TOOLS", "enabled_builtin_tools"]

#: The ``type`` of the built-in agent toolset.
TOOLSET_TYPE = "agent_toolset_20260401"
#: Its tools, as the SDK's ``BetaManagedAgentsAgentToolConfigParams`` union names them.
BUILTIN_TOOLS = ("bash", "edit", "read", "write", "glob", "grep", "web_fetch", "web_search")


def enabled_builtin_tools(tools: Any) -> dict[str, str]:
    """``{tool name: permission policy type}`` of every built-in tool an agent's ``tools`` (its list of tool
    definitions, in any form) enable, in :data:`BUILTIN_TOOLS` order. A tool's config overrides its toolset's
    ``default_config``; with two toolsets, the first that enables a tool decides its policy."""
    out: dict[str, str] = {}
    for toolset in tools or []:
        if get(toolset, "type") != TOOLSET_TYPE:
            continue
        default = get(toolset, "default_config") or {}
        default_on = get(default, "enabled") is not False
        default_policy = get(get(default, "permission_policy") or {}, "type") or "always_allow"
        configs = {get(c, "name") or get(c, "type"): c for c in get(toolset, "configs") or []}
        for name in BUILTIN_TOOLS:
            cfg = configs.get(name) or {}
            on = get(cfg, "enabled")
            if name not in out and (default_on if on is None else on):
                out[name] = get(get(cfg, "permission_policy") or {}, "type") or default_policy
    return {name: out[name] for name in BUILTIN_TOOLS if name in out}
