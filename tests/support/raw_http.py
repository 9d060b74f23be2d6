"""HTTP to the stub without the SDK, for what the SDK would never send (or would refuse to): a request with any
method, path, headers and body (``request``), or bytes as they are on a socket (``raw``). Each returns the answer as
``(status, headers with lower-case names, body)``."""
from __future__ import annotations

import http.client
import socket
from typing import Any

__all__ = ["BETA", "AUTH", "Answer", "request", "raw"]

#: The Managed Agents beta header the stub's routes take.
BETA = "managed-agents-2026-04-01"
#: A key and that beta header: what a request carries unless it says otherwise.
AUTH = {"x-api-key": "fuzz", "anthropic-beta": BETA}

Answer = tuple[int, dict[str, str], bytes]


def request(server: Any, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
            timeout: float = 10.0) -> Answer:
    """One request to the stub ``server`` (``headers`` None: :data:`AUTH`); an event stream that opens is left at
    once (its body is empty here)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=dict(AUTH if headers is None else headers))
        r = conn.getresponse()
        if r.getheader("content-type", "").startswith("text/event-stream"):
            return r.status, {k.lower(): v for k, v in r.getheaders()}, b""  # a stream that opened: leave it
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def raw(server: Any, data: bytes, method: str = "GET", timeout: float = 10.0, shut: bool = False) -> Answer:
    """Send bytes as they are; parse the one answer with http.client (as a client would). ``shut``: half-close the
    socket after sending (a body cut short)."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        r = http.client.HTTPResponse(s, method=method)
        r.begin()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
