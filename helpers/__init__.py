"""Shared helpers for "Ship Your First Managed Agent".

Import is cheap: heavy modules (pandas, matplotlib, ipywidgets, the stub) load
only when first used.

    helpers.connect()      -> anthropic.Anthropic, offline replay or live (helpers/client.py)
    helpers.events         -> the event vocabulary (statuses, what waits for what, an event's text)
    helpers.incident       -> the Incident-2277 evidence and the custom tools
    helpers.stub           -> the recorded-event stub of the Managed Agents API
    helpers.render         -> one readable line per session event
    helpers.loop           -> the event loop: stream, answer tools, stop cleanly
    helpers.check          -> the notebooks' self-checks
    helpers.dashboard      -> the Incident-2277 dashboard (ipywidgets)
    helpers.resources      -> the agent, environment and log file of notebook 02, reused later
    helpers.sandbox        -> the sandbox's file layout: where a mount lands, where outputs go
    helpers.outputs        -> a session's outputs (the beta header, and the wait for late files)
    helpers.toolset        -> which built-in tools an agent's tools enable, with what permission policy
    helpers.timestamps     -> parse_iso: what an ISO 8601 time means everywhere (no offset is UTC)
    helpers.exercises      -> the exercise markers of a solution (### BEGIN SOLUTION N.M ...)
    helpers.deadline       -> a stream's deadline (StreamDeadline, when a loop reads past its session's pause)
"""
from __future__ import annotations

import importlib

from .settings import DATA_DIR, MODEL, ROOT

__all__ = ["connect", "DATA_DIR", "MODEL", "ROOT"]

_SUBMODULES = {"incident", "stub", "render", "loop", "check", "dashboard", "client", "settings", "resources", "events",
               "hints", "sandbox", "outputs", "toolset", "timestamps", "exercises", "deadline"}


def connect(mode: str | None = None, **kwargs):
    """Return an ``anthropic.Anthropic`` client for ``mode`` ("replay" or "live").

    See ``helpers.client.connect`` for the rules.
    """
    from .client import connect as _connect

    return _connect(mode, **kwargs)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
