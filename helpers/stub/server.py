"""The threaded HTTP server of the stub: framing, headers, routing (urls.py) to a handler in responses.py.

Responses are written in one ``send`` (headers + body) on a TCP_NODELAY socket, so a request costs well under a
millisecond on loopback. A handler that returns a :class:`responses.Stream` (the SSE stream) gets the connection:
events are written to it by the thread that emits them; the stream's own server thread sends keepalive comments and
closes the connection when the stream ends.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import responses
from .exceptions import AuthenticationError, InvalidRequest, MethodNotAllowed, NotFound, StubError
from .models import Backend
from .urls import describe, resolve
from .utils import new_id

__all__ = ["StubServer"]

log = logging.getLogger("helpers.stub")

_BETA = "managed-agents-2026-04-01"
_MANAGED = ("/v1/agents", "/v1/environments", "/v1/sessions")
_WRITE_TIMEOUT = 2.0  # seconds a stream write may block before the stream is dropped


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ManagedAgentsStub/1.0"
    backend: Backend  # set on the subclass made per server

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

    # -------------------------------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, status: int, payload: bytes, content_type: str, rid: str, retry_off: bool = False) -> None:
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        head = [f"HTTP/1.1 {status} {reason}", f"content-type: {content_type}", f"content-length: {len(payload)}",
                f"request-id: {rid}"]
        if retry_off:
            head.append("x-should-retry: false")
        if self.close_connection:
            head.append("connection: close")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)

    def _send_json(self, status: int, body: Any, rid: str, retry_off: bool = False) -> None:
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        self._send(status, payload, "application/json", rid, retry_off)

    def _handle(self) -> None:
        rid = new_id("req")
        method = self.command
        try:
            body = self._read_body()
            url = urlsplit(self.path)
            handler, params, allowed = resolve(method, url.path)
            if handler is None:
                if allowed:
                    raise MethodNotAllowed(f"{method} is not allowed on {url.path}; use {' or '.join(allowed)}.")
                raise NotFound(f"No endpoint {method} {url.path}. The stub serves:\n{describe()}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            auth = headers.get("authorization", "")
            key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
            if not key and not headers.get("x-api-key", "").strip():
                raise AuthenticationError(
                    "No API key: send 'authorization: Bearer <key>' or 'x-api-key: <key>'. The stub accepts any "
                    "non-empty key; helpers.connect() sets one for you in replay mode.")
            if url.path.startswith(_MANAGED) and _BETA not in headers.get("anthropic-beta", ""):
                raise InvalidRequest(f"This endpoint is in beta: send the header 'anthropic-beta: {_BETA}' (the "
                                     "anthropic SDK's client.beta.* methods do this for you).")
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
        except (BrokenPipeError, ConnectionResetError):
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
        try:
            stream.serve(self.wfile.write, rid)
        except StubError:  # refused before the stream opened: an ordinary error response
            self.close_connection = False
            raise


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class StubServer:
    """A running stub: ``.url``, ``.backend``, ``.speed`` (settable), ``.stop()``; also a context manager."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", speed: Any = "instant", recordings_dir: Any = None,
                 fault: dict[str, Any] | None = None, keepalive: float = 10.0, max_gap: float = 4.0,
                 idle_stream_timeout: float | None = None, interrupt_wait: float | None = 30.0) -> None:
        self.backend = Backend(recordings_dir=recordings_dir, speed=speed, fault=fault, keepalive=keepalive,
                               max_gap=max_gap, idle_stream_timeout=idle_stream_timeout,
                               interrupt_wait=interrupt_wait)
        handler = type("StubHandler", (_Handler,), {"backend": self.backend})
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
