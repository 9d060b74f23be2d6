"""Streams that stop reading stall nobody: emitters only queue frames, each stream's own thread writes them, and a
stream that falls more than sse.Subscriber.MAX_BACKLOG behind is dropped with an error frame (raw HTTP + the SDK)."""
from __future__ import annotations

import socket
import threading
import time

import anthropic
import pytest

from helpers import resources, stub

BETA = "managed-agents-2026-04-01"
BIG = "x" * (5 * 1024 * 1024)  # one 5 MB user.message: more than a socket's buffers and the stream's backlog


def _non_reading_stream(server, session_id: str) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a tiny window, and nobody reads it
    s.connect((server.host, server.port))
    s.sendall(f"GET /v1/sessions/{session_id}/events/stream HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n"
              f"anthropic-beta: {BETA}\r\naccept: text/event-stream\r\n\r\n".encode())
    return s


@pytest.fixture
def server():
    with stub.start(keepalive=1.0) as s:
        yield s


def _session(client, recording="fault-retries-exhausted"):
    return resources.new_session(client, metadata={"recording": recording})


def test_twenty_non_reading_streams_leave_other_requests_fast(server):
    client = anthropic.Anthropic(api_key="k", base_url=server.url, max_retries=0, timeout=60)
    a = _session(client)
    socks = [_non_reading_stream(server, a.id) for _ in range(20)]
    try:
        time.sleep(0.3)  # the streams are open (each one's head is written)
        sent = threading.Thread(target=lambda: [client.beta.sessions.events.send(a.id, events=[
            {"type": "user.message", "content": [{"type": "text", "text": BIG}]}]) for _ in range(3)])
        t0 = time.monotonic()
        sent.start()
        worst = 0.0
        while sent.is_alive() or time.monotonic() - t0 < 1.0:
            t = time.monotonic()
            client.beta.agents.list(limit=1)
            worst = max(worst, time.monotonic() - t)
            time.sleep(0.02)
        sent.join(30)
        assert not sent.is_alive()
        # another session's whole run (instant replay) is as quick as ever
        b = _session(client)
        t = time.monotonic()
        with client.beta.sessions.events.stream(b.id) as st:
            client.beta.sessions.events.send(b.id, events=[{"type": "user.message", "content": [
                {"type": "text", "text": "Fault drill (fault-retries-exhausted)"}]}])
            for ev in st:
                if ev.type == "session.status_idle":
                    break
        run = time.monotonic() - t
    finally:
        for s in socks:
            s.close()
    assert worst < 1.0, f"GET /v1/agents took {worst:.2f} s while 20 streams did not read"
    assert run < 5.0, f"another session's run took {run:.2f} s"


def test_a_stream_that_cannot_keep_up_is_dropped_with_an_error_frame(server):
    client = anthropic.Anthropic(api_key="k", base_url=server.url, max_retries=0, timeout=60)
    a = _session(client)
    s = _non_reading_stream(server, a.id)
    try:
        time.sleep(0.3)
        client.beta.sessions.events.send(a.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": BIG}]}])
        s.settimeout(10)
        data = b""
        while True:  # now read: the head, then the error frame, then the end of the stream
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b"event: error" in data and b"dropped" in data and BIG[:1000].encode() not in data
