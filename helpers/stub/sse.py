"""Server-sent events: how a stored event is framed on the wire, and :class:`Subscriber`, one open stream.

Whoever emits an event (under the backend lock, so order is kept) only queues its frame on each subscriber; the
server thread that owns the connection writes them out, outside any lock, so a slow reader delays nobody else.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ..events import TERMINAL_EVENTS

__all__ = ["StoredEvent", "Subscriber", "delta_frames", "error_frame", "stream_head"]


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
    """One open SSE stream. Whoever emits an event (under the backend lock) only *queues* its frame here, in order;
    the server thread that owns the connection writes the queue out (:meth:`pump`), outside any lock, and sends the
    keepalives. So a client that stops reading stalls nobody: once more than :data:`MAX_BACKLOG` bytes wait for it
    (behind the frame its writer takes next), the stream is dropped with an ``error`` frame (the SDK raises it in
    the reader's loop), and a write its socket does not take within the server's write timeout closes the
    connection.

    ``done`` is set once the stream takes no more frames (ended, dropped or closed); the writer then sends what is
    queued and returns."""

    #: Bytes a stream may have queued and unsent before it is dropped as one that cannot keep up.
    MAX_BACKLOG = 4 * 1024 * 1024

    def __init__(self, write: Callable[[bytes], Any], deltas: Sequence[str] = (), cut_after: int | None = None) -> None:
        self.write = write
        self.deltas = set(deltas)
        self.cut_after = cut_after
        self.sent = 0
        self.last_activity = time.monotonic()  # when this stream last carried an event (or opened)
        self.done = threading.Event()
        self.dropped = False
        self._queue: deque[bytes] = deque()
        self._backlog = 0
        self._cond = threading.Condition(threading.Lock())

    # ---------------------------------------------------------------- the emitters' side (never blocks)
    def push(self, frame: bytes) -> None:
        """Queue bytes for the writer. A reader with more than MAX_BACKLOG bytes waiting behind the frame its writer
        takes next is dropped with an error frame instead. Neither the new frame nor the next one counts: a reader
        that is caught up takes an event of any size the API accepts (a request body up to 32 MB), even when the
        next event comes before its writer thread has woken up to take the big one."""
        with self._cond:
            if self.done.is_set():
                return
            if self._queue and self._backlog - len(self._queue[0]) > self.MAX_BACKLOG:
                self._queue.clear()
                self._queue.append(error_frame({"type": "error", "error": {
                    "type": "overloaded_error", "message": (
                        f"This stream was dropped: its reader fell more than {self.MAX_BACKLOG // 1024 // 1024} MB "
                        "behind. Read the stream as it arrives (or open a new one and list the history with "
                        "events.list to catch up).")}}))
                self.dropped = True
                self.done.set()
            else:
                self._queue.append(frame)
                self._backlog += len(frame)
            self._cond.notify()

    def deliver(self, ev: StoredEvent) -> None:
        if self.done.is_set():
            return
        self.push(delta_frames(ev, self.deltas) + ev.frame if self.deltas else ev.frame)
        self.sent += 1
        self.last_activity = time.monotonic()
        if ev.type in TERMINAL_EVENTS or (self.cut_after is not None and self.sent >= self.cut_after):
            self.close()

    def keepalive(self) -> None:
        with self._cond:
            idle = not self._queue
        if idle:
            self.push(b": keepalive\n\n")

    def close(self, final: bytes = b"") -> None:
        """Take no more frames (``final``, if given, is the last); the writer sends what is queued, then returns."""
        if final:
            self.push(final)
        with self._cond:
            self.done.set()
            self._cond.notify()

    # ---------------------------------------------------------------- the connection's own thread
    def pump(self, interval: float, tick: Callable[[], None]) -> None:
        """Write queued frames as they come, until the stream is done and drained; call ``tick`` (keepalives, the
        idle check) after ``interval`` seconds without a frame. Returns when done or when the client is gone."""
        while True:
            with self._cond:
                if not self._queue and not self.done.is_set():
                    self._cond.wait(interval)
                frames = list(self._queue)
                self._queue.clear()
                self._backlog = 0
                finished = self.done.is_set()
            if frames:
                try:
                    self.write(b"".join(frames))
                except OSError:  # the client went away, or stopped reading for the whole write timeout
                    self.close()
                    return
            elif finished:
                return
            else:
                tick()
