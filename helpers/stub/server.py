"""The threaded HTTP server of the stub: framing, headers, routing (urls.py) to a handler in responses.py.

Responses are written in one ``send`` (headers + body) on a TCP_NODELAY socket, so a request costs well under a
millisecond on loopback. A handler that returns a :class:`responses.Stream` (the SSE stream) gets the connection:
emitters only queue frames on it, and the stream's own server thread writes them, sends keepalive comments and
closes the connection when the stream ends.

Whatever arrives, the answer is the API's JSON error shape with a 4xx (docs/design.md, "Hardening rules"): framing
errors of http.server itself (``send_error``), unknown methods, bad ``Content-Length`` or chunked framing, bodies over
the limit, a body that never arrives (the read timeout), an SDK object where its id belongs.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import responses
from .exceptions import (
    AuthenticationError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    RequestTimeout,
    RequestTooLarge,
    StubError,
)
from .models import Backend
from .urls import betas_for, describe, resolve
from .utils import new_id

__all__ = ["StubServer"]

log = logging.getLogger("helpers.stub")

_WRITE_TIMEOUT = 2.0  # seconds a stream write may block before the stream is dropped
READ_TIMEOUT = 30.0  # seconds a connection may stay silent (idle keep-alive, or a promised body that never comes)
#: Body limits (docs, api/overview, "Request size limits"): "Files API | 500 MB" and "Sessions, Agents, Environments |
#: 32 MB" (413 request_too_large beyond them). The docs state no other limit on one event: it is as large as its request.
MAX_FILE_BODY = 500 * 1024 * 1024
MAX_JSON_BODY = 32 * 1024 * 1024
_MAX_CHUNK_LINE = 1024
_MAX_TRAILERS = 100
_HEX = re.compile(r"[0-9A-Fa-f]{1,16}")
_DIGITS = re.compile(r"[0-9]{1,19}")
#: An SDK object where its id belongs: str(pydantic model) reads "id='sesn_...' type='session' ...".
_OBJECT_AS_ID = re.compile(r"\bid=['\"]([^'\"]*)['\"]")
_KIND = {"agents": "agent", "environments": "environment", "sessions": "session", "files": "file",
         "resources": "resource", "threads": "thread", "skills": "skill", "versions": "skill version",
         "memory_stores": "memory store", "memories": "memory", "memory_versions": "memory version",
         "dreams": "dream"}
#: http.server's own framing errors, answered as the API's JSON errors (never 5xx, never HTML).
_FRAMING = {
    400: (400, "invalid_request_error", "Bad HTTP request ({msg}). Send an HTTP/1.1 request line such as "
                                        "'GET /v1/agents HTTP/1.1' (the anthropic SDK does)."),
    505: (400, "invalid_request_error", "Unsupported HTTP version ({msg}): the stub speaks HTTP/1.0 and HTTP/1.1, "
                                        "as the anthropic SDK does by default. Send 'HTTP/1.1' in the request line."),
    501: (405, "invalid_request_error", "{msg}"),
    414: (414, "invalid_request_error", "The request line is longer than 65,536 bytes. Shorten the URL: pass ids, "
                                        "not objects, in the path, and long values in the body."),
    431: (431, "invalid_request_error", "The request headers are too large ({msg}): at most 100 headers of at most "
                                        "65,536 bytes each."),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ManagedAgentsStub/1.0"
    backend: Backend  # set on the subclass made per server
    timeout = READ_TIMEOUT  # socket timeout for reads (StreamRequestHandler sets it); the server may override it

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet; use the logger at DEBUG
        log.debug("%s " + fmt, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, BREW, ...) reaches _handle too, which answers 405 as JSON
        # (http.server would answer 501 with an HTML page).
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, HTTP/2.0, request line or headers too long) as JSON 4xx."""
        status, etype, text = _FRAMING.get(int(code), (400, "invalid_request_error", "Bad HTTP request ({msg})."))
        msg = message or (HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "?")
        self.close_connection = True  # the stream's framing is unknown from here on
        rid = new_id("req")
        err = StubError(text.format(msg=msg), status=status, error_type=etype)
        try:
            self._send_json(status, err.body(rid), rid, retry_off=True)
        except OSError:
            pass

    # -------------------------------------------------------------------------------------------------------
    def _read_body(self, limit: int) -> bytes:
        """The request body, framed by Content-Length or chunked; malformed framing is a 400, too large a 413 and a
        client that stops sending a 408 (each closes the connection: what follows on it cannot be trusted)."""
        te = [v.strip().lower() for h in self.headers.get_all("transfer-encoding", []) for v in h.split(",")]
        lengths = self.headers.get_all("content-length", [])
        try:
            if te:
                if te != ["chunked"]:
                    raise InvalidRequest(f"transfer-encoding: {', '.join(te)!r} is not supported; send the body with "
                                         "a content-length header (or transfer-encoding: chunked).")
                if lengths:
                    raise InvalidRequest("The request has both content-length and transfer-encoding: chunked; send "
                                         "one of them.")
                return self._read_chunked(limit)
            if not lengths:
                return b""
            values = {v.strip() for h in lengths for v in h.split(",")}
            if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
                raise InvalidRequest(f"content-length: {', '.join(lengths)[:80]!r} is not one non-negative integer.")
            n = int(values.pop())
            if n > limit:
                raise RequestTooLarge(_too_large(n, limit))
            body = self.rfile.read(n) if n else b""
            if len(body) < n:
                raise InvalidRequest(f"The request body ended after {len(body):,} of the {n:,} bytes its "
                                     "content-length promised.")
            return body
        except TimeoutError:
            self.close_connection = True
            raise RequestTimeout(f"The request body did not arrive within {self.timeout:g} s (content-length or "
                                 "chunks promised more than was sent). Send the whole body at once.") from None
        except StubError:
            self.close_connection = True
            raise

    def _read_chunked(self, limit: int) -> bytes:
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE + 1)
            if not line.endswith(b"\n") or len(line) > _MAX_CHUNK_LINE:
                raise InvalidRequest("Bad chunked body: a chunk-size line is missing, cut short or too long.")
            size_text = line.split(b";", 1)[0].strip().decode("latin-1")
            if not _HEX.fullmatch(size_text):
                raise InvalidRequest(f"Bad chunked body: chunk size {size_text[:20]!r} is not a hexadecimal number.")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > limit:
                raise RequestTooLarge(_too_large(total, limit, more=True))
            data = self.rfile.read(size)
            if len(data) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise InvalidRequest("Bad chunked body: a chunk is shorter than its size or not followed by CRLF.")
            chunks.append(data)
        for _ in range(_MAX_TRAILERS):  # trailer section, up to the empty line
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n"):
                return b"".join(chunks)
            if not line.endswith(b"\n"):
                break
        raise InvalidRequest("Bad chunked body: the trailer section does not end with an empty line.")

    def _send(self, status: int, payload: bytes, content_type: str, rid: str, retry_off: bool = False) -> None:
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        head = [f"HTTP/1.1 {status} {reason}", f"content-type: {content_type}", f"content-length: {len(payload)}",
                f"request-id: {rid}"]
        if retry_off:
            head.append("x-should-retry: false")
        if self.close_connection:
            head.append("connection: close")
        if getattr(self, "command", "") == "HEAD":
            payload = b""  # a HEAD answer carries the headers of the body it would have, never the body
        started = getattr(self, "_started", None)
        log.debug('%s "%s" %d %d%s', self.address_string(), getattr(self, "requestline", "")[:200], status,
                  len(payload), f" {1000 * (time.perf_counter() - started):.1f} ms" if started else "")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)

    def _send_json(self, status: int, body: Any, rid: str, retry_off: bool = False) -> None:
        try:
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a message quoting a lone surrogate it refuses: escaped, still valid JSON
            payload = json.dumps(body, separators=(",", ":")).encode()
        self._send(status, payload, "application/json", rid, retry_off)

    def _handle(self) -> None:
        rid = new_id("req")
        method = self.command
        self._started = time.perf_counter()
        try:
            url = urlsplit(self.path)
            body = self._read_body(MAX_FILE_BODY if url.path.rstrip("/") == "/v1/files" else MAX_JSON_BODY)
            _object_as_id(url.path)
            handler, params, allowed = resolve(method, url.path)
            if handler is None:
                if method not in ("GET", "POST", "DELETE"):
                    raise MethodNotAllowed(f"{method[:20]} is not a method of this API; it uses GET, POST and DELETE"
                                           + (f" ({' or '.join(allowed)} on this path)." if allowed else "."))
                if allowed:
                    raise MethodNotAllowed(f"{method} is not allowed on {url.path}; use {' or '.join(allowed)}.")
                raise NotFound(f"No endpoint {method} {url.path[:200]}. The stub serves:\n{describe()}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            auth = headers.get("authorization", "")
            key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
            if not key and not headers.get("x-api-key", "").strip():
                raise AuthenticationError(
                    "No API key: send 'authorization: Bearer <key>' or 'x-api-key: <key>'. The stub accepts any "
                    "non-empty key; helpers.connect() sets one for you in replay mode.")
            _check_beta(url.path, headers.get("anthropic-beta", ""))
            query = parse_qs(url.query, keep_blank_values=True)
            req = responses.Request(method, url.path, params, query, headers, body)
            status, out = getattr(responses, handler)(self.backend, req)
            if isinstance(out, responses.Stream):
                self._stream(out, rid)
            elif isinstance(out, tuple):
                self._send(status, out[0], out[1], rid)
            else:
                self._send_json(status, out, rid)
        except StubError as e:
            self._send_json(e.status, e.body(rid), rid, retry_off=True)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # never a 500: a clear error, the traceback in the server log
            self.close_connection = True  # the request may not have been read completely
            log.exception("stub failure on %s %s (request %s)", method, self.path, rid)
            err = StubError(f"The workshop stub failed on {method} {urlsplit(self.path).path}: {type(e).__name__}: {e}. "
                            "This is a bug in helpers/stub; the traceback is in the server log (logger "
                            "'helpers.stub').", status=400, error_type="invalid_request_error")
            try:
                self._send_json(400, err.body(rid), rid, retry_off=True)
            except OSError:
                self.close_connection = True

    # -------------------------------------------------------------------------------------------------------
    def _stream(self, stream: responses.Stream, rid: str) -> None:
        # A client that stops reading must not stall the emitters: writes give up after a while.
        self.connection.settimeout(_WRITE_TIMEOUT)
        self.close_connection = True  # the stream ends by closing the connection
        log.debug('%s "%s" 200 (stream)', self.address_string(), self.requestline[:200])
        try:
            stream.serve(self.wfile.write, rid)
        except StubError:  # refused before the stream opened: an ordinary error response
            self.close_connection = False
            raise


def _check_beta(path: str, header: str) -> None:
    """A 400 when ``path`` needs a beta header (urls.BETAS) that the request does not carry."""
    accepted = betas_for(path)
    sent = {b.strip() for b in header.split(",")}
    if accepted and not sent & set(accepted):
        raise InvalidRequest(f"This endpoint is in beta: send the header 'anthropic-beta: {accepted[0]}'"
                             + (f" (or {' or '.join(accepted[1:])})" if accepted[1:] else "")
                             + " (the anthropic SDK's client.beta.* methods do this for you).")


def _too_large(n: int, limit: int, more: bool = False) -> str:
    """The 413's message: the documented limit, and what to send instead (an event is as large as its request)."""
    what = "the Files API's" if limit == MAX_FILE_BODY else "the Sessions, Agents and Environments endpoints'"
    return (f"The request body is {'over ' if more else ''}{n:,} bytes; this endpoint takes at most {limit:,} bytes "
            f"({what} documented request size limit, docs: api/overview, \"Request size limits\"). A single event "
            "(a tool result, a message) can be as large as its request, no larger: send a summary or a slice of a "
            "large result, or upload a file and mount it.")


def _object_as_id(path: str) -> None:
    """Refuse, in one line, an SDK object passed where its id belongs (client.beta.sessions.retrieve(session))."""
    parts = path.split("/")
    for i, seg in enumerate(parts[3:], start=3):
        m = _OBJECT_AS_ID.search(unquote(seg)) if "id" in seg else None
        if m:
            kind = _KIND.get(parts[i - 1]) or _KIND.get(parts[2], "object")
            raise NotFound(f"The URL holds a whole {kind} object where its id belongs: pass {kind}.id "
                           f"({m.group(1)[:80]!r}), not the {kind}.")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class StubServer:
    """A running stub: ``.url``, ``.backend``, ``.speed`` (settable), ``.stop()``; also a context manager."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", speed: Any = "instant", recordings_dir: Any = None,
                 fault: dict[str, Any] | None = None, keepalive: float = 10.0, max_gap: float = 4.0,
                 idle_stream_timeout: float | None = None, interrupt_wait: float | None = 30.0,
                 read_timeout: float = READ_TIMEOUT) -> None:
        self.backend = Backend(recordings_dir=recordings_dir, speed=speed, fault=fault, keepalive=keepalive,
                               max_gap=max_gap, idle_stream_timeout=idle_stream_timeout,
                               interrupt_wait=interrupt_wait)
        handler = type("StubHandler", (_Handler,), {"backend": self.backend, "timeout": read_timeout})
        self.httpd = _HTTPServer((host, port), handler)
        self.host, self.port = self.httpd.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"stub-http-{self.port}", daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def speed(self) -> Any:
        return self.backend.speed

    @speed.setter
    def speed(self, value: Any) -> None:
        self.backend.speed = value

    @property
    def recordings_dir(self):
        return self.backend.library.directory

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.httpd.shutdown()
        self.backend.close()
        self.httpd.server_close()

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<StubServer {self.url} speed={self.speed!r} recordings={str(self.recordings_dir)!r}>"
