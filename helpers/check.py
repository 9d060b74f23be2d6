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
    if after < 2 * before:
        fail(f"`after` is {after:g}, not much more than before ({before:g}).",
             "select checkout lines with ts >= onset (the N+1 query multiplies the queries per request).")
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


def agent(agent_obj: Any, model: str | None = None) -> None:
    """02 (exercise 2.2): the SRE investigator agent (``model``: the notebook's MODEL, default helpers.MODEL)."""
    __tracebackhide__ = True
    from . import settings

    model = model or settings.MODEL
    need(agent_obj, "agent", "2.2", "the agent that client.beta.agents.create(...) returns")
    if attr(agent_obj, "type") != "agent" or not attr(agent_obj, "id"):
        fail(f"`agent` is a {type(agent_obj).__name__}, not an agent object.",
             "assign the return value: `agent = client.beta.agents.create(...)`.")
    if _model_id(agent_obj) != model:
        fail(f"the agent's model is {_model_id(agent_obj)!r}, not MODEL ({model!r}).",
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
    ok(f"Agent {attr(agent_obj, 'name')!r} v{attr(agent_obj, 'version')}: {model}, SRE system prompt, "
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


def _text(event: Any) -> str:
    """The text blocks of an event's content (SDK object or dict), joined."""
    return "".join(attr(b, "text", "") or "" for b in (attr(event, "content") or []) if attr(b, "type") == "text")


def _callable(fn: Any, name: str, todo: str, what: str) -> Any:
    __tracebackhide__ = True
    need(fn, name, todo, what)
    if not callable(fn):
        fail(f"`{name}` is a {type(fn).__name__}, not a function.", f"define it with `def {name}(...):` in TODO {todo}.")
    return fn


_event_adapter_cache: list = []


def _event_adapter() -> Any:
    """The pydantic TypeAdapter of the SDK's session-event union, built once per process (~30 ms each build)."""
    if not _event_adapter_cache:
        from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
        from pydantic import TypeAdapter

        _event_adapter_cache.append(TypeAdapter(BetaManagedAgentsSessionEvent))
    return _event_adapter_cache[0]


def _sdk_event(data: dict) -> Any:
    """A real SDK event object (what the stream yields), built from a dict: the checks feed these to your code."""
    return _event_adapter().validate_python({"processed_at": "2026-11-18T14:30:00Z", **data})


def _history(client: Any, session_id: str) -> list:
    return list(client.beta.sessions.events.list(session_id, limit=1000))


def _unanswered_calls(history: list) -> tuple[list, dict]:
    """(custom tool uses without a result, {custom_tool_use_id: number of results})."""
    results: dict = {}
    for e in history:
        if _type_of(e) == "user.custom_tool_result":
            key = attr(e, "custom_tool_use_id")
            results[key] = results.get(key, 0) + 1
    calls = [e for e in history if _type_of(e) == "agent.custom_tool_use"]
    return [c for c in calls if attr(c, "id") not in results], results


# =============================================================================== 04 Custom tools
def tool_handler(handle_tool: Any) -> None:
    """04 (exercise 4.1): handle_tool(name, args) runs the real incident tools and raises on bad calls."""
    __tracebackhide__ = True
    from . import incident

    _callable(handle_tool, "handle_tool", "4.1", "a function handle_tool(name, args) that returns the tool's text")
    cases = [
        ("list_deploys", {"service": "checkout"}, "dep_4820"),
        ("get_diff", {"ref": "dep_4820", "path": "order_summary.py"}, "filter_by(sku=item.sku)"),
        ("get_metrics", {"service": "checkout", "metric": "p99_ms", "compare_at": "2026-11-18T14:07:00Z"}, "p99_ms"),
    ]
    for name, args, needle in cases:
        try:
            out = handle_tool(name, dict(args))
        except NotImplementedError:
            fail("handle_tool still raises NotImplementedError: TODO 4.1 is not done yet.",
                 "write the dispatch (a dict from tool name to incident function), then run the cell.")
        except Exception as exc:
            fail(f"handle_tool({name!r}, {args}) raised {type(exc).__name__}: {exc}",
                 f"call the matching function with the arguments as keywords: incident.{name}(**args).")
        if not isinstance(out, str):
            fail(f"handle_tool({name!r}, ...) returned a {type(out).__name__}; the agent reads text.",
                 f"return what incident.{name} returns: it is already a string.")
        expected = getattr(incident, name)(**args)
        if out != expected:
            fail(f"handle_tool({name!r}, {args}) did not return what incident.{name}(**args) returns.",
                 "dispatch to the real function and return its result unchanged: the facts must come from the evidence.")
        if needle not in out:
            fail(f"handle_tool({name!r}, ...) returned text without {needle!r}.", "return the function's result as it is.")
    for name, args, why in (("restart_database", {}, "a tool the agent does not have"),
                            ("get_diff", {"ref": "dep_9999"}, "a deploy that does not exist")):
        try:
            out = handle_tool(name, dict(args))
        except NotImplementedError:
            fail("handle_tool raises NotImplementedError for some names.", "finish TODO 4.1.")
        except Exception:
            continue
        fail(f"handle_tool({name!r}, {args}) ({why}) returned {str(out)[:60]!r} instead of raising.",
             "raise an exception for an unknown name (e.g. ValueError) and let incident's own errors propagate: "
             "the next exercise turns exceptions into is_error results the agent can read.")
    ok("handle_tool runs the four incident tools on your laptop: list_deploys names dep_4820, get_diff shows "
       "the N+1 query, and bad calls raise.")


def tool_answer(answer: Any) -> None:
    """04 (exercise 4.2): answer(ev) builds the user.custom_tool_result for one agent.custom_tool_use."""
    __tracebackhide__ = True
    _callable(answer, "answer", "4.2", "a function answer(ev) that returns a user.custom_tool_result event")

    def run(name: str, tool_input: dict, eid: str) -> dict:
        ev = _sdk_event({"type": "agent.custom_tool_use", "id": eid, "name": name, "input": tool_input})
        try:
            out = answer(ev)
        except NotImplementedError:
            fail("answer still raises NotImplementedError: TODO 4.2 is not done yet.", "write answer(ev), then run the cell.")
        except Exception as exc:
            fail(f"answer() let a {type(exc).__name__} escape for {name}({tool_input}): {exc}",
                 "wrap the handle_tool call in try/except and send the error text with \"is_error\": True; "
                 "an unanswered call leaves the agent waiting.")
        if not isinstance(out, dict):
            fail(f"answer() returned a {type(out).__name__}, not an event dict.",
                 "return {\"type\": \"user.custom_tool_result\", \"custom_tool_use_id\": ev.id, \"content\": [...]}.")
        if out.get("type") != "user.custom_tool_result":
            fail(f"the event's type is {out.get('type')!r}.", "use \"type\": \"user.custom_tool_result\".")
        if out.get("custom_tool_use_id") != eid:
            fail(f"custom_tool_use_id is {out.get('custom_tool_use_id')!r}, not the id of the call ({eid!r}).",
                 "use \"custom_tool_use_id\": ev.id: it is how the agent matches your answer to its question.")
        content = out.get("content")
        if not (isinstance(content, list) and content and all(isinstance(b, dict) and b.get("type") == "text"
                                                             and isinstance(b.get("text"), str) for b in content)):
            fail(f"content is {str(content)[:80]}, not a list of text blocks.",
                 "use \"content\": [{\"type\": \"text\", \"text\": result}].")
        return out

    good = run("list_deploys", {"service": "checkout"}, "sevt_check_good")
    if good.get("is_error"):
        fail("a good call (list_deploys) was answered with is_error: True.",
             f"is_error should be False (or absent) when handle_tool returns normally; the text was: {_text(good)[:100]!r}")
    if "dep_4820" not in _text(good):
        fail("the answer to list_deploys(service='checkout') does not contain dep_4820.",
             "put handle_tool(ev.name, ev.input) in the text block.")
    for name, tool_input, eid in (("get_diff", {"ref": "dep_9999"}, "sevt_check_bad_ref"),
                                  ("restart_database", {}, "sevt_check_unknown")):
        bad = run(name, tool_input, eid)
        if bad.get("is_error") is not True:
            fail(f"the failed call {name}({tool_input}) was answered without \"is_error\": True.",
                 "catch the exception and send its message with \"is_error\": True so the agent knows the call failed.")
        if not _text(bad).strip():
            fail(f"the error answer to {name}(...) has no text.", "put the exception's message in the text block: the agent reads it.")
    ok("answer() turns every tool call into a user.custom_tool_result: the result for good calls, "
       "is_error: True with the reason for bad ones.")


def investigation(events: Any, client: Any, session_id: str) -> None:
    """04 (exercise 4.3): the hand-written loop answered every tool call inline and stopped on end_turn."""
    __tracebackhide__ = True
    need(events, "events", "4.3", "the list of events investigate(...) returned")
    events = list(events)
    if not events:
        fail("investigate() returned no events.", "append every event the stream yields, and return the list.")
    types = [_type_of(e) for e in events]
    if "session.status_running" not in types and "user.message" not in types:
        fail("the loop never saw the session start running: the stream was probably opened after the message was sent.",
             "open the stream first (`with client.beta.sessions.events.stream(session_id) as stream:`), then send, inside the with.")
    history = _history(client, session_id)
    unanswered, results = _unanswered_calls(history)
    if unanswered:
        names = ", ".join(attr(c, "name") for c in unanswered)
        fail(f"{len(unanswered)} custom tool call(s) were never answered ({names}).",
             "for every agent.custom_tool_use, send [answer(ev)] with client.beta.sessions.events.send(...).")
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(f"{len(twice)} tool call(s) were answered more than once.", "answer each agent.custom_tool_use once.")
    last = events[-1]
    if _type_of(last) != "session.status_idle" or attr(last, "stop_reason.type") != "end_turn":
        fail(f"the loop ended on {_type_of(last)} ({attr(last, 'stop_reason.type')}), not on an idle with end_turn.",
             "keep going through requires_action idles you have answered; break when the stop reason is anything else.")
    reports = [_text(e) for e in events if _type_of(e) == "agent.message"]
    report = reports[-1] if reports else ""
    if "dep_4820" not in report:
        fail("the agent's final message does not name dep_4820.",
             "did every tool call get the real result? Look at the user.custom_tool_result lines above.")
    n = len(results)
    ok(f"Your loop answered {n} tool call{'s' if n != 1 else ''} inline, each exactly once, and stopped on end_turn: "
       "the report names dep_4820.")


# =============================================================================== 05 Replay and lifecycle
def all_events(events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.1): every event of the session, oldest first, across pages."""
    __tracebackhide__ = True
    need(events, "events", "5.1", "every event of the session, oldest first (a list)")
    events = list(events)
    truth = _history(client, session_id)
    ids = [attr(e, "id") for e in events]
    want = [attr(e, "id") for e in truth]
    if len(ids) < len(want) and ids == want[: len(ids)]:
        fail(f"you have {len(ids)} of the session's {len(want)} events: only the first page.",
             "iterate the page object itself (`for ev in client.beta.sessions.events.list(...)`) or `list(...)` it: "
             "the SDK follows next_page for you. `.data` is one page only.")
    if ids == list(reversed(want)):
        fail("the events are newest first.", "leave order at its default (\"asc\") or pass order=\"asc\".")
    if sorted(map(str, ids)) != sorted(map(str, want)):
        fail(f"you have {len(ids)} events; the session has {len(want)}, and they are not the same ones.",
             "list the events of this session (session.id) without a types= filter.")
    if ids != want:
        fail("the events are all there but out of order.", "keep them in the order the SDK returns them (oldest first).")
    ok(f"All {len(ids)} events, oldest first, fetched page by page: the platform is the record of the session.")


def conversation(turns: Any, client: Any, latest: Any) -> None:
    """05 (exercise 5.2): the newest session found on the platform, and its conversation rebuilt after a hard refresh."""
    __tracebackhide__ = True
    need(latest, "latest", "5.2", "the agent's newest session, from client.beta.sessions.list(agent_id=agent.id, limit=1)")
    need(turns, "conversation", "5.2", "a list of (who, text) pairs, one per user.message and agent.message")
    session_id = attr(latest, "id")
    newest = client.beta.sessions.list(agent_id=attr(latest, "agent.id"), limit=1).data
    if attr(latest, "type") != "session" or not newest or attr(newest[0], "id") != session_id:
        fail("`latest` is not the agent's newest session.",
             "sessions.list returns newest first: client.beta.sessions.list(agent_id=agent.id, limit=1).data[0].")
    turns = list(turns)
    truth = [e for e in _history(client, session_id) if _type_of(e) in ("user.message", "agent.message")]
    if any(not (isinstance(t, (tuple, list)) and len(t) == 2) for t in turns):
        fail("`conversation` should hold (who, text) pairs.", "build tuples like (\"you\", text) and (\"agent\", text).")
    if len(turns) != len(truth):
        fail(f"`conversation` has {len(turns)} turns; the session has {len(truth)} user and agent messages.",
             "list the session's events with types=[\"user.message\", \"agent.message\"] (every page).")
    for (who, text), ev in zip(turns, truth):
        if text != _text(ev):
            fail(f"a turn's text does not match the {_type_of(ev)} event it should come from.",
                 "join the text blocks of each event's content: \"\".join(b.text for b in ev.content if b.type == \"text\").")
    if "dep_4820" not in turns[-1][1]:
        fail("the last turn is not the agent's report.", "keep the events in order, oldest first.")
    ok(f"{len(turns)} turns rebuilt from the platform alone: no local state survived the refresh, and nothing was lost.")


def resumed(new_events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.3): reconnect = stream first, then history, then tail; nothing missed, nothing twice."""
    __tracebackhide__ = True
    need(new_events, "new_events", "5.3", "the events resume(...) received after reconnecting")
    new_events = list(new_events)
    history = _history(client, session_id)
    unanswered, results = _unanswered_calls(history)
    if unanswered:
        fail(f"{len(unanswered)} tool call(s) are still unanswered, e.g. {attr(unanswered[0], 'name')}: the agent is waiting.",
             "after listing the history, answer every agent.custom_tool_use that has no user.custom_tool_result yet.")
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(f"{len(twice)} tool call(s) were answered twice.",
             "collect the answered ids from the history (custom_tool_use_id of each user.custom_tool_result) and skip them.")
    ids = [attr(e, "id") for e in new_events]
    if len(ids) != len(set(ids)):
        fail("resume() returned the same event more than once.", "skip stream events whose id you have already seen.")
    if not new_events or _type_of(new_events[-1]) != "session.status_idle" or attr(new_events[-1], "stop_reason.type") != "end_turn":
        fail("resume() did not follow the session to its end_turn.",
             "after catching up, tail the stream until an idle whose stop_reason is not requires_action.")
    status = attr(client.beta.sessions.retrieve(session_id), "status")
    report = next((_text(e) for e in reversed(history) if _type_of(e) == "agent.message"), "")
    if "dep_4820" not in report:
        fail("the session's last agent.message does not name dep_4820.", "did every tool call get its real result?")
    ok(f"Reconnected without missing or repeating anything: {len(results)} tool calls answered once each, "
       f"session {status}, report in.")


# =============================================================================== 06 Beyond the basics
def interrupted(events: Any, client: Any, session_id: str) -> None:
    """06 (exercise 6.1): a user.interrupt mid-run, then the session idles."""
    __tracebackhide__ = True
    need(events, "events", "6.1", "the events your interrupting loop received")
    events = list(events)
    history = _history(client, session_id)
    types = [_type_of(e) for e in history]
    if "user.interrupt" not in types:
        fail("no user.interrupt reached the session.",
             "send it with client.beta.sessions.events.send(session_id, events=[{\"type\": \"user.interrupt\"}]).")
    if types.count("user.interrupt") > 1:
        fail("the loop sent user.interrupt more than once.", "send it once (remember that you did, e.g. interrupted = True).")
    commands = types.count("agent.tool_result")
    if commands > 6:
        fail(f"the agent ran {commands} commands before stopping: the interrupt came late (or after the run ended).",
             "send the interrupt as soon as your condition is met, inside the stream loop.")
    if not events or _type_of(events[-1]) != "session.status_idle":
        fail("your loop did not stop on the idle that follows the interrupt.",
             "keep reading after sending the interrupt; break on session.status_idle.")
    status = attr(client.beta.sessions.retrieve(session_id), "status")
    if status != "idle":
        fail(f"the session is {status!r} after the interrupt, not idle.", "read the stream until the session.status_idle.")
    ok(f"Interrupted after {commands} command{'s' if commands != 1 else ''}: the agent stopped at once and the session "
       "is idle, ready for your next message.")


def confirmation(confirm: Any) -> None:
    """06 (exercise 6.2): the user.tool_confirmation event for allow and for deny."""
    __tracebackhide__ = True
    _callable(confirm, "confirmation", "6.2", "a function confirmation(tool_use, allow, deny_message=None) returning an event")
    tool_use = _sdk_event({"type": "agent.tool_use", "id": "sevt_check_bash", "name": "bash",
                           "input": {"command": "grep -c 'slow query' /workspace/data/app.log"},
                           "evaluated_permission": "ask", "evaluation": {"type": "always_ask"}})

    def call(*args: Any, **kwargs: Any) -> dict:
        try:
            out = confirm(tool_use, *args, **kwargs)
        except NotImplementedError:
            fail("confirmation still raises NotImplementedError: TODO 6.2 is not done yet.", "write the function, then run its cell.")
        if not isinstance(out, dict):
            fail(f"confirmation() returned a {type(out).__name__}, not an event dict.",
                 "return {\"type\": \"user.tool_confirmation\", \"tool_use_id\": tool_use.id, \"result\": ...}.")
        if out.get("type") != "user.tool_confirmation":
            fail(f"the event's type is {out.get('type')!r}.", "use \"type\": \"user.tool_confirmation\".")
        if out.get("tool_use_id") != "sevt_check_bash":
            fail(f"tool_use_id is {out.get('tool_use_id')!r}, not the id of the agent.tool_use.",
                 "use \"tool_use_id\": tool_use.id.")
        return out

    yes = call(True)
    if yes.get("result") != "allow":
        fail(f"confirmation(tool_use, True) has result {yes.get('result')!r}.", "allow=True means \"result\": \"allow\".")
    if "deny_message" in call(True, "ignored"):
        fail("an allow carries a deny_message; the API rejects that.", "add \"deny_message\" only when denying.")
    no = call(False, "No shell in production; use query_logs.")
    if no.get("result") != "deny":
        fail(f"confirmation(tool_use, False, ...) has result {no.get('result')!r}.", "allow=False means \"result\": \"deny\".")
    if no.get("deny_message") != "No shell in production; use query_logs.":
        fail("the deny has no deny_message (or a different one).",
             "pass the reason on: \"deny_message\": deny_message. The agent reads it and adapts.")
    ok("confirmation() allows, or denies with a reason the agent will read.")


def outcome(event: Any) -> None:
    """06 (exercise 6.3): a user.define_outcome with a description and a text rubric."""
    __tracebackhide__ = True
    need(event, "outcome", "6.3", "the user.define_outcome event (a dict)")
    if not isinstance(event, dict):
        fail(f"`outcome` is a {type(event).__name__}, not an event dict.", "build a dict with \"type\": \"user.define_outcome\".")
    if event.get("type") != "user.define_outcome":
        fail(f"the event's type is {event.get('type')!r}.", "use \"type\": \"user.define_outcome\".")
    if not str(event.get("description") or "").strip():
        fail("the outcome has no description.", "say what you want produced: \"description\": POSTMORTEM.")
    rubric = event.get("rubric")
    if not isinstance(rubric, dict) or rubric.get("type") != "text" or not str(rubric.get("content") or "").strip():
        fail(f"rubric is {str(rubric)[:60]}, not a text rubric.",
             "use \"rubric\": {\"type\": \"text\", \"content\": RUBRIC}: the criteria the grader checks.")
    n = event.get("max_iterations")
    if n is not None and (not isinstance(n, int) or n < 1):
        fail(f"max_iterations is {n!r}.", "give a small positive int (e.g. 3), or leave it out.")
    from anthropic.types.beta.sessions import BetaManagedAgentsUserDefineOutcomeEventParams
    from pydantic import TypeAdapter

    try:
        TypeAdapter(BetaManagedAgentsUserDefineOutcomeEventParams).validate_python(event)
    except Exception as exc:
        fail(f"the SDK's user.define_outcome shape rejects it: {str(exc).splitlines()[0]}",
             "keys: type, description, rubric, and optionally max_iterations.")
    criteria = [ln for ln in rubric["content"].splitlines() if ln.strip()]
    ok(f"An outcome with {len(criteria)} rubric line{'s' if len(criteria) != 1 else ''}: a grader will check the "
       "agent's work against them.")
