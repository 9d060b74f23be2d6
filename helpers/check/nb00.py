"""The checks of notebook 00, *The mental model*: the client and its mode (``setup``), the events you send and receive (0.1)."""
from __future__ import annotations

from typing import Any

from .runs import need
from .verdicts import fail, ok

__all__ = ["setup", "event_direction"]


def setup(client: Any, mode: str) -> None:
    """00: the client is connected, the SDK is the pinned one, and the evidence is on disk."""
    __tracebackhide__ = True
    import anthropic

    from ..settings import DATA_DIR, TESTED_SDK, sdk_supported

    if mode not in ("replay", "live"):
        fail(f"MODE is {mode!r}; it must be \"replay\" (offline) or \"live\" (needs ANTHROPIC_API_KEY).",
             "set MODE in the first cell, or the WORKSHOP_MODE environment variable, then restart the kernel.")
    if not isinstance(client, anthropic.Anthropic):
        fail(f"`client` is a {type(client).__name__}, not an anthropic.Anthropic.",
             "create it with `client = helpers.connect(MODE)`.")
    if not sdk_supported(anthropic.__version__):
        major = TESTED_SDK.split(".")[0]
        fail(f"anthropic {anthropic.__version__} is installed; this workshop needs {major}.x from {TESTED_SDK} on "
             f"(it is tested with {TESTED_SDK}).",
             f"run `python3 workshop.py open` (it installs the pinned anthropic=={TESTED_SDK} into .venv) and pick "
             "the .venv kernel, or `pip install 'anthropic=={TESTED_SDK}'` in your own environment.")
    missing = [n for n in ("app.log", "metrics.json", "deploys.json", "diff.txt") if not (DATA_DIR / n).exists()]
    if missing:
        fail(f"the incident evidence is missing from {DATA_DIR.name}/: {', '.join(missing)}.",
             "run `python scripts/generate_data.py` from the repository root.")
    where = "offline replay of sessions authored from the docs" if mode == "replay" else "the live Managed Agents API"
    ok(f"Connected in {mode} mode ({where}), anthropic {anthropic.__version__}, evidence present in data/.")


def event_direction(sent: Any, received: Any) -> None:
    """00 (exercise 0.1): split event types into the ones you send and the ones you receive."""
    __tracebackhide__ = True
    need(sent, "sent", "0.1", "the set of event types your code sends")
    need(received, "received", "0.1", "the set of event types you receive")
    sent, received = set(sent), set(received)
    wrong_sent = sorted(t for t in sent if not str(t).startswith(("user.", "system.")))
    if wrong_sent:
        fail(f"`sent` contains {', '.join(wrong_sent)}, which the session emits, not you.",
             "the events you send are the ones whose domain is `user` (and `system.message`).")
    wrong_recv = sorted(t for t in received if str(t).startswith("user."))
    if wrong_recv:
        fail(f"`received` contains {', '.join(wrong_recv)}; user.* events are the ones you send: they only come back "
             "to you as echoes of what you sent.",
             "keep the agent.*, session.* and span.* types in `received`, and every user.* type in `sent`.")
    for must in ("user.message", "user.custom_tool_result"):
        if must not in sent:
            fail(f"`sent` is missing {must}.",
                 "every user.* type in CORE_EVENTS is one you send; the list printed above under \"You send ... types\" "
                 "has them all.")
    for must in ("agent.custom_tool_use", "session.status_idle"):
        if must not in received:
            fail(f"`received` is missing {must}.",
                 "every agent.* and session.* type in CORE_EVENTS is one you receive; the list printed above under "
                 "\"You receive ... types\" has them all, by domain.")
    ok(f"{len(sent)} event types you send, {len(received)} you receive: {{domain}}.{{action}} tells them apart.")
