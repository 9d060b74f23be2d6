"""The checks of notebook 00, *The mental model*: the client and its mode (``setup``), the events you send and receive (0.1)."""
from __future__ import annotations

from typing import Any

from ..i18n import _
from .runs import _TODO_OF_CHECK, need
from .verdicts import fail, ok

__all__ = ["setup", "event_direction"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``). ``setup``
#: judges the set-up, no exercise.
_TODO_OF_CHECK.update({"event_direction": "0.1"})


def setup(client: Any, mode: str) -> None:
    """00: the client is connected, the SDK is the pinned one, and the evidence is on disk."""
    __tracebackhide__ = True
    import anthropic

    from ..settings import DATA_DIR, TESTED_SDK, sdk_supported

    if mode not in ("replay", "live"):
        fail(_("MODE is {mode!r}; it must be \"replay\" (offline) or \"live\" (needs ANTHROPIC_API_KEY).").format(mode=mode),
             _("set MODE in the first cell, or the WORKSHOP_MODE environment variable, then restart the kernel."))
    if not isinstance(client, anthropic.Anthropic):
        fail(_("`client` is a {kind}, not an anthropic.Anthropic.").format(kind=type(client).__name__),
             _("create it with `client = helpers.connect(MODE)`."))
    if not sdk_supported(anthropic.__version__):
        major = TESTED_SDK.split(".")[0]
        fail(_("anthropic {version} is installed; this workshop needs {major}.x from {tested} on (it is tested with "
               "{tested}).").format(version=anthropic.__version__, major=major, tested=TESTED_SDK),
             _("run `python3 workshop.py open` (it installs the pinned anthropic=={tested} into .venv) and pick the "
               ".venv kernel, or `pip install 'anthropic=={tested}'` in your own environment.").format(tested=TESTED_SDK))
    missing = [n for n in ("app.log", "metrics.json", "deploys.json", "diff.txt") if not (DATA_DIR / n).exists()]
    if missing:
        fail(_("the incident evidence is missing from {folder}/: {files}.").format(folder=DATA_DIR.name,
                                                                                 files=", ".join(missing)),
             _("run `python scripts/generate_data.py` from the repository root."))
    where = (_("offline replay of sessions authored from the docs") if mode == "replay"
             else _("the live Managed Agents API"))
    ok(_("Connected in {mode} mode ({where}), anthropic {version}, evidence present in data/.").format(
        mode=mode, where=where, version=anthropic.__version__))


def event_direction(sent: Any, received: Any) -> None:
    """00 (exercise 0.1): split event types into the ones you send and the ones you receive."""
    __tracebackhide__ = True
    need(sent, "sent", "0.1", _("the set of event types your code sends"))
    need(received, "received", "0.1", _("the set of event types you receive"))
    sent, received = set(sent), set(received)
    wrong_sent = sorted(t for t in sent if not str(t).startswith(("user.", "system.")))
    if wrong_sent:
        fail(_("`sent` contains {types}, which the session emits, not you.").format(types=", ".join(wrong_sent)),
             _("the events you send are the ones whose domain is `user` (and `system.message`)."))
    wrong_recv = sorted(t for t in received if str(t).startswith("user."))
    if wrong_recv:
        fail(_("`received` contains {types}; user.* events are the ones you send: they only come back to you as "
               "echoes of what you sent.").format(types=", ".join(wrong_recv)),
             _("keep the agent.*, session.* and span.* types in `received`, and every user.* type in `sent`."))
    for must in ("user.message", "user.custom_tool_result"):
        if must not in sent:
            fail(_("`sent` is missing {type}.").format(type=must),
                 _("every user.* type in CORE_EVENTS is one you send; the list printed above under \"You send ... "
                   "types\" has them all."))
    for must in ("agent.custom_tool_use", "session.status_idle"):
        if must not in received:
            fail(_("`received` is missing {type}.").format(type=must),
                 _("every agent.* and session.* type in CORE_EVENTS is one you receive; the list printed above under "
                   "\"You receive ... types\" has them all, by domain."))
    ok(_("{sent} event types you send, {received} you receive: {pattern} tells them apart.").format(
        sent=len(sent), received=len(received), pattern="{domain}.{action}"))
