"""An agent's ``multiagent`` configuration: its rules, its resolved form, and what a session copies of it.

The SDK's params types are the word on shapes (``BetaManagedAgentsMultiagentParams``: ``coordinator`` or
``multiagent_20261001``); the rules come from their docstrings and from
https://platform.claude.com/docs/en/managed-agents/multiagent-orchestration:

* ``coordinator.agents``: "1–20 entries. Each entry is an agent ID string, a versioned {"type":"agent","id","version"}
  reference, or {"type":"self"} ... Entries must reference distinct agents (after resolving self and string forms);
  at most one self. Referenced agents must exist, must not be archived, and must not themselves have multiagent set
  (depth limit 1)." (SDK docstring). An ``advisor`` entry: "At most one advisor entry per roster", "echoed last in
  the roster regardless of the position it was submitted in" (docs).
* ``multiagent_20261001``: advisor defaults to disabled, subagents and workflows to enabled, inline agents to enabled;
  "If inline_agents is disabled, predefined_agents must name at least one agent"; "At most 20"; "Null and an empty
  list both mean no predefined agents"; "an enabled advisor needs its model"; on an update whose stored form is also
  ``multiagent_20261001`` the configuration "is merged into the stored one, level by level" (SDK docstrings).
* A reference without a version "is pinned to the latest version of that agent at the time the coordinator is
  created" (docs); ``self`` is "Resolved server-side to a concrete agent reference" (SDK docstring).

A session copies the roster as full agent definitions (``BetaManagedAgentsSessionMultiagent``: each member a
``BetaManagedAgentsSessionThreadAgent``), which is what a session thread of that member runs.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .exceptions import InvalidRequest

__all__ = ["MAX_ROSTER", "ADVISOR_NAME", "normalize", "session_view", "thread_agent", "roster"]

#: "A maximum of 20 unique agents can be listed" (docs); predefined_agents: "At most 20" (SDK docstring).
MAX_ROSTER = 20
#: The reserved roster name of an advisor (docs: "The entry occupies the reserved roster name anthropic.advisor").
ADVISOR_NAME = "anthropic.advisor"

#: (agent id, version or None) -> the stored agent version (raises a 404 when there is none).
Lookup = Callable[[str, Any], dict]

_THREAD_AGENT_KEYS = ("id", "type", "name", "description", "execution_identity", "mcp_servers", "model", "skills",
                      "system", "tools", "version")


def _reference(entry: Any, where: str, lookup: Lookup, self_ref: dict) -> dict:
    """One roster entry (an id string, an agent reference, or self) as ``{"type": "agent", "id", "version"}``."""
    if isinstance(entry, str):
        entry = {"type": "agent", "id": entry}
    if entry.get("type") == "self":
        return dict(self_ref)
    agent = lookup(entry["id"], entry.get("version"))
    if agent["archived_at"]:
        raise InvalidRequest(f"{where}: agent {agent['id']!r} is archived and cannot be a member of a roster. "
                             "Reference an active agent.")
    if agent.get("multiagent"):
        raise InvalidRequest(f"{where}: agent {agent['id']!r} ({agent['name']!r}) has its own multiagent "
                             "configuration; a roster may only reference single-thread agents (depth limit 1). "
                             "Remove its multiagent (agents.update(..., multiagent=None)) or reference another agent.")
    return {"type": "agent", "id": agent["id"], "version": agent["version"]}


def _references(entries: list, where: str, lookup: Lookup, self_ref: dict) -> list[dict]:
    if len(entries) > MAX_ROSTER:
        raise InvalidRequest(f"{where}: at most {MAX_ROSTER} agents, got {len(entries)}.")
    out: list[dict] = []
    for i, entry in enumerate(entries):
        ref = _reference(entry, f"{where}[{i}]", lookup, self_ref)
        if any(r["id"] == ref["id"] for r in out):
            raise InvalidRequest(f"{where}[{i}]: agent {ref['id']!r} is listed twice (after resolving self and id "
                                 "strings); list each agent once. A coordinator can still run several copies of it.")
        out.append(ref)
    return out


def _coordinator(p: dict, lookup: Lookup, self_ref: dict, check_model: Callable[[str], None]) -> dict:
    entries = list(p["agents"])
    if not 1 <= len(entries) <= MAX_ROSTER:
        raise InvalidRequest(f"multiagent.agents: 1 to {MAX_ROSTER} entries, got {len(entries)}.")
    advisors = [e for e in entries if isinstance(e, dict) and e.get("type") == "advisor"]
    if len(advisors) > 1:
        raise InvalidRequest("multiagent.agents: at most one advisor entry per roster.")
    if sum(1 for e in entries if isinstance(e, dict) and e.get("type") == "self") > 1:
        raise InvalidRequest("multiagent.agents: at most one {\"type\": \"self\"} entry.")
    members = [e for e in entries if not (isinstance(e, dict) and e.get("type") == "advisor")]
    agents: list[dict] = _references(members, "multiagent.agents", lookup, self_ref)
    for a in advisors:
        check_model(a["model"])
        agents.append({"type": "advisor", "model": a["model"]})  # echoed last (docs)
    return {"type": "coordinator", "agents": agents}


def _member(value: Any, where: str, lookup: Lookup, self_ref: dict, stored: dict | None) -> dict:
    """``subagents`` or ``workflows`` of a multiagent_20261001: defaults, merged over ``stored`` (same type)."""
    if value is None:
        value = {"type": "enabled"}
    if value["type"] == "disabled":
        return {"type": "disabled"}
    base = stored if stored and stored.get("type") == "enabled" else {}
    inline = value.get("inline_agents") if "inline_agents" in value else base.get("inline_agents")
    inline = {"type": "enabled"} if inline is None else {"type": inline["type"]}
    if "predefined_agents" in value:
        predefined = _references(list(value["predefined_agents"] or []), f"{where}.predefined_agents", lookup,
                                 self_ref)
    else:
        predefined = copy.deepcopy(base.get("predefined_agents") or [])
    if inline["type"] == "disabled" and not predefined:
        raise InvalidRequest(f"{where}: with inline_agents disabled, predefined_agents must name at least one agent "
                             "(an agent id, {\"type\": \"agent\", \"id\": ...}, or {\"type\": \"self\"}).")
    return {"type": "enabled", "inline_agents": inline, "predefined_agents": predefined}


def _advisor(value: Any, check_model: Callable[[str], None]) -> dict:
    if value is None or value["type"] == "disabled":
        return {"type": "disabled"}
    if not value.get("model"):
        raise InvalidRequest("multiagent.advisor.model: an enabled advisor needs its model, e.g. "
                             "{\"type\": \"enabled\", \"model\": \"claude-opus-4-8\"}.")
    check_model(value["model"])
    return {"type": "enabled", "model": value["model"]}


def _v20261001(p: dict, lookup: Lookup, self_ref: dict, stored: dict | None,
               check_model: Callable[[str], None]) -> dict:
    base = stored if stored and stored.get("type") == "multiagent_20261001" else None
    out: dict[str, Any] = {"type": "multiagent_20261001"}
    if "advisor" in p or base is None:
        out["advisor"] = _advisor(p.get("advisor"), check_model)
    else:
        out["advisor"] = copy.deepcopy(base["advisor"])
    for key in ("subagents", "workflows"):
        if key in p or base is None:
            prev = base[key] if base is not None and p.get(key) is not None and \
                base[key]["type"] == (p[key] or {}).get("type") else None
            out[key] = _member(p.get(key), f"multiagent.{key}", lookup, self_ref, prev)
        else:
            out[key] = copy.deepcopy(base[key])
    return out


def normalize(p: Any, *, lookup: Lookup, self_ref: dict, check_model: Callable[[str], None],
              stored: dict | None = None) -> dict | None:
    """The agent's resolved ``multiagent`` (``BetaManagedAgentsMultiagent``) for the params ``p`` (validated against
    the SDK's type); None clears it. ``self_ref`` is the agent being saved, ``stored`` its current configuration."""
    if p is None:
        return None
    if p["type"] == "coordinator":
        return _coordinator(p, lookup, self_ref, check_model)
    return _v20261001(p, lookup, self_ref, stored, check_model)


def thread_agent(agent: dict) -> dict:
    """An agent version as a session thread runs it (``BetaManagedAgentsSessionThreadAgent``: no roster, no
    metadata)."""
    return {k: copy.deepcopy(agent.get(k)) for k in _THREAD_AGENT_KEYS}


def session_view(multiagent: dict | None, lookup: Lookup) -> dict | None:
    """What a session copies of its agent's ``multiagent``: every member as its full definition."""
    if not multiagent:
        return None

    def full(ref: dict) -> dict:
        return thread_agent(lookup(ref["id"], ref["version"])) if ref["type"] == "agent" else dict(ref)

    if multiagent["type"] == "coordinator":
        return {"type": "coordinator", "agents": [full(r) for r in multiagent["agents"]]}
    out = {"type": multiagent["type"], "advisor": dict(multiagent["advisor"])}
    for key in ("subagents", "workflows"):
        member = multiagent[key]
        out[key] = dict(member) if member["type"] == "disabled" else {
            "type": "enabled", "inline_agents": dict(member["inline_agents"]),
            "predefined_agents": [full(r) for r in member["predefined_agents"]]}
    return out


def roster(session_multiagent: dict | None) -> dict[str, dict]:
    """The agents a session's primary thread can spawn as session threads, by name (its session view)."""
    if not session_multiagent:
        return {}
    if session_multiagent["type"] == "coordinator":
        members = [a for a in session_multiagent["agents"] if a.get("type") == "agent"]
    else:
        sub = session_multiagent["subagents"]
        members = sub.get("predefined_agents") or [] if sub["type"] == "enabled" else []
    return {a["name"]: a for a in members}
