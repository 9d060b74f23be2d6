"""Environments (state and rules, moto's ``models`` for ``/v1/environments``), beside
:class:`helpers.stub.models.Backend`, which owns one :class:`EnvironmentsBackend`.

* A request's ``config`` becomes the complete one (``BetaEnvironment``): a cloud environment's networking
  (``unrestricted``, or ``limited`` with its allowed hosts and switches) and packages, or ``self_hosted``; an update
  cannot change the config's type (400 ``invalid_config_type_change``).
* An environment with running sessions cannot be deleted (409: interrupt them first).
"""
from __future__ import annotations

from typing import Any

from .exceptions import Conflict, InvalidRequest, get_or_404
from .utils import Cursor, new_id, now, paginate, patch_metadata, rfc3339
from .validation import sdk_types, validate_response

__all__ = ["EnvironmentsBackend"]


class EnvironmentsBackend:
    """Environments (``environments[id]``). Uses the owning backend's lock; sessions are the owning backend's."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.environments: dict[str, dict[str, Any]] = {}

    def get(self, env_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return get_or_404(self.environments, "environment", env_id, "Create one with client.beta.environments."
                              "create(name=...) and pass its .id.")

    def find(self, env_id: str) -> dict[str, Any] | None:
        """The environment, or None once deleted (an idle session outlives its environment)."""
        return self.environments.get(env_id)

    @staticmethod
    def _normalize_config(cfg: dict[str, Any] | None) -> dict[str, Any]:
        if not cfg or cfg.get("type") == "cloud":
            cfg = cfg or {}
            net = cfg.get("networking") or {"type": "unrestricted"}
            if net["type"] == "limited":
                net = {"type": "limited", "allowed_hosts": list(net.get("allowed_hosts") or []),
                       "allow_mcp_servers": bool(net.get("allow_mcp_servers")),
                       "allow_package_managers": bool(net.get("allow_package_managers"))}
            else:
                net = {"type": "unrestricted"}
            pk = cfg.get("packages") or {}
            packages = {"type": "packages", **{k: list(pk.get(k) or []) for k in ("apt", "cargo", "gem", "go", "npm", "pip")}}
            return {"type": "cloud", "networking": net, "packages": packages}
        return {"type": "self_hosted"}

    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``EnvironmentCreateParams``."""
        beta, _ = sdk_types()
        if not p["name"].strip():
            raise InvalidRequest("name: must be non-empty.")
        t = rfc3339(now())
        env = {"id": new_id("env"), "type": "environment", "name": p["name"],
               "config": self._normalize_config(p.get("config")), "description": p.get("description"),
               "metadata": patch_metadata({}, p.get("metadata")), "scope": p.get("scope"),
               "created_at": t, "updated_at": t, "archived_at": None}
        validate_response(beta.BetaEnvironment, env)
        with self.backend.lock:
            self.environments[env["id"]] = env
        return env

    def update(self, env_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``EnvironmentUpdateParams``."""
        beta, _ = sdk_types()
        with self.backend.lock:
            cur = self.get(env_id)
            new = dict(cur)
            if p.get("config") is not None:
                cfg = self._normalize_config(p["config"])
                if cfg["type"] != cur["config"]["type"]:
                    raise InvalidRequest(f"config.type: cannot change an environment from {cur['config']['type']!r} "
                                         f"to {cfg['type']!r}. Create a new environment instead.",
                                         error_code="invalid_config_type_change")
                new["config"] = cfg
            if "name" in p and p["name"] is not None:
                new["name"] = p["name"]
            for k in ("description", "scope"):
                if k in p:
                    new[k] = p[k]
            if "metadata" in p:
                new["metadata"] = patch_metadata(cur["metadata"], p["metadata"])
            new["updated_at"] = rfc3339(now())
            validate_response(beta.BetaEnvironment, new)
            self.environments[env_id] = new
            return new

    def list(self, *, include_archived: bool, limit: int, page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            items = [e for e in self.environments.values() if include_archived or not e["archived_at"]]
        return paginate(items, lambda e: (e["created_at"], e["id"]), limit=limit, page=page, descending=True)

    def archive(self, env_id: str) -> dict[str, Any]:
        with self.backend.lock:
            e = self.get(env_id)
            if not e["archived_at"]:
                e["archived_at"] = e["updated_at"] = rfc3339(now())
            return e

    def delete(self, env_id: str) -> dict[str, Any]:
        with self.backend.lock:
            self.get(env_id)
            busy = self.backend.sessions.running_in(env_id)
            if busy:
                raise Conflict(f"environment {env_id!r} has running sessions {busy}; interrupt them (a user.interrupt "
                               "event) and wait for session.status_idle first.")
            del self.environments[env_id]
        return {"id": env_id, "type": "environment_deleted"}
