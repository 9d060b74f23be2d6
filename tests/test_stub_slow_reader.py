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


def test_a_stream_that_stops_reading_is_closed_within_the_write_timeout(server):
    """A reader that takes nothing: the write its socket does not take within the server's write timeout (2 s)
    closes the connection, so a stuck client holds no thread and no memory for long."""
    client = anthropic.Anthropic(api_key="k", base_url=server.url, max_retries=0, timeout=60)
    a = _session(client)
    s = _non_reading_stream(server, a.id)
    try:
        time.sleep(0.3)
        client.beta.sessions.events.send(a.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": BIG}]}])
        time.sleep(3.0)  # the stream's write gives up after 2 s
        s.settimeout(10)
        data = b""
        while True:  # now read: what the socket took, then the end of the stream
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 200 OK") and len(data) < len(BIG)


def test_a_caught_up_reader_gets_an_event_over_4_mb(server):
    """One event larger than the stream's backlog limit (a tool result that returns a whole log is one) reaches a
    reader that is caught up: the limit counts what was already waiting, not the new frame (it dropped every
    stream of the session with "fell more than 4 MB behind")."""
    client = anthropic.Anthropic(api_key="k", base_url=server.url, max_retries=0, timeout=60)
    a = _session(client)
    with client.beta.sessions.events.stream(a.id) as stream:
        client.beta.sessions.events.send(a.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": BIG}]}])
        for ev in stream:
            if ev.type == "user.message":
                break
    assert ev.content[0].text == BIG


def test_a_reader_more_than_4_mb_behind_is_dropped_with_an_error_frame():
    """What waits for a reader is bounded: once more than MAX_BACKLOG bytes are queued behind the next frame (while
    its socket has not taken the frame in flight), the stream is dropped with an error frame, written after the
    frame in flight, so the SSE framing holds."""
    from helpers.stub.sse import Subscriber

    gate, written = threading.Event(), []
    sub = Subscriber(lambda data: gate.wait(10) and written.append(data))
    writer = threading.Thread(target=sub.pump, args=(0.05, lambda: None))
    writer.start()
    frame = b"event: agent.message\ndata: " + b"x" * (3 * 1024 * 1024) + b"\n\n"
    sub.push(frame)
    deadline = time.monotonic() + 5
    while sub._queue and time.monotonic() < deadline:  # the writer took it: in flight, held at the gate
        time.sleep(0.01)
    sub.push(frame)  # the next frame the writer takes: never counted
    sub.push(frame)  # nothing waits behind it: kept
    sub.push(frame)  # 3 MB wait behind it (not more than 4): kept
    assert not sub.dropped
    sub.push(frame)  # 6 MB wait behind it: dropped
    assert sub.dropped and sub.done.is_set()
    gate.set()
    writer.join(10)
    data = b"".join(written)
    assert data.startswith(frame) and data.count(b"event: agent.message") == 1
    assert data[len(frame):].startswith(b"event: error") and b"fell more than 4 MB behind" in data


def test_an_event_over_the_request_limit_is_a_413_that_says_what_to_send(server):
    """The docs' only limit on an event is its request's: "Sessions, Agents, Environments | 32 MB", and "If you
    exceed these limits, you'll receive a 413 request_too_large error" (api/overview, Request size limits)."""
    client = anthropic.Anthropic(api_key="k", base_url=server.url, max_retries=0, timeout=60)
    a = _session(client)
    with pytest.raises(anthropic.APIStatusError) as e:
        client.beta.sessions.events.send(a.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": "x" * (33 * 1024 * 1024)}]}])
    assert e.value.status_code == 413 and e.value.body["error"]["type"] == "request_too_large"
    message = e.value.body["error"]["message"]
    assert "documented request size limit" in message and "a summary or a slice" in message
    assert list(client.beta.sessions.events.list(a.id)) == []  # nothing was stored
