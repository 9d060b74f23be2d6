"""The checks of notebook 06, *Beyond the basics*: the interrupt (6.1), the tool confirmation (6.2), the outcome (6.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..i18n import _, ngettext
from ..sandbox import LOG_PATH
from .history import _history, _sdk_event, _type_of
from .runs import _TODO_OF_CHECK, _callable, need
from .verdicts import _a, _clip, fail, ok

__all__ = ["interrupted", "confirmation", "outcome"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"interrupted": "6.1", "confirmation": "6.2", "outcome": "6.3"})


def interrupted(events: Any, client: Any, session_id: str) -> None:
    """06 (exercise 6.1): a user.interrupt mid-run, then the session idles."""
    __tracebackhide__ = True
    need(events, "events", "6.1", _("the events your interrupting loop received"))
    events = list(events)
    history = _history(client, session_id)
    types = [_type_of(e) for e in history]
    if "user.interrupt" not in types:
        fail(_("no user.interrupt reached the session."),
             _("send it with client.beta.sessions.events.send(session_id, events=[{\"type\": \"user.interrupt\"}])."))
    if types.count("user.interrupt") > 1:
        fail(_("the loop sent user.interrupt more than once."),
             _("send it once (remember that you did, e.g. interrupted = True)."))
    commands = types.count("agent.tool_result")
    if commands > 6:
        fail(_("the agent ran {n} commands before stopping: the interrupt came late (or after the run ended).").format(
                 n=commands),
             _("send the interrupt as soon as your condition is met, inside the stream loop."))
    if not events or _type_of(events[-1]) != "session.status_idle":
        fail(_("your loop did not stop on the idle that follows the interrupt."),
             _("keep reading after sending the interrupt; break on session.status_idle."))
    status = attr(client.beta.sessions.retrieve(session_id), "status")
    if status != "idle":
        fail(_("the session is {status!r} after the interrupt, not idle.").format(status=status),
             _("read the stream until the session.status_idle."))
    ok(ngettext("Interrupted after {n} command: the agent stopped at once and the session is idle, ready for your next "
                "message.",
                "Interrupted after {n} commands: the agent stopped at once and the session is idle, ready for your next "
                "message.", commands).format(n=commands))


def confirmation(confirm: Any) -> None:
    """06 (exercise 6.2): the user.tool_confirmation event for allow and for deny."""
    __tracebackhide__ = True
    _callable(confirm, "confirmation", "6.2",
              _("a function confirmation(tool_use, allow, deny_message=None) returning an event"))
    tool_use = _sdk_event({"type": "agent.tool_use", "id": "sevt_check_bash", "name": "bash",
                           "input": {"command": f"grep -c 'slow query' {LOG_PATH}"},
                           "evaluated_permission": "ask", "evaluation": {"type": "always_ask"}})

    def call(*args: Any, **kwargs: Any) -> dict:
        try:
            out = confirm(tool_use, *args, **kwargs)
        except NotImplementedError:
            fail(_("confirmation still raises NotImplementedError: TODO 6.2 is not done yet."),
                 _("write the function, then run its cell."))
        except Exception as exc:
            hint = _("build and return the dict only; the agent.tool_use's id is tool_use.id (an SDK event: read its "
                     "fields as attributes, not tool_use[\"id\"] or tool_use.tool_use_id).")
            if isinstance(exc, TypeError) and "argument" in str(exc):
                hint = _("define it as `def confirmation(tool_use, allow, deny_message=None):`.")
            fail(_("confirmation() raised {error}: {detail}").format(error=_a(type(exc).__name__), detail=exc), hint)
        if not isinstance(out, dict):
            fail(_("confirmation() returned a {kind}, not an event dict.").format(kind=type(out).__name__),
                 _("return {\"type\": \"user.tool_confirmation\", \"tool_use_id\": tool_use.id, \"result\": ...}."))
        if out.get("type") != "user.tool_confirmation":
            fail(_("the event's type is {type!r}.").format(type=out.get("type")),
                 _("use \"type\": \"user.tool_confirmation\"."))
        if out.get("tool_use_id") != "sevt_check_bash":
            fail(_("tool_use_id is {id!r}, not the id of the agent.tool_use.").format(id=out.get("tool_use_id")),
                 _("use \"tool_use_id\": tool_use.id."))
        return out

    yes = call(True)
    if yes.get("result") != "allow":
        fail(_("confirmation(tool_use, True) has result {result!r}.").format(result=yes.get("result")),
             _("allow=True means \"result\": \"allow\"."))
    if "deny_message" in call(True, "ignored"):
        fail(_("an allow carries a deny_message; the API rejects that."), _("add \"deny_message\" only when denying."))
    no = call(False, "No shell in production; use query_logs.")
    if no.get("result") != "deny":
        fail(_("confirmation(tool_use, False, ...) has result {result!r}.").format(result=no.get("result")),
             _("allow=False means \"result\": \"deny\"."))
    if no.get("deny_message") != "No shell in production; use query_logs.":
        fail(_("the deny has no deny_message (or a different one)."),
             _("pass the reason on: \"deny_message\": deny_message. The agent reads it and adapts."))
    ok(_("confirmation() allows, or denies with a reason the agent will read."))


def outcome(event: Any) -> None:
    """06 (exercise 6.3): a user.define_outcome with a description and a text rubric."""
    __tracebackhide__ = True
    need(event, "outcome", "6.3", _("the user.define_outcome event (a dict)"))
    if not isinstance(event, dict):
        fail(_("`outcome` is a {kind}, not an event dict.").format(kind=type(event).__name__),
             _("build a dict with \"type\": \"user.define_outcome\"."))
    if event.get("type") != "user.define_outcome":
        fail(_("the event's type is {type!r}.").format(type=event.get("type")),
             _("use \"type\": \"user.define_outcome\"."))
    if not str(event.get("description") or "").strip():
        fail(_("the outcome has no description."), _("say what you want produced: \"description\": POSTMORTEM."))
    rubric = event.get("rubric")
    if not isinstance(rubric, dict) or rubric.get("type") != "text" or not str(rubric.get("content") or "").strip():
        fail(_("rubric is {rubric}, not a text rubric.").format(rubric=_clip(rubric, 60)),
             _("use \"rubric\": {\"type\": \"text\", \"content\": RUBRIC}: the criteria the grader checks."))
    n = event.get("max_iterations")
    if n is not None and (not isinstance(n, int) or n < 1):
        fail(_("max_iterations is {n!r}.").format(n=n), _("give a small positive int (e.g. 3), or leave it out."))
    from anthropic.types.beta.sessions import BetaManagedAgentsUserDefineOutcomeEventParams
    from pydantic import TypeAdapter

    try:
        TypeAdapter(BetaManagedAgentsUserDefineOutcomeEventParams).validate_python(event)
    except Exception as exc:
        fail(_("the SDK's user.define_outcome shape rejects it: {detail}").format(detail=str(exc).splitlines()[0]),
             _("keys: type, description, rubric, and optionally max_iterations."))
    criteria = [ln for ln in rubric["content"].splitlines() if ln.strip()]
    ok(ngettext("An outcome with {n} rubric line: a grader will check the agent's work against them.",
                "An outcome with {n} rubric lines: a grader will check the agent's work against them.",
                len(criteria)).format(n=len(criteria)))
