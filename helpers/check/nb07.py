"""The checks of notebook 07, *Ship it*: the deployment (7.1), its run followed to the end (7.2), the report among the
session's outputs (7.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr, event_text
from ..outputs import list_outputs
from ..sandbox import LOG_PATH, OUTPUTS_DIR, mounted_at
from .history import _history, _type_of, _unanswered_calls
from .runs import _callable, need
from .verdicts import CheckFailed, _a, _clip, fail, ok

__all__ = ["deployment", "responded", "report"]


def _workshop_metadata() -> dict:
    from ..resources import WORKSHOP_METADATA

    return dict(WORKSHOP_METADATA)


def deployment(ensure_deployment: Any, client: Any, agent_obj: Any, log_file: Any) -> None:
    """07 (exercise 7.1): the investigator deployed with the alert, app.log, a budget and the workshop metadata;
    calling ``ensure_deployment`` again reuses it."""
    __tracebackhide__ = True
    fn = _callable(ensure_deployment, "ensure_deployment", "7.1", "a function ensure_deployment(client)")
    try:
        first = fn(client)
        again = fn(client)
    except CheckFailed:
        raise
    except Exception as exc:  # the API's own message says what was wrong
        fail(f"ensure_deployment(client) raised {_a(type(exc).__name__)}: {_clip(str(exc), 300)}",
             "read the message: it names the field that is wrong (budget amounts are cents in a string, e.g. \"500\").")
    if attr(first, "type") != "deployment":
        fail(f"ensure_deployment(client) returned {type(first).__name__}, not a deployment.",
             "return what client.beta.deployments.create(...) (or the one you found in deployments.list) returns.")
    if attr(again, "id") != attr(first, "id"):
        fail("calling ensure_deployment(client) twice made two deployments.",
             "look for an active deployment with your name and the workshop metadata first "
             "(client.beta.deployments.list(...)), and create one only when there is none.")
    if attr(first, "archived_at"):
        fail("the deployment you return is archived.", "skip archived deployments when you look for yours.")
    meta = attr(first, "metadata") or {}
    if any(meta.get(k) != v for k, v in _workshop_metadata().items()):
        fail(f"its metadata is {meta}, without the workshop's.", "pass metadata=resources.WORKSHOP_METADATA, so it can be "
             "found again (and cleaned up).")
    if attr(first, "agent.id") != attr(agent_obj, "id"):
        fail(f"it deploys agent {attr(first, 'agent.id')!r}, not the investigator {attr(agent_obj, 'id')!r}.",
             "agent=agent.id deploys the investigator (pinned to its current version).")
    events = attr(first, "initial_events") or []
    messages = [e for e in events if attr(e, "type") == "user.message"]
    if not messages or "report.md" not in " ".join(event_text(m) for m in messages):
        fail(f"its initial events hold no user.message with the alert (which asks for {OUTPUTS_DIR}/report.md).",
             "initial_events=[ALERT_EVENT]: the alert starts every run's work.")
    mounts = [attr(r, "mount_path") for r in attr(first, "resources") or [] if attr(r, "file_id") == attr(log_file, "id")]
    if not any(mounted_at(m) == LOG_PATH for m in mounts if m):
        fail(f"app.log is not mounted where the agent reads it, {LOG_PATH} (mounts: {mounts or 'none'}).",
             "resources=[{\"type\": \"file\", \"file_id\": log_file.id, \"mount_path\": resources.LOG_MOUNT_PATH}].")
    cap = attr(first, "budget.max_list_cost")
    if cap is None:
        fail("the deployment has no budget: each run could spend without limit.",
             "budget=BUDGET: {\"type\": \"limit\", \"max_list_cost\": {\"amount\": \"500\", \"currency\": \"USD\"}}.")
    # this agent's deployments only: a shared workspace may hold other people's deployments with the same name
    named = [d for d in client.beta.deployments.list(agent_id=attr(agent_obj, "id"), limit=100)
             if attr(d, "name") == attr(first, "name")]
    if len(named) > 1:
        fail(f"{len(named)} active deployments of the investigator are named {attr(first, 'name')!r}: earlier runs of "
             "your cell left copies.",
             "archive the extra ones (client.beta.deployments.archive(id)), then run the cells again.")
    ok(f"Deployment {attr(first, 'name')!r}: the alert as its first message, app.log mounted, a "
       f"${int(attr(cap, 'amount')) / 100:.2f} budget per run, the workshop metadata; running the cell again reuses it.")


def _respond_none(respond: Any, client: Any, deployment_id: str) -> None:
    """``respond(None)`` returns None and fires nothing (the 7.2 goal: no alert, no run)."""
    def count() -> int:
        return len(list(client.beta.deployment_runs.list(deployment_id=deployment_id, limit=100)))

    before = count()
    try:
        nothing = respond(None)
    except Exception as exc:
        fail(f"respond(None) raised {_a(type(exc).__name__)}: {_clip(str(exc), 200)}",
             "when alert is None nothing fired: start respond with `if alert is None: return None`.")
    if nothing is not None or count() != before:
        fail(f"respond(None) {'ran the deployment' if count() != before else 'returned ' + type(nothing).__name__}"
             ", but no alert fired.", "start respond with `if alert is None: return None`.")


def responded(result: Any, client: Any, deployment_obj: Any, respond: Any = None) -> None:
    """07 (exercise 7.2): ``respond(None)`` is None, the deployment ran, its run is in the run history, and loop.run
    followed its session to the end (without sending a message of its own)."""
    __tracebackhide__ = True
    need(result, "result", "7.2", "what loop.run returned for the run's session")
    session_id = attr(result, "session_id")
    if not session_id or not hasattr(result, "stop_reason"):
        fail(f"`result` is {type(result).__name__}, not what loop.run returns.",
             "return loop.run(client, run.session_id, handle_tool=incident.handle_tool).")
    if respond is not None:
        _respond_none(respond, client, attr(deployment_obj, "id"))
    runs = [r for r in client.beta.deployment_runs.list(deployment_id=attr(deployment_obj, "id"), limit=100)
            if attr(r, "session_id") == session_id]
    if not runs:
        fail("the session you followed was not created by a run of your deployment.",
             "run = client.beta.deployments.run(deployment.id), then follow run.session_id.")
    history = _history(client, session_id)
    sent = [e for e in history if _type_of(e) == "user.message"]
    if len(sent) > 1:
        fail(f"the session got {len(sent)} user.message events: you sent one of your own.",
             "the deployment already sent the alert; call loop.run(client, run.session_id, handle_tool=...) with no message.")
    if attr(result, "stop_reason") != "end_turn":
        fail(f"loop.run stopped with {attr(result, 'stop_reason')!r}, not end_turn.",
             "pass handle_tool=incident.handle_tool: the agent's custom tools run on your laptop, even for a deployment.")
    calls, answered = _unanswered_calls(history)
    if calls:
        fail(f"{len(calls)} custom tool call(s) went unanswered.", "pass handle_tool=incident.handle_tool to loop.run.")
    if "dep_4820" not in attr(result, "text", ""):
        fail("the agent's last message does not name the culprit deploy.", "follow the session to its end_turn.")
    ok(f"A {attr(runs[0], 'trigger_context.type')} run of the deployment: its session investigated "
       f"({len(answered)} custom tool call(s) answered from here) and ended with end_turn, naming dep_4820.")


def report(outputs: Any, client: Any, session_id: str) -> None:
    """07 (exercise 7.3): the session's outputs, {filename: text}, listed with list_outputs (files.list(scope_id=...)
    with the Managed Agents beta header) and read with files.download."""
    __tracebackhide__ = True
    need(outputs, "outputs", "7.3", "a dict {filename: text} of the session's output files")
    if not isinstance(outputs, dict):
        fail(f"`outputs` is {type(outputs).__name__}, not a dict.", "build {f.filename: text} in a loop over the files.")
    downloadable = {attr(f, "filename") for f in list_outputs(client, session_id, expect=["report.md"])}
    extra = sorted(set(outputs) - downloadable)
    if extra:
        fail(f"{extra} are not outputs the agent wrote (the session's copy of a file you uploaded is listed too, "
             "but cannot be downloaded).", "keep only the files whose .downloadable is True.")
    if "report.md" not in outputs:
        fail(f"no report.md among {sorted(outputs) or 'no files'}.",
             "list them with list_outputs(client, session_id), download with client.beta.files.download(f.id).")
    text = outputs["report.md"]
    if not isinstance(text, str):
        fail(f"outputs['report.md'] is {type(text).__name__}, not the text.", "use client.beta.files.download(f.id).text().")
    if "dep_4820" not in text:
        fail("report.md does not name the culprit deploy.", "download the file the agent wrote, not another one.")
    ok(f"report.md ({len(text.encode())} bytes) read from the session's outputs: the agent's report, kept after the "
       "session ends.")
