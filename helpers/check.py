"""Self-checks for the notebooks: ✅ when you got it right, ❌ with a plain-words hint when not.

Every exercise cell is followed by a check cell, e.g.::

    check.environment(env)

A passing check prints one ✅ line saying what is right. A failing check raises
:class:`CheckFailed` whose message is the ❌ explanation and a hint; Jupyter shows just that
message (no long traceback), and papermill and the tests see a failed cell.

Untouched TODO cells assign :data:`TODO` to the variables the exercise should set, then raise
``NotImplementedError``. So a check run before the exercise says "env is still the TODO
placeholder: complete TODO 2.1 and run its cell" rather than a ``NameError``.

Layout of this file (append, keep the sections):

* the framework (``TODO``, ``CheckFailed``, ``ok``, ``fail``, ``need``, ``attr``, ...),
* one section per notebook, ``# ==== NN title ====``, with that notebook's checks in order.
  Notebooks 00–03 are here; 04–06 append theirs at the end.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

__all__ = ["TODO", "CheckFailed", "ok", "fail", "need", "attr", "is_todo"]


# =============================================================================== framework
class _Todo:
    """The placeholder a learner's untouched exercise cell leaves in its variables."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "check.TODO"

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise CheckFailed(
            f"❌ This value is still the TODO placeholder, so it has no .{name}.\n"
            "Hint: complete the TODO cell above (replace the placeholder and the raise) and run it."
        )


#: The sentinel that generated learner cells assign before raising NotImplementedError.
TODO = _Todo()


class CheckFailed(AssertionError):
    """A check that did not pass. Its message is the whole explanation."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    # IPython shows only what this returns instead of a traceback.
    def _render_traceback_(self) -> list[str]:
        return [self.message]


def is_todo(value: Any) -> bool:
    return value is TODO


def ok(message: str) -> None:
    """Report a passed check."""
    print(f"✅ {message}", flush=True)


def fail(problem: str, hint: str | None = None) -> None:
    """Fail a check: ``problem`` says what is wrong in plain words, ``hint`` how to fix it."""
    __tracebackhide__ = True
    text = f"❌ {problem}"
    if hint:
        text += f"\nHint: {hint}"
    raise CheckFailed(text)


def need(value: Any, name: str, todo: str, what: str | None = None) -> Any:
    """Fail unless ``value`` was set by the learner (not the TODO placeholder, not None/Ellipsis).

    ``name`` is the variable as the learner sees it, ``todo`` the exercise number ("2.1")."""
    __tracebackhide__ = True
    if value is TODO:
        fail(
            f"`{name}` is still the TODO placeholder: complete TODO {todo} and run its cell.",
            f"replace the `raise NotImplementedError(...)` line of TODO {todo} with your code"
            + (f" that sets `{name}` to {what}." if what else f" that sets `{name}`."),
        )
    if value is None or value is Ellipsis:
        fail(
            f"`{name}` is {value!r}: TODO {todo} should set it to {what or 'a value'}.",
            f"check that the last line of your TODO {todo} code assigns `{name} = ...` (and that a function returns it).",
        )
    return value


def attr(obj: Any, path: str, default: Any = None) -> Any:
    """``obj.a.b`` or ``obj["a"]["b"]`` for ``path="a.b"``; works on SDK objects and dicts."""
    cur = obj
    for part in path.split("."):
        if cur is None:
            return default
        if isinstance(cur, dict):
            cur = cur.get(part, default)
        elif isinstance(cur, (list, tuple)) and part.isdigit():
            idx = int(part)
            cur = cur[idx] if idx < len(cur) else default
        else:
            cur = getattr(cur, part, default)
    return cur


def _type_of(event: Any) -> str | None:
    return attr(event, "type")


def _tools_of(agent: Any) -> list:
    return list(attr(agent, "tools") or [])


def _model_id(agent: Any) -> str | None:
    model = attr(agent, "model")
    if isinstance(model, str):
        return model
    return attr(model, "id")


# =============================================================================== 00 The mental model
def setup(client: Any, mode: str) -> None:
    """00: the client is connected, the SDK is the pinned one, and the evidence is on disk."""
    __tracebackhide__ = True
    import anthropic

    from .settings import DATA_DIR

    if mode not in ("replay", "live"):
        fail(f"MODE is {mode!r}; it must be \"replay\" (offline) or \"live\" (needs ANTHROPIC_API_KEY).",
             "set MODE in the first cell, or the WORKSHOP_MODE environment variable, then restart the kernel.")
    if not isinstance(client, anthropic.Anthropic):
        fail(f"`client` is a {type(client).__name__}, not an anthropic.Anthropic.",
             "create it with `client = helpers.connect(MODE)`.")
    if anthropic.__version__ != "2.10.0":
        fail(f"anthropic {anthropic.__version__} is installed; this workshop is written for 2.10.0.",
             "run `python3 workshop.py open` (it installs the pinned requirements into .venv) and pick the .venv kernel.")
    missing = [n for n in ("app.log", "metrics.json", "deploys.json", "diff.txt") if not (DATA_DIR / n).exists()]
    if missing:
        fail(f"the incident evidence is missing from {DATA_DIR.name}/: {', '.join(missing)}.",
             "run `python scripts/generate_data.py` from the repository root.")
    where = "offline replay of recorded sessions" if mode == "replay" else "the live Managed Agents API"
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
        fail(f"`received` contains {', '.join(wrong_recv)}; user.* events are the ones you send.",
             "keep the agent.*, session.* and span.* types in `received`.")
    for must in ("user.message", "user.custom_tool_result"):
        if must not in sent:
            fail(f"`sent` is missing {must}.", "look at the left column of the event table above.")
    for must in ("agent.custom_tool_use", "session.status_idle"):
        if must not in received:
            fail(f"`received` is missing {must}.", "look at the right column of the event table above.")
    ok(f"{len(sent)} event types you send, {len(received)} you receive: {{domain}}.{{action}} tells them apart.")


# =============================================================================== 01 The incident by hand
def onset(onset_ts: Any) -> None:
    """01 (exercise 1.1): the minute checkout p99 first jumps."""
    __tracebackhide__ = True
    import pandas as pd

    need(onset_ts, "onset", "1.1", "the timestamp where checkout p99 first jumps")
    try:
        ts = pd.Timestamp(onset_ts)
    except Exception:
        fail(f"`onset` is {onset_ts!r}, which is not a timestamp.",
             "take it from the metrics frame's `ts` column, e.g. `spike.iloc[0][\"ts\"]`.")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    expected = pd.Timestamp("2026-11-18T14:07:00Z")
    if abs((ts - expected).total_seconds()) > 120:
        direction = "before" if ts < expected else "after"
        fail(f"`onset` is {ts.isoformat()}, {abs((ts - expected).total_seconds()) / 60:.0f} minutes {direction} the jump in the chart.",
             "filter checkout p99 to the points above 3x the baseline (the median before 14:00) and take the earliest.")
    ok(f"Onset at {ts.strftime('%H:%M')} UTC: checkout p99 leaves its baseline here.")


def suspect_deploy(deploy: Any) -> None:
    """01 (exercise 1.2): the last deploy to checkout that landed before the onset."""
    __tracebackhide__ = True
    need(deploy, "suspect", "1.2", "the deploy (a row or a dict) closest before the onset")
    deploy_id = attr(deploy, "id") if not isinstance(deploy, str) else deploy
    if deploy_id is None and hasattr(deploy, "get"):
        deploy_id = deploy.get("id")
    if deploy_id == "dep_4819":
        fail("`suspect` is dep_4819: it landed before the onset, but on payments, not checkout.",
             "the latency is checkout's: keep only deploys with service == \"checkout\".")
    if deploy_id == "dep_4822":
        fail("`suspect` is dep_4822: it landed after the onset, so it cannot have caused it.",
             "keep only deploys with ts <= onset, then take the latest.")
    if deploy_id != "dep_4820":
        fail(f"`suspect` is {deploy_id!r}, not the checkout deploy that landed just before the onset.",
             "filter deploys to service == \"checkout\" and ts <= onset, sort by ts and take the last row.")
    ok("dep_4820 (checkout v2.14.0, commit 9c41e7b) landed 90 s before the onset: the prime suspect.")


def db_queries(before: Any, after: Any) -> None:
    """01 (exercise 1.3): checkout's queries per request before and after the onset."""
    __tracebackhide__ = True
    need(before, "before", "1.3", "the median db_queries of checkout requests before the onset")
    need(after, "after", "1.3", "the median db_queries of checkout requests after the onset")
    try:
        before, after = float(before), float(after)
    except (TypeError, ValueError):
        fail("`before` and `after` should be numbers (medians of the db_queries column).",
             "use `logs[mask][\"db_queries\"].median()`.")
    if not (2 <= before <= 9):
        fail(f"`before` is {before:g}; checkout made 3 to 8 queries per request before the deploy.",
             "select checkout lines with ts < onset (and a db_queries value) before taking the median.")
    if after < 3 * before:
        fail(f"`after` is {after:g}, not much more than before ({before:g}).",
             "select checkout lines with ts >= onset; the N+1 query makes it tens to hundreds.")
    ok(f"Queries per checkout request went from {before:g} to {after:g}: one query per line item smells like an N+1.")


# =============================================================================== 02 Agent and environment
def environment(env: Any) -> None:
    """02 (exercise 2.1): a cloud environment with limited networking."""
    __tracebackhide__ = True
    need(env, "env", "2.1", "the environment that client.beta.environments.create(...) returns")
    if attr(env, "type") != "environment" or not attr(env, "id"):
        fail(f"`env` is a {type(env).__name__}, not an environment object.",
             "assign the return value: `env = client.beta.environments.create(...)`.")
    config = attr(env, "config")
    if attr(config, "type") != "cloud":
        fail(f"the environment's config type is {attr(config, 'type')!r}, not \"cloud\".",
             "pass config={\"type\": \"cloud\", ...}: Anthropic runs the sandbox for you.")
    net = attr(config, "networking")
    if attr(net, "type") != "limited":
        fail(f"networking is {attr(net, 'type')!r}: the sandbox can reach the whole internet.",
             "an investigator only reads evidence: use {\"type\": \"limited\", \"allowed_hosts\": [...], "
             "\"allow_package_managers\": True}.")
    if not attr(net, "allow_package_managers"):
        fail("allow_package_managers is off, but the environment installs packages.",
             "set \"allow_package_managers\": True in networking (packages need it).")
    meta = attr(env, "metadata") or {}
    if meta.get("workshop") != "ship-your-first-managed-agent":
        fail("the environment has no metadata {\"workshop\": \"ship-your-first-managed-agent\"}.",
             "pass metadata=WORKSHOP_METADATA so re-runs find and reuse it instead of creating duplicates.")
    hosts = list(attr(net, "allowed_hosts") or [])
    ok(f"Environment {attr(env, 'name')!r}: cloud sandbox, limited networking ({len(hosts)} allowed host"
       f"{'s' if len(hosts) != 1 else ''}, package managers allowed).")


def agent(agent_obj: Any) -> None:
    """02 (exercise 2.2): the SRE investigator agent."""
    __tracebackhide__ = True
    from . import settings

    need(agent_obj, "agent", "2.2", "the agent that client.beta.agents.create(...) returns")
    if attr(agent_obj, "type") != "agent" or not attr(agent_obj, "id"):
        fail(f"`agent` is a {type(agent_obj).__name__}, not an agent object.",
             "assign the return value: `agent = client.beta.agents.create(...)`.")
    if _model_id(agent_obj) != settings.MODEL:
        fail(f"the agent's model is {_model_id(agent_obj)!r}, not MODEL ({settings.MODEL!r}).",
             "pass model=MODEL, the one setting every notebook shares.")
    system = attr(agent_obj, "system") or ""
    if len(system) < 40:
        fail("the agent has no real system prompt.",
             "pass system=SYSTEM_PROMPT: it tells Claude it is an SRE investigating Incident-2277 and how to report.")
    tools = _tools_of(agent_obj)
    toolsets = [t for t in tools if attr(t, "type") == "agent_toolset_20260401"]
    if not toolsets:
        fail("the agent has no built-in toolset, so it cannot grep the log in its sandbox.",
             "add {\"type\": \"agent_toolset_20260401\"} to tools.")
    default_on = attr(toolsets[0], "default_config.enabled", True)
    enabled = {attr(c, "name") for c in attr(toolsets[0], "configs") or [] if attr(c, "enabled")}
    disabled = {attr(c, "name") for c in attr(toolsets[0], "configs") or [] if not attr(c, "enabled")}
    for name in ("bash", "grep", "read"):
        if name in disabled or (not default_on and name not in enabled):
            fail(f"the built-in `{name}` tool is disabled; the agent needs it to search app.log.",
                 f"enable it: configs=[{{\"name\": \"{name}\", \"enabled\": True}}, ...].")
    custom = sorted(attr(t, "name") for t in tools if attr(t, "type") == "custom")
    expected = ["get_diff", "get_metrics", "list_deploys", "query_logs"]
    missing = [n for n in expected if n not in custom]
    if missing:
        fail(f"the agent lacks the custom tools {', '.join(missing)}.",
             "add the definitions from helpers.incident: tools=[toolset, *incident.CUSTOM_TOOLS].")
    meta = attr(agent_obj, "metadata") or {}
    if meta.get("workshop") != "ship-your-first-managed-agent":
        fail("the agent has no metadata {\"workshop\": \"ship-your-first-managed-agent\"}.",
             "pass metadata=WORKSHOP_METADATA so re-runs find and reuse it instead of creating duplicates.")
    ok(f"Agent {attr(agent_obj, 'name')!r} v{attr(agent_obj, 'version')}: {settings.MODEL}, SRE system prompt, "
       f"built-in toolset + {len(custom)} custom tools.")


def versions(v1: Any, latest: Any) -> None:
    """02 (exercise 2.3): an update makes a new version; version 1 stays as it was."""
    __tracebackhide__ = True
    need(v1, "v1", "2.3", "client.beta.agents.retrieve(agent.id, version=1)")
    need(latest, "latest", "2.3", "the agent after client.beta.agents.update(...)")
    if attr(v1, "id") != attr(latest, "id"):
        fail("`v1` and `latest` are different agents.", "retrieve version 1 of the same agent.id you updated.")
    if attr(v1, "version") != 1:
        fail(f"`v1` is version {attr(v1, 'version')}, not 1.", "pass version=1 to client.beta.agents.retrieve.")
    if (attr(latest, "version") or 0) < 2:
        fail(f"`latest` is still version {attr(latest, 'version')}: the update did not happen.",
             "client.beta.agents.update(agent.id, version=agent.version, description=...) returns the new version.")
    ok(f"Version {attr(latest, 'version')} is live and version 1 is still retrievable, unchanged: agents are immutable.")


# =============================================================================== 03 Session and stream
def session(sess: Any, agent_obj: Any = None, env: Any = None) -> None:
    """03 (exercise 3.1): a session pairing the agent and the environment, with the log mounted."""
    __tracebackhide__ = True
    need(sess, "session", "3.1", "the session that client.beta.sessions.create(...) returns")
    if attr(sess, "type") != "session" or not attr(sess, "id"):
        fail(f"`session` is a {type(sess).__name__}, not a session object.",
             "assign the return value: `session = client.beta.sessions.create(...)`.")
    if agent_obj is not None and attr(sess, "agent.id") != attr(agent_obj, "id"):
        fail("the session runs a different agent than `agent`.", "pass agent=agent.id.")
    if env is not None and attr(sess, "environment_id") != attr(env, "id"):
        fail("the session runs in a different environment than `env`.", "pass environment_id=env.id.")
    mounts = {attr(r, "mount_path"): r for r in attr(sess, "resources") or [] if attr(r, "type") == "file"}
    if "/workspace/data/app.log" not in mounts:
        where = ", ".join(sorted(m for m in mounts if m)) or "nothing"
        fail(f"app.log is not mounted at /workspace/data/app.log (mounted: {where}).",
             "pass resources=[{\"type\": \"file\", \"file_id\": log_file.id, \"mount_path\": \"/workspace/data/app.log\"}].")
    ok(f"Session ready ({attr(sess, 'status')}): agent v{attr(sess, 'agent.version')} in its environment, "
       "app.log mounted at /workspace/data/app.log.")


def stream_loop(events: Any, stop_reason: Any) -> None:
    """03 (exercise 3.2): the hand-written loop collected the events and stopped for the right reason."""
    __tracebackhide__ = True
    need(events, "events", "3.2", "the list of events your loop received")
    need(stop_reason, "stop_reason", "3.2", "the stop reason of the idle event that ended your loop")
    events = list(events)
    types = [_type_of(e) for e in events]
    if not events:
        fail("`events` is empty: the loop never appended what the stream yielded.",
             "append every event inside `for event in stream:` before deciding whether to stop.")
    if "agent.message" not in types and "agent.tool_use" not in types:
        fail("no agent.* events were collected: did you send the user.message after opening the stream?",
             "open the stream with `with client.beta.sessions.events.stream(session.id) as stream:` and send inside it.")
    if not any(t == "session.status_idle" for t in types) and stop_reason not in ("terminated",):
        fail("the loop stopped before any session.status_idle: it would cut the agent off mid-turn.",
             "break only on session.status_idle (with a stop reason other than a resolved requires_action) or on termination.")
    if stop_reason not in ("end_turn", "requires_action", "retries_exhausted", "budget_reached", "refusal", "terminated"):
        fail(f"`stop_reason` is {stop_reason!r}, which is not a stop reason.",
             "take it from the idle event: `event.stop_reason.type`.")
    last = types[-1]
    if last not in ("session.status_idle", "session.status_terminated"):
        fail(f"the loop kept reading after the stop: the last event is {last}.",
             "`break` right after you see the idle (or terminated) event.")
    ok(f"Your loop read {len(events)} events and stopped on {stop_reason!r} without hanging.")


def packaged_run(result: Any) -> None:
    """03 (exercise 3.3): helpers.loop.run drove the whole investigation to end_turn."""
    __tracebackhide__ = True
    need(result, "result", "3.3", "the RunResult that loop.run(...) returns")
    if attr(result, "stop_reason") != "end_turn":
        fail(f"the run stopped with {attr(result, 'stop_reason')!r}, not 'end_turn'.",
             "pass handle_tool=incident.handle_tool so the loop can answer the agent's custom tool calls.")
    if not attr(result, "tool_calls"):
        fail("the run answered no custom tool calls.", "pass handle_tool=incident.handle_tool.")
    text = attr(result, "text") or ""
    if "dep_4820" not in text and "9c41e7b" not in text:
        fail("the agent's final answer does not name the culprit deploy.",
             "read result.text: did the run finish? Try again with the message from the cell above.")
    ok(f"loop.run answered {len(result.tool_calls)} tool calls and the agent named dep_4820: the same loop, packaged.")
