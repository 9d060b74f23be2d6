"""A local, offline stand-in for the Claude Managed Agents API that replays recorded sessions.

    from helpers import stub
    with stub.start() as server:                 # 127.0.0.1, a free port, instant replay
        client = anthropic.Anthropic(api_key="x", base_url=server.url)

    python -m helpers.stub --port 8765 --speed 1  # the same, as a process

Layout (as in getmoto/moto; which file owns which rule: docs/design.md): urls.py (routes), responses.py (parses
every parameter, calls the backend), models.py (the Backend: a backend per resource, one lock); agents.py,
environments.py, files.py and sessions.py (each resource's state and rules; one session's, and what a client may
send when: session_state.py); exceptions.py (API errors), validation.py (the SDK's types, error wording),
validator_cache.py (params validators kept between kernels), utils.py (ids, clock, pagination), sse.py (stream
framing, subscribers), replay.py (walks a recording), recordings.py (the recording format), server.py (HTTP);
deployments.py (deployments and their runs), budgets.py and pricing.py (budgets, list cost), outputs.py (session
outputs); skills.py, memory_stores.py and dreams.py (notebook 08's resources), mounts.py (what a recording reads and
writes under /workspace/skills/ and /mnt/memory/); multiagent.py and threads.py (teams of agents, session threads),
vaults.py (vaults, credentials), fit.py (which recording a session could have produced).
"""
from __future__ import annotations

from typing import Any

from . import recordings
from .server import StubServer

__all__ = ["StubServer", "start", "recordings"]


def start(port: int = 0, speed: Any = "instant", recordings_dir: Any = None, fault: dict[str, Any] | None = None,
          **kwargs: Any) -> StubServer:
    """Run the stub in this process on a background thread; returns a :class:`StubServer` (``.url``, ``.stop()``).

    speed: ``"instant"`` or a multiplier of the recorded pace (1 = as recorded, 2 = twice as fast).
    recordings_dir: where the ``*.jsonl`` recordings are (default: data/recordings).
    fault: test-only switches, e.g. ``{"cut_stream_after": 3}`` ends every stream after 3 events
    (per request: header ``x-stub-cut-stream-after: N``).
    kwargs: ``keepalive`` (seconds between SSE keepalive comments, default 10), ``max_gap`` (longest pause
    replayed, in recorded seconds, default 4), ``host``, ``idle_stream_timeout`` (close a stream once its session
    has been idle and the stream silent this many seconds; default None, i.e. never, as the service),
    ``interrupt_wait`` (seconds a recorded ``user.interrupt`` waits for the learner's before playing on; default 30),
    ``read_timeout`` (seconds a connection may stay silent, idle or mid-body, before it is closed; a promised body that
    never arrives is a 408; default 30).
    """
    return StubServer(port, speed=speed, recordings_dir=recordings_dir, fault=fault, **kwargs)
