"""A stream's ``timeout`` is its deadline: the rule that makes a loop that forgets to stop fail the same way, with the
same message, offline and live.

A session's event stream stays open while the session idles (``session.status_idle`` is a pause, not an end), so a
loop that misses a pause waits for more. For the SDK, ``events.stream(session_id, timeout=60)`` is an HTTP read
timeout: it fires only after 60 s with no bytes at all, and a server that keeps the connection alive with SSE
comments or ``event: ping`` frames (the SDK skips both: ``anthropic/_streaming.py``; the stub sends ``: keepalive``
every few seconds) resets it forever. No documentation says whether the live stream sends keepalives while a
session idles, so the workshop does not depend on it: the HTTP client of :func:`helpers.connect` (offline and live)
ends every ``text/event-stream`` response once its read timeout has passed since it opened, whatever arrived
meanwhile, and the read raises :class:`StreamDeadline` in the loop that was reading it. Its message says what the
stream saw last (the session idle and why, the calls it waits on, or nothing at all), and what to fix.

Only streams are affected; every other request keeps the SDK's timeouts. ``helpers.loop.run`` passes what is left of
its own deadline as each stream's timeout, so the two agree.
"""
from __future__ import annotations

import functools
import importlib
import json
import socket
import threading
import time
from typing import Any

import anthropic  # imported by helpers.client before this module, which only it imports

__all__ = ["StreamDeadline", "DeadlineStream", "deadline_of", "is_event_stream", "with_deadline"]

#: How much of the stream's tail is kept to say what it carried last (a frame is rarely longer).
TAIL_BYTES = 64 * 1024


class StreamDeadline(anthropic.AnthropicError, TimeoutError):
    """A session's stream outlived its ``timeout``: the loop reading it never stopped.

    An :class:`anthropic.AnthropicError`, because it is raised from inside the SDK's reading of the stream, and the
    SDK lets its own errors through unchanged: from 2.17 (``anthropic/_streaming.py``, ``iter_response_bytes``) every
    other exception raised while the body is read becomes ``APIConnectionError("Connection error.")``, which would
    hide this message (2.14 let any exception through). A ``TimeoutError`` too, for code that catches those."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.message = message
        self.seconds = seconds

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:  # IPython shows only the message, as for a check
        return [f"StreamDeadline: {self.message}"]


def is_event_stream(response: Any) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/event-stream")


def deadline_of(request: Any) -> float | None:
    """The read timeout the request was sent with (the SDK's ``timeout=``), in seconds; None: no deadline."""
    timeout = (getattr(request, "extensions", None) or {}).get("timeout") or {}
    read = timeout.get("read") if isinstance(timeout, dict) else None
    return float(read) if isinstance(read, (int, float)) and read > 0 else None


def with_deadline(response: Any, seconds: float) -> None:
    """Give a streamed response its deadline: its body ends with :class:`StreamDeadline` at ``seconds``."""
    # The body must stay a SyncByteStream of the response's own HTTP library (httpx2 today, httpx before).
    base = importlib.import_module(type(response).__module__.split(".")[0]).SyncByteStream
    response.stream = _stream_class(base)(response.stream, response, seconds)


@functools.cache
def _stream_class(base: type) -> type:
    return type("DeadlineStream", (DeadlineStream, base), {})


class DeadlineStream:
    """Wraps a streamed response body: at ``seconds`` after it opened, the read ends with :class:`StreamDeadline`.

    A timer shuts the socket down at the deadline (that wakes a read blocked in another thread; closing alone would
    not), and every chunk read is checked against the clock too, so keepalives cannot keep the stream going."""

    def __init__(self, inner: Any, response: Any, seconds: float) -> None:
        self.inner, self.response, self.seconds = inner, response, seconds
        self.opened = time.monotonic()
        self.expired = threading.Event()
        self.tail = b""
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True
        self.timer.start()

    def _expire(self) -> None:
        self.expired.set()
        try:
            self.response.extensions["network_stream"].get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        except Exception:  # no socket to shut (already closed, or a transport without one): the chunk check remains
            pass

    def _late(self) -> bool:
        return self.expired.is_set() or time.monotonic() - self.opened >= self.seconds

    def __iter__(self):
        try:
            for chunk in self.inner:
                if self._late():
                    raise self._deadline()
                self.tail = (self.tail + chunk)[-TAIL_BYTES:]
                yield chunk
        except StreamDeadline:
            raise
        except Exception:
            if self._late():
                raise self._deadline() from None
            raise
        if self._late():
            raise self._deadline()

    def close(self) -> None:
        self.timer.cancel()
        self.inner.close()

    def _deadline(self) -> StreamDeadline:
        self.timer.cancel()
        return StreamDeadline(deadline_message(self.tail, self.seconds), self.seconds)


def _frames(tail: bytes) -> list[dict]:
    """The complete event frames in the stream's tail, parsed (keepalives, pings and cut frames left out)."""
    out = []
    for block in tail.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n\n")[:-1]:
        kind = data = None
        for line in block.split("\n"):
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data = (data + "\n" if data else "") + line[5:].lstrip()
        if kind and kind != "ping" and data:
            try:
                out.append(json.loads(data))
            except ValueError:
                continue
    return out


def deadline_message(tail: bytes, seconds: float) -> str:
    """What a loop that was still reading at its deadline is told: what the stream saw last, and the fix."""
    frames = _frames(tail)
    head = f"This stream was still open after its timeout ({seconds:g} s): your loop kept reading. "
    if not frames:
        return head + ("It received no events at all: they happened before it opened, or none was sent. Open the "
                       "stream first (with client.beta.sessions.events.stream(...) as stream:), then send your message "
                       "inside the with block.")
    last = frames[-1]
    kind = last.get("type")
    if kind == "session.status_idle":
        reason = (last.get("stop_reason") or {}).get("type", "end_turn")
        ids = (last.get("stop_reason") or {}).get("event_ids") or []
        head += f"The session has been idle ({reason}) since its last event, and an idle stream stays open. "
        if reason == "requires_action":
            return head + (f"It waits for an answer to {', '.join(ids)}. Stop on every pause: break on "
                           "session.status_idle (and session.status_terminated); or, if your loop answers tool calls "
                           "(notebook 04), answer each one and keep reading only while the idle waits for calls you "
                           "answered.")
        return head + ("Break out of the loop on session.status_idle when its stop_reason is not requires_action, "
                       "and on session.status_terminated.")
    if kind in ("session.status_terminated", "session.deleted"):
        return head + f"The session ended ({kind}): break on it."
    return head + (f"The session was still working (the last event was {kind}): pass a longer timeout=, or follow a "
                   "long run with helpers.loop.run(client, session_id), which reconnects and stops for you.")
