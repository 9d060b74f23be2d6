"""Agents (state and rules, moto's ``models`` for ``/v1/agents``), beside :class:`helpers.stub.models.Backend`, which
owns one :class:`AgentsBackend`.

* A request becomes the complete agent object the SDK describes (``BetaManagedAgentsAgent``): its tools
  (:func:`normalize_tools`: custom tools unique by name, the built-in and MCP toolsets with their defaults, every
  declared MCP server referenced by an ``mcp_toolset``), its model (:func:`normalize_model`: one the installed SDK
  lists, :func:`known_models`), its skills (:func:`normalize_skills`: ``latest`` unless pinned) and its
  ``multiagent`` configuration (multiagent.py has those rules).
* Versions: an update that changes something makes a new version (a no-op update does not); an update naming a
  ``version`` other than the current one, or of an archived agent, is a 409.
* What a session copies of its agent (:meth:`AgentsBackend.snapshot`: an ``agent_with_overrides`` applied).
"""
from __future__ import annotations

import builtins
from functools import lru_cache
from typing import Any

from ..toolset import TOOLSET_TYPE
from . import multiagent
from .exceptions import Conflict, InvalidRequest, NotFound, get_or_404
from .utils import Cursor, TimeRange, new_id, now, paginate, parse_time, patch_metadata, rfc3339
from .validation import sdk_types, validate_response

__all__ = ["AgentsBackend", "normalize_tools", "normalize_model", "normalize_skills", "known_models"]


# --------------------------------------------------------------------------------------------------------------
# normalizing requests into complete agent objects
# --------------------------------------------------------------------------------------------------------------

def _policy(p: Any, default: str) -> dict[str, Any]:
    return dict(p) if p else {"type": default}


def normalize_tools(tools: list[dict[str, Any]] | None, mcp_servers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    server_names = {s["name"] for s in mcp_servers}
    for i, t in enumerate(tools or []):
        typ = t["type"]
        if typ == "custom":
            out.append({"type": "custom", "name": t["name"], "description": t["description"],
                        "input_schema": dict(t["input_schema"])})
            if t["name"] in names:
                raise InvalidRequest(f"tools[{i}].name: a custom tool named {t['name']!r} is already defined at "
                                     f"tools[{names[t['name']]}]. Tool names must be unique.")
            names[t["name"]] = i
        elif typ == TOOLSET_TYPE:
            dc = t.get("default_config") or {}
            enabled = dc.get("enabled")
            default = {"enabled": True if enabled is None else enabled,
                       "permission_policy": _policy(dc.get("permission_policy"), "always_allow")}
            configs = []
            for c in t.get("configs") or []:
                cfg = {k: v for k, v in c.items() if v is not None}
                cfg["type"] = c["name"]
                cfg["enabled"] = default["enabled"] if c.get("enabled") is None else c["enabled"]
                cfg["permission_policy"] = _policy(c.get("permission_policy"), default["permission_policy"]["type"])
                configs.append(cfg)
            out.append({"type": typ, "default_config": default, "configs": configs})
        elif typ == "mcp_toolset":
            if t["mcp_server_name"] not in server_names:
                raise InvalidRequest(f"tools[{i}].mcp_server_name: {t['mcp_server_name']!r} is not one of the agent's "
                                     f"mcp_servers ({sorted(server_names) or 'none'}). Add it to mcp_servers.")
            dc = t.get("default_config") or {}
            enabled = dc.get("enabled")
            default = {"enabled": True if enabled is None else enabled,
                       "permission_policy": _policy(dc.get("permission_policy"), "always_ask")}
            configs = [{"name": c["name"],
                        "enabled": default["enabled"] if c.get("enabled") is None else c["enabled"],
                        "permission_policy": _policy(c.get("permission_policy"), default["permission_policy"]["type"])}
                       for c in t.get("configs") or []]
            out.append({"type": typ, "mcp_server_name": t["mcp_server_name"], "default_config": default,
                        "configs": configs})
        else:  # pragma: no cover - the TypedDict union rejects anything else first
            raise InvalidRequest(f"tools[{i}].type: unknown tool type {typ!r}.")
    used = {t["mcp_server_name"] for t in out if t["type"] == "mcp_toolset"}
    unused = sorted(server_names - used)
    if unused:
        raise InvalidRequest(f"mcp_servers: {unused} are not referenced by any mcp_toolset in tools. Add "
                             "{'type': 'mcp_toolset', 'mcp_server_name': ...} for each, or remove the server.")
    return out


@lru_cache(maxsize=1)
def known_models() -> tuple[str, ...]:
    """The model ids the installed SDK knows for Managed Agents (its ``BetaManagedAgentsModel`` literals)."""
    import typing

    from anthropic.types.beta.beta_managed_agents_model import BetaManagedAgentsModel

    return tuple(x for a in typing.get_args(BetaManagedAgentsModel) for x in typing.get_args(a))


def _check_model(model_id: str) -> None:
    if model_id not in known_models():
        close = [m for m in known_models() if model_id.split("-")[:2] == m.split("-")[:2]][:4]
        raise InvalidRequest(f"model: {model_id!r} is not a model Managed Agents offers (did you mean "
                             f"{' or '.join(map(repr, close or known_models()[:4]))}?). The workshop's model is one "
                             "setting: helpers.MODEL (WORKSHOP_MODEL).")


def normalize_model(model: Any) -> dict[str, Any]:
    if isinstance(model, str):
        _check_model(model)
        return {"id": model}
    _check_model(model["id"])
    out: dict[str, Any] = {"id": model["id"]}
    eff = model.get("effort")
    if eff is not None:
        out["effort"] = {"type": eff} if isinstance(eff, str) else dict(eff)
    for k in ("inference_geo", "speed"):
        if model.get(k) is not None:
            out[k] = model[k]
    return out


def normalize_skills(skills: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"type": s["type"], "skill_id": s["skill_id"], "version": s.get("version") or "latest"} for s in skills or []]


class AgentsBackend:
    """Agents and their versions (``agents[id]``: every version, oldest first). Uses the owning backend's lock."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.agents: dict[str, builtins.list[dict[str, Any]]] = {}

    def _versions(self, agent_id: str) -> builtins.list[dict[str, Any]]:
        return get_or_404(self.agents, "agent", agent_id, "Create one with client.beta.agents.create(...) and use its .id; "
                                                          "list yours with client.beta.agents.list().")

    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``AgentCreateParams``."""
        beta, _ = sdk_types()
        if not p["name"].strip():
            raise InvalidRequest("name: must be non-empty. Give the agent a name, e.g. name='incident-responder'.")
        self.backend.skills.check_refs(p.get("skills"))
        mcp = [dict(s) for s in p.get("mcp_servers") or []]
        t = rfc3339(now())
        agent_id = new_id("agent")
        with self.backend.lock:
            roster = self._multiagent(p.get("multiagent"), agent_id, 1)
        agent = {"id": agent_id, "type": "agent", "name": p["name"], "model": normalize_model(p["model"]),
                 "system": p.get("system"), "description": p.get("description"),
                 "tools": normalize_tools(p.get("tools"), mcp), "mcp_servers": mcp,
                 "skills": normalize_skills(p.get("skills")), "metadata": patch_metadata({}, p.get("metadata")),
                 "execution_identity": dict(p.get("execution_identity") or {"type": "service_account"}),
                 "multiagent": roster, "version": 1, "created_at": t, "updated_at": t, "archived_at": None}
        validate_response(beta.BetaManagedAgentsAgent, agent)
        with self.backend.lock:
            self.agents[agent["id"]] = [agent]
        return agent

    def _multiagent(self, p: Any, agent_id: str, version: int, stored: dict | None = None) -> dict | None:
        """The resolved ``multiagent`` of the agent being saved (multiagent.py has the rules)."""
        def lookup(ref_id: str, ref_version: Any) -> dict:
            if ref_id == agent_id:
                raise InvalidRequest("multiagent: an agent cannot list itself by id; use {\"type\": \"self\"}.")
            return self.get(ref_id, ref_version)

        return multiagent.normalize(p, lookup=lookup, self_ref={"type": "agent", "id": agent_id, "version": version},
                                    check_model=_check_model, stored=stored)

    def get(self, agent_id: str, version: int | None = None) -> dict[str, Any]:
        with self.backend.lock:
            versions = self._versions(agent_id)
            if version is None:
                return versions[-1]
            if not 1 <= version <= len(versions):
                raise NotFound(f"agent {agent_id!r} has no version {version}; its versions are 1..{len(versions)}. "
                               "Omit version for the latest.")
            return versions[version - 1]

    def update(self, agent_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``AgentUpdateParams``."""
        beta, _ = sdk_types()
        with self.backend.lock:
            versions = self._versions(agent_id)
            cur = versions[-1]
            if cur["archived_at"]:
                raise Conflict(f"agent {agent_id!r} is archived and cannot be updated. Create a new agent.")
            if "version" in p and p["version"] != cur["version"]:
                raise Conflict(f"agent {agent_id!r} is at version {cur['version']}, but the update said version="
                               f"{p['version']}. Someone changed it since you read it (or you ran the update twice: "
                               "your variable still holds the old version): retrieve the agent, re-apply your change, "
                               "and pass the current version (or omit version to overwrite).")
            new = dict(cur)
            if "multiagent" in p:
                new["multiagent"] = self._multiagent(p["multiagent"], agent_id, cur["version"] + 1, cur["multiagent"])
            if "name" in p:
                if not (p["name"] or "").strip():
                    raise InvalidRequest("name: cannot be cleared; give a non-empty name or omit it.")
                new["name"] = p["name"]
            if "model" in p:
                if p["model"] is None:
                    raise InvalidRequest("model: cannot be cleared; give a model id or omit it.")
                new["model"] = normalize_model(p["model"])
            for k in ("system", "description"):
                if k in p:
                    new[k] = p[k] or None
            if "mcp_servers" in p:
                new["mcp_servers"] = [dict(s) for s in p["mcp_servers"] or []]
            if "tools" in p or "mcp_servers" in p:
                raw_tools = p["tools"] if "tools" in p else cur["tools"]
                new["tools"] = normalize_tools(raw_tools or [], new["mcp_servers"])
            if "skills" in p:
                self.backend.skills.check_refs(p["skills"])
                new["skills"] = normalize_skills(p["skills"])
            if "execution_identity" in p:
                new["execution_identity"] = dict(p["execution_identity"] or {"type": "service_account"})
            if "metadata" in p:
                new["metadata"] = patch_metadata(cur["metadata"], p["metadata"])
            changed = any(new[k] != cur[k] for k in new)
            if not changed:
                return cur  # a no-op update does not make a new version
            new["version"] = cur["version"] + 1
            new["updated_at"] = rfc3339(now())
            validate_response(beta.BetaManagedAgentsAgent, new)
            versions.append(new)
            return new

    def list(self, *, include_archived: bool, created_at: TimeRange, limit: int,
                    page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            items = [v[-1] for v in self.agents.values() if (include_archived or not v[-1]["archived_at"])
                     and created_at.contains(parse_time(v[0]["created_at"], "created_at"))]
        return paginate(items, lambda a: (a["created_at"], a["id"]), limit=limit, page=page, descending=True)

    def archive(self, agent_id: str) -> dict[str, Any]:
        with self.backend.lock:
            versions = self._versions(agent_id)
            cur = versions[-1]
            if not cur["archived_at"]:
                t = rfc3339(now())
                for v in versions:
                    v["archived_at"] = t
            return cur

    def list_versions(self, agent_id: str, *, limit: int, page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            items = list(reversed(self._versions(agent_id)))
        return paginate(items, lambda a: (a["version"],), limit=limit, page=page, descending=True)

    def snapshot(self, ref: Any) -> dict[str, Any]:
        """The agent a session runs, as the session copies it: ``ref`` is an id (the latest version), an ``agent``
        reference (a version) or an ``agent_with_overrides`` (its overrides applied); archived agents are refused."""
        if isinstance(ref, str):
            agent = self.get(ref)
        else:
            agent = self.get(ref["id"], ref.get("version"))
        if agent["archived_at"]:
            raise InvalidRequest(f"agent {agent['id']!r} is archived; sessions cannot use it. Create a new agent.")
        snap = {k: agent[k] for k in ("id", "type", "name", "model", "system", "description", "tools", "mcp_servers",
                                      "skills", "execution_identity", "version")}
        snap["multiagent"] = multiagent.session_view(
            agent["multiagent"], lambda i, v: agent if i == agent["id"] else self.get(i, v))
        if isinstance(ref, dict) and ref.get("type") == "agent_with_overrides":
            if ref.get("model") is not None:
                snap["model"] = normalize_model(ref["model"])
            if "system" in ref:
                snap["system"] = ref["system"]
            if ref.get("mcp_servers") is not None:
                snap["mcp_servers"] = [dict(s) for s in ref["mcp_servers"]]
            if ref.get("tools") is not None or ref.get("mcp_servers") is not None:
                snap["tools"] = normalize_tools(ref["tools"] if ref.get("tools") is not None else agent["tools"],
                                                snap["mcp_servers"])
            if ref.get("skills") is not None:
                self.backend.skills.check_refs(ref["skills"], "agent.skills")
                snap["skills"] = normalize_skills(ref["skills"])
        return snap
