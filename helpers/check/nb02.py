"""The checks of notebook 02, *Agent and environment*: the environment (2.1), the agent (2.2, and what its create's
refusal means), its versions (2.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..toolset import TOOLSET_TYPE, enabled_builtin_tools
from .runs import _EXPLAIN, _api_detail, _request_json, need
from .verdicts import _clip, fail, ok

__all__ = ["environment", "agent", "versions"]


def _tools_of(agent: Any) -> list:
    return list(attr(agent, "tools") or [])


def _model_id(agent: Any) -> str | None:
    model = attr(agent, "model")
    if isinstance(model, str):
        return model
    return attr(model, "id")


def _not_yours(what: str, obj: Any) -> str | None:
    """Why ``obj``'s metadata is not WORKSHOP_METADATA's (both keys: the workshop and this learner), or None. Without
    the learner key, ``resources.ensure_*`` in the next notebook finds nothing of yours (``resources.is_mine``)."""
    from ..resources import WORKSHOP_METADATA, is_mine

    if is_mine(obj):
        return None
    meta = attr(obj, "metadata") or {}
    lacks = [f"{k!r}: {v!r}" for k, v in WORKSHOP_METADATA.items() if meta.get(k) != v]
    return (f"{what}'s metadata is {dict(meta)}, without {', '.join(lacks)}: the next notebooks find only what carries "
            "both the workshop and your learner id (WORKSHOP_LEARNER), so they could not find it.")


def environment(env: Any) -> None:
    """02 (exercise 2.1): a cloud environment with limited networking and the investigator's packages."""
    __tracebackhide__ = True
    from ..resources import environment_config
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
    packages = {kind: list(attr(config, f"packages.{kind}") or [])
                for kind in ("apt", "cargo", "gem", "go", "npm", "pip")}
    listed = "; ".join(f"{kind}: {', '.join(map(str, names))}" for kind, names in packages.items() if names)
    if not attr(net, "allow_package_managers"):
        if listed:
            fail(f"allow_package_managers is off, but the environment lists packages ({listed}): the sandbox could not "
                 "install them.",
                 "package managers must be allowed when you list packages: set \"allow_package_managers\": True in "
                 "networking.")
        fail("allow_package_managers is off: the investigator's sandbox cannot install jq and pandas.",
             "set \"allow_package_managers\": True in networking, and list the packages: "
             "\"packages\": {\"apt\": [\"jq\"], \"pip\": [\"pandas\"]}.")
    wanted = environment_config()["packages"]  # the `packages` of notebook 02: {"pip": ["pandas"], "apt": ["jq"]}
    missing = [f"{name} ({kind})" for kind, names in wanted.items() for name in names if name not in packages[kind]]
    if missing:
        fail(f"the environment's packages lack {', '.join(missing)} (it lists {listed or 'none'}): the goal asks for "
             "the `packages` above, what the agent wrangles the log with in its sandbox.",
             "pass the `packages` above in the config: config={\"type\": \"cloud\", \"networking\": networking, "
             "\"packages\": packages}.")
    problem = _not_yours("the environment", env)
    if problem:
        fail(problem, "pass metadata=WORKSHOP_METADATA (it holds both keys) so re-runs find and reuse it.")
    hosts = list(attr(net, "allowed_hosts") or [])
    ok(f"Environment {attr(env, 'name')!r}: cloud sandbox, limited networking ({len(hosts)} allowed host"
       f"{'s' if len(hosts) != 1 else ''}, package managers allowed), packages {listed}.")


def agent(agent_obj: Any, model: str | None = None) -> None:
    """02 (exercise 2.2): the SRE investigator agent (``model``: the notebook's MODEL, default helpers.MODEL)."""
    __tracebackhide__ = True
    from .. import settings

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
    toolsets = [t for t in tools if attr(t, "type") == TOOLSET_TYPE]
    if not toolsets:
        fail("the agent has no built-in toolset, so it cannot grep the log in its sandbox.",
             f"add the toolset, default off with only the read-only tools on: {_TOOLSET_SHAPE}.")
    default_on = attr(toolsets[0], "default_config.enabled") is not False
    on = enabled_builtin_tools(tools)
    for name in ("bash", "grep", "read"):
        if name not in on:
            fail(f"the built-in `{name}` tool is disabled; the agent needs it to search app.log.",
                 f"enable it: configs=[{{\"name\": \"{name}\", \"enabled\": True}}, ...].")
    risky = [name for name in ("write", "edit", "web_fetch", "web_search") if name in on]
    if risky:
        how = ("the toolset is on by default (no \"default_config\": {\"enabled\": False})" if default_on
               else "configs turn them on")
        fail(f"the investigator needs read-only tools, but the agent can use {', '.join(risky)}: {how}. It reads "
             "evidence; it does not write files or browse the web.",
             f"turn the toolset off by default and enable only bash, grep, read and glob: {_TOOLSET_SHAPE}.")
    custom = sorted(attr(t, "name") for t in tools if attr(t, "type") == "custom")
    expected = ["get_diff", "get_metrics", "list_deploys", "query_logs"]
    missing = [n for n in expected if n not in custom]
    if missing:
        fail(f"the agent lacks the custom tools {', '.join(missing)}.",
             "add the definitions from helpers.incident: tools=[toolset, *incident.CUSTOM_TOOLS].")
    problem = _not_yours("the agent", agent_obj)
    if problem:
        fail(problem, "pass metadata=WORKSHOP_METADATA (it holds both keys) so re-runs find and reuse it.")
    ok(f"Agent {attr(agent_obj, 'name')!r} v{attr(agent_obj, 'version')}: {model}, SRE system prompt, "
       f"built-in toolset + {len(custom)} custom tools.")


def _nested_tools(exc: BaseException) -> tuple[str, str] | None:
    """2.2: ``tools=[toolset, incident.CUSTOM_TOOLS]`` sends a list inside the list of tools, and the API refuses the
    agent (400). Read from the request the learner's code sent, not from the refusal's wording."""
    body = _request_json(exc) if getattr(exc, "status_code", None) == 400 else None
    tools = body.get("tools") if isinstance(body, dict) else None
    nested = [i for i, tool in enumerate(tools) if isinstance(tool, list)] if isinstance(tools, list) else []
    if not nested:
        return None
    i = nested[0]
    inner = tools[i]
    custom = bool(inner) and all(isinstance(t, dict) and t.get("type") == "custom" for t in inner)
    what = ("`incident.CUSTOM_TOOLS` is itself a list, so `[toolset, incident.CUSTOM_TOOLS]` puts a list inside "
            "the list" if custom else "a list inside the list")
    return (f"TODO 2.2 is not done yet: the API refused the agent (400: {_clip(_api_detail(exc), 120)}). tools[{i}] "
            f"is a list of {len(inner)}, not one tool: {what}. `tools` must be one flat list of tools.",
            "unpack the custom tools with `*`: tools=[toolset, *incident.CUSTOM_TOOLS]. Then run the TODO 2.2 cell "
            "again, and this one.")


_EXPLAIN["2.2"] = _nested_tools

_TOOLSET_SHAPE = ('{"type": "agent_toolset_20260401", "default_config": {"enabled": False}, '
                  '"configs": [{"name": name, "enabled": True} for name in ("bash", "grep", "read", "glob")]}')


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
