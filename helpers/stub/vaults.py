"""Vaults and their credentials (``/v1/vaults``, ``/v1/vaults/{id}/credentials``): :class:`VaultsBackend`.

The SDK's resources (``resources/beta/vaults``) and types are the word on shapes; the rules are the docs'
(https://platform.claude.com/docs/en/managed-agents/vaults, quoted where they are applied):

* "Secret fields (token, access_token, refresh_token, client_secret) are write-only. They are never returned in API
  responses." (and ``secret_value``: "It's write-only and never returned in responses", SDK docstring). The secrets
  live in :attr:`VaultsBackend.secrets`, apart from the records every response is built from, and an error about a
  credential request never repeats a secret it was sent (:func:`scrub`).
* "One active credential per mcp_server_url per vault. Creating a second credential for the same URL returns a 409."
  "mcp_server_url is immutable." "Maximum 20 credentials per vault."
* "The type must match the credential's current type, which can't be changed." (SDK docstring of ``update``'s auth)
* "List vaults or credentials: Paginated, newest first. Archived records are excluded by default."
* "Archive a vault: Cascades to all credentials. Secrets are purged; records are retained for auditing. Future
  sessions referencing this vault fail; running sessions continue." "Archive a credential: Purges the secret
  payload; mcp_server_url remains visible. Frees the mcp_server_url for a replacement credential." "Delete a vault or
  credential: Hard delete."
* Credentials "are matched by URL ... Both URLs are normalized before matching (scheme and host lowercased, default
  ports and trailing slashes stripped)" (https://platform.claude.com/docs/en/managed-agents/mcp-connector): used by
  the replay to tell whether a session could authenticate a recorded MCP server (:meth:`VaultsBackend.credential_urls`).

Inferences (no source states them): changing an archived vault or credential, or adding a credential to an archived
vault, is a 409 like every other change to an archived resource here; archived credentials do not count towards the
20; ``mcp_oauth_validate`` offline answers ``unknown`` (there is no server to probe), which the SDK documents as "The
probe couldn't tell whether the credential works".
"""
from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .exceptions import Conflict, InvalidRequest, NotFound, StubError, get_or_404
from .utils import Cursor, new_id, now, paginate, parse_time, patch_metadata, rfc3339
from .validation import validate_response

__all__ = ["VaultsBackend", "SECRET_FIELDS", "MAX_CREDENTIALS", "normalize_url", "scrub"]

#: Fields of a credential's ``auth`` that are write-only, at any depth.
SECRET_FIELDS = ("token", "access_token", "refresh_token", "client_secret", "secret_value")
#: "Maximum 20 credentials per vault." (docs)
MAX_CREDENTIALS = 20
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """A URL as the API matches credentials to MCP servers: scheme and host lowercased, the default port and
    trailing slashes stripped (mcp-connector docs)."""
    try:
        parts = urlsplit(url.strip())
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def _secrets_in(value: Any) -> list[str]:
    """Every string under a secret field of ``value`` (a request body), at any depth."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in SECRET_FIELDS and isinstance(v, str) and v:
                found.append(v)
            else:
                found += _secrets_in(v)
    elif isinstance(value, list):
        for v in value:
            found += _secrets_in(v)
    return found


def scrub(exc: StubError, body: Any) -> StubError:
    """``exc`` with every secret of the request ``body`` masked in its message (an error never repeats a secret):
    wherever it stands alone (a short secret such as "t" inside a word of the message is not the secret)."""
    import re

    for secret in sorted(_secrets_in(body), key=len, reverse=True):
        exc.message = re.sub(r"(?<![A-Za-z0-9])" + re.escape(secret) + r"(?![A-Za-z0-9])", "[secret]", exc.message)
    exc.args = (exc.message,)
    return exc


def _auth_view(auth: dict) -> dict:
    """What a response shows of a credential's auth: everything but the secrets."""
    kind = auth["type"]
    if kind == "static_bearer":
        return {"type": kind, "mcp_server_url": auth["mcp_server_url"]}
    if kind == "mcp_oauth":
        out: dict[str, Any] = {"type": kind, "mcp_server_url": auth["mcp_server_url"],
                               "expires_at": auth.get("expires_at")}
        refresh = auth.get("refresh")
        if refresh:
            out["refresh"] = {"client_id": refresh["client_id"], "token_endpoint": refresh["token_endpoint"],
                              "token_endpoint_auth": {"type": refresh["token_endpoint_auth"]["type"]},
                              "resource": refresh.get("resource"), "scope": refresh.get("scope")}
        return out
    return {"type": kind, "secret_name": auth["secret_name"], "injection_location": dict(auth["injection_location"]),
            "networking": dict(auth["networking"])}


def _stored_auth(p: dict) -> dict:
    """A created credential's auth as the vault keeps it (defaults filled in; secrets included)."""
    auth = copy.deepcopy(p)
    if auth["type"] == "mcp_oauth" and auth.get("expires_at") is not None:
        auth["expires_at"] = _future(auth["expires_at"], "auth.expires_at")
    if auth["type"] == "environment_variable":
        loc = auth.get("injection_location") or {}
        auth["injection_location"] = {"header": loc.get("header", True), "body": loc.get("body", False)}
        if not any(auth["injection_location"].values()):
            raise InvalidRequest("auth.injection_location: enable at least one of header and body.")
        auth["networking"] = {k: v for k, v in dict(auth["networking"]).items() if v is not None}
    return auth


def _future(value: Any, where: str) -> str:
    t = parse_time(value if isinstance(value, str) else value.isoformat(), where)
    if t <= now():
        raise InvalidRequest(f"{where}: must be in the future (got {rfc3339(t)}).")
    return rfc3339(t)


class VaultsBackend:
    """Vaults and credentials. Uses the owning backend's lock."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.vaults: dict[str, dict[str, Any]] = {}
        self.credentials: dict[str, dict[str, Any]] = {}  # credential id -> its record (never a secret)
        self.secrets: dict[str, dict[str, Any]] = {}  # credential id -> its full auth, secrets included (write-only)

    # ---------------------------------------------------------------- helpers
    def _vault(self, vault_id: str) -> dict[str, Any]:
        return get_or_404(self.vaults, "vault", vault_id, "Create one with client.beta.vaults.create(display_name=...) and use "
                                                          "its .id; list yours with client.beta.vaults.list().")

    def _credential(self, vault_id: str, credential_id: str) -> dict[str, Any]:
        self._vault(vault_id)
        mine = {i: c for i, c in self.credentials.items() if c["vault_id"] == vault_id}
        return get_or_404(mine, "credential", credential_id, "List the vault's credentials with "
                          f"client.beta.vaults.credentials.list({vault_id!r}).")

    @staticmethod
    def _vault_view(v: dict) -> dict:
        from .validation import sdk_types

        beta, _ = sdk_types()
        return validate_response(beta.BetaManagedAgentsVault, copy.deepcopy(v))

    @staticmethod
    def _credential_view(c: dict) -> dict:
        from anthropic.types.beta.vaults import BetaManagedAgentsCredential

        return validate_response(BetaManagedAgentsCredential, copy.deepcopy(c))

    @staticmethod
    def _name(value: Any, where: str, required: bool) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not 1 <= len(value) <= 255:
            raise InvalidRequest(f"{where}: 1 to 255 characters.")
        return value

    # ---------------------------------------------------------------- vaults
    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``VaultCreateParams``."""
        t = rfc3339(now())
        v = {"id": new_id("vlt"), "type": "vault", "display_name": self._name(p["display_name"], "display_name", True),
             "metadata": patch_metadata({}, p.get("metadata")), "created_at": t, "updated_at": t, "archived_at": None}
        view = self._vault_view(v)
        with self.backend.lock:
            self.vaults[v["id"]] = v
        return view

    def get(self, vault_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._vault_view(self._vault(vault_id))

    def update(self, vault_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``VaultUpdateParams``."""
        with self.backend.lock:
            v = self._vault(vault_id)
            if v["archived_at"]:
                raise Conflict(f"vault {vault_id!r} is archived and cannot be changed. Create a new vault.")
            new = dict(v)
            if p.get("display_name") is not None:
                new["display_name"] = self._name(p["display_name"], "display_name", True)
            if "metadata" in p:
                new["metadata"] = patch_metadata(v["metadata"], p["metadata"])
            new["updated_at"] = rfc3339(now())
            view = self._vault_view(new)
            self.vaults[vault_id] = new
            return view

    def list(self, *, include_archived: bool, limit: int, page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            items = [v for v in self.vaults.values() if include_archived or not v["archived_at"]]
            out = paginate(items, lambda v: (v["created_at"], v["id"]), limit=limit, page=page, descending=True)
            out["data"] = [self._vault_view(v) for v in out["data"]]
            return out

    def archive(self, vault_id: str) -> dict[str, Any]:
        """Archives the vault and every credential in it (their secrets are purged)."""
        with self.backend.lock:
            v = self._vault(vault_id)
            if not v["archived_at"]:
                t = rfc3339(now())
                for c in self.credentials.values():
                    if c["vault_id"] == vault_id and not c["archived_at"]:
                        self._archive_credential(c, t)
                v["archived_at"] = v["updated_at"] = t
            return self._vault_view(v)

    def delete(self, vault_id: str) -> dict[str, Any]:
        with self.backend.lock:
            self._vault(vault_id)
            for cid in [c for c, rec in self.credentials.items() if rec["vault_id"] == vault_id]:
                del self.credentials[cid]
                self.secrets.pop(cid, None)
            del self.vaults[vault_id]
        return {"id": vault_id, "type": "vault_deleted"}

    # ---------------------------------------------------------------- credentials
    def create_credential(self, vault_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``CredentialCreateParams``."""
        with self.backend.lock:
            v = self._vault(vault_id)
            if v["archived_at"]:
                raise Conflict(f"vault {vault_id!r} is archived; it takes no new credentials. Create a new vault.")
            active = [c for c in self.credentials.values() if c["vault_id"] == vault_id and not c["archived_at"]]
            auth = _stored_auth(p["auth"])
            url = auth.get("mcp_server_url")
            same = [c for c in active if url and normalize_url(c["auth"].get("mcp_server_url") or "") ==
                    normalize_url(url)]
            if same:
                raise Conflict(f"auth.mcp_server_url: vault {vault_id!r} already has an active credential for {url!r} "
                               f"({same[0]['id']!r}). Rotate that one with credentials.update(...), or archive it "
                               "first to replace it.")
            if len(active) >= MAX_CREDENTIALS:
                raise InvalidRequest(f"vault {vault_id!r} already holds {MAX_CREDENTIALS} active credentials, the "
                                     "maximum. Archive one you no longer use, or use another vault.")
            t = rfc3339(now())
            c = {"id": new_id("vcrd"), "type": "vault_credential", "vault_id": vault_id,
                 "display_name": self._name(p.get("display_name"), "display_name", False), "auth": _auth_view(auth),
                 "metadata": patch_metadata({}, p.get("metadata")), "created_at": t, "updated_at": t,
                 "archived_at": None}
            view = self._credential_view(c)
            self.credentials[c["id"]] = c
            self.secrets[c["id"]] = auth
            return view

    def get_credential(self, vault_id: str, credential_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._credential_view(self._credential(vault_id, credential_id))

    def update_credential(self, vault_id: str, credential_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``CredentialUpdateParams`` (rotate a secret, rename, patch metadata)."""
        with self.backend.lock:
            c = self._credential(vault_id, credential_id)
            if c["archived_at"]:
                raise Conflict(f"credential {credential_id!r} is archived (its secret was purged) and cannot be "
                               "changed. Create a new credential.")
            new, auth = dict(c), copy.deepcopy(self.secrets[credential_id])
            if p.get("auth") is not None:
                auth = _rotated(auth, p["auth"])
                new["auth"] = _auth_view(auth)
            if "display_name" in p and p["display_name"] is not None:
                new["display_name"] = self._name(p["display_name"], "display_name", True)
            if "metadata" in p:
                new["metadata"] = patch_metadata(c["metadata"], p["metadata"])
            new["updated_at"] = rfc3339(now())
            view = self._credential_view(new)
            self.credentials[credential_id] = new
            self.secrets[credential_id] = auth
            return view

    def list_credentials(self, vault_id: str, *, include_archived: bool, limit: int,
                         page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            self._vault(vault_id)
            items = [c for c in self.credentials.values() if c["vault_id"] == vault_id
                     and (include_archived or not c["archived_at"])]
            out = paginate(items, lambda c: (c["created_at"], c["id"]), limit=limit, page=page, descending=True)
            out["data"] = [self._credential_view(c) for c in out["data"]]
            return out

    def _archive_credential(self, c: dict, t: str) -> None:
        c["archived_at"] = c["updated_at"] = t
        self.secrets.pop(c["id"], None)  # purged: the record stays, for auditing

    def archive_credential(self, vault_id: str, credential_id: str) -> dict[str, Any]:
        with self.backend.lock:
            c = self._credential(vault_id, credential_id)
            if not c["archived_at"]:
                self._archive_credential(c, rfc3339(now()))
            return self._credential_view(c)

    def delete_credential(self, vault_id: str, credential_id: str) -> dict[str, Any]:
        with self.backend.lock:
            self._credential(vault_id, credential_id)
            del self.credentials[credential_id]
            self.secrets.pop(credential_id, None)
        return {"id": credential_id, "type": "vault_credential_deleted"}

    def validate_credential(self, vault_id: str, credential_id: str) -> dict[str, Any]:
        """``mcp_oauth_validate``: offline there is no MCP server to probe, so the verdict is ``unknown``."""
        from anthropic.types.beta.vaults import BetaManagedAgentsCredentialValidation

        with self.backend.lock:
            c = self._credential(vault_id, credential_id)
            if c["auth"]["type"] != "mcp_oauth":
                raise InvalidRequest(f"credential {credential_id!r} is {c['auth']['type']}; only mcp_oauth "
                                     "credentials can be validated.")
            auth = self.secrets.get(credential_id) or {}
            out = {"type": "vault_credential_validation", "credential_id": credential_id, "vault_id": vault_id,
                   "validated_at": rfc3339(now()), "status": "unknown", "mcp_probe": None, "refresh": None,
                   "has_refresh_token": bool((auth.get("refresh") or {}).get("refresh_token"))}
            return validate_response(BetaManagedAgentsCredentialValidation, out)

    # ---------------------------------------------------------------- what sessions use
    def check_session_vaults(self, vault_ids: list[str]) -> None:
        """Every vault a new session names exists and is active ("Future sessions referencing this vault fail")."""
        with self.backend.lock:
            for i, vid in enumerate(vault_ids):
                v = self.vaults.get(vid)
                if v is None:
                    raise NotFound(f"vault_ids[{i}]: vault {vid!r} not found. Create one with "
                                   "client.beta.vaults.create(display_name=...) and pass its .id.",
                                   error_code="vault_not_found")
                if v["archived_at"]:
                    raise InvalidRequest(f"vault_ids[{i}]: vault {vid!r} is archived; new sessions cannot use it. "
                                         "Create a new vault (and its credentials).", error_code="vault_archived")

    def credential_urls(self, vault_ids: list[str]) -> tuple[str, ...]:
        """The normalized ``mcp_server_url`` of every active credential of these vaults, in vault order (the first
        vault with a match wins, as the docs say)."""
        with self.backend.lock:
            return tuple(normalize_url(c["auth"]["mcp_server_url"]) for vid in vault_ids
                         for c in self.credentials.values()
                         if c["vault_id"] == vid and not c["archived_at"] and c["auth"].get("mcp_server_url")
                         and c["id"] in self.secrets)


def _rotated(auth: dict, p: dict) -> dict:
    """``auth`` with the update ``p`` applied: the same type, the new secret, the immutable fields kept."""
    if p["type"] != auth["type"]:
        raise InvalidRequest(f"auth.type: this credential is {auth['type']!r}; its type cannot change to "
                             f"{p['type']!r}. Create a new credential instead.")
    out = copy.deepcopy(auth)
    if p["type"] == "static_bearer":
        if p.get("token"):
            out["token"] = p["token"]
        return out
    if p["type"] == "mcp_oauth":
        if p.get("access_token"):
            out["access_token"] = p["access_token"]
        if p.get("expires_at") is not None:
            out["expires_at"] = _future(p["expires_at"], "auth.expires_at")
        refresh = p.get("refresh")
        if refresh:
            if not out.get("refresh"):
                raise InvalidRequest("auth.refresh: this credential has no refresh configuration to update; create a "
                                     "new credential with one.")
            for key in ("refresh_token", "scope"):
                if refresh.get(key) is not None:
                    out["refresh"][key] = refresh[key] or None
            if refresh.get("token_endpoint_auth"):
                out["refresh"]["token_endpoint_auth"] = {**out["refresh"]["token_endpoint_auth"],
                                                         **dict(refresh["token_endpoint_auth"])}
        return out
    if p.get("secret_value"):
        out["secret_value"] = p["secret_value"]
    if p.get("networking") is not None:
        out["networking"] = {k: v for k, v in dict(p["networking"]).items() if v is not None}
    if p.get("injection_location"):
        out["injection_location"] = {**out["injection_location"], **dict(p["injection_location"])}
        if not any(out["injection_location"].values()):
            raise InvalidRequest("auth.injection_location: at least one location must stay enabled.")
    return out
