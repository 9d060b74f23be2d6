"""Memory stores, their memories and memory versions (state and rules, moto's ``models`` for
``/v1/memory_stores``), beside :class:`helpers.stub.models.Backend`, which owns one :class:`MemoryStoresBackend`.

Behaviour follows the SDK's docstrings (``resources/beta/memory_stores/``, the types ``BetaManagedAgentsMemory*``)
and https://platform.claude.com/docs/en/managed-agents/memory; docs/design.md ("Skills, memory stores and dreams")
cites each rule. In short:

* A **store** has a name (1-255 characters, no control characters), a description (at most 1,024 characters, ``""``
  when unset) and metadata. Archiving cannot be undone; an archived store cannot be updated, attached to new
  sessions, or take new or changed memories; its memories can still be read and deleted and its versions redacted.
* A **memory** is UTF-8 text (at most 102,400 bytes) at a path: ``/`` then 1-20 non-empty segments, none ``.`` or
  ``..`` (a path cannot climb out of its store), no control or format characters, NFC, at most 1,024 bytes. Two
  memories cannot share a path or overlap (``/notes`` and ``/notes/todo.md``): 409 ``memory_path_conflict_error``.
* Every change adds one immutable **memory version** (``created``, ``modified``, ``deleted``) with who made it
  (``created_by``: an ``api_actor`` for API calls, a ``session_actor`` for what an agent wrote through the mount).
  An update that changes nothing adds none. An update's ``precondition`` (``content_sha256``) or a delete's
  ``expected_content_sha256`` that no longer matches is a 409 ``memory_precondition_failed_error`` and changes
  nothing, unless the memory already holds exactly what the update asks for (then 200).
* ``view``: ``basic`` leaves ``content`` null (size and hash stay); ``full`` includes it. Retrieve defaults to
  ``full``, list, create and update to ``basic``; with ``full`` a list page holds at most 20 items.
* In a session a store is mounted at ``/mnt/memory/<slug>``, the slug being the store's name lowercased with each
  run of characters other than ASCII letters and digits made one hyphen (``mount_path`` says where); at most 8
  stores per session; ``access`` defaults to ``read_write``.

Offline difference: the stub has one API key, so every API write names the same ``api_key_id`` (made when the stub
starts).
"""
from __future__ import annotations

import builtins
import copy
import hashlib
import re
import unicodedata
from typing import Any

from .exceptions import InvalidRequest, MemoryPathConflict, MemoryPreconditionFailed, get_or_404
from .utils import Cursor, TimeRange, new_id, now, paginate, parse_time, patch_metadata, rfc3339
from .validation import sdk_types, validate_response

__all__ = ["MemoryStoresBackend", "MOUNT_ROOT", "MAX_CONTENT_BYTES", "MAX_STORES_PER_SESSION", "FULL_VIEW_LIMIT",
           "slug", "check_path", "check_prefix", "sha256"]

MOUNT_ROOT = "/mnt/memory"
MAX_CONTENT_BYTES = 102_400
MAX_STORES_PER_SESSION = 8
MAX_INSTRUCTIONS = 4096
FULL_VIEW_LIMIT = 20
_PATH_HELP = ("A memory path starts with '/' and has 1 to 20 segments, e.g. '/incidents/2277.md'; no empty, '.' or "
              "'..' segments, no control characters, at most 1,024 bytes.")


# --------------------------------------------------------------------------------------------------------------
# names, paths, hashes
# --------------------------------------------------------------------------------------------------------------
def slug(name: str) -> str:
    """The store's directory under /mnt/memory/: lowercased, each run of characters other than ASCII letters and
    digits one hyphen (the SDK's docstring of ``memory_stores.create``). Leading and trailing hyphens are dropped and
    a name with no ASCII letter or digit becomes ``memory``: inferences (the docs say nothing of either)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "memory"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _bad_char(text: str) -> str | None:
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf") or ch in "\u2028\u2029":
            return ch
    return None


def check_path(path: Any, where: str = "path") -> str:
    """A valid memory path, or a 400 saying what is wrong with it."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidRequest(f"{where}: {str(path)[:80]!r} does not start with '/'. {_PATH_HELP}")
    segments = path[1:].split("/")
    if ".." in segments or "." in segments:
        raise InvalidRequest(f"{where}: {path[:120]!r} has a '{'..' if '..' in segments else '.'}' segment: a memory "
                             f"path cannot point outside its place in the store. {_PATH_HELP}")
    if any(not s for s in segments):
        raise InvalidRequest(f"{where}: {path[:120]!r} has an empty segment (a doubled or trailing '/'). {_PATH_HELP}")
    if len(segments) > 20:
        raise InvalidRequest(f"{where}: {path[:80]!r}... has {len(segments)} segments, more than 20. {_PATH_HELP}")
    bad = _bad_char(path)
    if bad is not None:
        raise InvalidRequest(f"{where}: {path[:120]!r} contains the control or format character U+{ord(bad):04X}. "
                             f"{_PATH_HELP}")
    if not unicodedata.is_normalized("NFC", path):
        raise InvalidRequest(f"{where}: {path[:120]!r} is not in Unicode Normalization Form C; normalize it with "
                             "unicodedata.normalize('NFC', path).")
    if len(path.encode("utf-8")) > 1024:
        raise InvalidRequest(f"{where}: the path is {len(path.encode('utf-8')):,} bytes long; at most 1,024.")
    return path


def check_prefix(prefix: str) -> str:
    """A ``path_prefix``: ``/`` alone, or a path ending with ``/`` (it matches whole segments)."""
    if prefix == "/":
        return prefix
    if not prefix.endswith("/"):
        raise InvalidRequest(f"path_prefix: {prefix[:120]!r} must end with '/': it matches whole segments, so "
                             "'/notes/' matches '/notes/todo.md' but not '/notes-archive/todo.md'.")
    check_path(prefix[:-1], "path_prefix")
    return prefix


def _check_content(content: Any, where: str = "content") -> str:
    if not isinstance(content, str):
        raise InvalidRequest(f"{where}: must be a string (pass \"\" for an empty memory), got "
                             f"{type(content).__name__}.")
    size = len(content.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise InvalidRequest(f"{where}: {size:,} bytes; a memory holds at most {MAX_CONTENT_BYTES:,} bytes (100 kB). "
                             "Split it into several smaller memories.")
    return content


def _check_store_fields(p: dict[str, Any]) -> None:
    name = p.get("name")
    if "name" in p and (not isinstance(name, str) or not 1 <= len(name) <= 255):
        raise InvalidRequest(f"name: must be 1 to 255 characters long, got {len(name) if isinstance(name, str) else name!r}.")
    if isinstance(name, str) and _bad_char(name) is not None and unicodedata.category(_bad_char(name)) == "Cc":
        raise InvalidRequest(f"name: {name[:60]!r} contains a control character; use a plain one-line name.")
    description = p.get("description")
    if isinstance(description, str) and len(description) > 1024:
        raise InvalidRequest(f"description: {len(description):,} characters; at most 1,024.")


def _memory_types():
    from anthropic.types.beta import memory_stores

    return memory_stores


# --------------------------------------------------------------------------------------------------------------
# the backend
# --------------------------------------------------------------------------------------------------------------
class _Store:
    """One store: its object, its live memories (id -> record) and every version it ever recorded, oldest first."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.memories: dict[str, dict[str, Any]] = {}
        self.versions: list[dict[str, Any]] = []

    @property
    def id(self) -> str:
        return self.data["id"]

    def by_path(self, path: str) -> dict[str, Any] | None:
        return next((m for m in self.memories.values() if m["path"] == path), None)

    def overlapping(self, path: str, but: str | None = None) -> dict[str, Any] | None:
        """The memory at ``path``, or above or below it (``/a`` and ``/a/b`` overlap), other than ``but``."""
        for m in self.memories.values():
            if m["id"] != but and (m["path"] == path or path.startswith(m["path"] + "/")
                                   or m["path"].startswith(path + "/")):
                return m
        return None


class MemoryStoresBackend:
    """Memory stores, memories and versions. Uses the owning backend's lock."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.stores: dict[str, _Store] = {}
        #: who the API's writes are by: the stub has one key, so one id (made when the stub starts)
        self.api_actor = {"type": "api_actor", "api_key_id": new_id("apikey")}

    # ---------------------------------------------------------------- lookups and views
    def _store(self, store_id: str) -> _Store:
        return get_or_404(self.stores, "memory store", store_id, "Create one with client.beta.memory_stores.create(name=...) and "
                                                                 "use its .id; list yours with client.beta.memory_stores.list().")

    def _writable(self, store_id: str, what: str) -> _Store:
        s = self._store(store_id)
        if s.data["archived_at"]:
            raise InvalidRequest(f"memory store {store_id!r} is archived: it takes no {what}. Its memories can still "
                                 "be read and deleted; write to another (new) store.")
        return s

    def _memory(self, s: _Store, memory_id: str) -> dict[str, Any]:
        return get_or_404(s.memories, "memory", memory_id, f"List the store's memories with client.beta.memory_stores.memories."
                                                           f"list({s.id!r}); a deleted memory keeps only its versions.")

    @staticmethod
    def _store_view(s: _Store) -> dict[str, Any]:
        beta, _ = sdk_types()
        return validate_response(beta.BetaManagedAgentsMemoryStore, copy.deepcopy(s.data))

    @staticmethod
    def _memory_view(m: dict[str, Any], view: str) -> dict[str, Any]:
        out = {k: v for k, v in m.items() if not k.startswith("_")}
        out["content"] = m["_content"] if view == "full" else None
        return validate_response(_memory_types().BetaManagedAgentsMemory, out)

    @staticmethod
    def _version_view(v: dict[str, Any], view: str) -> dict[str, Any]:
        out = copy.deepcopy(v)
        if view != "full":
            out["content"] = None
        return validate_response(_memory_types().BetaManagedAgentsMemoryVersion, out)

    # ---------------------------------------------------------------- stores
    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``MemoryStoreCreateParams``."""
        _check_store_fields(p)
        t = rfc3339(now())
        data = {"id": new_id("memstore"), "type": "memory_store", "name": p["name"],
                "description": p.get("description") or "", "metadata": patch_metadata({}, p.get("metadata")),
                "created_at": t, "updated_at": t, "archived_at": None}
        s = _Store(data)
        view = self._store_view(s)
        with self.backend.lock:
            self.stores[s.id] = s
        return view

    def get(self, store_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._store_view(self._store(store_id))

    def update(self, store_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``MemoryStoreUpdateParams``; a 400 on an archived store (the SDK's docstring)."""
        with self.backend.lock:
            s = self._store(store_id)
            if s.data["archived_at"]:
                raise InvalidRequest(f"memory store {store_id!r} is archived and cannot be updated (archiving cannot "
                                     "be undone). Create a new store.")
            if p.get("name") is None and "name" in p:
                raise InvalidRequest("name: cannot be cleared; give a new name or omit it.")
            _check_store_fields(p)
            new = dict(s.data)
            if p.get("name") is not None:
                new["name"] = p["name"]
            if "description" in p:
                new["description"] = p["description"] or ""
            if "metadata" in p:
                new["metadata"] = patch_metadata(s.data["metadata"], p["metadata"])
            if new != s.data:
                new["updated_at"] = rfc3339(now())
            beta, _ = sdk_types()
            validate_response(beta.BetaManagedAgentsMemoryStore, new)  # before the change: a stub bug changes nothing
            s.data = new
            return self._store_view(s)

    def list(self, *, include_archived: bool, created_at: TimeRange, limit: int,
             page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            items = [s for s in self.stores.values() if (include_archived or not s.data["archived_at"])
                     and created_at.contains(parse_time(s.data["created_at"], "created_at"))]
            out = paginate(items, lambda s: (s.data["created_at"], s.id), limit=limit, page=page, descending=True)
            out["data"] = [self._store_view(s) for s in out["data"]]
            return out

    def delete(self, store_id: str) -> dict[str, Any]:
        """Deletes the store with its memories and versions (it cannot be undone)."""
        with self.backend.lock:
            self._store(store_id)
            del self.stores[store_id]
        return {"id": store_id, "type": "memory_store_deleted"}

    def archive(self, store_id: str) -> dict[str, Any]:
        with self.backend.lock:
            s = self._store(store_id)
            if not s.data["archived_at"]:  # archiving an archived store returns it unchanged
                s.data["archived_at"] = s.data["updated_at"] = rfc3339(now())
            return self._store_view(s)

    # ---------------------------------------------------------------- memories
    def _record(self, s: _Store, m: dict[str, Any], operation: str, actor: dict[str, Any] | None) -> None:
        """Add the version that records ``operation`` on ``m`` (as it is now) and point ``m`` at it."""
        deleted = operation == "deleted"
        v = {"id": new_id("memver"), "type": "memory_version", "memory_id": m["id"], "memory_store_id": s.id,
             "operation": operation, "created_at": rfc3339(now()), "created_by": copy.deepcopy(actor),
             "path": m["path"], "content": None if deleted else m["_content"],
             "content_sha256": None if deleted else m["content_sha256"],
             "content_size_bytes": None if deleted else m["content_size_bytes"], "redacted_at": None,
             "redacted_by": None}
        s.versions.append(v)
        m["memory_version_id"] = v["id"]

    @staticmethod
    def _conflict(s: _Store, path: str, but: str | None = None) -> None:
        other = s.overlapping(path, but)
        if other is not None:
            how = "already holds a memory at that path" if other["path"] == path else \
                f"has a memory at {other['path']!r}, which overlaps it (one path is inside the other)"
            raise MemoryPathConflict(
                f"path: {path!r} cannot be used: the store {how}. Rename or delete memory {other['id']!r} first, or "
                "update it instead of creating another.", conflicting_memory_id=other["id"],
                conflicting_path=other["path"])

    def write(self, store_id: str, path: str, content: str, actor: dict[str, Any] | None,
              check_archived: bool = True) -> dict[str, Any]:
        """Create or overwrite the memory at ``path`` (what an agent's write through the mount does); returns the
        memory record. Writing the same content again records nothing."""
        s = self._writable(store_id, "new memories") if check_archived else self._store(store_id)
        check_path(path)
        _check_content(content)
        m = s.by_path(path)
        if m is None:
            self._conflict(s, path)
            t = rfc3339(now())
            m = {"id": new_id("mem"), "type": "memory", "memory_store_id": s.id, "path": path, "created_at": t,
                 "updated_at": t, "memory_version_id": "", "_content": content, "content_sha256": sha256(content),
                 "content_size_bytes": len(content.encode("utf-8"))}
            s.memories[m["id"]] = m
            self._record(s, m, "created", actor)
        elif m["_content"] != content:
            m.update(_content=content, content_sha256=sha256(content), content_size_bytes=len(content.encode("utf-8")),
                     updated_at=rfc3339(now()))
            self._record(s, m, "modified", actor)
        return m

    def create_memory(self, store_id: str, p: dict[str, Any], view: str) -> dict[str, Any]:
        """``p``: the validated ``MemoryCreateParams`` body (``content``, ``path``)."""
        with self.backend.lock:
            s = self._writable(store_id, "new memories")
            path = check_path(p.get("path"))
            content = _check_content(p.get("content"))
            self._conflict(s, path)
            return self._memory_view(self.write(store_id, path, content, self.api_actor), view)

    def get_memory(self, store_id: str, memory_id: str, view: str) -> dict[str, Any]:
        with self.backend.lock:
            s = self._store(store_id)
            return self._memory_view(self._memory(s, memory_id), view)

    def update_memory(self, store_id: str, memory_id: str, p: dict[str, Any], view: str) -> dict[str, Any]:
        """``p``: the validated ``MemoryUpdateParams`` body (``content``, ``path``, ``precondition``)."""
        with self.backend.lock:
            s = self._store(store_id)
            m = self._memory(s, memory_id)
            if s.data["archived_at"]:
                self._writable(store_id, "changed memories")
            content = m["_content"] if p.get("content") is None else _check_content(p["content"])
            path = m["path"] if p.get("path") is None else check_path(p["path"])
            unchanged = content == m["_content"] and path == m["path"]
            self._precondition(m, p.get("precondition"), unchanged)
            if unchanged:
                return self._memory_view(m, view)  # nothing changed: no new version
            if path != m["path"]:
                self._conflict(s, path, but=m["id"])
            m.update(path=path, _content=content, content_sha256=sha256(content),
                     content_size_bytes=len(content.encode("utf-8")), updated_at=rfc3339(now()))
            self._record(s, m, "modified", self.api_actor)
            return self._memory_view(m, view)

    @staticmethod
    def _precondition(m: dict[str, Any], precondition: Any, unchanged: bool) -> None:
        if precondition is None:
            return
        want = precondition.get("content_sha256")
        if not isinstance(want, str) or not re.fullmatch(r"[0-9a-f]{64}", want):
            raise InvalidRequest("precondition.content_sha256: required, 64 lowercase hexadecimal characters: the "
                                 "content_sha256 of the memory as you last read it.")
        if want != m["content_sha256"] and not unchanged:
            raise MemoryPreconditionFailed(
                f"precondition failed: memory {m['id']!r} changed since you read it (its content_sha256 is now "
                f"{m['content_sha256'][:12]}..., yours is {want[:12]}...). Retrieve it again, re-apply your change to "
                "what it holds now, and update with the new content_sha256.")

    def list_memories(self, store_id: str, *, path_prefix: str | None, depth: int, view: str, limit: int,
                      page: Cursor | None) -> dict[str, Any]:
        """Memories below ``path_prefix`` by path; with ``depth`` 1 the deeper ones are one ``memory_prefix`` each."""
        prefix = check_prefix(path_prefix) if path_prefix else "/"
        with self.backend.lock:
            s = self._store(store_id)
            items: builtins.list[dict[str, Any]] = []
            prefixes: set = set()
            for m in s.memories.values():
                if not m["path"].startswith(prefix):
                    continue
                rest = m["path"][len(prefix):].split("/")
                if depth and len(rest) > depth:
                    prefixes.add(prefix + "/".join(rest[:depth]) + "/")
                else:
                    items.append({"_kind": "memory", "path": m["path"], "m": m})
            items += [{"_kind": "memory_prefix", "path": p} for p in prefixes]
            n = min(limit, FULL_VIEW_LIMIT) if view == "full" else limit
            out = paginate(items, lambda x: (x["path"],), limit=n, page=page, descending=False)
            out["data"] = [self._memory_view(x["m"], view) if x["_kind"] == "memory"
                           else {"type": "memory_prefix", "path": x["path"]} for x in out["data"]]
            return out

    def delete_memory(self, store_id: str, memory_id: str, expected_content_sha256: str | None) -> dict[str, Any]:
        with self.backend.lock:
            s = self._store(store_id)
            m = self._memory(s, memory_id)
            if expected_content_sha256 is not None and expected_content_sha256 != m["content_sha256"]:
                raise MemoryPreconditionFailed(
                    f"expected_content_sha256 does not match memory {memory_id!r} (it changed since you read it): "
                    "nothing was deleted. Retrieve it again and decide with what it holds now.")
            self._record(s, m, "deleted", self.api_actor)
            del s.memories[memory_id]
        return {"id": memory_id, "type": "memory_deleted"}

    # ---------------------------------------------------------------- versions
    def _version(self, s: _Store, version_id: str) -> dict[str, Any]:
        return get_or_404({v["id"]: v for v in s.versions}, "memory version", version_id,
                          f"List them with client.beta.memory_stores.memory_versions.list({s.id!r}).")

    def list_versions(self, store_id: str, *, filters: dict[str, Any], created_at: TimeRange, view: str, limit: int,
                      page: Cursor | None) -> dict[str, Any]:
        """Newest first. ``filters``: any of memory_id, operation, session_id, api_key_id, service_account_id."""
        with self.backend.lock:
            s = self._store(store_id)
            items = [v for v in s.versions if created_at.contains(parse_time(v["created_at"], "created_at"))
                     and all(_version_matches(v, k, want) for k, want in filters.items() if want is not None)]
            n = min(limit, FULL_VIEW_LIMIT) if view == "full" else limit
            out = paginate(items, lambda v: (v["created_at"], v["id"]), limit=n, page=page, descending=True)
            out["data"] = [self._version_view(v, view) for v in out["data"]]
            return out

    def get_version(self, store_id: str, version_id: str, view: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._version_view(self._version(self._store(store_id), version_id), view)

    def redact(self, store_id: str, version_id: str) -> dict[str, Any]:
        """Erase what the version held (content, path, size, hash); ``created_by`` stays. Idempotent; the memory's
        current content is untouched (inference: the docs say neither)."""
        with self.backend.lock:
            v = self._version(self._store(store_id), version_id)
            if not v["redacted_at"]:
                v.update(content=None, path=None, content_sha256=None, content_size_bytes=None,
                         redacted_at=rfc3339(now()), redacted_by=copy.deepcopy(self.api_actor))
            return self._version_view(v, "full")

    # ---------------------------------------------------------------- sessions, replay, dreams
    def attach(self, r: dict[str, Any]) -> dict[str, Any]:
        """The session resource for a ``{"type": "memory_store", ...}`` param: the store's name and description
        snapshotted, mounted at /mnt/memory/<slug>, ``access`` read_write unless read_only."""
        s = self._store(r["memory_store_id"])
        if s.data["archived_at"]:
            raise InvalidRequest(f"resources: memory store {s.id!r} is archived and cannot be attached to new "
                                 "sessions. Attach an active store.")
        instructions = r.get("instructions")
        if instructions is not None and len(instructions) > MAX_INSTRUCTIONS:
            raise InvalidRequest(f"resources: instructions of memory store {s.id!r} are {len(instructions):,} "
                                 f"characters; at most {MAX_INSTRUCTIONS:,}.")
        return {"type": "memory_store", "memory_store_id": s.id, "access": r.get("access") or "read_write",
                "name": s.data["name"], "description": s.data["description"], "instructions": instructions,
                "mount_path": f"{MOUNT_ROOT}/{slug(s.data['name'])}"}

    def memory_at(self, store_id: str, path: str) -> dict[str, Any] | None:
        s = self.stores.get(store_id)
        return None if s is None else s.by_path(path)

    def paths(self, store_id: str) -> builtins.list[str]:
        s = self.stores.get(store_id)
        return sorted(m["path"] for m in s.memories.values()) if s else []

    def contents(self, store_id: str) -> dict[str, str]:
        """``{path: content}`` of the store's memories (what a dream reads and copies)."""
        return {m["path"]: m["_content"] for m in self._store(store_id).memories.values()}

    def copy_store(self, store_id: str, name: str, actor: dict[str, Any] | None) -> str:
        """A new store holding the memories of ``store_id`` (a dream's ``create_new`` output); returns its id."""
        src = self._store(store_id)
        out = self.create({"name": name[:255], "description": src.data["description"]})
        for path, content in sorted(self.contents(store_id).items()):
            self.write(out["id"], path, content, actor)
        return out["id"]

    def delete_path(self, store_id: str, path: str, actor: dict[str, Any] | None) -> None:
        s = self._store(store_id)
        m = s.by_path(path)
        if m is not None:
            self._record(s, m, "deleted", actor)
            del s.memories[m["id"]]


def _version_matches(v: dict[str, Any], key: str, want: Any) -> bool:
    by = v.get("created_by") or {}
    if key in ("memory_id", "operation"):
        return v[key] == want
    return by.get(key) == want  # session_id, api_key_id, service_account_id: who wrote it
