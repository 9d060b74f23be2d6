"""The checks of notebook 03, *Session and stream*: the session with the log mounted (3.1), the hand-written stream loop (3.2)."""
from __future__ import annotations

from typing import Any

from ..events import attr, terminal_stop_reason
from ..i18n import _, ngettext
from ..sandbox import LOG_MOUNT_PATH, LOG_PATH, UPLOADS_DIR, mounted_at
from .history import _type_of
from .runs import _TODO_OF_CHECK, need, not_done
from .todo import is_todo
from .verdicts import fail, ok

__all__ = ["session", "stream_loop"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"session": "3.1", "stream_loop": "3.2"})


def session(sess: Any, agent_obj: Any = None, env: Any = None) -> None:
    """03 (exercise 3.1): a session pairing the agent and the environment, with the log mounted."""
    __tracebackhide__ = True
    need(sess, "session", "3.1", _("the session that client.beta.sessions.create(...) returns"))
    if attr(sess, "type") != "session" or not attr(sess, "id"):
        fail(_("`session` is a {kind}, not a session object.").format(kind=type(sess).__name__),
             _("assign the return value: `session = client.beta.sessions.create(...)`."))
    if agent_obj is not None and attr(sess, "agent.id") != attr(agent_obj, "id"):
        fail(_("the session runs a different agent than `agent`."), _("pass agent=agent.id."))
    if env is not None and attr(sess, "environment_id") != attr(env, "id"):
        fail(_("the session runs in a different environment than `env`."), _("pass environment_id=env.id."))
    mounts = {attr(r, "mount_path"): r for r in attr(sess, "resources") or [] if attr(r, "type") == "file"}
    log = next((m for m in mounts if m and mounted_at(m) == LOG_PATH), None)  # as sent, or as the sandbox has it
    if log is None:
        where = ", ".join(f"{m} → {mounted_at(m)}" for m in sorted(m for m in mounts if m)) or _("nothing")
        fail(_("app.log is not mounted where the agent reads it, {path} (mounted: {where}).").format(path=LOG_PATH,
                                                                                                   where=where),
             _("pass resources={resources}: a mount_path is rooted under {uploads}.").format(
                 resources=f'[{{"type": "file", "file_id": log_file.id, "mount_path": "{LOG_MOUNT_PATH}"}}]',
                 uploads=UPLOADS_DIR))
    from ..resources import WORKSHOP_METADATA

    metadata = attr(sess, "metadata") or {}
    if any(metadata.get(key) != value for key, value in WORKSHOP_METADATA.items()):
        fail(_("the session's metadata ({metadata}) does not say it is yours: `workshop.py reset` finds your sessions "
               "by {wanted}.").format(metadata=dict(metadata), wanted=WORKSHOP_METADATA),
             _("pass the cell's `**tags` (its title and metadata) to client.beta.sessions.create(...)."))
    ok(_("Session ready ({status}): agent v{version} in its environment, app.log mounted: {mount} → {path}, where the "
         "agent reads it.").format(status=attr(sess, "status"), version=attr(sess, "agent.version"), mount=log,
                                   path=LOG_PATH))


def _stop_reasons() -> tuple[str, ...]:
    """What a loop may set ``stop_reason`` to: the types of the SDK's idle ``stop_reason`` (end_turn, requires_action,
    retries_exhausted, budget_reached, refusal), and the loop's word for ``session.status_terminated``."""
    import typing

    from anthropic.types.beta.sessions import BetaManagedAgentsSessionStatusIdleEvent

    union = BetaManagedAgentsSessionStatusIdleEvent.model_fields["stop_reason"].annotation
    idle = tuple(literal for model in typing.get_args(union)
                 for literal in typing.get_args(model.model_fields["type"].annotation))
    return (*idle, terminal_stop_reason("session.status_terminated"))


def stream_loop(events: Any, stop_reason: Any) -> None:
    """03 (exercise 3.2): the hand-written loop collected the events and stopped for the right reason."""
    __tracebackhide__ = True
    not_done("3.2", "events", events)  # its cell raised (the untouched TODO, a deadline, ...): that, not the events
    need(events, "events", "3.2", _("the list of events your loop received"))
    if is_todo(stop_reason):
        need(stop_reason, "stop_reason", "3.2", _("the stop reason of the idle event that ended your loop"))
    events = list(events)
    types = [_type_of(e) for e in events]
    if not events:
        fail(_("your loop saw no events: `events` is empty."),
             _("open the stream with `{open}` and send the message inside it; then append every event inside `{loop}` "
               "before deciding whether to stop.").format(open=_OPEN_STREAM, loop="for event in stream:"))
    idles = [e for e in events if _type_of(e) == "session.status_idle"]
    n = len(events)
    if stop_reason is None or stop_reason is Ellipsis:
        if idles:
            fail(_("you saw session.status_idle but never set stop_reason."),
                 _("compare `event.type == \"session.status_idle\"` (the exact string) and set "
                   "`stop_reason = event.stop_reason.type` right before you break."))
        if "session.status_terminated" in types:
            fail(_("you saw session.status_terminated but never set stop_reason."),
                 _("set `stop_reason = \"terminated\"` when event.type == \"session.status_terminated\", then break."))
        fail(ngettext("your loop stopped after {n} event (the last one {last}), before any session.status_idle, and "
                      "stop_reason is {stop_reason!r}.",
                      "your loop stopped after {n} events (the last one {last}), before any session.status_idle, and "
                      "stop_reason is {stop_reason!r}.", n).format(n=n, last=types[-1], stop_reason=stop_reason),
             _("keep reading until `event.type == \"session.status_idle\"`, then set "
               "`stop_reason = event.stop_reason.type` and break."))
    if not idles and stop_reason != "terminated":
        fail(ngettext("your loop stopped after {n} event (the last one {last}), before any session.status_idle: it "
                      "would cut the agent off mid-turn.",
                      "your loop stopped after {n} events (the last one {last}), before any session.status_idle: it "
                      "would cut the agent off mid-turn.", n).format(n=n, last=types[-1]),
             _("break only on session.status_idle or session.status_terminated."))
    if "agent.message" not in types and "agent.tool_use" not in types and "agent.custom_tool_use" not in types:
        fail(_("no agent.* events were collected: did you send the user.message after opening the stream?"),
             _("open the stream with `{open}` and send inside it.").format(open=_OPEN_STREAM))
    stop_reasons = _stop_reasons()
    if stop_reason not in stop_reasons:
        if attr(stop_reason, "type") in stop_reasons:
            fail(_("`stop_reason` is the whole stop_reason object ({kind}), not its type.").format(
                     kind=type(stop_reason).__name__),
                 _("take the string: `stop_reason = event.stop_reason.type`."))
        fail(_("`stop_reason` is {stop_reason!r}, which is not a stop reason.").format(stop_reason=stop_reason),
             _("take it from the idle event: `stop_reason = event.stop_reason.type`."))
    last = types[-1]
    if last not in ("session.status_idle", "session.status_terminated"):
        fail(_("the loop kept reading after the stop: the last event is {last}.").format(last=last),
             _("`break` right after you see the idle (or terminated) event."))
    ok(_("Your loop read {n} events and stopped on {stop_reason!r} without hanging.").format(n=n,
                                                                                          stop_reason=stop_reason))


_OPEN_STREAM = "with client.beta.sessions.events.stream(session.id) as stream:"
