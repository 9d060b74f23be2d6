"""The agent, environment and log file of notebook 02, reusable by every later notebook.

Notebook 02 has you create the environment and the agent by hand (its toolset is :func:`toolset`); this module holds
exactly the same definitions, so notebooks 03-09 each run alone in a fresh kernel::

    from helpers import resources
    env = resources.ensure_environment(client)     # the SRE sandbox (found by name + metadata, else created)
    agent = resources.ensure_agent(client)         # the SRE investigator (updated to a new version if its definition changed)
    log_file = resources.ensure_log_file(client)   # data/app.log uploaded once (found by filename + size)
    session = resources.new_session(client, agent, env, log_file, title="...")   # app.log mounted in the sandbox
    session = resources.unused_session(client, session)   # that one, or a fresh one if it has a conversation already

The log is mounted with ``mount_path`` :data:`LOG_MOUNT_PATH` (``"/app.log"``) and the agent reads it at
:data:`LOG_PATH` (``/mnt/session/uploads/app.log``): the docs' file paths, defined once in :mod:`helpers.sandbox`.

Every ``ensure_*`` is idempotent: it reuses what it finds (tagged with :data:`WORKSHOP_METADATA`)
and never piles up duplicates; :func:`archive_duplicates` archives older copies left by re-runs.

A room may share one organisation's key, so everything is yours alone: :data:`LEARNER` (``WORKSHOP_LEARNER``, else your
user and machine) is in every name (:func:`learner_name`) and in the metadata, and every find, reuse and archive here
(and ``workshop.py reset``) only ever touches resources whose metadata names you (:func:`is_mine`). The one thing a
room shares is the upload of app.log: the Files API keeps no metadata, and it is the same read-only file for everyone.
Notebook 08's skill keeps no metadata either: yours is the one whose display name carries your id (:func:`is_my_skill`).
"""
from __future__ import annotations

from typing import Any

from .events import get
from .i18n import _
from .sandbox import LOG_MOUNT_PATH, LOG_PATH
from .settings import DATA_DIR, LEARNER
from .toolset import TOOLSET_TYPE, enabled_builtin_tools

__all__ = [
    "WORKSHOP", "LEARNER", "WORKSHOP_METADATA", "learner_name", "is_mine", "SKILL_NAME", "is_my_skill",
    "ENVIRONMENT_NAME", "AGENT_NAME", "AGENT_DESCRIPTION", "SYSTEM_PROMPT", "LOG_MOUNT_PATH", "LOG_PATH",
    "environment_config", "toolset", "agent_tools", "agent_definition",
    "find_environment", "find_agent", "find_log_file", "archive_duplicates",
    "ensure_environment", "ensure_agent", "ensure_log_file", "ensure_all", "new_session", "unused_session",
    "console_url", "is_live",
]

#: Where the Claude Console shows a session (its timeline and raw events). "default" is the organisation's Default
#: workspace; set WORKSHOP_CONSOLE_WORKSPACE to your workspace's id if your key belongs to another one.
CONSOLE_SESSION_URL = "https://platform.claude.com/workspaces/{workspace}/sessions/{session_id}"

#: The value of the "workshop" metadata key: what the series made, whoever made it.
WORKSHOP = "ship-your-first-managed-agent"

#: Every resource the workshop creates carries this metadata, so it can be found (and cleaned up) again: the workshop,
#: and the learner who made it, so that in a room sharing one key nobody finds, reuses or archives a neighbour's.
WORKSHOP_METADATA = {"workshop": WORKSHOP, "learner": LEARNER}


def learner_name(base: str, learner: str = LEARNER) -> str:
    """A resource's name with its learner in it ("sre-investigator" -> "sre-investigator-ada-mbp"): the Console, which
    lists every learner's resources side by side, then shows whose each one is."""
    return f"{base}-{learner}"


def is_mine(obj: Any, everyone: bool = False) -> bool:
    """Was ``obj`` made by this series for this learner (its metadata carries :data:`WORKSHOP_METADATA`)? With
    ``everyone``, by this series for anyone (the presenter's clean-up of a room, and resources from before the learner
    key)."""
    meta = get(obj, "metadata") or {}
    wanted = {"workshop": WORKSHOP} if everyone else WORKSHOP_METADATA
    return all(meta.get(k) == v for k, v in wanted.items())


#: Notebook 08's runbook skill, by the slug of its SKILL.md: "the top-level directory of the Skill's mounted files"
#: (``BetaSkillVersion.name``), so it is the same for every learner (the agent reads /workspace/skills/incident-runbooks/).
SKILL_NAME = "incident-runbooks"


def is_my_skill(skill: Any, everyone: bool = False) -> bool:
    """Is ``skill`` notebook 08's, uploaded by this learner (``everyone``: by any learner)? Skills keep no metadata, so
    this reads the display name 08 gives it at creation, ``learner_name(SKILL_NAME)`` (``display_name``: "Human-readable
    ... Not unique", the SDK's ``skills.create``); with ``everyone``, SKILL_NAME alone or with any learner id after it.
    ``helpers.doctor`` also checks the slug of the skill's latest version before it deletes one."""
    title = get(skill, "display_name") or ""
    if everyone:
        return title == SKILL_NAME or title.startswith(SKILL_NAME + "-")
    return title == learner_name(SKILL_NAME)


ENVIRONMENT_NAME = learner_name("incident-2277-sandbox")
AGENT_NAME = learner_name("sre-investigator")
AGENT_DESCRIPTION = "Investigates production incidents from logs, metrics, deploys and diffs."

SYSTEM_PROMPT = f"""\
You are an SRE incident investigator on call for an e-commerce platform.
Your job: find the root cause of the incident you are given, with evidence, and say how to fix it.

Evidence you can use:
- The request log is mounted in your sandbox at {LOG_PATH}: one JSON object per line with
  ts, level, service, route, status, latency_ms, trace_id, msg (and db_queries for checkout). Search it
  with the grep tool, or count with grep, sort and uniq in bash; read a few lines with read (view_range).
  It is 13 MB: never print the whole file.
- Custom tools that run on the engineer's laptop: get_metrics (latency and failure rate per service),
  list_deploys (what changed and when), get_diff (the code behind a deploy), query_logs (filtered log
  summaries).

How to work:
1. Establish when the symptom started (the onset) from the metrics.
2. Correlate with the deploys just before the onset; rule out the ones on other services or after it.
3. Confirm in the log (e.g. queries per request, slow-query warnings, 5xx) and read the suspect diff.
4. Report in under 200 words: onset, culprit deploy (id, service, version, commit), the mechanism in
   the code, the evidence, and the fix (and whether to roll back first).
Be precise with timestamps (UTC) and ids. Do not guess: if evidence is missing, say what you would check.
"""


def environment_config() -> dict:
    """A cloud sandbox that can install packages but reaches no other host: an investigator reads, it does not call out."""
    return {
        "type": "cloud",
        "networking": {
            "type": "limited",
            "allowed_hosts": [],
            "allow_package_managers": True,
            "allow_mcp_servers": False,
        },
        "packages": {"pip": ["pandas"], "apt": ["jq"]},
    }


def toolset() -> dict:
    """The built-in toolset: every tool off by default (``always_allow`` when on), then bash, grep, read and glob on
    (no web, no file writes)."""
    return {
        "type": TOOLSET_TYPE,
        "default_config": {"enabled": False, "permission_policy": {"type": "always_allow"}},
        "configs": [{"name": name, "enabled": True} for name in ("bash", "grep", "read", "glob")],
    }


def agent_tools() -> list[dict]:
    """The built-in toolset (:func:`toolset`) plus the four incident tools."""
    from . import incident

    return [toolset(), *incident.CUSTOM_TOOLS]


def agent_definition(model: str | None = None) -> dict:
    """The keyword arguments of ``client.beta.agents.create`` for the SRE investigator."""
    from . import settings

    return {
        "name": AGENT_NAME,
        "model": model or settings.MODEL,
        "system": SYSTEM_PROMPT,
        "description": AGENT_DESCRIPTION,
        "tools": agent_tools(),
        "metadata": dict(WORKSHOP_METADATA),
    }


# --------------------------------------------------------------------------- finding what exists
def _ours(obj: Any, name: str) -> bool:
    return get(obj, "name") == name and is_mine(obj) and not get(obj, "archived_at")


def _newest(items: list) -> Any:
    return max(items, key=lambda o: str(get(o, "created_at") or "")) if items else None


def _matching_environments(client: Any, name: str) -> list:
    return [e for e in client.beta.environments.list(limit=100) if _ours(e, name)]


def _matching_agents(client: Any, name: str) -> list:
    return [a for a in client.beta.agents.list(limit=100) if _ours(a, name)]


def find_environment(client: Any, name: str = ENVIRONMENT_NAME) -> Any:
    """Your newest active workshop environment called ``name``, or None."""
    return _newest(_matching_environments(client, name))


def find_agent(client: Any, name: str = AGENT_NAME) -> Any:
    """Your newest active workshop agent called ``name``, or None."""
    return _newest(_matching_agents(client, name))


def archive_duplicates(client: Any, keep: Any) -> list[str]:
    """Archive every other active agent or environment of yours with ``keep``'s name (never another learner's).
    Returns their ids."""
    kind = get(keep, "type")
    if kind == "agent":
        others, archive = _matching_agents(client, get(keep, "name")), client.beta.agents.archive
    elif kind == "environment":
        others, archive = _matching_environments(client, get(keep, "name")), client.beta.environments.archive
    else:
        raise TypeError(_("archive_duplicates expects an agent or an environment, got {kind}").format(kind=repr(kind)))
    archived = []
    for other in others:
        if get(other, "id") != get(keep, "id"):
            try:
                archive(get(other, "id"))
                archived.append(get(other, "id"))
            except Exception:  # e.g. still in use by a running session: leave it
                pass
    return archived


def find_log_file(client: Any, path: Any = None) -> Any:
    """An uploaded file with the log's name and size, or None (a session's copy of it, which has a scope, is not
    the upload)."""
    path = path or DATA_DIR / "app.log"
    size = path.stat().st_size
    for f in client.beta.files.list(limit=100):
        if get(f, "filename") == path.name and get(f, "size_bytes") == size and not get(f, "scope"):
            return f
    return None


# --------------------------------------------------------------------------- ensure_*
def ensure_environment(client: Any) -> Any:
    """Your SRE sandbox environment: reused if it exists (name + metadata), else created."""
    env = find_environment(client)
    if env is None:
        env = client.beta.environments.create(
            name=ENVIRONMENT_NAME,
            description="Sandbox for the Incident-2277 investigation: limited networking, package managers allowed.",
            config=environment_config(),
            metadata=dict(WORKSHOP_METADATA),
        )
    return env


def _tool_signature(tools: list) -> list:
    sig = []
    for t in tools or []:
        kind = get(t, "type")
        if kind == "custom":
            sig.append(("custom", get(t, "name")))
        elif kind == TOOLSET_TYPE:
            # each enabled tool with its permission policy: a policy that drifted makes a new version
            sig.append((kind, tuple(enabled_builtin_tools([t]).items())))
        else:
            sig.append((kind, get(t, "name") or get(t, "mcp_server_name")))
    return sorted(sig, key=repr)


def _model_id(agent: Any) -> str | None:
    model = get(agent, "model")
    return model if isinstance(model, str) else get(model, "id")


def ensure_agent(client: Any, model: str | None = None) -> Any:
    """Your SRE investigator: reused if it exists; updated to a new version if its model, system prompt
    or tools differ from :func:`agent_definition`; else created."""
    definition = agent_definition(model)
    agent = find_agent(client)
    if agent is None:
        return client.beta.agents.create(**definition)
    changed = (
        _model_id(agent) != definition["model"]
        or (get(agent, "system") or "") != definition["system"]
        or _tool_signature(get(agent, "tools")) != _tool_signature(definition["tools"])
    )
    if changed:
        agent = client.beta.agents.update(
            get(agent, "id"), version=get(agent, "version"),
            model=definition["model"], system=definition["system"], tools=definition["tools"],
        )
    return agent


def ensure_log_file(client: Any, path: Any = None) -> Any:
    """data/app.log uploaded with the Files API, once (found again by filename and size)."""
    path = path or DATA_DIR / "app.log"
    found = find_log_file(client, path)
    if found is not None:
        return found
    with open(path, "rb") as fh:
        return client.beta.files.upload(file=(path.name, fh, "application/x-ndjson"))


def ensure_all(client: Any) -> tuple[Any, Any, Any]:
    """``(env, agent, log_file)``, each idempotent."""
    return ensure_environment(client), ensure_agent(client), ensure_log_file(client)


def new_session(client: Any, agent: Any = None, env: Any = None, log_file: Any = None, **kwargs: Any) -> Any:
    """A session of the SRE investigator in its sandbox, with app.log mounted (``mount_path`` :data:`LOG_MOUNT_PATH`:
    the agent reads it at :data:`LOG_PATH`).

    Missing pieces are ensured. ``kwargs`` go to ``client.beta.sessions.create`` (``title``, ``metadata``, ...);
    metadata is merged with :data:`WORKSHOP_METADATA`."""
    env = env or ensure_environment(client)
    agent = agent or ensure_agent(client)
    log_file = log_file or ensure_log_file(client)
    metadata = {**WORKSHOP_METADATA, **(kwargs.pop("metadata", None) or {})}
    resources = [{"type": "file", "file_id": get(log_file, "id"), "mount_path": LOG_MOUNT_PATH},
                 *kwargs.pop("resources", [])]
    session = client.beta.sessions.create(
        agent=get(agent, "id"), environment_id=get(env, "id"), resources=resources, metadata=metadata, **kwargs,
    )
    if is_live(client):  # offline there is no Console to look in: print nothing
        print(f"Console: {console_url(get(session, 'id'))}")
    return session


#: What starts a conversation: a session holding one of these (sent by a client: a session is created without any,
#: unless initial_events, docs "Session event stream": "user.* events kick off a session") is used.
_CONVERSATION_STARTERS = ["user.message", "user.define_outcome"]


def unused_session(client: Any, session: Any) -> Any:
    """``session`` if nothing has been said in it yet (no ``user.message`` or ``user.define_outcome``: the events list
    filtered by ``types``, as the SDK's ``events.list`` docstring describes), else a new session like it: its agent,
    environment, title and metadata, with app.log mounted (:func:`new_session`; its other mounts are not carried over).

    A session holds one conversation, so a cell that starts one (notebook 03's loop) calls this first and can be run
    again: a second run, or one after an attempt that stopped early, never finds the session waiting on the first. A
    used session that is still ``running`` (a loop that stopped reading early: live, it keeps working, and costs) gets
    a ``user.interrupt`` first, the docs' way to stop it ("Session operations")."""
    sid = get(session, "id")
    if not client.beta.sessions.events.list(sid, types=_CONVERSATION_STARTERS, limit=1).data:
        return session
    if client.beta.sessions.retrieve(sid).status == "running":
        import anthropic

        try:
            client.beta.sessions.events.send(sid, events=[{"type": "user.interrupt"}])
        except anthropic.APIStatusError:  # it stopped since (or was archived): nothing left to stop
            pass
    return new_session(client, get(session, "agent"), {"id": get(session, "environment_id")},
                       title=get(session, "title"), metadata=get(session, "metadata"))


def is_live(client: Any) -> bool:
    """Does ``client`` talk to the real API (not the local replay stub)?"""
    host = getattr(getattr(client, "base_url", None), "host", None) or ""
    return bool(host) and host not in ("127.0.0.1", "localhost", "::1")


def console_url(session_id: str) -> str:
    """The session's page in the Claude Console (live sessions only)."""
    import os

    workspace = os.environ.get("WORKSHOP_CONSOLE_WORKSPACE") or "default"
    return CONSOLE_SESSION_URL.format(workspace=workspace, session_id=session_id)
