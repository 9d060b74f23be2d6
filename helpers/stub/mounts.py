"""What a recorded session reads and writes under ``/workspace/skills/`` and ``/mnt/memory/``, and whether a session
could have done the same (replay rule 4, extended to skills and memory stores; docs/design.md).

Offline there is no sandbox, so, as for session outputs (outputs.py), the stub reads a recording's tool calls: a
path ``/workspace/skills/<name>/...`` in a call's input is a read of that skill's file; ``/mnt/memory/<slug>/...`` a read
of that store's memory (or of a directory of it); the built-in ``write`` tool (``file_path``, ``content``) or a bash
here-document (``cat > /mnt/memory/<slug>/PATH <<'EOF'``) under a store's mount writes a memory, once the call's
``agent.tool_result`` reports success.

A recording fits a session when the session's agent carries every skill it reads (a custom skill of that name, at a
version holding the file), every store it reads or writes is mounted (where its mount_path says), every memory it
reads exists (or the recording wrote it first), and every store it writes is mounted ``read_write``. Live, a
missing skill or memory makes the agent's command fail, and a write to a ``read_only`` mount is refused by the
filesystem; offline the stub refuses such a session with a 400 saying why, as it does for custom tools.
"""
from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["SKILLS_PREFIX", "MEMORY_PREFIX", "written_memory", "uses", "unfit"]

SKILLS_PREFIX = "/workspace/skills/"  # skills.SKILLS_ROOT + "/" (a test keeps them equal)
MEMORY_PREFIX = "/mnt/memory/"
_TOKEN = re.compile(r"(?:/workspace/skills|/mnt/memory)/[\w.-]+(?:/[\w./-]*[\w.-])?")
_HEREDOC = re.compile(r"^\s*(?:mkdir -p [\w./-]+ && )?cat\s*>\s*(?P<path>/mnt/memory/[\w./-]+)\s*<<-?\s*"
                      r"(?P<q>['\"]?)(?P<tag>\w+)(?P=q)[ \t]*\n(?P<body>.*?)\n(?P=tag)\s*$", re.DOTALL)


def _split(path: str) -> tuple[str, str]:
    """``/mnt/memory/sre-on-call/incidents/x.md`` -> (``/mnt/memory/sre-on-call``, ``/incidents/x.md``)."""
    parts = path.split("/")
    return "/".join(parts[:4]), "/" + "/".join(parts[4:]) if len(parts) > 4 else "/"


def written_memory(tool_use: dict[str, Any]) -> tuple[str, str, str] | None:
    """``(mount path, memory path, content)`` when this ``agent.tool_use`` writes a memory, else None."""
    name, inp = tool_use.get("name"), tool_use.get("input") or {}
    path = content = None
    if name == "write" and isinstance(inp.get("file_path"), str) and isinstance(inp.get("content"), str):
        path, content = inp["file_path"], inp["content"]
    elif name == "bash" and isinstance(inp.get("command"), str):
        m = _HEREDOC.match(inp["command"])
        if m:
            path, content = m.group("path"), m.group("body") + "\n"
    if not path or not path.startswith(MEMORY_PREFIX) or path.endswith("/") or ".." in path.split("/"):
        return None
    mount, inner = _split(path)
    return (mount, inner, content) if inner != "/" else None


def uses(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What the recorded ``agent.tool_use`` events touch: ``{"skills": {name: {paths}}, "reads": {mount: {paths}},
    "writes": {mount: {paths}}}`` (a memory the recording wrote earlier is not a read of the store)."""
    skills: dict[str, set] = {}
    reads: dict[str, set] = {}
    writes: dict[str, set] = {}
    for ev in events:
        if ev.get("type") != "agent.tool_use":
            continue
        written = written_memory(ev)
        if written:
            writes.setdefault(written[0], set()).add(written[1])
            continue
        for token in _TOKEN.findall(json.dumps(ev.get("input") or {})):
            mount, inner = _split(token)
            if token.startswith(SKILLS_PREFIX):
                skills.setdefault(mount[len(SKILLS_PREFIX):], set()).add(inner.lstrip("/"))
            elif inner not in writes.get(mount, set()):
                reads.setdefault(mount, set()).add(inner)
    return {"skills": skills, "reads": reads, "writes": writes}


def _skill_problem(rec_name: str, skills: dict[str, set], have: dict[str, set]) -> str | None:
    for name, paths in sorted(skills.items()):
        if name not in have:
            return (f"recording {rec_name!r} reads the skill {name!r} (under {SKILLS_PREFIX}{name}/), which the "
                    f"session's agent does not carry (its skills: {sorted(have) or 'none'}). Create the skill with "
                    "client.beta.skills.create(files=...) and attach it: client.beta.agents.update(agent.id, "
                    "version=agent.version, skills=[{\"type\": \"custom\", \"skill_id\": skill.id, \"version\": "
                    "skill.latest_version_id}]), then start a new session.")
        missing = sorted(p for p in paths if p and p not in have[name]
                         and not any(f.startswith(p.rstrip("/") + "/") for f in have[name]))
        if missing:
            return (f"recording {rec_name!r} reads {missing[0]!r} of the skill {name!r}, which the agent's version of "
                    f"it does not hold (it has {sorted(have[name])}). Upload that file in a new version and pin it.")
    return None


def unfit(rec_name: str, events: list[dict[str, Any]], skills: dict[str, set],
          stores: dict[str, tuple[str, str, list[str]]]) -> str | None:
    """Why a session could not have produced the recording, or None. ``skills``: ``{name: {paths}}`` the agent
    carries; ``stores``: ``{mount path: (store id, access, [memory paths])}`` the session mounts."""
    used = uses(events)
    problem = _skill_problem(rec_name, used["skills"], skills)
    if problem:
        return problem
    for mount in sorted(set(used["reads"]) | set(used["writes"])):
        if mount not in stores:
            return (f"recording {rec_name!r} uses the memory store mounted at {mount}, but this session mounts no "
                    f"store there (its memory mounts: {sorted(stores) or 'none'}). Attach the store when you create "
                    "the session: resources=[{\"type\": \"memory_store\", \"memory_store_id\": store.id}] (its name "
                    "decides the directory).")
        store_id, access, paths = stores[mount]
        if mount in used["writes"] and access != "read_write":
            return (f"recording {rec_name!r} writes to {mount}, which this session mounts {access}: live the write "
                    "would fail. Mount the store with \"access\": \"read_write\" (the default).")
        for path in sorted(used["reads"].get(mount, ())):
            if path != "/" and path not in paths and not any(p.startswith(path.rstrip("/") + "/") for p in paths):
                return (f"recording {rec_name!r} reads {mount}{path}, but memory store {store_id!r} holds no memory at "
                        f"{path} (it holds {paths or 'nothing'}). Live the agent would find nothing there; write it "
                        "first (the session that learns it, or client.beta.memory_stores.memories.create).")
    return None
