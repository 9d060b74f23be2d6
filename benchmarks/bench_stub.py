"""Benchmark the Managed Agents stub through the real SDK (strict validation on).

    .venv/bin/python benchmarks/bench_stub.py [--quick]

Prints:
  1. time from sending a user.message to its first streamed event (median of many; target < 5 ms),
     and to the first agent-side event (session.status_running);
  2. events per second replayed at instant speed (one long synthetic recording, received over SSE);
  3. total time for 50 concurrent sessions replaying incident-2277 with custom tool round trips, and whether
     any event was lost (stream vs events.list; target: none).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anthropic  # noqa: E402

from helpers import stub  # noqa: E402
from tests.support.fixtures import ASK_TOOLSET, CUSTOM, FIXTURES  # noqa: E402
from tests.support.probe import concurrent_sessions  # noqa: E402


def msg(text):
    return {"type": "user.message", "content": [{"type": "text", "text": text}]}


def write_long_recording(directory: Path, n: int) -> None:
    lines = [{"recording": 1, "name": "long", "keywords": ["longrun"], "custom_tools": []},
             {"event": {"type": "user.message", "id": "u1", "processed_at": None,
                        "content": [{"type": "text", "text": "longrun"}]}},
             {"event": {"type": "session.status_running", "id": "r1", "processed_at": "2026-11-18T15:00:00Z"}}]
    for i in range(n):
        lines.append({"event": {"type": "agent.message", "id": f"m{i}", "processed_at": "2026-11-18T15:00:01Z",
                                "content": [{"type": "text", "text": f"line {i} of the analysis"}]}})
    lines.append({"event": {"type": "session.status_idle", "id": "i1", "processed_at": "2026-11-18T15:00:02Z",
                            "stop_reason": {"type": "end_turn"}}})
    (directory / "long.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    for p in FIXTURES.glob("*.jsonl"):
        (directory / p.name).write_text(p.read_text())


def bench_latency(client, env_id, agent_id, n):
    first, running = [], []
    for _ in range(n):
        s = client.beta.sessions.create(agent=agent_id, environment_id=env_id, metadata={"recording": "terminate-demo"})
        got = {}
        ready = threading.Event()

        def reader(sid=s.id, ready=ready, got=got):
            with client.beta.sessions.events.stream(sid) as st:
                ready.set()
                for ev in st:
                    t = time.perf_counter()
                    got.setdefault("first", t)
                    if ev.type == "session.status_running":
                        got.setdefault("running", t)
                    if ev.type == "session.status_terminated":
                        break

        th = threading.Thread(target=reader)
        th.start()
        ready.wait()
        time.sleep(0.002)  # the stream is registered once its response headers arrived
        t0 = time.perf_counter()
        client.beta.sessions.events.send(s.id, events=[msg("terminate")])
        th.join(10)
        time.sleep(0.01)  # let the closed stream's threads finish: measure an isolated send, not a pile-up
        first.append((got["first"] - t0) * 1000)
        running.append((got["running"] - t0) * 1000)
    return statistics.median(first), statistics.median(running), statistics.quantiles(first, n=20)[-1]


def bench_latency_raw(url, client, env_id, agent_id, n):
    """The same measurement with a bare httpx client: the stub's share without the SDK's own per-call overhead."""
    import httpx

    h = httpx.Client(headers={"authorization": "Bearer bench", "anthropic-beta": "managed-agents-2026-04-01"})
    first = []
    for _ in range(n):
        s = client.beta.sessions.create(agent=agent_id, environment_id=env_id, metadata={"recording": "terminate-demo"})
        got = {}
        ready = threading.Event()

        def reader(sid=s.id, ready=ready, got=got):
            with h.stream("GET", f"{url}/v1/sessions/{sid}/events/stream") as r:
                ready.set()
                for chunk in r.iter_raw():
                    got.setdefault("first", time.perf_counter())
                    if b"session.status_terminated" in chunk:
                        break

        th = threading.Thread(target=reader)
        th.start()
        ready.wait()
        time.sleep(0.002)
        t0 = time.perf_counter()
        h.post(f"{url}/v1/sessions/{s.id}/events", json={"events": [msg("terminate")]})
        th.join(10)
        time.sleep(0.01)
        first.append((got["first"] - t0) * 1000)
    h.close()
    return statistics.median(first)


def bench_throughput(client, env_id, agent_id, n_events):
    s = client.beta.sessions.create(agent=agent_id, environment_id=env_id, metadata={"recording": "long"})
    count = 0
    with client.beta.sessions.events.stream(s.id) as st:
        t0 = time.perf_counter()
        client.beta.sessions.events.send(s.id, events=[msg("longrun")])
        for ev in st:
            count += 1
            if ev.type == "session.status_idle":
                break
        dt = time.perf_counter() - t0
    return count, dt


class external_stub:
    """``python -m helpers.stub`` in a subprocess, as a context manager with ``.url``."""

    def __init__(self, recordings_dir):
        import subprocess

        self.p = subprocess.Popen([sys.executable, "-m", "helpers.stub", "--port", "0", "--speed", "instant",
                                   "--recordings", str(recordings_dir)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        self.url = line.rsplit(" ", 1)[-1].strip()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.terminate()
        self.p.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--external", action="store_true",
                    help="run the stub as a separate process (python -m helpers.stub) instead of in-process, so the "
                         "client and the server do not share one GIL")
    args = ap.parse_args()
    n_lat = 30 if args.quick else 200
    n_long = 2000 if args.quick else 10000
    ok_all = True
    with tempfile.TemporaryDirectory() as d:
        write_long_recording(Path(d), n_long)
        with (external_stub(d) if args.external else stub.start(recordings_dir=d)) as server:
            print(f"stub: {'separate process' if args.external else 'in-process (as helpers.connect() runs it)'} "
                  f"at {server.url}")
            client = anthropic.Anthropic(api_key="bench", base_url=server.url, _strict_response_validation=True)
            env = client.beta.environments.create(name="bench")
            # the agent the fixture recordings were made with (the stub checks): bash asks first, four custom tools
            agent = client.beta.agents.create(model="claude-sonnet-4-6", name="bench", tools=[ASK_TOOLSET, *CUSTOM])
            bench_latency(client, env.id, agent.id, 5)  # warm up (imports, validators)

            med, med_run, p95 = bench_latency(client, env.id, agent.id, n_lat)
            ok = med < 5
            ok_all &= ok
            print(f"[{'PASS' if ok else 'MISS'}] user.message -> first streamed event: median {med:.2f} ms "
                  f"(p95 {p95:.2f} ms, n={n_lat}; target < 5 ms); -> session.status_running: median {med_run:.2f} ms")

            raw = bench_latency_raw(server.url, client, env.id, agent.id, n_lat // 2)
            print(f"       same with a bare httpx client (no SDK overhead): median {raw:.2f} ms")

            count, dt = bench_throughput(client, env.id, agent.id, n_long)
            rate = count / dt
            ok = rate >= 1000
            ok_all &= ok
            print(f"[{'PASS' if ok else 'MISS'}] instant replay: {count} events streamed in {dt:.2f} s = "
                  f"{rate:,.0f} events/s (target >= 1,000/s)")

            dt, res = asyncio.run(concurrent_sessions(server.url, env.id, agent.id, 50, "checkout p99",
                                                   metadata={"recording": "incident-2277"}))
            lost = sum(1 for same, _ in res if not same)
            events = sum(n for _, n in res)
            ok = lost == 0
            ok_all &= ok
            print(f"[{'PASS' if ok else 'MISS'}] 50 concurrent sessions (incident-2277 with tool round trips): "
                  f"{dt:.2f} s, {events} events, sessions with lost/extra events: {lost} (target: none)")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
