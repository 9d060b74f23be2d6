"""Server-sent events: how a stored event is framed on the wire, and :class:`Subscriber`, one open stream.

A subscriber is written to by whoever emits an event (under the backend lock, so frames never interleave and order
is kept); the server thread that owns the connection only sends keepalives and waits for ``done``.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

__all__ = ["StoredEvent", "Subscriber", "delta_frames", "error_frame", "stream_head", "END_STREAM"]

#: Events after which a stream ends.
END_STREAM = ("session.status_terminated", "session.deleted")


def stream_head(request_id: str) -> bytes:
    """The HTTP response head of an SSE stream (the connection closes when the stream ends)."""
    return ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
            f"connection: close\r\nrequest-id: {request_id}\r\n\r\n").encode()


def error_frame(body: dict[str, Any]) -> bytes:
    """An SSE ``error`` frame: the SDK raises it as an APIStatusError in the reader's loop."""
    return f"event: error\ndata: {json.dumps(body)}\n\n".encode()


class StoredEvent:
    """One event of a session's history, with its SSE frame made once (every stream sends the same bytes)."""

    __slots__ = ("seq", "data", "ts", "type", "frame")

    def __init__(self, seq: int, data: dict[str, Any], ts: datetime) -> None:
        self.seq = seq
        self.data = data
        self.ts = ts
        self.type = data["type"]
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self.frame = f"event: {self.type}\ndata: {payload}\n\n".encode()


def delta_frames(ev: StoredEvent, deltas: set) -> bytes:
    """Preview frames (event_start, event_delta...) sent before a final agent.message / agent.thinking."""
    if ev.type not in deltas:
        return b""
    eid = ev.data["id"]
    out: list[dict[str, Any]] = [{"type": "event_start", "event": {"type": ev.type, "id": eid}}]
    if ev.type == "agent.message":
        for i, block in enumerate(ev.data.get("content") or []):
            text = block.get("text") if block.get("type") == "text" else None
            if text is None:
                break  # previews cover leading text blocks only
            for k in range(0, max(len(text), 1), 32):
                out.append({"type": "event_delta", "event_id": eid, "delta": {
                    "type": "content_delta", "index": i, "content": {"type": "text", "text": text[k:k + 32]}}})
    return b"".join(f"event: {o['type']}\ndata: {json.dumps(o, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()
                    for o in out)


class Subscriber:
    """One open SSE stream. Events are written straight to its socket by whoever emits them (under the backend
    lock, so frames never interleave and order is kept); the server thread that owns the connection only sends
    keepalives and waits for ``done``."""

    def __init__(self, write: Callable[[bytes], Any], deltas: Sequence[str] = (), cut_after: int | None = None) -> None:
        self.write = write
        self.deltas = set(deltas)
        self.cut_after = cut_after
        self.sent = 0
        self.last_activity = time.monotonic()  # when this stream last carried an event (or opened)
        self.done = threading.Event()

    def deliver(self, ev: StoredEvent) -> None:
        if self.done.is_set():
            return
        try:
            self.write(delta_frames(ev, self.deltas) + ev.frame if self.deltas else ev.frame)
        except OSError:  # the client went away (or stopped reading for too long)
            self.close()
            return
        self.sent += 1
        self.last_activity = time.monotonic()
        if ev.type in END_STREAM or (self.cut_after is not None and self.sent >= self.cut_after):
            self.close()

    def keepalive(self) -> None:
        if self.done.is_set():
            return
        try:
            self.write(b": keepalive\n\n")
        except OSError:
            self.close()

    def close(self) -> None:
        self.done.set()
