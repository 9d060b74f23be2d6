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

That wait is never silent: once the session has paused (``session.status_idle``) or ended and the loop has asked for
more, :data:`NOTICE_AFTER` seconds without a new event print one line saying so (how the session stopped, how long
the cell will wait, that a ``break`` may be missing). A loop that reads on through a pause it answered (notebook 04)
gets its next event first and sees nothing.

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

from .i18n import _, ngettext

__all__ = ["StreamDeadline", "DeadlineStream", "NOTICE_AFTER", "deadline_of", "is_event_stream", "wait_notice",
           "with_deadline"]

#: How much of the stream's tail is kept to say what it carried last (a frame is rarely longer).
TAIL_BYTES = 64 * 1024
#: Seconds a loop may read on after the session paused, with no new event, before it is told that it waits.
NOTICE_AFTER = 3.0


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
        self.last: dict | None = None       # the last event frame the stream carried
        self.partial = b""                  # the start of a frame not complete yet
        self.notice: threading.Timer | None = None
        self.noticed = False

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
                if self._track(chunk):
                    self._quiet()
                yield chunk
                self._arm()  # the loop asks for more: if the session has stopped, it will be told it waits
        except StreamDeadline:
            raise
        except Exception:
            if self._late():
                raise self._deadline() from None
            raise
        finally:
            self._quiet()
        if self._late():
            raise self._deadline()

    def close(self) -> None:
        self.timer.cancel()
        self._quiet()
        self.inner.close()

    def _deadline(self) -> StreamDeadline:
        self.timer.cancel()
        self._quiet()
        return StreamDeadline(deadline_message(self.tail, self.seconds), self.seconds)

    # -- the notice: a loop that reads on after the session stopped is told that it waits
    def _track(self, chunk: bytes) -> bool:
        """Note the last complete event frame; True when ``chunk`` completed one (keepalives and pings are none)."""
        blocks = (self.partial + chunk).replace(b"\r\n", b"\n").split(b"\n\n")
        self.partial = blocks.pop()[-TAIL_BYTES:]
        frames = _frames(b"".join(block + b"\n\n" for block in blocks))
        if frames:
            self.last = frames[-1]
        return bool(frames)

    def _arm(self) -> None:
        kind = (self.last or {}).get("type")
        stopped = kind in ("session.status_idle", "session.status_terminated", "session.deleted")
        if stopped and not self.noticed and self.notice is None and not self._late():
            self.notice = threading.Timer(NOTICE_AFTER, self._tell, args=(self.last,))
            self.notice.daemon = True
            self.notice.start()

    def _quiet(self) -> None:
        if self.notice is not None:
            self.notice.cancel()
            self.notice = None

    def _tell(self, last: dict) -> None:
        if self.notice is None or self.expired.is_set():
            return
        self.noticed = True
        left = max(0.0, self.seconds - (time.monotonic() - self.opened))
        print(wait_notice(last, left, self.seconds), flush=True)


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
        if kind != "ping" and data:  # an "event:" line is optional in SSE; comments (keepalives) carry no data
            try:
                frame = json.loads(data)
            except ValueError:
                continue
            if isinstance(frame, dict) and frame.get("type"):
                out.append(frame)
    return out


def _stopped(last: dict) -> tuple[bool, str]:
    """Whether the session paused (not ended), and how, from its last event: (True, "session.status_idle,
    requires_action: it waits for 2 calls")."""
    kind = last.get("type")
    if kind != "session.status_idle":
        return False, kind
    reason = (last.get("stop_reason") or {}).get("type", "end_turn")
    ids = (last.get("stop_reason") or {}).get("event_ids") or []
    if reason == "requires_action":
        waits = ngettext("it waits for {n} call", "it waits for {n} calls", len(ids)).format(n=len(ids))
        return True, f"{kind}, requires_action: {waits}"
    return True, f"{kind}, {reason}"


def wait_notice(last: dict, left: float, seconds: float) -> str:
    """The line a loop that reads on after its session stopped gets while it waits for its deadline."""
    paused, how = _stopped(last)
    if paused:
        text = _("⏳ The session paused {ago:g} s ago ({how}) and your loop is still reading: a stream stays open while "
                 "its session idles, so this cell waits {left:.0f} s more, until its timeout={seconds:g}, then raises "
                 "StreamDeadline. Missing a break? (To stop now: interrupt the kernel, ■.)")
    else:
        text = _("⏳ The session ended {ago:g} s ago ({how}) and your loop is still reading: a stream stays open while "
                 "its session idles, so this cell waits {left:.0f} s more, until its timeout={seconds:g}, then raises "
                 "StreamDeadline. Missing a break? (To stop now: interrupt the kernel, ■.)")
    return text.format(ago=NOTICE_AFTER, how=how, left=left, seconds=seconds)


def deadline_message(tail: bytes, seconds: float) -> str:
    """What a loop that was still reading at its deadline is told: what the stream saw last, and the fix."""
    frames = _frames(tail)
    head = _("This stream was still open after its timeout ({seconds:g} s): your loop kept reading. ").format(
        seconds=seconds)
    if not frames:
        return head + _("It received no events at all: they happened before it opened, or none was sent. Open the "
                        "stream first (with client.beta.sessions.events.stream(...) as stream:), then send your "
                        "message inside the with block.")
    last = frames[-1]
    kind = last.get("type")
    if kind == "session.status_idle":
        reason = (last.get("stop_reason") or {}).get("type", "end_turn")
        ids = (last.get("stop_reason") or {}).get("event_ids") or []
        head += _("The session has been idle ({reason}) since its last event, and an idle stream stays open. ").format(
            reason=reason)
        if reason == "requires_action":
            return head + _("It waits for an answer to {ids}. Stop on every pause: break on session.status_idle (and "
                            "session.status_terminated); or, if your loop answers tool calls (notebook 04), answer "
                            "each one and keep reading only while the idle waits for calls you answered.").format(
                ids=", ".join(ids))
        return head + _("Break out of the loop on session.status_idle when its stop_reason is not requires_action, "
                        "and on session.status_terminated.")
    if kind in ("session.status_terminated", "session.deleted"):
        return head + _("The session ended ({kind}): break on it.").format(kind=kind)
    return head + _("The session was still working (the last event was {kind}): pass a longer timeout=, or follow a "
                    "long run with helpers.loop.run(client, session_id), which reconnects and stops for you.").format(
        kind=kind)
