"""Which recording a session could have produced: what the replay engine checks before it plays one (replay rule 4 in
docs/design.md), beyond the built-in tools' permission policies (replay.py, which suggests the recordings that fit).

A recording fits a session when every agent that acts in it could have acted so live: the session's agent for the
primary thread's lines, and for each session thread the recording spawns (``session.thread_created``), the subagent
of that name in the session agent's roster (its ``multiagent`` configuration, copied onto the session). Each of them
must define the custom tools it calls, and declare the MCP servers it calls with the tools enabled under the recorded
permission policy ("MCP toolsets default to always_ask", permission-policies docs). An MCP call must be able to
leave the sandbox (the environment's ``allow_mcp_servers`` "allows outbound access to MCP server endpoints configured
on the agent", environments docs) and authenticate: "Credentials are matched by URL ... If none matches, the
connection is attempted unauthenticated", which the recorded server refuses ("produces an error if the server
requires authentication", vaults docs). Offline these are 400s that say why, before anything plays: what would run
differently live is refused.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from ..sandbox import UPLOADS_DIR
from .utils import custom_tool_names
from .vaults import normalize_url

__all__ = ["Fit", "Actor", "roster_name", "actors", "team_unfit", "custom_unfit", "mount_unfit", "mcp_unfit", "mcp_policy"]


class Fit(NamedTuple):
    """What a session is, as far as a recording cares."""

    tools: list  # the session agent's normalized tools
    mounts: list  # the mount paths of its resources
    mcp_servers: list = []  # the session agent's MCP servers
    roster: dict = {}  # the subagents it can spawn as session threads, by name (full definitions)
    networking: dict | None = None  # its environment's networking (None: no limit known)
    credential_urls: tuple = ()  # normalized mcp_server_url of the active credentials of its vaults


class Actor(NamedTuple):
    """An agent acting in a recording: the primary thread's (``thread`` None) or a session thread's."""

    thread: str | None
    label: str
    tools: list
    mcp_servers: list


def roster_name(recorded: str, roster: dict) -> str | None:
    """The roster's name for the subagent a recording names ``recorded``: that name, else the one member named
    ``recorded`` plus a suffix (``sre-investigator-ada-mbp``: a learner's copy, ``helpers.resources.learner_name``).
    Recordings name agents by the workshop's base names; the live API gives names no meaning, so which member plays a
    recorded thread offline is the stub's choice (an inference-free convenience, docs/design.md)."""
    if recorded in roster:
        return recorded
    found = [name for name in roster if name.startswith(recorded + "-")]
    return found[0] if len(found) == 1 else None


def actors(rec: Any, fit: Fit) -> list[Actor]:
    """The session's agent, then the subagent of each thread the recording spawns (team_unfit checked them)."""
    out = [Actor(None, "the session's agent", fit.tools, fit.mcp_servers)]
    for thread, name in rec.child_threads().items():
        agent = fit.roster[roster_name(name, fit.roster)]
        out.append(Actor(thread, f"its subagent {name!r}", agent.get("tools") or [], agent.get("mcp_servers") or []))
    return out


def team_unfit(rec: Any, fit: Fit) -> str | None:
    """A recording that spawns session threads needs an agent whose roster has an agent of each name."""
    names = sorted(set(rec.child_threads().values()))
    if not names:
        return None
    if not fit.roster:
        return (f"recording {rec.name!r} spawns session threads running {', '.join(map(repr, names))}, but the "
                "session's agent has no subagents: live it could not spawn them. Create the lead agent with "
                "multiagent={\"type\": \"multiagent_20261001\", \"subagents\": {\"type\": \"enabled\", "
                "\"predefined_agents\": [investigator.id]}} and start a new session with it.")
    missing = [n for n in names if roster_name(n, fit.roster) is None]
    if missing:
        return (f"recording {rec.name!r} spawns session threads running {', '.join(map(repr, missing))}, but the "
                f"session agent's subagents are {sorted(fit.roster)}. Add that agent to its predefined_agents "
                "(agents.update(lead.id, multiagent=...)), then start a new session.")
    return None


def custom_unfit(rec: Any, actor: Actor) -> str | None:
    have = custom_tool_names(actor.tools)
    missing = [t for t in rec.custom_tools_of(actor.thread) if t not in have]
    if not missing:
        return None
    return (f"recording {rec.name!r} needs custom tools {actor.label} lacks: {', '.join(missing)} "
            f"(it has {have or 'no custom tools'}). Create the agent with "
            "tools=helpers.incident.CUSTOM_TOOLS (or add the missing tools with client.beta.agents.update), "
            "then start a new session with it.")


def _covers(mounted: str, path: str) -> bool:
    """A mount at ``mounted`` (where the agent finds it) lets a tool call read ``path``: the file itself, a path
    inside a mounted directory, or a directory that holds the mount (a grep or glob of the uploads directory)."""
    mounted, path = mounted.rstrip("/"), path.rstrip("/")
    return path == mounted or path.startswith(mounted + "/") or mounted.startswith(path + "/")


def _mount_path_for(path: str) -> str:
    """The ``mount_path`` that puts a file at ``path`` in the sandbox (the docs' style: ``/data.csv``)."""
    prefix = UPLOADS_DIR + "/"
    return "/" + path[len(prefix):] if path.startswith(prefix) else path


def mount_unfit(rec: Any, mounts: list) -> str | None:
    """Every file the recorded tool calls read is mounted where they read it (all threads share one sandbox)."""
    for path in rec.sandbox_paths():
        if not any(_covers(m, path) for m in mounts if m):
            return (f"recording {rec.name!r} reads {path} in the sandbox, but this session mounts nothing there "
                    f"(its files are at: {', '.join(mounts) or 'none'}), so live those tool calls would fail. "
                    "A file's mount_path is rooted under the session's uploads directory (docs: "
                    f"managed-agents/files, \"File paths\"): mount it with resources=[{{\"type\": \"file\", "
                    f"\"file_id\": log_file.id, \"mount_path\": \"{_mount_path_for(path)}\"}}] "
                    "(helpers.resources.new_session does this).")
    return None


def mcp_policy(tools: list, server: str, tool: str) -> str | None:
    """How the agent (its normalized ``tools``) runs the MCP tool ``tool`` of ``server``: ``"always_allow"``,
    ``"always_ask"``, or None when no mcp_toolset enables it."""
    for t in tools:
        if t.get("type") != "mcp_toolset" or t.get("mcp_server_name") != server:
            continue
        cfg = next((c for c in t.get("configs") or [] if c.get("name") == tool), None) or t.get("default_config") or {}
        if cfg.get("enabled", True):
            return (cfg.get("permission_policy") or {}).get("type", "always_ask")
    return None


def _server_unfit(rec: Any, actor: Actor, server: str, tool: str, perms: set, fit: Fit) -> str | None:
    where = f"recording {rec.name!r} calls the MCP tool {tool!r} of server {server!r}"
    declared = next((s for s in actor.mcp_servers if s.get("name") == server), None)
    if declared is None:
        names = [s.get("name") for s in actor.mcp_servers]
        return (f"{where}, but {actor.label} declares no MCP server named {server!r} (its servers: {names or 'none'}). "
                "Add it to mcp_servers with an mcp_toolset for it in tools, then start a new session.")
    policy, want = mcp_policy(actor.tools, server, tool), "always_ask" if "ask" in perms else "always_allow"
    if policy is None:
        return f"{where}, but {actor.label}'s mcp_toolset for {server!r} does not enable {tool!r}."
    if policy != want:
        return (f"{where} with {want}, but {actor.label} runs it with {policy}, so live the call would "
                + ("wait for a user.tool_confirmation" if policy == "always_ask" else "run without asking")
                + f". Set its permission_policy to {{\"type\": \"{want}\"}} in the mcp_toolset's configs.")
    net = fit.networking or {}
    if net.get("type") == "limited" and not net.get("allow_mcp_servers"):
        return (f"{where}, but the session's environment has limited networking without allow_mcp_servers, so live "
                f"the sandbox could not reach {declared['url']}. Create the environment with networking "
                "{\"type\": \"limited\", \"allowed_hosts\": [], \"allow_mcp_servers\": true}.")
    if normalize_url(declared["url"]) not in fit.credential_urls:
        return (f"{where} at {declared['url']}, which needs a credential, and none of the session's vaults holds an "
                "active one for that URL: live, the connection would be attempted unauthenticated and fail "
                "(mcp_authentication_failed_error). Add a static_bearer credential with mcp_server_url "
                f"{declared['url']!r} to a vault and pass vault_ids=[vault.id] when you create the session.")
    return None


def mcp_unfit(rec: Any, actor: Actor, fit: Fit) -> str | None:
    for (server, tool), perms in sorted(rec.mcp_calls(actor.thread).items()):
        why = _server_unfit(rec, actor, server, tool, perms, fit)
        if why:
            return why
    return None
