"""Re-running a recorded built-in tool call in a scratch copy of the sandbox, as the recordings' tests do: what the
call gives there must be what the recording says it gave (the recordings are authored from real runs on data/)."""
from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["rerun"]


def rerun(name: str, tool_input: dict[str, Any], root: Path, prefixes: tuple[str, ...] = ("/mnt/session/",)) -> str:
    """What the built-in tool ``name`` gives for ``tool_input`` in the scratch sandbox at ``root``: each of
    ``prefixes`` (the sandbox's folders the call may name) is looked up under ``root``, and the output names the
    sandbox's own paths again. ``bash`` runs here (``LC_ALL=C``, nothing on stderr); ``read``, ``grep``, ``glob``
    and ``write`` are the SDK's reference implementations (``anthropic.lib.tools.agent_toolset``). What a ``write``
    writes (its ``content``) is data, and is left as it is."""
    local = dict(tool_input)
    for key, value in tool_input.items():
        if isinstance(value, str) and key != "content":
            for prefix in prefixes:
                value = value.replace(prefix, f"{root}{prefix}")
            local[key] = value
    if name == "bash":
        env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        proc = subprocess.run(["bash", "-c", local["command"]], capture_output=True, env=env, check=False)
        assert not proc.stderr, proc.stderr
        out = proc.stdout.decode("utf-8")
    else:
        from anthropic.lib.tools import agent_toolset as ts

        tool = {"read": ts.beta_read_tool, "grep": ts.beta_grep_tool, "glob": ts.beta_glob_tool,
                "write": ts.beta_write_tool}[name]
        out = asyncio.run(tool(ts.AgentToolContext(workdir=str(root))).call(local))
    for prefix in prefixes:
        out = out.replace(f"{root}{prefix}", prefix)
    return out
