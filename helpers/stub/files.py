"""Files (state and rules, moto's ``models`` for ``/v1/files``), beside :class:`helpers.stub.models.Backend`, which
owns one :class:`FilesBackend`.

* An upload is a file the agent can read but nobody can download (``downloadable: false``): "Not downloadable (400)"
  (https://platform.claude.com/docs/en/build-with-claude/files).
* A session gets its own instance of each file it mounts, a new id scoped to the session (:meth:`FilesBackend.
  session_copy`: "A new `file_id` is created that references the instance of the file in the session",
  managed-agents/files); deleting the session deletes them (:meth:`FilesBackend.delete_scoped`).
* What the agent writes under ``/mnt/session/outputs/`` becomes a downloadable file scoped to its session
  (:meth:`FilesBackend.save_outputs`; outputs.py says which tool calls write one); the same name again replaces it.
* ``list`` with ``ids`` gives exactly those files as one page; with ``scope_id``, a session's files.
"""
from __future__ import annotations

import builtins
from typing import Any

from .exceptions import InvalidRequest, get_or_404
from .utils import Cursor, new_id, now, paginate, rfc3339
from .validation import sdk_types, validate_response

__all__ = ["FilesBackend"]

#: What the stub keeps of a file: its metadata (``BetaFileMetadata``) and its bytes.
Stored = tuple[dict[str, Any], bytes]


class FilesBackend:
    """Files (``files[id]``: metadata and bytes). Uses the owning backend's lock."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.files: dict[str, Stored] = {}

    def upload(self, filename: str, content: bytes, mime_type: str) -> dict[str, Any]:
        beta, _ = sdk_types()
        meta = {"id": new_id("file"), "type": "file", "filename": filename or "unnamed", "mime_type": mime_type,
                "size_bytes": len(content), "created_at": rfc3339(now()), "downloadable": False}
        validate_response(beta.BetaFileMetadata, meta)
        with self.backend.lock:
            self.files[meta["id"]] = (meta, content)
        return meta

    def _file(self, file_id: str) -> Stored:
        return get_or_404(self.files, "file", file_id, "Upload it first with client.beta.files.upload(file=open(path, 'rb')) "
                                                       "and use the returned .id.")

    def exists(self, file_id: str) -> bool:
        return file_id in self.files

    def get(self, file_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._file(file_id)[0]

    def content(self, file_id: str) -> Stored:
        with self.backend.lock:
            meta, content = self._file(file_id)
        if not meta.get("downloadable"):
            raise InvalidRequest(f"File {file_id!r} is not downloadable: only files the agent or its tools create "
                                 "can be downloaded, not files you uploaded (or their copies in a session). You have "
                                 "the original on your machine; its metadata is client.beta.files.retrieve_metadata(id).")
        return meta, content

    def delete(self, file_id: str) -> dict[str, Any]:
        with self.backend.lock:
            self._file(file_id)
            del self.files[file_id]
        return {"id": file_id, "type": "file_deleted"}

    def list(self, *, ids: builtins.list[str] | None, scope_id: str | None, limit: int,
             page: Cursor | None) -> dict[str, Any]:
        """``ids``: exactly these files (unknown or deleted ids are left out), as one page; else a page of all."""
        with self.backend.lock:
            items = [m for m, _ in self.files.values()]
        if ids is not None:
            items = [m for m in items if m["id"] in set(ids)]
            items.sort(key=lambda m: (m["created_at"], m["id"]), reverse=True)
            return {"data": items, "next_page": None}
        if scope_id:
            items = [m for m in items if (m.get("scope") or {}).get("id") == scope_id]
        return paginate(items, lambda m: (m["created_at"], m["id"]), limit=limit, page=page, descending=True)

    # ---------------------------------------------------------------- a session's files
    def session_copy(self, file_id: str, session_id: str, t: str) -> tuple[str, Stored]:
        """The session's own instance of file ``file_id`` (not stored yet: :meth:`keep` stores it), with a new
        file_id scoped to the session (files.list(scope_id=session_id) lists it)."""
        meta, content = self._file(file_id)
        copy_meta = {**meta, "id": new_id("file"), "created_at": t, "downloadable": False,
                     "scope": {"type": "session", "id": session_id}}
        return copy_meta["id"], (copy_meta, content)

    def keep(self, copies: dict[str, Stored]) -> None:
        """Store the session copies :meth:`session_copy` made (once the session that holds them is made)."""
        self.files.update(copies)

    def delete_scoped(self, session_id: str) -> None:
        """The session's own instances of its files (scope: this session) are deleted with it."""
        for file_id in [f for f, (meta, _) in self.files.items() if (meta.get("scope") or {}).get("id") == session_id]:
            del self.files[file_id]

    def save_outputs(self, s: Any) -> None:
        """What the agent of session ``s`` wrote under /mnt/session/outputs/ (``s.new_outputs``): downloadable files
        scoped to its session (outputs.py). Writing the same path again replaces the file."""
        beta, _ = sdk_types()
        while s.new_outputs:
            filename, content, mime = s.new_outputs.pop(0)
            for fid, (meta, _old) in builtins.list(self.files.items()):
                if meta["filename"] == filename and meta["downloadable"] and (meta.get("scope") or {}).get("id") == s.id:
                    del self.files[fid]
            meta = {"id": new_id("file"), "type": "file", "filename": filename, "mime_type": mime,
                    "size_bytes": len(content), "created_at": rfc3339(now()), "downloadable": True,
                    "scope": {"type": "session", "id": s.id}}
            validate_response(beta.BetaFileMetadata, meta)
            self.files[meta["id"]] = (meta, content)
