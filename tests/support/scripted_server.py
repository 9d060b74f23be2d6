"""Scripted servers that speak the wire format of a session's events endpoints (stream, list with pagination,
send), for tests of ``helpers.loop`` that need what the stub never does on purpose: drop streams, lose events in
the gap, send duplicates, answer with scripted errors, hang. ``Script`` says what the server does step by step;
``start(script)`` serves it; ``Silent`` never answers the request it is told to. And the builders of the events
they send (``ev``, ``idle``, ``msg``, ``tool_use``)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

__all__ = ["SID", "T0", "ev", "idle", "msg", "tool_use", "Script", "ScriptedHandler", "make_handler", "start", "Silent"]

SID = "sesn_011CTest0001"
T0 = "2026-04-01T12:00:00Z"


def ev(type_, id_, **fields):
    out = {"type": type_, "id": id_, "processed_at": T0}
    out.update(fields)
    return out


def idle(id_, reason="end_turn", **extra):
    return ev("session.status_idle", id_, stop_reason={"type": reason, **extra})


def msg(id_, text):
    return ev("agent.message", id_, content=[{"type": "text", "text": text}])


def tool_use(id_, name="get_metrics", **inp):
    return ev("agent.custom_tool_use", id_, name=name, input=inp)


class Script:
    """What the server does, step by step, across stream connections.

    Steps: ("emit", event) sends on the open stream and records in the history; ("silent", event)
    records in the history only (produced while no stream is connected); ("wait", type) waits for
    the client to POST an event of that type; ("drop",) ends this stream; ("error", body) sends an
    SSE ``event: error`` frame and ends the stream; ("hang",) keeps the stream open and silent.
    ``fail_posts={n: status}`` answers the n-th POST (from 0) with that error status."""

    def __init__(self, steps, history=None, page_size=3, fail_posts=None):
        self.steps = list(steps)
        self.fail_posts = dict(fail_posts or {})  # POST number (from 0) -> the error status it gets
        self.posts = 0
        self.pos = 0
        self.history = list(history or [])
        self.sent: list[dict] = []
        self.requests: list[str] = []
        self.page_size = page_size
        self.cond = threading.Condition()
        self.stream_opens = 0
        self._n = 0

    def record_sent(self, events):
        with self.cond:
            echoed = []
            for e in events:
                self._n += 1
                stored = dict(e, id=f"sevt_user{self._n:04d}", processed_at=T0)
                self.sent.append(e)
                self.history.append(stored)
                echoed.append(stored)
            self.cond.notify_all()
            return echoed


class ScriptedHandler(BaseHTTPRequestHandler):
    """Serves a :class:`Script`: POST of events (recorded, or the scripted error), GET of the history (paged) and of
    the stream (the script's steps). :func:`make_handler` binds one script."""

    protocol_version = "HTTP/1.1"
    script: Script

    def log_message(self, *args):
        pass

    def _json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_test")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        script = self.script
        path = urlparse(self.path).path
        script.requests.append(f"POST {path}")
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        script.posts += 1
        status = script.fail_posts.get(script.posts - 1)
        if status:
            kind = "invalid_request_error" if status < 500 else "api_error"
            return self._json(status, {"type": "error", "error": {"type": kind, "message": f"scripted {status}"}})
        echoed = script.record_sent(body.get("events", []))
        self._json(200, {"data": echoed})

    def do_GET(self):
        script = self.script
        url = urlparse(self.path)
        script.requests.append(f"GET {url.path}")
        if url.path.endswith("/events/stream"):
            return self._stream()
        if url.path.endswith("/events"):
            q = parse_qs(url.query)
            start = int(q.get("page", ["0"])[0])
            with script.cond:
                page = script.history[start:start + script.page_size]
                nxt = start + script.page_size
                more = nxt < len(script.history)
            return self._json(200, {"data": page, "next_page": str(nxt) if more else None})
        self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": url.path}})

    def _stream(self):
        script = self.script
        with script.cond:
            script.stream_opens += 1
            me = script.stream_opens  # a newer stream means this client is gone: stop taking steps
            script.cond.notify_all()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        try:
            while True:
                step = self._take_step(me)
                if step is None or not self._send(step):
                    return
        except (BrokenPipeError, ConnectionResetError):
            return
        finally:
            self.close_connection = True

    def _take_step(self, me: int) -> tuple | None:
        """The stream ``me``'s next step, taken (the history and the position updated) under the script's lock;
        None when the stream ends here: a newer stream opened, a wait ran out, or the step is a drop."""
        script = self.script
        with script.cond:
            while True:
                if me != script.stream_opens:
                    return None
                step = ("hang",) if script.pos >= len(script.steps) else script.steps[script.pos]
                kind = step[0]
                if kind == "wait":
                    since = step[2] if len(step) > 2 else 0
                    ok = script.cond.wait_for(
                        lambda step=step, since=since: me != script.stream_opens
                        or any(e["type"] == step[1] for e in script.sent[since:]),
                        timeout=10)
                    if not ok or me != script.stream_opens:
                        return None
                    script.pos += 1
                    continue
                if kind in ("emit", "silent"):
                    script.history.append(step[1])
                    script.pos += 1
                elif kind in ("drop", "error"):
                    script.pos += 1
                    if kind == "drop":
                        return None
                return step

    def _send(self, step: tuple) -> bool:
        """Write what ``step`` puts on the wire; False when the stream ends with it (an error frame)."""
        kind = step[0]
        if kind == "emit":
            e = step[1]
            self.wfile.write(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode())
            self.wfile.flush()
        elif kind == "error":  # an SSE error frame, then the stream ends
            self.wfile.write(f"event: error\ndata: {json.dumps(step[1])}\n\n".encode())
            self.wfile.flush()
            return False
        elif kind == "hang":
            time.sleep(0.05)
            self.wfile.write(b": keepalive\n\n")
            self.wfile.flush()
        return True


def make_handler(script: Script) -> type[ScriptedHandler]:
    """A handler class that serves ``script``."""
    return type("Handler", (ScriptedHandler,), {"script": script})


def start(script: Script) -> tuple[ThreadingHTTPServer, Any]:
    """A server on 127.0.0.1 that serves ``script``, and a strict SDK client for it (no retries); shut the server
    down when done."""
    import anthropic

    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, anthropic.Anthropic(
        api_key="test", base_url=f"http://127.0.0.1:{server.server_port}",
        _strict_response_validation=True, max_retries=0,
    )


class Silent:
    """A server on 127.0.0.1 that answers some requests and never answers the others (until it stops).

    ``hang`` names what it never answers: "stream" (the GET of the stream), "list" (the GET of the
    history) or "send" (the POST of events); everything before that answers normally, the stream with
    keepalives only. Its clients keep the SDK's default retries, which ``run`` must not wait for."""

    def __init__(self, hang: str):
        self.hang = hang
        self.stop = threading.Event()
        self.hung = 0
        silent = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _never(self):
                silent.hung += 1
                silent.stop.wait(30)  # bounded: the test fails long before this
                self.close_connection = True

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                if silent.hang == "send":
                    return self._never()
                body = b'{"data": []}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                streaming = urlparse(self.path).path.endswith("/stream")
                if silent.hang == ("stream" if streaming else "list"):
                    return self._never()
                if not streaming:
                    body = json.dumps({"data": [], "next_page": None}).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                try:
                    while not silent.stop.wait(0.2):
                        self.wfile.write(b": keepalive\n\n")
                        self.wfile.flush()
                except OSError:
                    pass
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        import anthropic

        self.client = anthropic.Anthropic(api_key="test", base_url=f"http://127.0.0.1:{self.server.server_port}",
                                          _strict_response_validation=True)  # the SDK's default retries

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
