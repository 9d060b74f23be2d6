"""``helpers.connect()``: one client factory for the whole workshop, offline (replay) or live.

    client = helpers.connect()                 # WORKSHOP_MODE, else live if ANTHROPIC_API_KEY is set, else replay
    client = helpers.connect("replay")         # the in-process stub (started once per process, then reused)
    client = helpers.connect("replay", speed=1)  # replay at the recorded pace (for live demos)
    aclient = helpers.connect(async_=True)     # or connect_async(): an AsyncAnthropic

Replay clients use ``_strict_response_validation=True``: the stub is faithful to the SDK's types, so anything
that would not validate is a bug we want to see. Override with ``connect(..., _strict_response_validation=False)``.
"""
from __future__ import annotations

import functools
import os
import threading
from typing import Any

from .i18n import _

__all__ = ["connect", "connect_async", "import_sdk", "resolve_mode", "stub_server", "describe", "MODES"]

MODES = ("replay", "live")
_REPLAY_KEY = "replay-stub-key"  # any non-empty key works against the stub; it is not a secret

_lock = threading.Lock()
_server: Any = None


def resolve_mode(mode: str | None = None) -> str:
    """The mode to use: the argument, else $WORKSHOP_MODE, else "live" when ANTHROPIC_API_KEY is set, else "replay"."""
    m = mode or os.environ.get("WORKSHOP_MODE") or ("live" if os.environ.get("ANTHROPIC_API_KEY") else "replay")
    m = m.strip().lower()
    if m not in MODES:
        raise ValueError(_("unknown mode {mode} (from {source}); use 'replay' (offline, recorded sessions) or 'live' (the "
                           "real API, needs ANTHROPIC_API_KEY).").format(
            mode=repr(m), source=_("the argument") if mode else "WORKSHOP_MODE"))
    return m


def stub_server(speed: Any = None) -> Any:
    """The process-wide stub (started on first use). ``speed`` changes its replay pace if given."""
    global _server
    with _lock:
        if _server is None:
            from . import stub

            default_speed = os.environ.get("WORKSHOP_REPLAY_SPEED") or "instant"
            # Streams stay open while a session idles, as live; a loop that forgets to stop ends at its own
            # timeout, the same way in both modes (helpers/deadline.py).
            _server = stub.start(port=0, speed=speed if speed is not None else default_speed, keepalive=5.0)
        elif speed is not None:
            _server.speed = speed
        return _server


def _client_kwargs(mode: str, speed: Any, client_kwargs: dict) -> dict:
    if mode == "replay":
        server = stub_server(speed)
        kw = {"api_key": _REPLAY_KEY, "base_url": server.url, "_strict_response_validation": True}
        kw.update(client_kwargs)
        return kw
    if speed is not None:
        raise ValueError(_("speed= only applies to replay mode; the live API runs at its own pace."))
    kw = dict(client_kwargs)
    if not kw.get("api_key"):
        key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
        if not key:
            raise RuntimeError(_(
                "Live mode needs an API key, and ANTHROPIC_API_KEY is not set. Set it in your shell (export "
                "ANTHROPIC_API_KEY=...) before starting JupyterLab, or type it in without saving it in the notebook: "
                "os.environ['ANTHROPIC_API_KEY'] = getpass.getpass('API key: '); then call helpers.connect('live') "
                "again. Or use helpers.connect('replay') to work offline."))
        kw["api_key"] = key
    return kw


def import_sdk() -> Any:
    """``import anthropic``, the first time with the cyclic garbage collector off; then ``gc.freeze()``.

    The SDK's import makes ~200,000 long-lived objects (its pydantic models and their schemas). With the collector on,
    the import pays for collections that find almost nothing (~0.3 s of ~1.4 s), and every later full collection walks
    them all again, the last one when the kernel exits (~0.6 s of each kernel shutdown or restart). So the import runs
    with the collector off, and ``gc.freeze()`` then moves every object alive at that moment (the SDK's, and the few
    made before, such as IPython's) to the permanent generation, which collections skip; objects made later are
    collected as usual. The price: what was frozen is never collected, even if it later becomes cyclic garbage (a full
    collection right after the import would free ~700 objects). The collector is left on or off as the caller had
    it. If ``anthropic`` was imported before (``import anthropic`` in a cell above), this changes nothing. Either
    way, the class of an events page is then kept alive (:func:`_pin_page_types`). Measured by
    benchmarks/bench_notebooks.py (the floor).
    """
    import sys

    if "anthropic" in sys.modules:
        _pin_page_types()
        return sys.modules["anthropic"]
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        import anthropic
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    _pin_page_types()
    return anthropic


#: Parametrized page classes kept alive for the whole process (see _pin_page_types).
_PINNED: list = []


def _pin_page_types() -> None:
    """Keep ``SyncPageCursor[BetaManagedAgentsSessionEvent]`` alive: the class of every ``events.list()`` page.

    pydantic caches a parametrized generic class only while something references it (a ``WeakValueDictionary``), and
    the class sits in reference cycles, so the first garbage collection after a page is dropped takes the class with
    it; the next ``events.list()`` then makes the class again and builds its validator again (~15 ms, against ~1 ms
    for a list whose class is alive; a notebook lists events a dozen times). Holding it costs ~1.5 ms, once.
    """
    if _PINNED:
        return
    try:
        from anthropic.pagination import SyncPageCursor
        from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
    except ImportError:  # an SDK that names them otherwise: each list() pays for its class again, nothing breaks
        return
    _PINNED.append(SyncPageCursor[BetaManagedAgentsSessionEvent])


def connect(mode: str | None = None, *, speed: Any = None, async_: bool = False, **client_kwargs: Any) -> Any:
    """Return an ``anthropic.Anthropic`` (or ``AsyncAnthropic`` with ``async_=True``) for ``mode``.

    mode: "replay" (the in-process stub; no network, no key) or "live" (``ANTHROPIC_API_KEY``).
    Default: ``$WORKSHOP_MODE``, else live when ``ANTHROPIC_API_KEY`` is set, else replay.
    speed: replay pace, "instant" or a multiplier of the recorded pace (default $WORKSHOP_REPLAY_SPEED or instant).
    client_kwargs: passed to the client (e.g. ``max_retries=0``, ``timeout=30``).
    """
    anthropic = import_sdk()
    m = resolve_mode(mode)
    kw = _client_kwargs(m, speed, client_kwargs)
    if not async_ and "http_client" not in kw:
        plain = m == "replay" and str(kw.get("base_url", "")).startswith("http://")
        kw["http_client"] = _http_client_class(anthropic)(**({"verify": False} if plain else {}))
    cls = anthropic.AsyncAnthropic if async_ else anthropic.Anthropic
    return cls(**kw)


@functools.cache
def _http_client_class(anthropic: Any) -> type:
    """The HTTP client of a sync client, offline and live: the SDK's ``DefaultHttpxClient``, where a session's event
    stream ends at its ``timeout`` (its deadline: helpers/deadline.py), closed when dropped (as the SDK's own is).

    Replay clients make it with ``verify=False``: the stub speaks plain HTTP on 127.0.0.1, so there is no TLS to
    verify, and the default client loads the CA certificates anyway, ~19 ms for every client (the notebooks connect
    again to change the replay's pace).
    """
    from . import deadline

    class WorkshopHttpClient(anthropic.DefaultHttpxClient):
        def send(self, request: Any, **kwargs: Any) -> Any:
            response = super().send(request, **kwargs)
            seconds = deadline.deadline_of(request)
            if kwargs.get("stream") and seconds is not None and deadline.is_event_stream(response):
                deadline.with_deadline(response, seconds)
            return response

        def __del__(self) -> None:
            try:
                if not self.is_closed:
                    self.close()
            except Exception:
                pass

    return WorkshopHttpClient


def connect_async(mode: str | None = None, *, speed: Any = None, **client_kwargs: Any) -> Any:
    """``connect(..., async_=True)``: an ``anthropic.AsyncAnthropic`` (the session tool runner needs one)."""
    return connect(mode, speed=speed, async_=True, **client_kwargs)


def describe(client: Any) -> str:
    """One line saying where a client points, without revealing the key."""
    url = str(getattr(client, "base_url", ""))
    if _server is not None and url.rstrip("/") == _server.url:
        return _("replay (stub at {url})").format(url=url)
    return _("live ({url})").format(url=url)
