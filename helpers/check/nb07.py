"""The checks of notebook 07, *Ship it*: the deployment (7.1), its run followed to the end (7.2), the report among the
session's outputs (7.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr, event_text
from ..i18n import _
from ..outputs import list_outputs
from ..sandbox import LOG_PATH, OUTPUTS_DIR, mounted_at
from .history import _history, _type_of, _unanswered_calls
from .runs import _TODO_OF_CHECK, _callable, need
from .verdicts import CheckFailed, _a, _clip, fail, ok

__all__ = ["deployment", "responded", "report"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"deployment": "7.1", "responded": "7.2", "report": "7.3"})


def _workshop_metadata() -> dict:
    from ..resources import WORKSHOP_METADATA

    return dict(WORKSHOP_METADATA)


def deployment(ensure_deployment: Any, client: Any, agent_obj: Any, log_file: Any) -> None:
    """07 (exercise 7.1): the investigator deployed with the alert, app.log, a budget and the workshop metadata;
    calling ``ensure_deployment`` again reuses it."""
    __tracebackhide__ = True
    fn = _callable(ensure_deployment, "ensure_deployment", "7.1", _("a function ensure_deployment(client)"))
    try:
        first = fn(client)
        again = fn(client)
    except CheckFailed:
        raise
    except Exception as exc:  # the API's own message says what was wrong
        fail(_("ensure_deployment(client) raised {error}: {detail}").format(error=_a(type(exc).__name__),
                                                                             detail=_clip(str(exc), 300)),
             _("read the message: it names the field that is wrong (budget amounts are cents in a string, e.g. "
               "\"500\")."))
    if attr(first, "type") != "deployment":
        fail(_("ensure_deployment(client) returned {kind}, not a deployment.").format(kind=type(first).__name__),
             _("return what client.beta.deployments.create(...) (or the one you found in deployments.list) returns."))
    if attr(again, "id") != attr(first, "id"):
        fail(_("calling ensure_deployment(client) twice made two deployments."),
             _("look for an active deployment with your name and the workshop metadata first "
               "(client.beta.deployments.list(...)), and create one only when there is none."))
    if attr(first, "archived_at"):
        fail(_("the deployment you return is archived."), _("skip archived deployments when you look for yours."))
    meta = attr(first, "metadata") or {}
    if any(meta.get(k) != v for k, v in _workshop_metadata().items()):
        fail(_("its metadata is {metadata}, without the workshop's.").format(metadata=meta),
             _("pass metadata=resources.WORKSHOP_METADATA, so it can be found again (and cleaned up)."))
    if attr(first, "agent.id") != attr(agent_obj, "id"):
        fail(_("it deploys agent {agent!r}, not the investigator {investigator!r}.").format(
                 agent=attr(first, "agent.id"), investigator=attr(agent_obj, "id")),
             _("agent=agent.id deploys the investigator (pinned to its current version)."))
    events = attr(first, "initial_events") or []
    messages = [e for e in events if attr(e, "type") == "user.message"]
    if not messages or "report.md" not in " ".join(event_text(m) for m in messages):
        fail(_("its initial events hold no user.message with the alert (which asks for {outputs}/report.md).").format(
                 outputs=OUTPUTS_DIR),
             _("initial_events=[ALERT_EVENT]: the alert starts every run's work."))
    mounts = [attr(r, "mount_path") for r in attr(first, "resources") or [] if attr(r, "file_id") == attr(log_file, "id")]
    if not any(mounted_at(m) == LOG_PATH for m in mounts if m):
        fail(_("app.log is not mounted where the agent reads it, {path} (mounts: {mounts}).").format(
                 path=LOG_PATH, mounts=mounts or _("none")),
             _("resources=[{\"type\": \"file\", \"file_id\": log_file.id, \"mount_path\": "
               "resources.LOG_MOUNT_PATH}]."))
    cap = attr(first, "budget.max_list_cost")
    if cap is None:
        fail(_("the deployment has no budget: each run could spend without limit."),
             _("budget=BUDGET: {\"type\": \"limit\", \"max_list_cost\": {\"amount\": \"500\", \"currency\": "
               "\"USD\"}}."))
    # this agent's deployments only: a shared workspace may hold other people's deployments with the same name
    named = [d for d in client.beta.deployments.list(agent_id=attr(agent_obj, "id"), limit=100)
             if attr(d, "name") == attr(first, "name")]
    if len(named) > 1:
        fail(_("{n} active deployments of the investigator are named {name!r}: earlier runs of your cell left "
               "copies.").format(n=len(named), name=attr(first, "name")),
             _("archive the extra ones (client.beta.deployments.archive(id)), then run the cells again."))
    ok(_("Deployment {name!r}: the alert as its first message, app.log mounted, a ${dollars:.2f} budget per run, the "
         "workshop metadata; running the cell again reuses it.").format(name=attr(first, "name"),
                                                                       dollars=int(attr(cap, "amount")) / 100))


def _respond_none(respond: Any, client: Any, deployment_id: str) -> None:
    """``respond(None)`` returns None and fires nothing (the 7.2 goal: no alert, no run)."""
    def count() -> int:
        return len(list(client.beta.deployment_runs.list(deployment_id=deployment_id, limit=100)))

    before = count()
    try:
        nothing = respond(None)
    except Exception as exc:
        fail(_("respond(None) raised {error}: {detail}").format(error=_a(type(exc).__name__),
                                                                detail=_clip(str(exc), 200)),
             _("when alert is None nothing fired: start respond with `if alert is None: return None`."))
    if nothing is not None or count() != before:
        fail((_("respond(None) ran the deployment, but no alert fired.") if count() != before else
              _("respond(None) returned {kind}, but no alert fired.").format(kind=type(nothing).__name__)),
             _("start respond with `if alert is None: return None`."))


def responded(result: Any, client: Any, deployment_obj: Any, respond: Any = None) -> None:
    """07 (exercise 7.2): ``respond(None)`` is None, the deployment ran, its run is in the run history, and loop.run
    followed its session to the end (without sending a message of its own)."""
    __tracebackhide__ = True
    need(result, "result", "7.2", _("what loop.run returned for the run's session"))
    session_id = attr(result, "session_id")
    if not session_id or not hasattr(result, "stop_reason"):
        fail(_("`result` is {kind}, not what loop.run returns.").format(kind=type(result).__name__),
             _("return loop.run(client, run.session_id, handle_tool=incident.handle_tool)."))
    if respond is not None:
        _respond_none(respond, client, attr(deployment_obj, "id"))
    runs = [r for r in client.beta.deployment_runs.list(deployment_id=attr(deployment_obj, "id"), limit=100)
            if attr(r, "session_id") == session_id]
    if not runs:
        fail(_("the session you followed was not created by a run of your deployment."),
             _("run = client.beta.deployments.run(deployment.id), then follow run.session_id."))
    history = _history(client, session_id)
    sent = [e for e in history if _type_of(e) == "user.message"]
    if len(sent) > 1:
        fail(_("the session got {n} user.message events: you sent one of your own.").format(n=len(sent)),
             _("the deployment already sent the alert; call loop.run(client, run.session_id, handle_tool=...) with no "
               "message."))
    if attr(result, "stop_reason") != "end_turn":
        fail(_("loop.run stopped with {stop_reason!r}, not end_turn.").format(stop_reason=attr(result, "stop_reason")),
             _("pass handle_tool=incident.handle_tool: the agent's custom tools run on your laptop, even for a "
               "deployment."))
    calls, answered = _unanswered_calls(history)
    if calls:
        fail(_("{n} custom tool call(s) went unanswered.").format(n=len(calls)),
             _("pass handle_tool=incident.handle_tool to loop.run."))
    if "dep_4820" not in attr(result, "text", ""):
        fail(_("the agent's last message does not name the culprit deploy."), _("follow the session to its end_turn."))
    ok(_("A {trigger} run of the deployment: its session investigated ({n} custom tool call(s) answered from here) and "
         "ended with end_turn, naming dep_4820.").format(trigger=attr(runs[0], "trigger_context.type"), n=len(answered)))


def report(outputs: Any, client: Any, session_id: str) -> None:
    """07 (exercise 7.3): the session's outputs, {filename: text}, listed with list_outputs (files.list(scope_id=...)
    with the Managed Agents beta header) and read with files.download."""
    __tracebackhide__ = True
    need(outputs, "outputs", "7.3", _("a dict {filename: text} of the session's output files"))
    if not isinstance(outputs, dict):
        fail(_("`outputs` is {kind}, not a dict.").format(kind=type(outputs).__name__),
             _("build {f.filename: text} in a loop over the files."))
    downloadable = {attr(f, "filename") for f in list_outputs(client, session_id, expect=["report.md"])}
    extra = sorted(set(outputs) - downloadable)
    if extra:
        fail(_("{files} are not outputs the agent wrote (the session's copy of a file you uploaded is listed too, but "
               "cannot be downloaded).").format(files=extra), _("keep only the files whose .downloadable is True."))
    if "report.md" not in outputs:
        fail(_("no report.md among {files}.").format(files=sorted(outputs) or _("no files")),
             _("list them with list_outputs(client, session_id), download with client.beta.files.download(f.id)."))
    text = outputs["report.md"]
    if not isinstance(text, str):
        fail(_("outputs['report.md'] is {kind}, not the text.").format(kind=type(text).__name__),
             _("use client.beta.files.download(f.id).text()."))
    if "dep_4820" not in text:
        fail(_("report.md does not name the culprit deploy."), _("download the file the agent wrote, not another one."))
    ok(_("report.md ({n} bytes) read from the session's outputs: the agent's report, kept after the session ends.").format(
        n=len(text.encode())))
