"""The stub's state (moto's ``models.py``): one :class:`Backend` that composes a backend per resource and owns the
one re-entrant lock they all take, and the replay's settings.

Each resource's state and rules are in the file named for it: agents.py, environments.py, sessions.py (one
session's: session_state.py), files.py, deployments.py, skills.py, memory_stores.py, dreams.py, vaults.py,
threads.py. Their methods take typed keyword arguments and bodies already validated against the SDK's params types
(responses.py parses them); everything they return is validated against the SDK's response models (validation.py),
so a stub bug shows up here, not in a learner's notebook.
"""
from __future__ import annotations

import threading
from typing import Any

from .agents import AgentsBackend
from .deployments import DeploymentsBackend
from .dreams import DreamsBackend
from .environments import EnvironmentsBackend
from .files import FilesBackend
from .memory_stores import MemoryStoresBackend
from .recordings import Library
from .replay import Scheduler
from .sessions import SessionsBackend
from .skills import SkillsBackend
from .threads import ThreadsBackend
from .utils import parse_speed
from .vaults import VaultsBackend

__all__ = ["Backend"]


class Backend:
    """All of the stub's state, a backend per resource. Thread-safe: every public method of each takes ``self.lock``
    (one lock for all, so a rule that reads two resources sees them as of one moment)."""

    def __init__(self, *, recordings_dir: Any = None, speed: Any = "instant", fault: dict[str, Any] | None = None,
                 keepalive: float = 10.0, max_gap: float = 4.0, idle_stream_timeout: float | None = None,
                 interrupt_wait: float | None = 30.0) -> None:
        self.lock = threading.RLock()
        self.library = Library(recordings_dir)
        self.speed = speed
        self.fault = dict(fault or {})
        self.keepalive = keepalive
        self.max_gap = max_gap
        # A safety net for learners' loops (None = off, as the service): once the session has been idle and the
        # stream silent this long, the stream closes, so a loop that forgot to stop on idle ends instead of hanging.
        self.idle_stream_timeout = idle_stream_timeout
        # How long a recorded user.interrupt waits for the learner's before the replay plays on (None: forever).
        self.interrupt_wait = interrupt_wait
        self.scheduler = Scheduler(self.lock)
        self.files = FilesBackend(self)  # /v1/files (files.py)
        self.environments = EnvironmentsBackend(self)  # /v1/environments (environments.py)
        self.agents = AgentsBackend(self)  # /v1/agents (agents.py)
        self.sessions = SessionsBackend(self)  # /v1/sessions, their resources and events (sessions.py)
        self.deployments = DeploymentsBackend(self)  # /v1/deployments and /v1/deployment_runs (deployments.py)
        self.skills = SkillsBackend(self)  # /v1/skills (skills.py)
        self.memory = MemoryStoresBackend(self)  # /v1/memory_stores (memory_stores.py)
        self.dreams = DreamsBackend(self)  # /v1/dreams (dreams.py)
        self.vaults = VaultsBackend(self)  # /v1/vaults and their credentials (vaults.py)
        self.threads = ThreadsBackend(self)  # /v1/sessions/{id}/threads (threads.py)

    @property
    def speed(self) -> Any:
        return self._speed

    @speed.setter
    def speed(self, value: Any) -> None:
        self._speed = parse_speed(value)

    def close(self) -> None:
        self.scheduler.stop()
        self.sessions.close_streams()
