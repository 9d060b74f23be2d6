"""The checks of notebook 02, *Agent and environment*: the environment (2.1), the agent (2.2, and what its create's
refusal means), its versions (2.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..i18n import _, ngettext
from ..toolset import TOOLSET_TYPE, enabled_builtin_tools
from .runs import _EXPLAIN, _TODO_OF_CHECK, _api_detail, _not_done_yet, _request_json, need
from .verdicts import _clip, fail, ok

__all__ = ["environment", "agent", "versions"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"environment": "2.1", "agent": "2.2", "versions": "2.3"})


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
    return _("{what}'s metadata is {metadata}, without {lacks}: the next notebooks find only what carries both the "
             "workshop and your learner id (WORKSHOP_LEARNER), so they could not find it.").format(
        what=what, metadata=dict(meta), lacks=", ".join(lacks))


def environment(env: Any) -> None:
    """02 (exercise 2.1): a cloud environment with limited networking and the investigator's packages."""
    __tracebackhide__ = True
    from ..resources import environment_config
    need(env, "env", "2.1", _("the environment that client.beta.environments.create(...) returns"))
    if attr(env, "type") != "environment" or not attr(env, "id"):
        fail(_("`env` is a {kind}, not an environment object.").format(kind=type(env).__name__),
             _("assign the return value: `env = client.beta.environments.create(...)`."))
    config = attr(env, "config")
    if attr(config, "type") != "cloud":
        fail(_("the environment's config type is {type!r}, not \"cloud\".").format(type=attr(config, "type")),
             _("pass config={config}: Anthropic runs the sandbox for you.").format(config='{"type": "cloud", ...}'))
    net = attr(config, "networking")
    if attr(net, "type") != "limited":
        fail(_("networking is {type!r}: the sandbox can reach the whole internet.").format(type=attr(net, "type")),
             _("an investigator only reads evidence: use {networking}.").format(
                 networking='{"type": "limited", "allowed_hosts": [...], "allow_package_managers": True}'))
    packages = {kind: list(attr(config, f"packages.{kind}") or [])
                for kind in ("apt", "cargo", "gem", "go", "npm", "pip")}
    listed = "; ".join(f"{kind}: {', '.join(map(str, names))}" for kind, names in packages.items() if names)
    if not attr(net, "allow_package_managers"):
        if listed:
            fail(_("allow_package_managers is off, but the environment lists packages ({listed}): the sandbox could "
                   "not install them.").format(listed=listed),
                 _("package managers must be allowed when you list packages: set \"allow_package_managers\": True in "
                   "networking."))
        fail(_("allow_package_managers is off: the investigator's sandbox cannot install jq and pandas."),
             _("set \"allow_package_managers\": True in networking, and list the packages: {packages}.").format(
                 packages='"packages": {"apt": ["jq"], "pip": ["pandas"]}'))
    wanted = environment_config()["packages"]  # the `packages` of notebook 02: {"pip": ["pandas"], "apt": ["jq"]}
    missing = [f"{name} ({kind})" for kind, names in wanted.items() for name in names if name not in packages[kind]]
    if missing:
        fail(_("the environment's packages lack {missing} (it lists {listed}): the goal asks for the `packages` "
               "above, what the agent wrangles the log with in its sandbox.").format(
                 missing=", ".join(missing), listed=listed or _("none")),
             _("pass the `packages` above in the config: config={config}.").format(
                 config='{"type": "cloud", "networking": networking, "packages": packages}'))
    problem = _not_yours(_("the environment"), env)
    if problem:
        fail(problem, _("pass metadata=WORKSHOP_METADATA (it holds both keys) so re-runs find and reuse it."))
    hosts = list(attr(net, "allowed_hosts") or [])
    ok(ngettext("Environment {name!r}: cloud sandbox, limited networking ({n} allowed host, package managers "
                "allowed), packages {listed}.",
                "Environment {name!r}: cloud sandbox, limited networking ({n} allowed hosts, package managers "
                "allowed), packages {listed}.", len(hosts)).format(name=attr(env, "name"), n=len(hosts), listed=listed))


def agent(agent_obj: Any, model: str | None = None) -> None:
    """02 (exercise 2.2): the SRE investigator agent (``model``: the notebook's MODEL, default helpers.MODEL)."""
    __tracebackhide__ = True
    from .. import settings

    model = model or settings.MODEL
    need(agent_obj, "agent", "2.2", _("the agent that client.beta.agents.create(...) returns"))
    if attr(agent_obj, "type") != "agent" or not attr(agent_obj, "id"):
        fail(_("`agent` is a {kind}, not an agent object.").format(kind=type(agent_obj).__name__),
             _("assign the return value: `agent = client.beta.agents.create(...)`."))
    if _model_id(agent_obj) != model:
        fail(_("the agent's model is {found!r}, not MODEL ({model!r}).").format(found=_model_id(agent_obj), model=model),
             _("pass model=MODEL, the one setting every notebook shares."))
    system = attr(agent_obj, "system") or ""
    if len(system) < 40:
        fail(_("the agent has no real system prompt."),
             _("pass system=SYSTEM_PROMPT: it tells Claude it is an SRE investigating Incident-2277 and how to report."))
    tools = _tools_of(agent_obj)
    toolsets = [t for t in tools if attr(t, "type") == TOOLSET_TYPE]
    if not toolsets:
        fail(_("the agent has no built-in toolset, so it cannot grep the log in its sandbox."),
             _("add the toolset, default off with only the read-only tools on: {shape}.").format(shape=_TOOLSET_SHAPE))
    default_on = attr(toolsets[0], "default_config.enabled") is not False
    on = enabled_builtin_tools(tools)
    for name in ("bash", "grep", "read"):
        if name not in on:
            fail(_("the built-in `{name}` tool is disabled; the agent needs it to search app.log.").format(name=name),
                 _("enable it: {configs}.").format(configs=f'configs=[{{"name": "{name}", "enabled": True}}, ...]'))
    risky = [name for name in ("write", "edit", "web_fetch", "web_search") if name in on]
    if risky:
        how = (_("the toolset is on by default (no {default_config})").format(
                   default_config='"default_config": {"enabled": False}') if default_on
               else _("configs turn them on"))
        fail(_("the investigator needs read-only tools, but the agent can use {risky}: {how}. It reads evidence; it "
               "does not write files or browse the web.").format(risky=", ".join(risky), how=how),
             _("turn the toolset off by default and enable only bash, grep, read and glob: {shape}.").format(
                 shape=_TOOLSET_SHAPE))
    custom = sorted(attr(t, "name") for t in tools if attr(t, "type") == "custom")
    expected = ["get_diff", "get_metrics", "list_deploys", "query_logs"]
    missing = [n for n in expected if n not in custom]
    if missing:
        fail(_("the agent lacks the custom tools {missing}.").format(missing=", ".join(missing)),
             _("add the definitions from helpers.incident: tools=[toolset, *incident.CUSTOM_TOOLS]."))
    problem = _not_yours(_("the agent"), agent_obj)
    if problem:
        fail(problem, _("pass metadata=WORKSHOP_METADATA (it holds both keys) so re-runs find and reuse it."))
    ok(_("Agent {name!r} v{version}: {model}, SRE system prompt, built-in toolset + {n} custom tools.").format(
        name=attr(agent_obj, "name"), version=attr(agent_obj, "version"), model=model, n=len(custom)))


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
    what = (_("`incident.CUSTOM_TOOLS` is itself a list, so `[toolset, incident.CUSTOM_TOOLS]` puts a list inside "
              "the list") if custom else _("a list inside the list"))
    return (_not_done_yet("2.2", _("the API refused the agent (400: {detail}). tools[{i}] is a list of {n}, not one "
                                   "tool: {what}. `tools` must be one flat list of tools.").format(
                detail=_clip(_api_detail(exc), 120), i=i, n=len(inner), what=what)),
            _("unpack the custom tools with `*`: tools=[toolset, *incident.CUSTOM_TOOLS]. Then run the TODO 2.2 cell "
              "again, and this one."))


_EXPLAIN["2.2"] = _nested_tools

_TOOLSET_SHAPE = ('{"type": "agent_toolset_20260401", "default_config": {"enabled": False}, '
                  '"configs": [{"name": name, "enabled": True} for name in ("bash", "grep", "read", "glob")]}')


def versions(v1: Any, latest: Any) -> None:
    """02 (exercise 2.3): an update makes a new version; version 1 stays as it was."""
    __tracebackhide__ = True
    need(v1, "v1", "2.3", "client.beta.agents.retrieve(agent.id, version=1)")
    need(latest, "latest", "2.3", _("the agent after client.beta.agents.update(...)"))
    if attr(v1, "id") != attr(latest, "id"):
        fail(_("`v1` and `latest` are different agents."), _("retrieve version 1 of the same agent.id you updated."))
    if attr(v1, "version") != 1:
        fail(_("`v1` is version {version}, not 1.").format(version=attr(v1, "version")),
             _("pass version=1 to client.beta.agents.retrieve."))
    if (attr(latest, "version") or 0) < 2:
        fail(_("`latest` is still version {version}: the update did not happen.").format(version=attr(latest, "version")),
             _("client.beta.agents.update(agent.id, version=agent.version, description=...) returns the new version."))
    ok(_("Version {version} is live and version 1 is still retrievable, unchanged: agents are immutable.").format(
        version=attr(latest, "version")))
