"""Load and validate recordings (``data/recordings/NAME.jsonl``; format in docs/design.md).

    from helpers.stub import recordings
    recordings.available()                 # ['incident-2277', ...]
    rec = recordings.load("incident-2277")  # or a path to a .jsonl file
    rec.custom_tools, rec.lines[0].event
"""
from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..events import waits_for_confirmation
from ..sandbox import UPLOADS_DIR
from ..timestamps import parse_iso
from .validation import format_validation_error, union_members, validate_python

__all__ = ["DEFAULT_NAME", "RecordingError", "Line", "Recording", "Library", "parse", "available", "load",
           "default_dir"]

DEFAULT_NAME = "incident-2277"
#: A path a tool call reads where only a mount puts anything: the uploads directory, or a repository's /workspace/
#: (not /workspace/skills/, where the agent's skills are: mounts.py checks those against the agent's skills).
_MOUNTED = re.compile(rf"(?<![\w.-])(?:{re.escape(UPLOADS_DIR)}|/workspace(?!/skills(?:/|\b)))(?:/[\w.-]*\w)*/?")


class RecordingError(ValueError):
    """A recording file is malformed; the message names the file, the line and what is wrong."""


@dataclass
class Line:
    event: dict[str, Any]
    when: dict[str, str] | None
    ts: datetime | None
    lineno: int
    thread: str | None = None  # the recorded id of the child thread whose own event this is (None: the primary's)

    @property
    def type(self) -> str:
        return self.event["type"]

    @property
    def client_side(self) -> bool:
        return self.type.startswith("user.") or self.type == "system.message"


@dataclass
class Recording:
    name: str
    title: str
    description: str
    keywords: list[str]
    custom_tools: list[str]
    source: str
    path: Path | None
    lines: list[Line] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)

    def builtin_tools(self, thread: str | None = None) -> dict[str, set]:
        """The built-in tools the agent of ``thread`` (None: the primary thread's, the session's agent) uses in this
        recording, with the permission each call was evaluated to (``"allow"``: the tool ran at once; ``"ask"``: it
        waited for a user.tool_confirmation)."""
        out: dict[str, set] = {}
        for ln in self.lines:
            if ln.type == "agent.tool_use" and ln.thread == thread:
                out.setdefault(ln.event["name"], set()).add(ln.event.get("evaluated_permission") or "allow")
        return out

    def custom_tools_of(self, thread: str | None = None) -> list[str]:
        """The custom tools the agent of ``thread`` (None: the primary thread's) needs, in the header's order: all of
        the header's when the recording spawns no threads, else those it calls."""
        if not self.child_threads():
            return list(self.custom_tools) if thread is None else []
        used = {ln.event["name"] for ln in self.lines if ln.type == "agent.custom_tool_use" and ln.thread == thread}
        return [t for t in self.custom_tools if t in used]

    def mcp_calls(self, thread: str | None = None) -> dict[tuple[str, str], set]:
        """``{(MCP server name, tool name): evaluated permissions}`` of the agent of ``thread``'s MCP tool calls."""
        out: dict[tuple[str, str], set] = {}
        for ln in self.lines:
            if ln.type == "agent.mcp_tool_use" and ln.thread == thread:
                key = (ln.event["mcp_server_name"], ln.event["name"])
                out.setdefault(key, set()).add(ln.event.get("evaluated_permission") or "allow")
        return out

    def child_threads(self) -> dict[str, str]:
        """``{recorded thread id: agent name}`` of the session threads the recording spawns."""
        return {ln.event["session_thread_id"]: ln.event["agent_name"] for ln in self.lines
                if ln.type == "session.thread_created"}

    def sandbox_paths(self) -> list[str]:
        """The mounted paths the recorded built-in tool calls read: anything under the uploads directory, where
        mounted files land (docs: managed-agents/files, "File paths"), or under /workspace/, where a repository
        is cloned by default. Each must be mounted, or be a directory that holds a mount. Deepest first: a file
        read names what is missing better than a search of its directory."""
        found = set()
        for ln in self.lines:
            if ln.type == "agent.tool_use":
                found.update(m.rstrip("/") for m in _MOUNTED.findall(json.dumps(ln.event.get("input") or {})))
        return sorted(found, key=lambda path: (-path.count("/"), path))

    def starts_with_outcome(self) -> bool:
        """Its first client event is a user.define_outcome (the work starts with the outcome alone)."""
        first = next((ln for ln in self.lines if ln.client_side), None)
        return first is not None and first.type == "user.define_outcome"

    def matches(self, text: str) -> bool:
        low = text.lower()
        return bool(self.keywords) and all(k.lower() in low for k in self.keywords)


def default_dir() -> Path:
    from ..settings import RECORDINGS_DIR

    return Path(RECORDINGS_DIR)


def _parse_ts(value: Any) -> datetime | None:
    if not value:
        return None
    return parse_iso(str(value))


def _load_json(where: str, n: int, s: str) -> Any:
    try:
        return json.loads(s)
    except json.JSONDecodeError as e:
        raise RecordingError(f"{where}:{n}: not JSON ({e.msg} at column {e.colno}).") from None


def _parse_header(where: str, n0: int, h: Any, path: Path | None) -> Recording:
    if not isinstance(h, dict) or h.get("recording") != 1:
        raise RecordingError(f"{where}:{n0}: the header must be a JSON object with \"recording\": 1.")
    name = h.get("name") or (path.stem if path else "")
    if not isinstance(name, str) or not name:
        raise RecordingError(f"{where}:{n0}: the header needs a \"name\".")
    custom_tools = h.get("custom_tools", [])
    keywords = h.get("keywords", [])
    for key, val in (("custom_tools", custom_tools), ("keywords", keywords)):
        if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
            raise RecordingError(f"{where}:{n0}: header {key!r} must be a list of strings.")
    return Recording(name=name, title=str(h.get("title") or name), description=str(h.get("description") or ""),
                     keywords=list(keywords), custom_tools=list(custom_tools), source=str(h.get("source") or "authored"),
                     path=path, header=h)


class _LineChecker:
    """Checks the event lines of one recording in order: each a valid session event, ids unique, references to
    earlier events only."""

    def __init__(self, where: str) -> None:
        from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent

        self.where = where
        self.members = union_members(BetaManagedAgentsSessionEvent)
        self.seen: dict[str, int] = {}
        self.used_tools: dict[str, int] = {}
        self.blocking: set = set()
        self.children: set = set()  # child threads created by an earlier session.thread_created line

    def line(self, n: int, obj: Any) -> Line:
        where = self.where
        if not isinstance(obj, dict) or not isinstance(obj.get("event"), dict):
            raise RecordingError(f"{where}:{n}: each line after the header must be {{\"event\": {{...}}}}.")
        extra = set(obj) - {"event", "when", "thread"}
        if extra:
            raise RecordingError(f"{where}:{n}: unknown key(s) {sorted(extra)}; a line has \"event\" and optional "
                                 "\"when\" and \"thread\".")
        ev = obj["event"]
        self._validate(n, ev)
        thread = self._thread(n, obj.get("thread"), ev)
        when = obj.get("when")
        if when is not None and (not isinstance(when, dict) or set(when) != {"confirmation"}
                                 or when["confirmation"] not in ("allow", "deny")):
            raise RecordingError(f"{where}:{n}: \"when\" must be {{\"confirmation\": \"allow\"|\"deny\"}}.")
        self._references(n, ev)
        try:
            ts = _parse_ts(ev.get("processed_at"))
        except ValueError:
            raise RecordingError(f"{where}:{n}: processed_at {ev.get('processed_at')!r} is not RFC 3339.") from None
        return Line(event=ev, when=when, ts=ts, lineno=n, thread=thread)

    def _thread(self, n: int, thread: Any, ev: dict[str, Any]) -> str | None:
        """A line's ``thread``: a child thread created earlier (its own event), or absent (the primary's)."""
        if ev["type"] == "session.thread_created":
            if thread is not None:
                raise RecordingError(f"{self.where}:{n}: session.thread_created belongs to the primary thread (the "
                                     "thread that spawns); remove its \"thread\".")
            self.children.add(ev["session_thread_id"])
        if thread is not None and thread not in self.children:
            raise RecordingError(f"{self.where}:{n}: \"thread\" {thread!r} is not a thread created by an earlier "
                                 "session.thread_created line.")
        return thread

    def _validate(self, n: int, ev: dict[str, Any]) -> None:
        from pydantic import ValidationError

        model = self.members.get(ev.get("type"))
        if model is None:
            raise RecordingError(f"{self.where}:{n}: unknown event type {ev.get('type')!r}.")
        try:
            validate_python(model, ev)
        except ValidationError as e:
            raise RecordingError(f"{self.where}:{n}: the {ev.get('type', '?')} event does not validate as a session "
                                 f"event: {format_validation_error(e, [])}.") from None

    def _references(self, n: int, ev: dict[str, Any]) -> None:
        where = self.where
        if ev["id"] in self.seen:
            raise RecordingError(f"{where}:{n}: event id {ev['id']!r} already used on line {self.seen[ev['id']]}.")
        self.seen[ev["id"]] = n
        if ev["type"] == "agent.custom_tool_use":
            self.used_tools.setdefault(ev["name"], n)
            self.blocking.add(ev["id"])
        if waits_for_confirmation(ev):
            self.blocking.add(ev["id"])
        if ev["type"] == "session.status_idle" and ev["stop_reason"]["type"] == "requires_action":
            odd = [i for i in ev["stop_reason"]["event_ids"] if i not in self.blocking]
            if odd:
                raise RecordingError(f"{where}:{n}: requires_action names {odd}, which are not earlier "
                                     "agent.custom_tool_use events or tool uses with evaluated_permission 'ask'.")
        if ev["type"] == "user.custom_tool_result" and ev["custom_tool_use_id"] not in self.seen:
            raise RecordingError(f"{where}:{n}: custom_tool_use_id {ev['custom_tool_use_id']!r} does not match an "
                                 "earlier agent.custom_tool_use.")
        if ev["type"] in ("session.deleted",):
            raise RecordingError(f"{where}:{n}: a recording cannot contain {ev['type']}.")


def parse(text: str, path: Path | None = None) -> Recording:
    """Parse and validate a recording's text. Raises :class:`RecordingError`."""
    where = str(path) if path else "<recording>"
    rows = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    if not rows:
        raise RecordingError(f"{where}: empty file; line 1 must be the header {{\"recording\": 1, \"name\": ...}}.")
    n0 = rows[0][0]
    rec = _parse_header(where, n0, _load_json(where, *rows[0]), path)
    check = _LineChecker(where)
    for n, s in rows[1:]:
        rec.lines.append(check.line(n, _load_json(where, n, s)))
    missing = sorted(set(check.used_tools) - set(rec.custom_tools))
    if missing:
        raise RecordingError(f"{where}:{check.used_tools[missing[0]]}: agent.custom_tool_use of {missing} but the "
                             f"header's custom_tools is {rec.custom_tools}; add them to custom_tools.")
    if not any(ln.type in ("user.message", "user.define_outcome") for ln in rec.lines):
        raise RecordingError(f"{where}: no user.message or user.define_outcome line; a recording starts with what the "
                             "learner sends to start the work.")
    return rec


class Library:
    """The recordings in one directory, loaded lazily and re-read when a file changes."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory else default_dir()
        self._cache: dict[Path, tuple] = {}
        self._lock = threading.Lock()

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.jsonl"))

    def _load(self, path: Path) -> Recording:
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._cache.get(path)
            if hit and hit[0] == key:
                return hit[1]
        rec = parse(path.read_text(encoding="utf-8"), path)
        with self._lock:
            self._cache[path] = (key, rec)
        return rec

    def all(self) -> list[Recording]:
        out = []
        for p in self._files():
            try:
                out.append(self._load(p))
            except RecordingError:
                import logging

                logging.getLogger("helpers.stub").exception("skipping invalid recording %s", p)
        return out

    def names(self) -> list[str]:
        return [r.name for r in self.all()]

    def get(self, name: str) -> Recording | None:
        for r in self.all():
            if r.name == name:
                return r
        return None


def available(recordings_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the valid recordings in ``recordings_dir`` (default: data/recordings)."""
    return Library(recordings_dir).names()


def load(name_or_path: str | os.PathLike, recordings_dir: str | os.PathLike | None = None) -> Recording:
    """Load a recording by name (from ``recordings_dir``) or by path; raises RecordingError / FileNotFoundError."""
    p = Path(name_or_path)
    if p.suffix == ".jsonl" or p.exists():
        return parse(p.read_text(encoding="utf-8"), p)
    lib = Library(recordings_dir)
    rec = lib.get(str(name_or_path))
    if rec is None:
        raise FileNotFoundError(f"no recording named {str(name_or_path)!r} in {lib.directory}; "
                                f"available: {lib.names()}")
    return rec
