"""Dreams (state and rules, moto's ``models`` for ``/v1/dreams``), beside :class:`helpers.stub.models.Backend`, which
owns one :class:`DreamsBackend`.

Behaviour follows the SDK's docstrings (``resources/beta/dreams.py``, ``BetaDream``, ``BetaDreamStatus``) and
https://platform.claude.com/docs/en/managed-agents/dreams; docs/design.md ("Skills, memory stores and dreams") cites
each rule:

* ``create`` takes exactly one ``memory_store`` input (an active store) and exactly one ``sessions`` input (1-100
  distinct ids, listed sorted in responses), a ``model`` (during the research preview ``claude-opus-4-7`` or
  ``claude-sonnet-4-6``; the object form's ``speed`` only ``standard``), optional ``instructions`` (1-4,096
  characters) and ``output_behavior`` (``create_new``, the default, or ``update_existing`` naming the input store;
  409 while another ``update_existing`` dream on that store has not stopped). It returns the dream ``pending``, with
  empty ``outputs`` and zero usage.
* Status moves ``pending`` -> ``running`` -> ``completed``. Once ``running``, ``outputs`` names the store the dream
  writes: a new one that starts as a copy of the input (``create_new``; the input store is never modified), or the
  input store itself. ``completed``, ``failed`` and ``canceled`` are final; ``ended_at`` is set then.
* ``cancel`` stops a pending or running dream (the output store keeps what was written); canceling a canceled dream
  returns it unchanged; a completed or failed one is a 400. ``archive`` hides a final dream from the default list; a
  pending or running one is a 400; an archived one is returned unchanged. ``list`` is newest first, without archived
  dreams unless ``include_archived``, filtered by ``statuses`` and ``created_at[gt|lt]``.

Offline: a dream is played from a recorded result (``data/recordings/dreams/NAME.json``, authored from the docs): the
first result whose ``input_paths`` the input store holds; none fits, a 400 says what would. At ``instant`` speed each
look at a dream (``retrieve`` or a ``list`` that shows it) moves it one status on, so a polling loop sees every
status; at a numeric speed the recorded durations pass, divided by the speed. No session runs the dream:
``session_id`` stays null offline.
"""
from __future__ import annotations

import builtins
import copy
import json
import time
from pathlib import Path
from typing import Any, NamedTuple

from .exceptions import Conflict, InvalidRequest, get_or_404
from .utils import Cursor, TimeRange, new_id, now, paginate, parse_time, rfc3339
from .validation import sdk_types, validate_response

__all__ = ["DreamsBackend", "DreamResult", "load_results", "DREAM_MODELS", "FINAL"]

#: The models the research preview runs dreams with (managed-agents/dreams, "Create a dream").
DREAM_MODELS = ("claude-opus-4-7", "claude-sonnet-4-6")
FINAL = ("completed", "failed", "canceled")
_STATUSES = ("pending", "running", "completed")
_ZERO = {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


class DreamResult(NamedTuple):
    """A recorded dream: what the input store must hold, how long each status lasted, the usage, and what the dream
    wrote into (and deleted from) its output store."""

    name: str
    input_paths: tuple
    pending_seconds: float
    running_seconds: float
    usage: dict
    write: dict
    delete: tuple


def load_results(directory: Path | None) -> builtins.list[DreamResult]:
    """The recorded dream results in ``directory/dreams/*.json``, by name."""
    out = []
    folder = Path(directory) / "dreams" if directory else None
    for path in sorted(folder.glob("*.json")) if folder and folder.is_dir() else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        out.append(DreamResult(doc["name"], tuple(doc["input_paths"]), float(doc["pending_seconds"]),
                               float(doc["running_seconds"]), dict(doc["usage"]), dict(doc["write"]),
                               tuple(doc["delete"])))
    return out


def _check_inputs(inputs: builtins.list[dict[str, Any]]) -> tuple[str, builtins.list[str]]:
    stores = [i for i in inputs if i.get("type") == "memory_store"]
    sessions = [i for i in inputs if i.get("type") == "sessions"]
    if len(stores) != 1 or len(sessions) != 1 or len(inputs) != 2:
        raise InvalidRequest("inputs: give exactly one memory_store entry and exactly one sessions entry, e.g. "
                             "[{\"type\": \"memory_store\", \"memory_store_id\": store.id}, {\"type\": \"sessions\", "
                             "\"session_ids\": [session.id]}].")
    ids = list(sessions[0]["session_ids"])
    if not 1 <= len(ids) <= 100 or len(set(ids)) != len(ids):
        raise InvalidRequest(f"inputs.sessions.session_ids: 1 to 100 distinct session ids, got {len(ids)}"
                             f"{' with duplicates' if len(set(ids)) != len(ids) else ''}.")
    return stores[0]["memory_store_id"], ids


def _check_model(model: Any) -> dict[str, Any]:
    mid = model if isinstance(model, str) else model.get("id")
    speed = None if isinstance(model, str) else model.get("speed")
    if mid not in DREAM_MODELS:
        raise InvalidRequest(f"model: {mid!r} does not run dreams; during the research preview use "
                             f"{' or '.join(DREAM_MODELS)} (managed-agents/dreams).")
    if speed not in (None, "standard"):
        raise InvalidRequest(f"model.speed: dreams run only at 'standard' speed, not {speed!r}.")
    return {"id": mid, "speed": "standard"}


class DreamsBackend:
    """Dreams. Uses the owning backend's lock, its memory stores, its sessions and its replay speed."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.dreams: dict[str, dict[str, Any]] = {}

    def results(self) -> builtins.list[DreamResult]:
        return load_results(self.backend.library.directory)

    # ---------------------------------------------------------------- lookups, views, the clock
    def _dream(self, dream_id: str) -> dict[str, Any]:
        return get_or_404(self.dreams, "dream", dream_id, "Create one with client.beta.dreams.create(...) and use its .id; list "
                                                          "yours with client.beta.dreams.list().")

    @staticmethod
    def _view(d: dict[str, Any]) -> dict[str, Any]:
        beta, _ = sdk_types()
        return validate_response(beta.BetaDream, {k: copy.deepcopy(v) for k, v in d.items() if not k.startswith("_")})

    def _due(self, d: dict[str, Any], looked: bool) -> int:
        """The status index ``d`` has reached: one more per look at ``instant`` speed, else by the recorded clock."""
        speed = self.backend.speed
        if speed == "instant":
            if looked:
                d["_looks"] += 1
            return min(d["_looks"], 2)
        elapsed = (time.monotonic() - d["_started"]) * float(speed)
        r: DreamResult = d["_result"]
        return 0 if elapsed < r.pending_seconds else 1 if elapsed < r.pending_seconds + r.running_seconds else 2

    def _advance(self, d: dict[str, Any], looked: bool = True) -> None:
        if d["status"] in FINAL:
            return
        target = self._due(d, looked)
        if target >= 1 and d["status"] == "pending":
            self._start(d)
        if target >= 2 and d["status"] == "running":
            self._complete(d)

    def _start(self, d: dict[str, Any]) -> None:
        mem = self.backend.memory
        src = d["inputs"][0]["memory_store_id"]
        out = src if d["output_behavior"]["type"] == "update_existing" else \
            mem.copy_store(src, mem.stores[src].data["name"], None)
        d["outputs"] = [{"type": "memory_store", "memory_store_id": out}]
        r: DreamResult = d["_result"]
        d["usage"] = {k: v // 2 for k, v in r.usage.items()}  # usage updates while it runs
        d["status"] = "running"

    def _complete(self, d: dict[str, Any]) -> None:
        mem, r = self.backend.memory, d["_result"]
        out = d["outputs"][0]["memory_store_id"]
        if out in mem.stores:
            for path in r.delete:
                mem.delete_path(out, path, None)
            for path, content in sorted(r.write.items()):
                mem.write(out, path, content, None, check_archived=False)
        d.update(status="completed", usage=dict(r.usage), ended_at=rfc3339(now()))

    # ---------------------------------------------------------------- the API
    def _fit(self, store_id: str) -> DreamResult:
        paths = set(self.backend.memory.paths(store_id))
        results = self.results()
        for r in results:
            if set(r.input_paths) <= paths:
                return r
        wanted = "; ".join(f"{r.name!r} needs {list(r.input_paths)}" for r in results) or "none is recorded"
        raise InvalidRequest(f"(offline stub) no recorded dream fits memory store {store_id!r} (it holds "
                             f"{sorted(paths) or 'no memories'}): {wanted}. Offline a dream is played from a recording "
                             "of one; live, any store can dream.")

    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``DreamCreateParams``."""
        store_id, session_ids = _check_inputs(list(p["inputs"]))
        model = _check_model(p["model"])
        instructions = p.get("instructions")
        if instructions is not None and not 1 <= len(instructions) <= 4096:
            raise InvalidRequest(f"instructions: 1 to 4,096 characters, got {len(instructions):,}.")
        behavior = dict(p.get("output_behavior") or {"type": "create_new"})
        with self.backend.lock:
            store = self.backend.memory._store(store_id)
            if store.data["archived_at"]:
                raise InvalidRequest(f"inputs.memory_store: memory store {store_id!r} is archived; a dream reads an "
                                     "active store.")
            for sid in session_ids:
                self.backend.sessions.get(sid)  # 404 for an unknown session
            self._check_behavior(behavior, store_id)
            result = self._fit(store_id)
            d = {"id": new_id("drm"), "type": "dream", "status": "pending", "created_at": rfc3339(now()),
                 "ended_at": None, "archived_at": None, "error": None, "instructions": instructions, "model": model,
                 "inputs": [{"type": "memory_store", "memory_store_id": store_id},
                            {"type": "sessions", "session_ids": sorted(session_ids)}],
                 "output_behavior": behavior, "outputs": [], "session_id": None, "usage": dict(_ZERO),
                 "_result": result, "_looks": 0, "_started": time.monotonic()}
            view = self._view(d)
            self.dreams[d["id"]] = d
            return view

    def _check_behavior(self, behavior: dict[str, Any], store_id: str) -> None:
        if behavior["type"] != "update_existing":
            return
        if behavior.get("memory_store_id") != store_id:
            raise InvalidRequest("output_behavior.memory_store_id: update_existing writes into the input store, so it "
                                 f"must be {store_id!r} (the memory_store entry of inputs).")
        busy = [d["id"] for d in self.dreams.values() if d["status"] not in FINAL
                and d["output_behavior"]["type"] == "update_existing"
                and d["inputs"][0]["memory_store_id"] == store_id]
        if busy:
            raise Conflict(f"memory store {store_id!r} is being rewritten by dream {busy[0]!r} (update_existing); wait "
                           "until it stops, or cancel it, then try again.")

    def get(self, dream_id: str) -> dict[str, Any]:
        with self.backend.lock:
            d = self._dream(dream_id)
            self._advance(d)
            return self._view(d)

    def list(self, *, include_archived: bool, statuses: builtins.list[str], created_at: TimeRange, limit: int,
             page: Cursor | None) -> dict[str, Any]:
        with self.backend.lock:
            for d in self.dreams.values():
                self._advance(d, looked=include_archived or not d["archived_at"])
            items = [d for d in self.dreams.values() if (include_archived or not d["archived_at"])
                     and (not statuses or d["status"] in statuses)
                     and created_at.contains(parse_time(d["created_at"], "created_at"))]
            out = paginate(items, lambda d: (d["created_at"], d["id"]), limit=limit, page=page, descending=True)
            out["data"] = [self._view(d) for d in out["data"]]
            return out

    def cancel(self, dream_id: str) -> dict[str, Any]:
        with self.backend.lock:
            d = self._dream(dream_id)
            self._advance(d, looked=False)
            if d["status"] in ("completed", "failed"):
                raise InvalidRequest(f"dream {dream_id!r} is {d['status']}: only a pending or running dream can be "
                                     "canceled.")
            if d["status"] != "canceled":  # canceling a canceled dream returns it unchanged
                d.update(status="canceled", ended_at=rfc3339(now()))
            return self._view(d)

    def archive(self, dream_id: str) -> dict[str, Any]:
        with self.backend.lock:
            d = self._dream(dream_id)
            self._advance(d, looked=False)
            if d["status"] not in FINAL:
                raise InvalidRequest(f"dream {dream_id!r} is {d['status']}: cancel it first (client.beta.dreams.cancel"
                                     "), then archive it; only completed, failed and canceled dreams can be archived.")
            if not d["archived_at"]:
                d["archived_at"] = rfc3339(now())
            return self._view(d)
